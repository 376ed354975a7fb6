/**
 * The probe library against independent implementations (scikit-learn, PyTorch). Reference
 * numbers come from test/fixtures/probe/make_fixtures.py (committed with its outputs).
 * Tolerances are issue 2's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { npyToLabels, npyToMat, parseNpy } from '../../lib/npy.ts';
import { selectRows, type Mat } from '../../lib/tensor.ts';
import { applyNormalizer, auroc, fitAndEvaluate, fitNormalizer, kmeansFit, nmfFit, rngFor, type ContrastData } from '../../lib/probe/index.ts';
import { differences } from '../../lib/probe/kernels.ts';

const dir = fileURLToPath(new URL('../fixtures/probe/', import.meta.url));
const load = (name: string) => parseNpy(readFileSync(dir + name), name);
const ref = JSON.parse(readFileSync(dir + 'expected.json', 'utf8'));
const pos = npyToMat(load('pos.npy'));
const neg = npyToMat(load('neg.npy'));
const labels = npyToLabels(load('labels.npy'));
const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
const split = (rows: Int32Array): ContrastData => ({ pos: selectRows(pos, rows), neg: selectRows(neg, rows), labels: Int8Array.from(rows, (i) => labels[i]) });
const train = split(range(0, ref.n_train));
const testSet = split(range(ref.n_train, ref.n));
const normed = applyNormalizer(fitNormalizer('burns', train, rngFor(0, 'n')), train);
const delta: Mat = differences(normed.pos, normed.neg);

const absCos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0, aa = 0, bb = 0;
  for (let k = 0; k < a.length; k++) { ab += a[k] * b[k]; aa += a[k] ** 2; bb += b[k] ** 2; }
  return Math.abs(ab) / Math.sqrt(aa * bb);
};

test('burns normalisation matches the reference normalised inputs', () => {
  const want = npyToMat(load('norm_pos_train.npy'));
  const wantNeg = npyToMat(load('norm_neg_train.npy'));
  for (let k = 0; k < want.data.length; k++) {
    assert.ok(Math.abs(normed.pos.data[k] - want.data[k]) < 1e-4, `pos value ${k}`);
    assert.ok(Math.abs(normed.neg.data[k] - wantNeg.data[k]) < 1e-4, `neg value ${k}`);
  }
});

test('pca/crc direction: |cos| ≥ 0.999 with scikit-learn PCA', () => {
  for (const method of ['pca', 'crc'] as const) {
    const r = fitAndEvaluate({ method, normalize: 'burns', seed: 3, train, bootstrap: 0 });
    assert.ok(absCos(r.direction, ref.pca_component) >= 0.999, `${method} |cos| = ${absCos(r.direction, ref.pca_component)}`);
  }
});

test('k-means partition agrees ≥ 99% with scikit-learn KMeans', () => {
  const km = kmeansFit(delta, 2, rngFor(5, 'km'), { nInit: 10 });
  let same = 0;
  km.labels.forEach((l, i) => { if (l === ref.kmeans_labels[i]) same++; });
  const agree = Math.max(same, km.labels.length - same) / km.labels.length;
  assert.ok(agree >= 0.99, `agreement ${agree}`);
  assert.ok(Math.abs(km.inertia - ref.kmeans_inertia) / ref.kmeans_inertia < 1e-3, `inertia ${km.inertia} vs ${ref.kmeans_inertia}`);
});

test('2-means with the n_init runs in lockstep ends where the runs one after another end', async () => {
  const { Workspace } = await import('../../lib/probe/workspace.ts');
  const ws = new Workspace();
  const X = ws.upload([delta]);
  const dots = (vs: Float64Array[], outs: Float64Array[]) => ws.dotsMany(X, vs, outs);
  const lockstep = kmeansFit(delta, 2, rngFor(5, 'km'), { nInit: 10, dots, rowSums: (c, out) => ws.addRowsT(X, c, out) });
  const sequential = kmeansFit(delta, 2, rngFor(5, 'km'), { nInit: 10, dots });
  assert.ok(Math.abs(lockstep.inertia - sequential.inertia) <= 1e-6 * sequential.inertia, `${lockstep.inertia} vs ${sequential.inertia}`);
  assert.deepEqual(Array.from(lockstep.labels), Array.from(sequential.labels));
});

test('NMF reconstruction error within 2% of scikit-learn at the same iteration budget', () => {
  for (const budget of [50, 200]) {
    const fit = nmfFit(delta, { maxIter: budget, tol: 1e-4 }, rngFor(0, 'nmf'));
    const want = ref[`nmf_error_${budget}`];
    assert.ok(fit.error <= want * 1.02, `budget ${budget}: error ${fit.error} vs scikit-learn ${want}`);
  }
});

test('logistic regression accuracy within 1 point of scikit-learn', () => {
  const r = fitAndEvaluate({ method: 'lr', normalize: 'burns', seed: 0, train, test: testSet, bootstrap: 0 });
  assert.ok(Math.abs(r.train.accuracy - ref.lr_train_accuracy) <= 0.01, `train ${r.train.accuracy} vs ${ref.lr_train_accuracy}`);
  assert.ok(Math.abs(r.test!.accuracy - ref.lr_test_accuracy) <= 0.01, `test ${r.test!.accuracy} vs ${ref.lr_test_accuracy}`);
  assert.ok(absCos(r.direction, ref.lr_coef) > 0.999, `coef |cos| ${absCos(r.direction, ref.lr_coef)}`);
});

test('AUROC equals scikit-learn roc_auc_score to 1e-6 (with ties)', () => {
  const got = auroc(ref.auroc_scores, ref.auroc_targets)!;
  assert.ok(Math.abs(got - ref.auroc) < 1e-6, `${got} vs ${ref.auroc}`);
});

for (const loss of ['burns', 'symmetric'] as const) {
  for (const optimizer of ['lbfgs', 'adam'] as const) {
    test(`ccs (${loss} loss, ${optimizer}): loss ≤ torch + 1e-3, accuracy within 1 point`, () => {
      const want = ref[`ccs_${loss}`];
      const r = fitAndEvaluate({ method: 'ccs', options: { loss, optimizer }, normalize: 'burns', seed: 0, train, test: testSet, bootstrap: 0 });
      const got = Math.min(...r.restarts!.map((x) => x.loss));
      assert.equal(r.restarts!.length, 10);
      assert.ok(got <= want.loss + 1e-3, `loss ${got} vs torch ${want.loss}`);
      assert.ok(Math.abs(r.train.accuracy - want.train_accuracy) <= 0.01 + 1e-9, `train accuracy ${r.train.accuracy} vs ${want.train_accuracy}`);
      assert.ok(Math.abs(r.test!.accuracy - want.test_accuracy) <= 0.01 + 1e-9, `test accuracy ${r.test!.accuracy} vs ${want.test_accuracy}`);
    });
  }
}
