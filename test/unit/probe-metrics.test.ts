/**
 * Metrics on hand-computable cases, the estimator's serialisation round trip, agreement,
 * and clear errors for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agreement, auroc, bootstrapCi, calibratedAccuracy, ccsLossParts, ece, fitAndEvaluate, oracleAccuracy, predictScores,
  Probe, ProbeInputError, rngFor, UNSUPERVISED, METHODS, type ContrastData,
} from '../../lib/probe/index.ts';

function pairs(n: number, d: number, seed: number): ContrastData {
  const r = rngFor(seed, 'metrics-data');
  const pos = new Float32Array(n * d);
  const neg = new Float32Array(n * d);
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let k = 0; k < d; k++) {
      const c = r.normal();
      const signal = k === 0 ? (labels[i] ? 1 : -1) : 0;
      pos[i * d + k] = c + signal + 0.5 * r.normal();
      neg[i * d + k] = c - signal + 0.5 * r.normal();
    }
  }
  return { pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg }, labels };
}

test('oracle accuracy is sign-free; AUROC, calibrated accuracy and ECE on small cases', () => {
  assert.equal(oracleAccuracy([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 1);
  assert.equal(oracleAccuracy([0.9, 0.8, 0.2, 0.6], [1, 0, 0, 1]), 0.75);
  assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(auroc([0.5, 0.5], [0, 1]), 0.5);
  assert.equal(auroc([0.2, 0.3], [1, 1]), null);
  // Median threshold: the top half is predicted true even when all scores are below ½.
  assert.equal(calibratedAccuracy([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1]), 1);
  // All confidence 0.9 and 90% right: perfectly calibrated; all right at 0.6: ECE 0.4.
  const s = Array.from({ length: 10 }, () => 0.9);
  assert.ok(Math.abs(ece(s, [1, 1, 1, 1, 1, 1, 1, 1, 1, 0])) < 1e-12);
  assert.ok(Math.abs(ece([0.6, 0.4], [1, 0]) - 0.4) < 1e-12);
});

test('CCS loss parts follow Burns et al. eqs. 1–2 and the symmetric variant', () => {
  const p = ccsLossParts([0.9, 0.2], [0.1, 0.7], 'burns');
  assert.ok(Math.abs(p.consistency - (0 + 0.01) / 2) < 1e-12);
  assert.ok(Math.abs(p.confidence - (0.01 + 0.04) / 2) < 1e-12);
  const q = ccsLossParts([0.9], [0.95], 'symmetric');
  assert.ok(Math.abs(q.confidence - 0.05 ** 2) < 1e-12);
});

test('bootstrap CIs bracket the estimate and are reproducible', () => {
  const r = rngFor(1, 'b');
  const scores = Array.from({ length: 200 }, () => r.next());
  const targets = scores.map((s) => (r.next() < s ? 1 : 0));
  const a = bootstrapCi(scores, targets, 1000, rngFor(3, 'x'));
  const b = bootstrapCi(scores, targets, 1000, rngFor(3, 'x'));
  assert.deepEqual(a, b);
  const acc = oracleAccuracy(scores, targets);
  assert.ok(a.accuracy[0] < acc && acc < a.accuracy[1], `${a.accuracy} around ${acc}`);
  const auc = auroc(scores, targets)!;
  assert.ok(a.auroc![0] < auc && auc < a.auroc![1]);
  assert.ok(a.accuracy[1] - a.accuracy[0] < 0.2);
});

test('bootstrap from shared resample counts equals drawing them (ties included)', async () => {
  const { resampleCounts } = await import('../../lib/probe/metrics.ts');
  const r = rngFor(4, 'b');
  const scores = Array.from({ length: 150 }, () => Math.round(r.next() * 12) / 12); // many ties
  const targets = scores.map((s) => (r.next() < s ? 1 : 0));
  const drawn = bootstrapCi(scores, targets, 300, rngFor(6, 'x'));
  const shared = bootstrapCi(scores, targets, 300, rngFor(0, 'unused'), resampleCounts(150, 300, rngFor(6, 'x')));
  assert.deepEqual(shared, drawn);
});

test('fitAndEvaluate fills every metric; label-dependent ones are null without labels', () => {
  const train = pairs(120, 6, 1);
  const test = pairs(80, 6, 2);
  const r = fitAndEvaluate({ method: 'crc', normalize: 'center', seed: 0, train, test, signK: 4 });
  assert.equal(r.test!.n, 80);
  assert.equal(r.test!.sign_k, 4);
  assert.ok(r.test!.accuracy > 0.9 && r.test!.auroc! > 0.9);
  assert.ok(r.test!.accuracy_signed === r.test!.accuracy || r.test!.accuracy_signed === 1 - r.test!.accuracy);
  assert.ok(r.test!.accuracy_ci_low! <= r.test!.accuracy && r.test!.accuracy <= r.test!.accuracy_ci_high!);
  assert.equal(r.test_scores.length, 80);
  for (const s of r.test_scores) assert.ok(s >= 0 && s <= 1);
  const unlabelled = fitAndEvaluate({ method: 'ccs', options: { restarts: 2 }, normalize: 'burns', seed: 0, train: { pos: train.pos, neg: train.neg }, bootstrap: 10 });
  assert.ok(Number.isNaN(unlabelled.train.accuracy));
  assert.equal(unlabelled.train.auroc, null);
  assert.equal(unlabelled.train.accuracy_signed, null);
  assert.ok(Number.isFinite(unlabelled.train.ccs_loss));
  assert.deepEqual(unlabelled.restarts!.map((x) => x.accuracy), [null, null]);
});

test('the serialised probe is plain JSON and predicts the same scores', () => {
  const train = pairs(100, 5, 3);
  const test = pairs(50, 5, 4);
  for (const method of METHODS) {
    for (const normalize of ['none', 'burns', 'elk', 'cluster'] as const) {
      const r = fitAndEvaluate({ method, normalize, seed: 2, train, test, bootstrap: 0 });
      const restored = JSON.parse(JSON.stringify(r.probe));
      const again = predictScores(restored, test);
      for (let i = 0; i < again.length; i++) assert.ok(Math.abs(again[i] - r.test_scores[i]) < 1e-12, `${method}/${normalize}`);
    }
  }
  const p = new Probe('kmeans', { n_init: 2 }, 'center', 1).fit(train);
  assert.equal(p.predict(test).length, 50);
  assert.ok(p.score(test).accuracy > 0.8);
});

test('agreement: identical fits agree fully, UNSUPERVISED excludes the supervised ceilings', () => {
  const train = pairs(100, 5, 5);
  const a = fitAndEvaluate({ method: 'pca', normalize: 'burns', seed: 0, train, bootstrap: 0 });
  const b = fitAndEvaluate({ method: 'crc', normalize: 'burns', seed: 9, train, bootstrap: 0 });
  const ag = agreement(a, b);
  assert.ok(ag.prediction_agreement === 1 && Math.abs(ag.direction_cosine - 1) < 1e-6);
  assert.ok(!UNSUPERVISED.has('lr') && !UNSUPERVISED.has('mass-mean') && UNSUPERVISED.has('ccs'));
});

test('bad input throws ProbeInputError with a one-line message', () => {
  const good = pairs(20, 4, 6);
  const bad = (req: Partial<Parameters<typeof fitAndEvaluate>[0]>, pattern: RegExp) =>
    assert.throws(() => fitAndEvaluate({ method: 'pca', normalize: 'burns', seed: 0, train: good, ...req }), (e: Error) => e instanceof ProbeInputError && pattern.test(e.message) && !e.message.includes('\n'));
  bad({ train: { pos: good.pos, neg: { rows: 19, cols: 4, data: new Float32Array(76) } } }, /must match/);
  bad({ method: 'nope' as never }, /unknown method/);
  bad({ normalize: 'zscore' as never }, /unknown normalisation/);
  bad({ method: 'lr', train: { pos: good.pos, neg: good.neg } }, /labels are required/);
  bad({ method: 'ccs', options: { restarts: 0 } }, /restarts/);
  bad({ method: 'ccs', options: { loss: 'hinge' } }, /loss/);
  bad({ method: 'pca', options: { foo: 1 } }, /no option "foo"/);
  bad({ test: pairs(5, 3, 1) }, /dimensions/);
  bad({ train: { ...good, labels: Int8Array.from({ length: 20 }, () => 2) } }, /label/);
});

test('the WebAssembly SIMD CCS objective matches the JS loops', async () => {
  const { ccsObjective } = await import('../../lib/probe/ccs.ts');
  const { kernelModule } = await import('../../lib/probe/simd.ts');
  const { Workspace } = await import('../../lib/probe/workspace.ts');
  assert.ok(kernelModule(), 'WebAssembly SIMD should load on Node 20');
  const data = pairs(37, 7, 8); // d not a multiple of 4: exercises the zero padding
  const r = rngFor(2, 'theta');
  const xs = Array.from({ length: 6 }, () => Float64Array.from({ length: 8 }, () => r.normal()));
  const input = (kernels: 'auto' | 'js') => {
    const ws = new Workspace({ kernels });
    const sides = ws.upload([data.pos, data.neg]);
    return { ws, n: 37, d: 7, sides, sidesT: () => ws.transpose(sides), gram: () => ws.gram(sides) };
  };
  for (const loss of ['burns', 'symmetric'] as const) {
    const gj = xs.map(() => new Float64Array(8));
    const gs = xs.map(() => new Float64Array(8));
    const which = [0, 2, 3, 4, 5];
    const fj = ccsObjective(input('js'), loss, 0.01, 4)(xs, which, gj);
    const fs = ccsObjective(input('auto'), loss, 0.01, 4)(xs, which, gs);
    for (const j of which) {
      assert.ok(Math.abs(fj[j] - fs[j]) < 1e-5, `loss ${fj[j]} vs ${fs[j]}`);
      for (let k = 0; k < 8; k++) assert.ok(Math.abs(gj[j][k] - gs[j][k]) < 1e-5, `grad ${k}: ${gj[j][k]} vs ${gs[j][k]}`);
    }
  }
});

test('vinc with w_var = w_neg = 1 is the covariance of the differences, i.e. CRC', () => {
  const train = pairs(150, 6, 12);
  const crc = fitAndEvaluate({ method: 'crc', normalize: 'center', seed: 0, train, bootstrap: 0 });
  const vinc = fitAndEvaluate({ method: 'vinc', options: { w_var: 1, w_neg: 1 }, normalize: 'center', seed: 0, train, bootstrap: 0 });
  assert.ok(agreement(crc, vinc).direction_cosine > 0.999);
});
