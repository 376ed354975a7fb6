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
import { SimdArena } from './simd.ts';

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
 * The batched CCS objective over params [θ (d), b]; `l2` adds l2·‖θ‖²/2 (elk's penalty for
 * L-BFGS; AdamW's decay is decoupled and lives in the optimiser instead).
 */
export function ccsObjective(pos: Mat, neg: Mat, loss: CcsLoss, l2: number, useSimd = true) {
  const dp = Math.ceil(pos.cols / 4) * 4;
  const simd = useSimd ? SimdArena.create([pos, neg], 8 * dp + 16 * pos.rows) : null;
  if (simd) return ccsObjectiveSimd(simd, pos.rows, pos.cols, loss, l2);
  const n = pos.rows;
  const d = pos.cols;
  const P = pos.data;
  const N = neg.data;
  const pg = new Float64Array(2);
  // Four restarts at a time, their θ interleaved (T[4k + t]) so the inner loop streams one
  // array; for each pair the forward and backward steps run while its two rows are in L1.
  const T = new Float64Array(4 * d);
  const G = new Float64Array(4 * d);
  const up = new Float64Array(4);
  const un = new Float64Array(4);
  const cp = new Float64Array(4);
  const cn = new Float64Array(4);
  const fl = new Float64Array(4);
  const gb = new Float64Array(4);
  return (xs: Float64Array[], which: number[], grads: Float64Array[]): Float64Array => {
    const f = new Float64Array(xs.length);
    for (let g0 = 0; g0 < which.length; g0 += 4) {
      const m = Math.min(4, which.length - g0);
      T.fill(0);
      G.fill(0);
      fl.fill(0);
      gb.fill(0);
      const bias = new Float64Array(4);
      for (let t = 0; t < m; t++) {
        const th = xs[which[g0 + t]];
        for (let k = 0; k < d; k++) T[4 * k + t] = th[k];
        bias[t] = th[d];
      }
      for (let i = 0; i < n; i++) {
        const o = i * d;
        let p0 = bias[0], p1 = bias[1], p2 = bias[2], p3 = bias[3];
        let q0 = p0, q1 = p1, q2 = p2, q3 = p3;
        for (let k = 0, k4 = 0; k < d; k++, k4 += 4) {
          const xp = P[o + k];
          const xn = N[o + k];
          const a0 = T[k4], a1 = T[k4 + 1], a2 = T[k4 + 2], a3 = T[k4 + 3];
          p0 += xp * a0; p1 += xp * a1; p2 += xp * a2; p3 += xp * a3;
          q0 += xn * a0; q1 += xn * a1; q2 += xn * a2; q3 += xn * a3;
        }
        up[0] = p0; up[1] = p1; up[2] = p2; up[3] = p3;
        un[0] = q0; un[1] = q1; un[2] = q2; un[3] = q3;
        for (let t = 0; t < m; t++) {
          fl[t] += pairGrad(sigmoid(up[t]), sigmoid(un[t]), loss, pg);
          cp[t] = pg[0] / n;
          cn[t] = pg[1] / n;
          gb[t] += cp[t] + cn[t];
        }
        const c0 = cp[0], c1 = cp[1], c2 = cp[2], c3 = cp[3];
        const e0 = cn[0], e1 = cn[1], e2 = cn[2], e3 = cn[3];
        for (let k = 0, k4 = 0; k < d; k++, k4 += 4) {
          const xp = P[o + k];
          const xn = N[o + k];
          G[k4] += c0 * xp + e0 * xn;
          G[k4 + 1] += c1 * xp + e1 * xn;
          G[k4 + 2] += c2 * xp + e2 * xn;
          G[k4 + 3] += c3 * xp + e3 * xn;
        }
      }
      for (let t = 0; t < m; t++) {
        const j = which[g0 + t];
        const th = xs[j];
        const out = grads[j];
        let reg = 0;
        for (let k = 0; k < d; k++) {
          reg += th[k] * th[k];
          out[k] = G[4 * k + t] + l2 * th[k];
        }
        out[d] = gb[t];
        f[j] = fl[t] / n + 0.5 * l2 * reg;
      }
    }
    return f;
  };
}

/** The same objective with the two data passes in WebAssembly SIMD (see simd.ts). */
function ccsObjectiveSimd(simd: SimdArena, n: number, d: number, loss: CcsLoss, l2: number) {
  const { dp } = simd;
  const [offP, offN] = simd.offsets;
  // Scratch layout (bytes): T and G (4·dp floats each), then n×4 outputs and coefficients.
  const bT = simd.scratch, bG = bT + 16 * dp, bOP = bG + 16 * dp, bON = bOP + 16 * n, bCP = bON + 16 * n, bCN = bCP + 16 * n;
  const pg = new Float64Array(2);
  const fl = new Float64Array(4);
  const gb = new Float64Array(4);
  const bias = new Float64Array(4);
  return (xs: Float64Array[], which: number[], grads: Float64Array[]): Float64Array => {
    const k = simd.bind();
    const f32 = simd.f32;
    const T = bT / 4, G = bG / 4, OP = bOP / 4, ON = bON / 4, CP = bCP / 4, CN = bCN / 4;
    const f = new Float64Array(xs.length);
    for (let g0 = 0; g0 < which.length; g0 += 4) {
      const m = Math.min(4, which.length - g0);
      f32.fill(0, T, T + 4 * dp);
      for (let t = 0; t < m; t++) {
        const th = xs[which[g0 + t]];
        for (let j = 0; j < d; j++) f32[T + t * dp + j] = th[j];
        bias[t] = th[d];
      }
      k.forward4(offP, offN, bT, n, dp, bOP, bON);
      fl.fill(0);
      gb.fill(0);
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < 4; t++) {
          if (t >= m) {
            f32[CP + 4 * i + t] = 0;
            f32[CN + 4 * i + t] = 0;
            continue;
          }
          fl[t] += pairGrad(sigmoid(f32[OP + 4 * i + t] + bias[t]), sigmoid(f32[ON + 4 * i + t] + bias[t]), loss, pg);
          f32[CP + 4 * i + t] = pg[0] / n;
          f32[CN + 4 * i + t] = pg[1] / n;
          gb[t] += (pg[0] + pg[1]) / n;
        }
      }
      f32.fill(0, G, G + 4 * dp);
      k.backward4(offP, offN, bG, n, dp, bCP, bCN);
      for (let t = 0; t < m; t++) {
        const j = which[g0 + t];
        const th = xs[j];
        const out = grads[j];
        let reg = 0;
        for (let q = 0; q < d; q++) {
          reg += th[q] * th[q];
          out[q] = f32[G + t * dp + q] + l2 * th[q];
        }
        out[d] = gb[t];
        f[j] = fl[t] / n + 0.5 * l2 * reg;
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
