/**
 * `npm run bench:controls` — the evidence issue 5 asks for, measured through the whole
 * service (API → queue → extraction → fits → Postgres): the default model on real movie-
 * review sentences (../shared/datasets/rt-polarity, a balanced sample of N items, default
 * 1,000), clean vs Farquhar et al.'s distractor (banana/shed) and explicit-opinion (q = 0.5)
 * controls, CCS / PCA / k-means / LR per layer, every seed, with 95% bootstrap CIs.
 * Skips with a note when ../shared is absent (users' clones do not have it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBenchService } from './service.ts';

const N = Number(process.env.CONTROLS_ITEMS ?? 1000);
const SEEDS = Number(process.env.CONTROLS_SEEDS ?? 5);
const FILE = path.resolve(process.env.SONDE_SHARED_DATASETS ?? '../shared/datasets', 'rt-polarity/sentences.jsonl');

function sample(): string {
  const rows = fs.readFileSync(FILE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: number });
  const byLabel = [rows.filter((r) => r.label === 0), rows.filter((r) => r.label === 1)];
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out: { text: string; label: number }[] = [];
  for (const group of byLabel) {
    const idx = group.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(next() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
    out.push(...idx.slice(0, N / 2).map((i) => group[i]));
  }
  return out.map((r) => JSON.stringify(r)).join('\n');
}

async function main() {
  if (!fs.existsSync(FILE)) {
    console.log(`bench:controls skipped: ${FILE} not found (set SONDE_SHARED_DATASETS to the reference datasets folder)`);
    return;
  }
  const { call, close } = await startBenchService('bench');
  try {
    const ds = await call('POST', '/v1/datasets', { name: `rt-polarity-${N}`, kind: 'binary', format: 'jsonl', content: sample(), answers: ['bad', 'good'] });
    const t0 = Date.now();
    const job = await call('POST', '/v1/jobs', {
      dataset: ds.id, methods: ['ccs', 'pca', 'kmeans', 'lr'], seeds: SEEDS,
      controls: ['distractor', { name: 'explicit-opinion', q: 0.5 }, 'agreement'],
    });
    let j = job;
    while (!['completed', 'failed', 'cancelled'].includes(j.status)) {
      await new Promise((r) => setTimeout(r, 1000));
      j = await call('GET', `/v1/jobs/${job.id}`);
    }
    if (j.status !== 'completed') throw new Error(`job ${j.status}: ${JSON.stringify(j.error)}`);
    const res = await call('GET', `/v1/jobs/${job.id}/results`);
    console.log(`use-lite on ${N} balanced rt-polarity sentences (${ds.n_items} items, template ${j.spec.templates.length ? j.spec.templates : 'default'}), ${SEEDS} seeds, split 0.6/0.4 by item; job took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    console.log(res.table);
    type Row = { layer: number; method: string; control: string | null; accuracy: number; accuracy_ci_low: number; accuracy_ci_high: number; distractor_accuracy: number | null; opinion_accuracy: number | null; template: number | null };
    const rows = (res.results as Row[]).filter((r) => r.template === null);
    console.log('\nper seed: test accuracy [95% bootstrap CI] and, under a control, agreement with the planted feature');
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
      const k = `${r.control ?? 'clean'}|${r.method}|${r.layer}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [k, rs] of groups) {
      const [control, method, layer] = k.split('|');
      const seeds = rs.map((r) => `${r.accuracy.toFixed(3)} [${r.accuracy_ci_low?.toFixed(3)}, ${r.accuracy_ci_high?.toFixed(3)}]${r.distractor_accuracy != null ? ` h=${r.distractor_accuracy.toFixed(3)}` : ''}${r.opinion_accuracy != null ? ` op=${r.opinion_accuracy.toFixed(3)}` : ''}`);
      console.log(`${control.padEnd(16)} ${method.padEnd(7)} L${layer}  ${seeds.join('  ')}`);
    }
  } finally {
    await close();
  }
}

main().catch((e) => {
  console.error(`bench:controls: ${(e as Error).message}`);
  process.exit(1);
});
