/**
 * `sonde credences JOB` — per-row credences of a job's probes (CSV by default, or .npy /
 * JSON), `sonde disagreements JOB` — labelled items the model confidently contradicts,
 * `sonde elk JOB` — AUROC vs every label column and the recovered AUROC gap.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs, str, intFlag, UsageError } from '../args.ts';
import { apiClient } from './client.ts';

function query(flags: ReturnType<typeof parseArgs>['flags'], names: string[]): string {
  const q = new URLSearchParams();
  for (const n of names) {
    const v = str(flags, n);
    if (v !== undefined) q.set(n.replace(/-/g, '_'), v);
  }
  return q.toString();
}

export async function credencesMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv);
  const job = positionals[0];
  if (!job) throw new UsageError('usage: sonde credences JOB [--format csv|npy|json] [--layer L] [--method M] [--seed S] [--control C] [--out FILE]');
  const format = str(flags, 'format', 'csv')!;
  if (!['csv', 'npy', 'json'].includes(format)) throw new UsageError(`--format must be csv, npy or json, got "${format}"`);
  const q = query(flags, ['layer', 'method', 'seed', 'control']);
  const out = str(flags, 'out');
  if (format === 'npy' && !out) throw new UsageError('--format npy writes binary: give --out FILE');
  const res = await apiClient().download(`/v1/jobs/${job}/credences?format=${format}${q ? `&${q}` : ''}`);
  await pipeline(Readable.fromWeb(res.body as never), out ? fs.createWriteStream(out) : process.stdout);
  if (out) console.error(`wrote ${out}${res.headers.get('x-sonde-probes') ? ` (probes, in row order: ${res.headers.get('x-sonde-probes')})` : ''}`);
  return 0;
}

export async function disagreementsMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ['json']);
  const job = positionals[0];
  if (!job) throw new UsageError('usage: sonde disagreements JOB [--layer L] [--method M] [--control C] [--limit N] [--min-confidence X] [--json]');
  intFlag(flags, 'limit');
  const q = query(flags, ['layer', 'method', 'control', 'limit', 'min-confidence']);
  const res = await apiClient().request('GET', `/v1/jobs/${job}/disagreements${q ? `?${q}` : ''}`);
  if (flags.json) {
    console.log(JSON.stringify(res, null, 2));
    return 0;
  }
  for (const g of res.groups) {
    console.log(`${g.method} layer ${g.layer}: ${g.n_disagreeing} of ${g.n_labelled} labelled items confidently contradict their label`);
    for (const it of g.items) console.log(`  item ${String(it.item).padStart(5)}  label ${it.label}  credence ${it.credence.toFixed(3)}  ${it.text ?? ''}`);
  }
  return 0;
}

export async function elkMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ['json']);
  const job = positionals[0];
  if (!job) throw new UsageError('usage: sonde elk JOB [--json]');
  const res = await apiClient().request('GET', `/v1/jobs/${job}/elk`);
  if (flags.json) {
    console.log(JSON.stringify(res, null, 2));
    return 0;
  }
  const f = (v: number | null) => (v === null ? '   —  ' : v.toFixed(3));
  console.log('AUROC with each probe\'s own sign, mean ± std over seeds');
  for (const r of res.auroc) console.log(`  ${r.control}  ${String(r.subset).padEnd(12)} vs ${String(r.label_set).padEnd(8)} ${String(r.method).padEnd(10)} L${r.layer}  ${f(r.mean)} ± ${f(r.std)} (n=${r.n_seeds})`);
  if (res.recovered_gap.length) {
    console.log(`recovered AUROC gap (Mallen et al. 2023), truthful subset "${res.truthful_subset}"`);
    for (const r of res.recovered_gap) console.log(`  ${r.control}  vs ${String(r.label_set).padEnd(8)} ${String(r.method).padEnd(10)} L${r.layer}  ${f(r.mean)} ± ${f(r.std)}`);
  }
  return 0;
}
