/**
 * fitMethods shares one split context (normalisation, differences, their statistics, the top
 * principal component, bootstrap draws) between methods: the reports must equal fitting each
 * method alone, whatever the order, and kernel threads must not change the answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitAndEvaluate, fitMethods, METHODS, ProbeInputError, rngFor, type ContrastData, type FitReport } from '../../lib/probe/index.ts';

function planted(n: number, d: number, seed: number): ContrastData {
  const r = rngFor(seed, 'context-test');
  const pos = new Float32Array(n * d), neg = new Float32Array(n * d);
  const labels = new Int8Array(n), templates = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = r.next() < 0.5 ? 1 : 0;
    templates[i] = i % 3;
    const s = labels[i] ? 1 : -1, h = r.next() < 0.5 ? 1 : -1;
    for (let k = 0; k < d; k++) {
      const c = r.normal() * (k % 5 === 0 ? 3 : 1);
      const half = 0.5 * (s * (k === 1 ? 2 : 0) + h * (k === 2 ? 3 : 0));
      pos[i * d + k] = c + half + 0.4 * r.normal() + 0.5 + templates[i];
      neg[i * d + k] = c - half + 0.4 * r.normal() - 0.5 + templates[i];
    }
  }
  return { pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg }, labels, templates };
}

const train = planted(160, 22, 1);
const testSet = planted(90, 22, 2);
const options = { ccs: { restarts: 4 }, kmeans: { n_init: 3 } };
const strip = (r: FitReport) => ({ ...r, fit_seconds: 0 });

for (const normalize of ['burns', 'cluster'] as const) {
  test(`fitMethods (${normalize}) equals fitAndEvaluate of each method alone, in any order`, () => {
    const together = fitMethods({ methods: METHODS, options, normalize, seed: 3, train, test: testSet, bootstrap: 40 });
    const reversed = fitMethods({ methods: [...METHODS].reverse(), options, normalize, seed: 3, train, test: testSet, bootstrap: 40 }).reverse();
    METHODS.forEach((method, j) => {
      const alone = fitAndEvaluate({ method, options: options[method as keyof typeof options], normalize, seed: 3, train, test: testSet, bootstrap: 40 });
      assert.deepEqual(strip(together[j]), strip(alone), method);
      assert.deepEqual(strip(reversed[j]), strip(alone), `${method} (reversed order)`);
    });
  });
}

test('pca and crc share one eigenvector; every restart of ccs is reported with its iterations', () => {
  const [pca, crc, ccs] = fitMethods({ methods: ['pca', 'crc', 'ccs'], options, normalize: 'burns', seed: 0, train, test: testSet, bootstrap: 0 });
  assert.deepEqual(Array.from(pca.direction), Array.from(crc.direction));
  assert.equal(ccs.restarts!.length, 4);
  for (const r of ccs.restarts!) assert.ok(Number.isFinite(r.loss) && r.accuracy !== null && r.iterations >= 1);
  assert.equal(ccs.test_sides.pPos.length, testSet.pos.rows);
});

test('kernel threads change no answer beyond float32 summation order', () => {
  // Large enough that the kernels split across the helper thread.
  const big = { train: planted(600, 96, 7), test: planted(200, 96, 8) };
  const one = fitMethods({ methods: METHODS, options, normalize: 'burns', seed: 5, ...big, bootstrap: 0 });
  const two = fitMethods({ methods: METHODS, options, normalize: 'burns', seed: 5, ...big, bootstrap: 0, threads: 2 });
  one.forEach((a, j) => {
    const b = two[j];
    let dot = 0, na = 0, nb = 0;
    for (let k = 0; k < a.direction.length; k++) { dot += a.direction[k] * b.direction[k]; na += a.direction[k] ** 2; nb += b.direction[k] ** 2; }
    assert.ok(Math.abs(dot) / Math.sqrt(na * nb) > 0.9999, `${a.method}: |cos| ${Math.abs(dot) / Math.sqrt(na * nb)}`);
    assert.ok(Math.abs(a.test!.accuracy - b.test!.accuracy) <= 0.01, `${a.method}: accuracy ${a.test!.accuracy} vs ${b.test!.accuracy}`);
  });
});

test('fitMethods checks every method and option before fitting anything', () => {
  const bad = (req: object, pattern: RegExp) =>
    assert.throws(() => fitMethods({ methods: ['pca'], normalize: 'burns', seed: 0, train, ...req }), (e: Error) => e instanceof ProbeInputError && pattern.test(e.message));
  bad({ methods: ['pca', 'nope'] }, /unknown method "nope"/);
  bad({ methods: ['pca', 'ccs'], options: { ccs: { restarts: -1 } } }, /restarts/);
  bad({ methods: ['pca', 'lr'], train: { pos: train.pos, neg: train.neg } }, /method lr is supervised/);
  bad({ threads: 0 }, /threads/);
});
