/**
 * Contrast-Consistent Search (Burns et al. 2022). Probe p(x) = σ(θᵀx + b) (eq. 1 context);
 * loss = mean[(p(x⁺) − (1 − p(x⁻)))²] + mean[min(p(x⁺), p(x⁻))²] (eqs. 1–2), or with
 * Farquhar et al. 2023's symmetric confidence term min(p⁺, p⁻, 1 − p⁺, 1 − p⁻)².
 * All restarts are optimised together: one fused pass per round reads each pair once and
 * serves every restart's forward and backward step.
 */
import type { Mat } from '../tensor.ts';
import type { Rng } from './random.ts';
import { sigmoid } from './kernels.ts';
import { adamwBatch, lbfgsBatch } from './optimize.ts';

export type CcsLoss = 'burns' | 'symmetric';

export interface CcsOptions {
  loss: CcsLoss;
  restarts: number;
  optimizer: 'adam' | 'lbfgs';
  /** adam: epochs (default 1000, as Burns' code); lbfgs: maximum iterations (default 100, as elk). */
  epochs: number;
  lr: number;
  weightDecay: number;
  init: 'torch' | 'normal';
}

export interface CcsParts { loss: number; consistency: number; confidence: number }

/** Loss parts from per-side probabilities (Burns et al. 2022, eqs. 1–2). */
export function ccsLossParts(pPos: ArrayLike<number>, pNeg: ArrayLike<number>, loss: CcsLoss = 'burns'): CcsParts {
  const n = pPos.length;
  let cons = 0;
  let conf = 0;
  for (let i = 0; i < n; i++) {
    const a = pPos[i];
    const b = pNeg[i];
    cons += (a - (1 - b)) ** 2;
    const m = loss === 'burns' ? Math.min(a, b) : Math.min(a, b, 1 - a, 1 - b);
    conf += m * m;
  }
  cons /= n;
  conf /= n;
  return { loss: cons + conf, consistency: cons, confidence: conf };
}

/** dL/du for one side given both probabilities; returns [dL/du⁺, dL/du⁻] scaled by n. */
function pairGrad(a: number, b: number, loss: CcsLoss, out: Float64Array): number {
  const c = a + b - 1;
  let ga = 2 * c;
  let gb = 2 * c;
  let m: number;
  if (loss === 'burns') {
    m = Math.min(a, b);
    if (a <= b) ga += 2 * m;
    else gb += 2 * m;
  } else {
    m = Math.min(a, b, 1 - a, 1 - b);
    if (m === a) ga += 2 * m;
    else if (m === b) gb += 2 * m;
    else if (m === 1 - a) ga -= 2 * m;
    else gb -= 2 * m;
  }
  out[0] = ga * a * (1 - a);
  out[1] = gb * b * (1 - b);
  return c * c + m * m;
}

/**
 * The batched CCS objective over params [θ (d), b]; `l2` adds l2·‖θ‖² (elk's penalty for
 * L-BFGS; AdamW's decay is decoupled and lives in the optimiser instead).
 */
export function ccsObjective(pos: Mat, neg: Mat, loss: CcsLoss, l2: number) {
  const n = pos.rows;
  const d = pos.cols;
  const P = pos.data;
  const N = neg.data;
  const pg = new Float64Array(2);
  return (xs: Float64Array[], which: number[], grads: Float64Array[]): Float64Array => {
    const f = new Float64Array(xs.length);
    for (const j of which) grads[j].fill(0);
    for (let g0 = 0; g0 < which.length; g0 += 4) {
      const m = Math.min(4, which.length - g0);
      const idx = [0, 1, 2, 3].map((t) => which[g0 + Math.min(t, m - 1)]);
      const t0 = xs[idx[0]], t1 = xs[idx[1]], t2 = xs[idx[2]], t3 = xs[idx[3]];
      const G0 = grads[idx[0]], G1 = m > 1 ? grads[idx[1]] : new Float64Array(d + 1);
      const G2 = m > 2 ? grads[idx[2]] : new Float64Array(d + 1), G3 = m > 3 ? grads[idx[3]] : new Float64Array(d + 1);
      const Gs = [G0, G1, G2, G3];
      const ts = [t0, t1, t2, t3];
      const cp = new Float64Array(4);
      const cn = new Float64Array(4);
      const fl = new Float64Array(4);
      for (let i = 0; i < n; i++) {
        const o = i * d;
        let p0 = t0[d], p1 = t1[d], p2 = t2[d], p3 = t3[d];
        let q0 = p0, q1 = p1, q2 = p2, q3 = p3;
        for (let k = 0; k < d; k++) {
          const xp = P[o + k];
          const xn = N[o + k];
          const a0 = t0[k], a1 = t1[k], a2 = t2[k], a3 = t3[k];
          p0 += xp * a0; p1 += xp * a1; p2 += xp * a2; p3 += xp * a3;
          q0 += xn * a0; q1 += xn * a1; q2 += xn * a2; q3 += xn * a3;
        }
        const up = [p0, p1, p2, p3];
        const un = [q0, q1, q2, q3];
        for (let t = 0; t < m; t++) {
          fl[t] += pairGrad(sigmoid(up[t]), sigmoid(un[t]), loss, pg);
          cp[t] = pg[0] / n;
          cn[t] = pg[1] / n;
          Gs[t][d] += cp[t] + cn[t];
        }
        const c0 = cp[0], c1 = cp[1], c2 = cp[2], c3 = cp[3];
        const e0 = cn[0], e1 = cn[1], e2 = cn[2], e3 = cn[3];
        for (let k = 0; k < d; k++) {
          const xp = P[o + k];
          const xn = N[o + k];
          G0[k] += c0 * xp + e0 * xn;
          G1[k] += c1 * xp + e1 * xn;
          G2[k] += c2 * xp + e2 * xn;
          G3[k] += c3 * xp + e3 * xn;
        }
      }
      for (let t = 0; t < m; t++) {
        let reg = 0;
        if (l2 > 0) {
          const th = ts[t];
          const G = Gs[t];
          for (let k = 0; k < d; k++) {
            reg += th[k] * th[k];
            G[k] += 2 * l2 * th[k];
          }
        }
        f[idx[t]] = fl[t] / n + l2 * reg;
      }
    }
    return f;
  };
}

export interface CcsFit {
  theta: Float64Array;
  bias: number;
  loss: number;
  restarts: { theta: Float64Array; bias: number; loss: number; iterations: number }[];
}

export function ccsFit(pos: Mat, neg: Mat, opts: CcsOptions, rng: Rng): CcsFit {
  const d = pos.cols;
  const x0: Float64Array[] = [];
  for (let r = 0; r < opts.restarts; r++) {
    const x = new Float64Array(d + 1);
    // torch.nn.Linear's default init, U(−1/√d, 1/√d) for weight and bias (as Burns' code).
    const bound = 1 / Math.sqrt(d);
    for (let k = 0; k <= d; k++) x[k] = opts.init === 'normal' ? rng.normal() * bound : (2 * rng.next() - 1) * bound;
    x0.push(x);
  }
  const res = opts.optimizer === 'adam'
    ? adamwBatch(ccsObjective(pos, neg, opts.loss, 0), x0, { epochs: opts.epochs, lr: opts.lr, weightDecay: opts.weightDecay })
    : lbfgsBatch(ccsObjective(pos, neg, opts.loss, opts.weightDecay), x0, { maxIter: opts.epochs });
  // Report and select on the pure CCS loss (no penalty), as Burns' code keeps the lowest loss.
  const pure = ccsObjective(pos, neg, opts.loss, 0);
  const all = res.x.map((_, j) => j);
  const losses = pure(res.x, all, res.x.map(() => new Float64Array(d + 1)));
  const restarts = res.x.map((x, j) => ({ theta: x.subarray(0, d), bias: x[d], loss: losses[j], iterations: res.iterations[j] }));
  let best = 0;
  for (let j = 1; j < restarts.length; j++) if (restarts[j].loss < restarts[best].loss) best = j;
  return { theta: restarts[best].theta, bias: restarts[best].bias, loss: restarts[best].loss, restarts };
}
