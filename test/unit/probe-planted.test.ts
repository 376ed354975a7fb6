/**
 * Planted features: activations with a known truth direction t and a stronger distractor
 * direction u (like Farquhar et al. 2023's banana/shed), so every method's answer can be
 * explained: variance-seeking methods find u, supervised ones find t, cluster-normalisation
 * (Laurito et al. 2024) removes u when it also splits the pair means into clusters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitAndEvaluate, oracleAccuracy, rngFor, METHODS, type ContrastData, type MethodName } from '../../lib/probe/index.ts';

const D = 24;
const world = rngFor(7, 'planted-directions');
const orth = (v: number[], against: number[][]) => {
  for (const a of against) {
    const c = v.reduce((s, x, k) => s + x * a[k], 0);
    v = v.map((x, k) => x - c * a[k]);
  }
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const T = orth(Array.from({ length: D }, () => world.normal()), []);
const U = orth(Array.from({ length: D }, () => world.normal()), [T]);
const V = orth(Array.from({ length: D }, () => world.normal()), [T, U]);

/** x± = c + g·h·v ± (a·s·t + b·h·u)/2 + noise; s = ±1 from the label, h = ±1 the distractor bit. */
function planted(n: number, seed: number, clusterGap = 0): ContrastData & { bits: Int8Array } {
  const r = rngFor(seed, 'planted');
  const pos = new Float32Array(n * D);
  const neg = new Float32Array(n * D);
  const labels = new Int8Array(n);
  const bits = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = r.next() < 0.5 ? 1 : 0;
    bits[i] = r.next() < 0.5 ? 1 : 0;
    const s = labels[i] ? 1 : -1;
    const h = bits[i] ? 1 : -1;
    for (let k = 0; k < D; k++) {
      const c = r.normal() + clusterGap * h * V[k];
      const half = 0.5 * (2 * s * T[k] + 5 * h * U[k]);
      pos[i * D + k] = c + half + 0.3 * r.normal() + 1;
      neg[i * D + k] = c - half + 0.3 * r.normal() - 1;
    }
  }
  return { pos: { rows: n, cols: D, data: pos }, neg: { rows: n, cols: D, data: neg }, labels, bits };
}

const cos = (a: ArrayLike<number>, b: number[]) => Math.abs(b.reduce((s, x, k) => s + x * a[k], 0));
const train = planted(300, 1);
const testSet = planted(300, 2);

function fit(method: MethodName, normalize: 'burns' | 'cluster' = 'burns', data = { train, test: testSet }) {
  const r = fitAndEvaluate({ method, normalize, seed: 0, train: data.train, test: data.test, bootstrap: 0 });
  return { r, truth: r.test!.accuracy, distractor: oracleAccuracy(r.test_scores, data.test.bits) };
}

test('variance-seeking methods recover the stronger distractor, not the truth', () => {
  for (const method of ['pca', 'crc', 'kmeans', 'nmf', 'vinc'] as const) {
    const { r, truth, distractor } = fit(method);
    assert.ok(distractor >= 0.95, `${method}: distractor accuracy ${distractor}`);
    assert.ok(truth < 0.65, `${method}: truth accuracy ${truth} should be near chance`);
    if (method !== 'nmf') assert.ok(cos(r.direction, U) > 0.9, `${method}: |cos(direction, u)| = ${cos(r.direction, U)}`);
  }
});

test('supervised ceilings recover the truth', () => {
  for (const method of ['lr', 'mass-mean'] as const) {
    const { r, truth, distractor } = fit(method);
    assert.ok(truth >= 0.95, `${method}: truth accuracy ${truth}`);
    assert.ok(distractor < 0.65, `${method}: distractor accuracy ${distractor}`);
    assert.ok(cos(r.direction, T) > cos(r.direction, U), `${method}: closer to t than to u`);
  }
});

test('ccs lands on one of the planted features (both are consistent and confident)', () => {
  const { r, truth, distractor } = fit('ccs');
  assert.ok(Math.max(truth, distractor) >= 0.95, `truth ${truth}, distractor ${distractor}`);
  assert.ok(Math.max(cos(r.direction, T), cos(r.direction, U)) > 0.8);
  assert.equal(r.restarts!.length, 10);
  for (const s of r.restarts!) assert.ok(Number.isFinite(s.loss) && s.accuracy !== null);
});

test('random probe finds neither feature', () => {
  const { r } = fit('random');
  assert.ok(cos(r.direction, T) < 0.6 && cos(r.direction, U) < 0.6);
});

test('cluster-normalisation removes a distractor that also clusters the pair means', () => {
  const data = { train: planted(300, 3, 6), test: planted(300, 4, 6) };
  const plain = fit('pca', 'burns', data);
  const clustered = fit('pca', 'cluster', data);
  assert.ok(plain.distractor >= 0.95, `burns: distractor ${plain.distractor}`);
  assert.ok(clustered.truth >= 0.95, `cluster: truth ${clustered.truth}`);
});

test('every method is deterministic for a given seed', () => {
  for (const method of METHODS) {
    const a = fitAndEvaluate({ method, normalize: 'burns', seed: 11, train, test: testSet, bootstrap: 50 });
    const b = fitAndEvaluate({ method, normalize: 'burns', seed: 11, train, test: testSet, bootstrap: 50 });
    assert.deepEqual(Array.from(a.direction), Array.from(b.direction), method);
    assert.deepEqual(a.test, b.test, method);
    assert.deepEqual(Array.from(a.test_scores), Array.from(b.test_scores), method);
  }
  const r1 = fitAndEvaluate({ method: 'random', normalize: 'burns', seed: 1, train, bootstrap: 0 });
  const r2 = fitAndEvaluate({ method: 'random', normalize: 'burns', seed: 2, train, bootstrap: 0 });
  assert.notDeepEqual(Array.from(r1.direction), Array.from(r2.direction));
});
