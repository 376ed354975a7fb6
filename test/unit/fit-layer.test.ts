/**
 * The fit stage's orchestration on planted activations (no I/O): one row per method ×
 * seed × condition, per-template rows, agreements, and the control metrics reading what
 * was planted — PCA follows a stronger planted distractor, LR follows the truth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLayer, type ConditionData, type PairsMeta } from '../../lib/fit/index.ts';
import { normalizeJobRequest } from '../../lib/job-spec.ts';
import { METHODS } from '../../lib/probe/index.ts';
import { mulberry32 } from '../support/rng.ts';

const rng = mulberry32;
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/**
 * nItems items × T templates, d dims. Truth y moves pos/neg apart along dim 0 (strength
 * `truth`); the planted bit h moves them along dim 1 (strength `distractor`), as an
 * appended banana/shed would.
 */
function planted(name: string, nItems: number, T: number, d: number, truth: number, distractor: number, seed: number): ConditionData {
  const r = rng(seed);
  const n = nItems * T;
  const pos = new Float32Array(n * d), neg = new Float32Array(n * d);
  const labels: number[] = [], items: number[] = [], templates: number[] = [], bits: number[] = [];
  for (let i = 0; i < nItems; i++) {
    const y = i % 2;
    const h = r() < 0.5 ? 1 : 0;
    for (let t = 0; t < T; t++) {
      const row = i * T + t;
      labels.push(y); items.push(i); templates.push(t); bits.push(h);
      for (let j = 0; j < d; j++) {
        const shared = gauss(r);
        pos[row * d + j] = shared + 0.3 * gauss(r);
        neg[row * d + j] = shared + 0.3 * gauss(r);
      }
      const s = y ? 1 : -1, b = h ? 1 : -1;
      pos[row * d] += truth * s; neg[row * d] -= truth * s;
      pos[row * d + 1] += distractor * b; neg[row * d + 1] -= distractor * b;
    }
  }
  const meta: PairsMeta = {
    condition: name, n_pairs: n, labels, templates, template_ids: Array.from({ length: T }, (_, t) => `t${t}`), items,
    control_bits: distractor > 0 ? bits : null, layers: [0], dim: { 0: d },
  };
  return { name, meta, pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg } };
}

test('fitLayer writes one row per method × seed × condition with the control metrics', () => {
  const spec = normalizeJobRequest(
    { methods: ['pca', 'lr', 'ccs'], seeds: 2, controls: ['distractor', 'agreement', 'template-sensitivity'], bootstrap: 50, method_options: { ccs: { restarts: 2 } } },
    { methods: METHODS, defaultDataset: 'x' },
  );
  const clean = planted('clean', 120, 2, 8, 1.0, 0, 1);
  const distractor = planted('distractor', 120, 2, 8, 1.0, 3.0, 2);
  const { results, agreements } = fitLayer(spec, 0, [clean, distractor]);
  const pooled = results.filter((r) => r.template === null);
  assert.equal(pooled.length, 3 * 2 * 2);
  const perTemplate = results.filter((r) => r.control === 'template-sensitivity');
  assert.equal(perTemplate.length, 3 * 2 * 2, 'methods × seeds × templates');
  assert.equal(agreements.length, 3 * 2 * 2, '3 method pairs × 2 seeds × 2 conditions');

  const get = (method: string, control: string | null) => pooled.filter((r) => r.method === method && r.control === control);
  for (const r of get('lr', null)) assert.ok(r.columns.accuracy! > 0.95, `LR finds the planted truth: ${r.columns.accuracy}`);
  for (const r of get('pca', null)) assert.ok(r.columns.accuracy! > 0.9, `PCA finds the truth when nothing competes: ${r.columns.accuracy}`);
  for (const r of get('pca', 'distractor')) {
    assert.ok(r.columns.distractor_accuracy! > 0.9, `PCA follows the stronger distractor: ${r.columns.distractor_accuracy}`);
    assert.ok(r.columns.accuracy! < 0.75, `and loses the truth: ${r.columns.accuracy}`);
  }
  for (const r of get('lr', 'distractor')) assert.ok(r.columns.accuracy! > 0.95, `LR still finds the truth: ${r.columns.accuracy}`);
  for (const r of pooled) {
    assert.equal(r.n_train + r.n_test, 240, 'train + test = all pairs (0.6 / 0.4 split of items)');
    assert.equal(r.probe!.direction.length, 8);
    assert.equal(r.control === 'distractor', r.columns.distractor_accuracy !== null);
  }
});

test('fitLayer is deterministic for the same spec and data', () => {
  const spec = normalizeJobRequest({ methods: ['kmeans', 'random'], seeds: 2, bootstrap: 20 }, { methods: METHODS, defaultDataset: 'x' });
  const data = planted('clean', 60, 1, 6, 1, 0, 3);
  const a = fitLayer(spec, 0, [data]).results.map((r) => r.columns.accuracy);
  const b = fitLayer(spec, 0, [data]).results.map((r) => r.columns.accuracy);
  assert.deepEqual(a, b);
});

test('ensembling: all three of elk\'s modes are reported; the job option picks the headline accuracy', () => {
  const data = planted('clean', 100, 3, 8, 0.6, 0, 5);
  for (const mode of ['partial', 'full', 'none'] as const) {
    const spec = normalizeJobRequest({ methods: ['lr', 'pca'], seeds: 1, bootstrap: 0, ensemble: mode }, { methods: METHODS, defaultDataset: 'x' });
    for (const r of fitLayer(spec, 0, [data]).results) {
      const e = (r.metrics as { ensembling: { mode: string; accuracy: Record<string, number> } }).ensembling;
      assert.equal(e.mode, mode);
      for (const m of ['none', 'partial', 'full']) assert.ok(e.accuracy[m] >= 0.5 && e.accuracy[m] <= 1, `${m}: ${e.accuracy[m]}`);
      // partial is the per-pair p̃ rule the other metrics use.
      assert.ok(Math.abs(e.accuracy.partial - (r.metrics as { test: { accuracy: number } }).test.accuracy) < 1e-12);
      assert.equal(r.columns.accuracy, e.accuracy[mode]);
    }
  }
  // Averaging a truth-tracking probe's credences over an item's three templates helps, as Burns et al. report.
  const spec = normalizeJobRequest({ methods: ['lr'], seeds: 1, bootstrap: 0 }, { methods: METHODS, defaultDataset: 'x' });
  const e = (fitLayer(spec, 0, [data]).results[0].metrics as { ensembling: { accuracy: Record<string, number> } }).ensembling.accuracy;
  assert.ok(e.full >= e.partial - 0.02, `full ${e.full} vs partial ${e.partial}`);
});

test('transfer: the clean probe is evaluated on every pair of each eval dataset', () => {
  const spec = normalizeJobRequest({ methods: ['lr', 'pca'], seeds: 2, bootstrap: 0 }, { methods: METHODS, defaultDataset: 'x' });
  const clean = planted('clean', 80, 1, 8, 1.0, 0, 7);
  const other = planted('transfer:other', 50, 1, 8, 1.0, 0, 8);
  const rows = fitLayer(spec, 0, [clean, other]).results.filter((r) => r.control === 'transfer:other');
  assert.equal(rows.length, 2 * 2);
  for (const r of rows) {
    assert.equal(r.n_test, 50);
    assert.equal(r.n_train, 48, 'trained on the clean split only');
  }
  // The planted truth direction is shared, so LR transfers.
  for (const r of rows.filter((x) => x.method === 'lr')) assert.ok(r.columns.accuracy! > 0.9, `LR transfers: ${r.columns.accuracy}`);
});
