/**
 * The planted-feature lab's generator (lib/lab/planted.ts) and phase diagram helpers
 * (lib/lab/phase.ts): shapes, determinism, the construction itself (signal along t and u_k
 * as requested, the distractor contrast-consistent), limits, and that the probes give the
 * known answers: LR recovers t, PCA the stronger of the two features.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plantedSet, plantedDirections, PLANTED_LIMITS, type PlantedRequest } from '../../lib/lab/planted.ts';
import { flipPoint, phaseSetRequest, PHASE_AXIS } from '../../lib/lab/phase.ts';
import { fitAndEvaluate, oracleAccuracy, type ContrastData } from '../../lib/probe/index.ts';
import { errorKind } from '../../lib/errors.ts';
import type { Mat } from '../../lib/tensor.ts';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const rowOf = (m: Mat, i: number) => m.data.subarray(i * m.cols, (i + 1) * m.cols);

const BASE: PlantedRequest = { layers: 3, d: 16, n: 400, truth_strength: [1, 1, 1], distractors: [{ strength: [0, 0.5, 2] }], seed: 3 };

test('shapes, label columns and recorded settings', () => {
  const s = plantedSet({ ...BASE, distractors: [{ strength: [0, 0.5, 2] }, { name: 'other', strength: 1, overlap: 0.3 }] });
  assert.equal(s.layers.length, 3);
  for (const l of s.layers) {
    for (const m of [l.pos, l.neg]) assert.deepEqual([m.rows, m.cols, m.data.length], [400, 16, 400 * 16]);
  }
  assert.equal(s.labels.length, 400);
  assert.deepEqual(Object.keys(s.label_sets), ['distractor', 'other']);
  // Balanced bits, exactly.
  for (const bits of [s.truth, s.label_sets.distractor, s.label_sets.other]) assert.equal(bits.reduce((a, b) => a + b, 0), 200);
  assert.deepEqual(s.meta.layers.map((l) => l.distractor_strengths), [[0, 1], [0.5, 1], [2, 1]]);
  assert.deepEqual(s.meta.distractors, [{ name: 'distractor', overlap: 0 }, { name: 'other', overlap: 0.3 }]);
  assert.equal(s.meta.generator, 'sonde-planted/1');
});

test('deterministic for a seed; another seed gives other data', () => {
  const a = plantedSet(BASE), b = plantedSet(BASE), c = plantedSet({ ...BASE, seed: 4 });
  for (let l = 0; l < 3; l++) {
    assert.deepEqual(Buffer.from(a.layers[l].pos.data.buffer), Buffer.from(b.layers[l].pos.data.buffer));
    assert.deepEqual(Buffer.from(a.layers[l].neg.data.buffer), Buffer.from(b.layers[l].neg.data.buffer));
  }
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(Buffer.from(a.layers[0].pos.data.buffer), Buffer.from(c.layers[0].pos.data.buffer));
});

test('directions are unit, orthogonal, and overlap with the truth as asked', () => {
  const { truth, distractors } = plantedDirections(5, 12, [0, 0.6, -0.25]);
  assert.ok(Math.abs(dot(truth, truth) - 1) < 1e-12);
  for (const u of distractors) assert.ok(Math.abs(dot(u, u) - 1) < 1e-12);
  assert.ok(Math.abs(dot(truth, distractors[0])) < 1e-12);
  assert.ok(Math.abs(dot(truth, distractors[1]) - 0.6) < 1e-12);
  assert.ok(Math.abs(dot(truth, distractors[2]) + 0.25) < 1e-12);
});

test('the construction: x⁺ − x⁻ carries a·s along t and b·g along u; the shared part cancels', () => {
  const s = plantedSet({ ...BASE, noise: 0.1 });
  const { truth: t, distractors: [u] } = s.directions;
  for (const [l, want] of [[0, 0], [1, 0.5], [2, 2]] as const) {
    let alongT = 0, alongU = 0;
    const { pos, neg } = s.layers[l];
    for (let i = 0; i < 400; i++) {
      const diff = rowOf(pos, i).map((x, j) => x - rowOf(neg, i)[j]);
      alongT += dot(diff, t) * (s.truth[i] ? 1 : -1);
      alongU += dot(diff, u) * (s.label_sets.distractor[i] ? 1 : -1);
    }
    assert.ok(Math.abs(alongT / 400 - 1) < 0.03, `layer ${l}: mean signed projection on t ${alongT / 400}`);
    assert.ok(Math.abs(alongU / 400 - want) < 0.03, `layer ${l}: mean signed projection on u ${alongU / 400}`);
  }
  // Pair means (the shared part): no truth or distractor signal in them.
  const { pos, neg } = s.layers[2];
  let meanT = 0;
  for (let i = 0; i < 400; i++) meanT += 0.5 * dot(rowOf(pos, i).map((x, j) => x + rowOf(neg, i)[j]), t) * (s.truth[i] ? 1 : -1);
  assert.ok(Math.abs(meanT / 400) < 0.15, `pair mean along t ${meanT / 400}`);
});

test('planted mislabels and partial labels', () => {
  const s = plantedSet({ ...BASE, label_noise: 0.05, labelled: 0.5 });
  assert.equal(s.labels.filter((y) => y === -1).length, 200);
  assert.ok(s.meta.mislabelled.length > 0 && s.meta.mislabelled.length <= 20);
  for (let i = 0; i < 400; i++) {
    if (s.labels[i] === -1) continue;
    assert.equal(s.labels[i] !== s.truth[i], s.meta.mislabelled.includes(i), `item ${i}`);
  }
});

test('limits: over-large requests are too-large (413) and name the limit; impossible ones bad input', () => {
  const tooBig = () => plantedSet({ layers: 64, d: 4096, n: 1000, truth_strength: 1 });
  assert.throws(tooBig, (e: Error) => errorKind(e) === 'too-large' && e.message.includes(String(PLANTED_LIMITS.values)));
  assert.throws(() => plantedSet({ layers: 1, d: 8, n: 20_001, truth_strength: 1 }), (e: Error) => errorKind(e) === 'too-large' && /20000/.test(e.message));
  assert.throws(() => plantedSet({ layers: 2, d: 2, n: 10, truth_strength: 1, distractors: [{ strength: 1 }, { strength: 1 }] }), (e: Error) => errorKind(e) === 'bad-input' && /d ≥ 3/.test(e.message));
  assert.throws(() => plantedSet({ ...BASE, truth_strength: [1, 2] }), (e: Error) => errorKind(e) === 'bad-input' && /2 values for 3 layers/.test(e.message));
  assert.throws(() => plantedSet({ ...BASE, distractors: [{ name: 'label', strength: 1 }] }), (e: Error) => errorKind(e) === 'bad-input');
});

function asData(s: ReturnType<typeof plantedSet>, layer: number, rows: number[]): ContrastData {
  const pick = (m: Mat): Mat => {
    const out = new Float32Array(rows.length * m.cols);
    rows.forEach((r, k) => out.set(rowOf(m, r), k * m.cols));
    return { rows: rows.length, cols: m.cols, data: out };
  };
  return { pos: pick(s.layers[layer].pos), neg: pick(s.layers[layer].neg), labels: Int8Array.from(rows, (r) => s.labels[r]) };
}

test('known answers: LR recovers t; PCA follows the stronger feature', () => {
  const s = plantedSet(BASE);
  const train = Array.from({ length: 240 }, (_, i) => i), testRows = Array.from({ length: 160 }, (_, i) => 240 + i);
  const bits = Int8Array.from(testRows, (r) => s.label_sets.distractor[r]);
  const fit = (method: 'lr' | 'pca', layer: number) => {
    const r = fitAndEvaluate({ method, normalize: 'burns', seed: 0, bootstrap: 0, train: asData(s, layer, train), test: asData(s, layer, testRows) });
    return { truth: r.test!.accuracy, distractor: oracleAccuracy(r.test_scores, bits), cosT: Math.abs(dot(r.direction, s.directions.truth)), cosU: Math.abs(dot(r.direction, s.directions.distractors[0])) };
  };
  for (const layer of [0, 1, 2]) {
    const lr = fit('lr', layer);
    assert.ok(lr.truth >= 0.9, `lr layer ${layer}: truth ${lr.truth}`);
    assert.ok(lr.cosT > 0.9, `lr layer ${layer}: |cos(w, t)| ${lr.cosT}`);
  }
  const weak = fit('pca', 1); // b/a = 0.5: the truth is the stronger feature
  assert.ok(weak.truth >= 0.85 && weak.cosT > 0.9, JSON.stringify(weak));
  const strong = fit('pca', 2); // b/a = 2: the distractor is
  assert.ok(strong.distractor >= 0.95 && strong.truth < 0.65 && strong.cosU > 0.9, JSON.stringify(strong));
});

test('phase diagram request: layer k plants the distractor at ratios[k] × a, the axis recorded', () => {
  const req = phaseSetRequest({ ratios: [0, 1, 2.5], truth_strength: 2 });
  assert.equal(req.layers, 3);
  assert.deepEqual(req.distractors![0].strength, [0, 2, 5]);
  assert.deepEqual(req.axis, { name: PHASE_AXIS, values: [0, 1, 2.5] });
  assert.deepEqual(plantedSet({ ...req, n: 20, d: 4 }).meta.axis, { name: PHASE_AXIS, values: [0, 1, 2.5] });
  assert.throws(() => phaseSetRequest({ ratios: [1, 0.5] }), /increasing/);
});

test('flip point: interpolated crossing of the distractor over the truth line', () => {
  assert.deepEqual(flipPoint([0, 1, 2], [1, 0.8, 0.5], [0.5, 0.6, 1]), { at: 1 + (0.2 / 0.7), starts: 'truth' });
  assert.deepEqual(flipPoint([0, 1], [1, 1], [0.5, 0.5]), { at: null, starts: 'truth' });
  assert.deepEqual(flipPoint([0, 1], [0.5, 0.5], [1, 1]), { at: null, starts: 'distractor' });
  assert.deepEqual(flipPoint([0, 1, 2], [null, 1, 0.5], [null, 0.5, 1]), { at: 1.5, starts: 'truth' });
});
