/**
 * Prints the preset reference of docs/datasets.md (between its "presets:begin/end" markers)
 * from listPresets(), so the docs say what the code does:
 *   npx tsx scripts/preset-docs.ts --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { listPresets } from '../lib/data/presets/index.ts';

const code = (s: string) => '`' + s.replaceAll('\n', '⏎').replaceAll('|', '\\|') + '`';
const out: string[] = [];
for (const p of listPresets()) {
  out.push(`### \`${p.name}\``, '', `${p.description} Source: ${p.source}.`, '');
  out.push(`Kind \`${p.kind}\`${p.answers ? `, answers ${code(p.answers[0])} (label 0) / ${code(p.answers[1])} (label 1)` : ''}; text: ${code(p.text)}; fields: ${p.fields.length ? p.fields.map((f) => code(`{{${f}}}`)).join(', ') : 'none of its own'}.`, '');
  out.push('| column | required | meaning |', '| --- | --- | --- |');
  for (const c of p.columns) out.push(`| \`${c.name}\`${c.aliases?.length ? ` (or ${c.aliases.map((a) => `\`${a}\``).join(', ')})` : ''} | ${c.required ? 'yes' : 'no'} | ${c.description.replaceAll('|', '\\|')} |`);
  out.push('', '| template | text | source |', '| --- | --- | --- |');
  for (const t of p.templates) {
    const extra = [t.answers ? `answers ${t.answers.map(code).join(' / ')}` : '', t.opinion?.views ? `opinion views ${t.opinion.views.map(code).join(' / ')}` : ''].filter(Boolean).join('; ');
    out.push(`| \`${t.id}\`${t.id === p.default_template ? ' (default)' : ''} | ${code(t.text)}${extra ? ` (${extra})` : ''} | ${t.citation.replaceAll('|', '\\|')} |`);
  }
  out.push('');
}
const md = out.join('\n');
if (process.argv.includes('--write')) {
  const file = new URL('../docs/datasets.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const [head, rest] = doc.split('<!-- presets:begin -->');
  const tail = rest.split('<!-- presets:end -->')[1];
  writeFileSync(file, `${head}<!-- presets:begin -->\n\n${md}\n<!-- presets:end -->${tail}`);
} else console.log(md);
