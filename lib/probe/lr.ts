/**
 * Supervised ceiling: L2-regularised logistic regression on the stacked sides
 * [x̃⁺; x̃⁻] with targets [y; 1 − y], so the learnt θ lives in the same space as the CCS probe
 * and scores a pair the same way. Objective as scikit-learn's LogisticRegression:
 * ½‖θ‖² + C Σ log-loss (bias unpenalised), divided by 2n for conditioning, minimised by
 * L-BFGS with one fused pass over the pairs per evaluation.
 */
import type { Mat } from '../tensor.ts';
import { lbfgsBatch } from './optimize.ts';
import { SimdRows } from './simd.ts';

/** `tol`: stop when max |∇| ≤ tol, scikit-learn's lbfgs `gtol` on the same 1/n-scaled objective. */
export interface LrOptions { C: number; maxIter: number; tol: number }

/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

export function lrFit(pos: Mat, neg: Mat, labels: Int8Array, opts: LrOptions): { theta: Float64Array; bias: number; iterations: number } {
  const n = pos.rows;
  const d = pos.cols;
  const P = pos.data;
  const N = neg.data;
  const total = 2 * n;
  const lambda = 1 / (opts.C * total);
  const objective = (xs: Float64Array[], _which: number[], grads: Float64Array[]) => {
    const th = xs[0];
    const G = grads[0].fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let up = th[d];
      let un = th[d];
      for (let k = 0; k < d; k++) {
        up += P[o + k] * th[k];
        un += N[o + k] * th[k];
      }
      const y = labels[i];
      // log-loss of a logistic model: softplus(u) − t·u (Bishop, PRML eq. 4.90).
      f += softplus(up) - y * up + softplus(un) - (1 - y) * un;
      const gp = (1 / (1 + Math.exp(-up)) - y) / total;
      const gn = (1 / (1 + Math.exp(-un)) - (1 - y)) / total;
      G[d] += gp + gn;
      for (let k = 0; k < d; k++) G[k] += gp * P[o + k] + gn * N[o + k];
    }
    let reg = 0;
    for (let k = 0; k < d; k++) {
      reg += th[k] * th[k];
      G[k] += lambda * th[k];
    }
    return Float64Array.of(f / total + 0.5 * lambda * reg);
  };
  // The same objective with its four data passes in WebAssembly SIMD (two dots, two sums).
  const simd = SimdRows.create([pos, neg]);
  const up = new Float64Array(n), un = new Float64Array(n), cp = new Float64Array(n), cn = new Float64Array(n);
  const simdObjective = (xs: Float64Array[], _which: number[], grads: Float64Array[]) => {
    const th = xs[0];
    const G = grads[0].fill(0);
    simd!.dots(0, th, up);
    simd!.dots(1, th, un);
    let f = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const a = up[i] + th[d];
      const b = un[i] + th[d];
      const y = labels[i];
      f += softplus(a) - y * a + softplus(b) - (1 - y) * b;
      cp[i] = (1 / (1 + Math.exp(-a)) - y) / total;
      cn[i] = (1 / (1 + Math.exp(-b)) - (1 - y)) / total;
      gb += cp[i] + cn[i];
    }
    simd!.addRowsT(0, cp, G);
    simd!.addRowsT(1, cn, G);
    G[d] = gb;
    let reg = 0;
    for (let k = 0; k < d; k++) {
      reg += th[k] * th[k];
      G[k] += lambda * th[k];
    }
    return Float64Array.of(f / total + 0.5 * lambda * reg);
  };
  const res = lbfgsBatch(simd ? simdObjective : objective, [new Float64Array(d + 1)], { maxIter: opts.maxIter, gradTol: opts.tol, changeTol: 64 * Number.EPSILON });
  return { theta: res.x[0].subarray(0, d), bias: res.x[0][d], iterations: res.iterations[0] };
}
