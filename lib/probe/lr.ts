/**
 * Supervised ceiling: L2-regularised logistic regression on the stacked sides
 * [x̃⁺; x̃⁻] with targets [y; 1 − y], so the learnt θ lives in the same space as the CCS probe
 * and scores a pair the same way. Objective as scikit-learn's LogisticRegression:
 * ½‖θ‖² + C Σ log-loss (bias unpenalised), divided by 2n for conditioning, minimised by
 * L-BFGS; one evaluation is one pass over the stacked sides (row dots, then the gradient's
 * weighted row sums while the rows are still in L2).
 */
import type { Estimator, FitData } from './estimator.ts';
import { lbfgsBatch } from './optimize.ts';
import { norm } from './kernels.ts';

/** `tol`: stop when max |∇| ≤ tol, scikit-learn's lbfgs `gtol` on the same 1/n-scaled objective. */
export interface LrOptions { C: number; maxIter: number; tol: number }

/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

export function lrFit(data: Pick<FitData, 'ws' | 'sides' | 'n' | 'd'>, labels: Int8Array, opts: LrOptions): { theta: Float64Array; bias: number; iterations: number } {
  const { ws, sides, n, d } = data;
  const total = 2 * n;
  const lambda = 1 / (opts.C * total);
  const V = ws.alloc(sides.ld), U = ws.alloc(total), C = ws.alloc(total), G = ws.alloc(sides.ld);
  const objective = (xs: Float64Array[], _which: number[], grads: Float64Array[]) => {
    const th = xs[0];
    const grad = grads[0];
    ws.write(V, th, d);
    ws.zero(G, sides.ld);
    let loss = 0;
    let gb = 0;
    // The forward dots and the gradient's row sums in one pass (row blocks reread from L2).
    ws.dotsThenSums(sides, false, V, U, C, G, (i0, i1) => {
      const f = ws.f32;
      const u = U >>> 2, c = C >>> 2;
      for (let i = i0; i < i1; i++) {
        const z = f[u + i] + th[d];
        const y = i < n ? labels[i] : 1 - labels[i - n];
        // log-loss of a logistic model: softplus(z) − t·z (Bishop, PRML eq. 4.90).
        loss += softplus(z) - y * z;
        const g = (1 / (1 + Math.exp(-z)) - y) / total;
        f[c + i] = g;
        gb += g;
      }
    });
    const f2 = ws.f32;
    let reg = 0;
    for (let k = 0, g = G >>> 2; k < d; k++) {
      reg += th[k] * th[k];
      grad[k] = f2[g + k] + lambda * th[k];
    }
    grad[d] = gb;
    return Float64Array.of(loss / total + 0.5 * lambda * reg);
  };
  const res = lbfgsBatch(objective, [new Float64Array(d + 1)], { maxIter: opts.maxIter, gradTol: opts.tol, changeTol: 64 * Number.EPSILON });
  return { theta: res.x[0].subarray(0, d), bias: res.x[0][d], iterations: res.iterations[0] };
}

export const lr: Estimator = {
  name: 'lr',
  supervised: true,
  summary: 'supervised ceiling: L2 logistic regression on the stacked sides (scikit-learn objective)',
  options: {
    C: { type: 'number', default: 1, minimum: 1e-6, maximum: 1e6, description: 'inverse regularisation strength, as scikit-learn' },
    max_iter: { type: 'integer', default: 100, minimum: 1, maximum: 10_000, description: 'L-BFGS iterations at most' },
    tol: { type: 'number', default: 1e-4, minimum: 1e-12, maximum: 1, description: 'stop when max |gradient| ≤ tol' },
  },
  fit(data, o) {
    const fit = lrFit(data, data.labels!, { C: o.C as number, maxIter: o.max_iter as number, tol: o.tol as number });
    const s = norm(fit.theta) || 1;
    return { kind: 'linear', direction: Array.from(fit.theta, (t) => t / s), scale: s, bias_pos: fit.bias, bias_neg: fit.bias, extra: { iterations: fit.iterations } };
  },
};
