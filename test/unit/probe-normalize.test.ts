/** Normalisations: fitted on train only, per side, per template (burns), and the transductive flag. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyNormalizer, fitAndEvaluate, fitNormalizer, rngFor, type ContrastData } from '../../lib/probe/index.ts';
import type { Mat } from '../../lib/tensor.ts';

/** Two templates whose activations sit at different offsets and scales. */
function templated(n: number, d: number, seed: number, shift = 0): ContrastData {
  const r = rngFor(seed, 'templated');
  const pos = new Float32Array(n * d), neg = new Float32Array(n * d);
  const templates = new Int32Array(n), labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    templates[i] = i % 2;
    labels[i] = (i >> 1) % 2;
    const off = templates[i] ? 5 : -3;
    const scale = templates[i] ? 4 : 1;
    for (let k = 0; k < d; k++) {
      const s = k === 0 ? (labels[i] ? 1 : -1) : 0;
      pos[i * d + k] = scale * (r.normal() + s) + off + 2 + shift;
      neg[i * d + k] = scale * (r.normal() - s) + off - 2 + shift;
    }
  }
  return { pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg }, labels, templates };
}

const rowsOf = (m: Mat, pick: (i: number) => boolean) => Array.from({ length: m.rows }, (_, i) => i).filter(pick);
function stats(m: Mat, rows: number[]) {
  const d = m.cols;
  const mean = new Float64Array(d);
  for (const i of rows) for (let k = 0; k < d; k++) mean[k] += m.data[i * d + k] / rows.length;
  let norm = 0;
  for (const i of rows) norm += Math.hypot(...Array.from(m.data.subarray(i * d, (i + 1) * d), (v, k) => v - mean[k])) / rows.length;
  return { maxAbsMean: Math.max(...mean.map(Math.abs)), meanNorm: norm };
}

test('burns: each template and side is centred with mean row norm √d', () => {
  const data = templated(200, 9, 1);
  const out = applyNormalizer(fitNormalizer('burns', data, rngFor(0, 'n')), data);
  for (const t of [0, 1]) for (const side of [out.pos, out.neg]) {
    const s = stats(side, rowsOf(side, (i) => data.templates![i] === t));
    assert.ok(s.maxAbsMean < 1e-5, `template ${t} mean ${s.maxAbsMean}`);
    assert.ok(Math.abs(s.meanNorm - 3) < 1e-4, `template ${t} mean norm ${s.meanNorm}`);
  }
});

test('center and elk: per-side centring; elk scales to unit mean per-dimension std', () => {
  const data = templated(200, 9, 2);
  const c = applyNormalizer(fitNormalizer('center', data, rngFor(0, 'n')), data);
  assert.ok(stats(c.pos, rowsOf(c.pos, () => true)).maxAbsMean < 1e-5);
  const e = applyNormalizer(fitNormalizer('elk', data, rngFor(0, 'n')), data);
  for (const side of [e.pos, e.neg]) {
    let meanStd = 0;
    for (let k = 0; k < side.cols; k++) {
      let s = 0;
      for (let i = 0; i < side.rows; i++) s += side.data[i * side.cols + k] ** 2;
      meanStd += Math.sqrt(s / side.rows) / side.cols;
    }
    assert.ok(Math.abs(meanStd - 1) < 1e-4, `mean std ${meanStd}`);
  }
});

test('statistics come from the training split; transductive uses the test split’s own', () => {
  const train = templated(200, 6, 3);
  const shifted = templated(200, 6, 4, 50); // a test set far from the training statistics
  const inductive = fitAndEvaluate({ method: 'lr', normalize: 'center', seed: 0, train, test: shifted, bootstrap: 0 });
  const transductive = fitAndEvaluate({ method: 'lr', normalize: 'center', seed: 0, train, test: shifted, bootstrap: 0, transductive: true });
  // The stored normaliser is the training split's either way; only the test scores change.
  assert.deepEqual(inductive.probe.normalizer, transductive.probe.normalizer);
  assert.ok(Math.abs(inductive.probe.normalizer.groups[0].mean_pos[1] - 3.5) < 1, 'train means, not test means');
  assert.ok(transductive.test!.accuracy > 0.85, `transductive ${transductive.test!.accuracy}`);
  assert.notDeepEqual(Array.from(inductive.test_scores), Array.from(transductive.test_scores));
  assert.deepEqual(inductive.train, transductive.train);
});

test('NaN or infinite activations are rejected with the row', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const data = templated(10, 3, 5);
    data.neg.data[3 * 3 + 1] = bad;
    assert.throws(() => fitAndEvaluate({ method: 'pca', normalize: 'none', seed: 0, train: data }), /neg contains NaN or infinite values \(row 3\)/);
  }
});
