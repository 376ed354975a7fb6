/**
 * CCS's solvers and stopping rule: the Gram solver (in the span of the training rows) gives
 * the primal solver's answer; the loss-based stop ends restarts early without losing the
 * loss; `auto` picks the Gram solver only where it is cheaper.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitAndEvaluate, rngFor, type ContrastData } from '../../lib/probe/index.ts';
import { chooseSolver } from '../../lib/probe/ccs.ts';
import { lbfgsBatch } from '../../lib/probe/optimize.ts';

/** Few pairs in many dimensions (2n < d), a planted truth direction. */
function wide(n: number, d: number, seed: number): ContrastData {
  const r = rngFor(seed, 'ccs-test');
  const pos = new Float32Array(n * d), neg = new Float32Array(n * d), labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const s = labels[i] ? 1 : -1;
    for (let k = 0; k < d; k++) {
      const c = r.normal();
      pos[i * d + k] = c + (k < 3 ? s : 0) + 0.5 * r.normal();
      neg[i * d + k] = c - (k < 3 ? s : 0) + 0.5 * r.normal();
    }
  }
  return { pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg }, labels };
}

const absCos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0, aa = 0, bb = 0;
  for (let k = 0; k < a.length; k++) { ab += a[k] * b[k]; aa += a[k] ** 2; bb += b[k] ** 2; }
  return Math.abs(ab) / Math.sqrt(aa * bb);
};

test('the Gram solver reproduces the primal one when 2n < d', () => {
  const train = wide(40, 300, 1), test = wide(60, 300, 2);
  for (const loss of ['burns', 'symmetric'] as const) {
    // A firm L2 penalty gives each restart a well-defined optimum that both solvers reach.
    const fit = (solver: 'primal' | 'gram') => fitAndEvaluate({ method: 'ccs', options: { solver, loss, restarts: 4, tol: 0, epochs: 60, weight_decay: 0.01 }, normalize: 'burns', seed: 1, train, test, bootstrap: 0 });
    const p = fit('primal'), g = fit('gram');
    assert.equal((g.probe.extra as { solver: string }).solver, 'gram');
    assert.equal((p.probe.extra as { solver: string }).solver, 'primal');
    // The same iterates up to float32 round-off: every restart's loss, the chosen direction, the scores.
    p.restarts!.forEach((r, j) => assert.ok(Math.abs(r.loss - g.restarts![j].loss) <= 1e-3 * r.loss + 1e-6, `${loss} restart ${j}: ${r.loss} vs ${g.restarts![j].loss}`));
    assert.ok(absCos(p.direction, g.direction) > 0.999, `${loss}: |cos| ${absCos(p.direction, g.direction)}`);
    assert.ok(Math.abs(p.test!.accuracy - g.test!.accuracy) <= 0.02, `${loss}: accuracy ${p.test!.accuracy} vs ${g.test!.accuracy}`);
  }
});

test('the stopping rule ends restarts before the budget at no more than a small loss', () => {
  const train = wide(150, 64, 3);
  const fit = (tol: number) => fitAndEvaluate({ method: 'ccs', options: { tol, restarts: 5 }, normalize: 'burns', seed: 2, train, bootstrap: 0 });
  const full = fit(0), early = fit(0.02);
  const best = (r: typeof full) => Math.min(...r.restarts!.map((x) => x.loss));
  const iters = (r: typeof full) => r.restarts!.reduce((a, x) => a + x.iterations, 0);
  assert.ok(iters(early) < iters(full), `iterations ${iters(early)} vs ${iters(full)}`);
  assert.ok(best(early) <= best(full) * 1.25 + 1e-4, `loss ${best(early)} vs ${best(full)}`);
  assert.equal(early.restarts!.length, 5);
});

test('L-BFGS lossTol: a problem stops once 5 steps together gain less than tol·f', () => {
  // f(x) = Σ_k e^{x_k} + x_k²·1e-6: a long, ever flatter descent (like CCS's confidence term).
  const obj = (xs: Float64Array[], which: number[], grads: Float64Array[]) => {
    const f = new Float64Array(xs.length);
    for (const j of which) {
      let s = 0;
      xs[j].forEach((v, k) => { s += Math.exp(v) + 1e-6 * v * v; grads[j][k] = Math.exp(v) + 2e-6 * v; });
      f[j] = s;
    }
    return f;
  };
  const x0 = [Float64Array.of(1, 2, 3)];
  const loose = lbfgsBatch(obj, x0, { maxIter: 300, lossTol: 0.05, gradTol: 0, changeTol: 0 });
  const none = lbfgsBatch(obj, x0, { maxIter: 300, gradTol: 0, changeTol: 0 });
  assert.ok(loose.iterations[0] < none.iterations[0], `${loose.iterations[0]} vs ${none.iterations[0]}`);
  assert.ok(loose.f[0] < obj(x0, [0], [new Float64Array(3)])[0]);
});

test('auto picks the Gram solver only for few pairs in many dimensions', () => {
  assert.equal(chooseSolver(250, 4096, 10, 100), 'gram');
  assert.equal(chooseSolver(1000, 4096, 10, 100), 'primal');
  assert.equal(chooseSolver(1000, 1024, 10, 100), 'primal');
  assert.equal(chooseSolver(500, 16, 10, 100), 'primal');
});
