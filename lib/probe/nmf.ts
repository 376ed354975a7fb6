/**
 * NMF with two components on the split-sign differences. Activations are signed, so each
 * difference δ = x̃⁺ − x̃⁻ becomes the non-negative row [max(δ, 0), max(−δ, 0)] of length 2d
 * (a lossless, standard construction); X ≈ W H with W n×2, H 2×2d, both ≥ 0, and a pair is
 * assigned to the component that dominates its row of W.
 * Solver: HALS (Cichocki & Phan 2009, eqs. 14–15; = scikit-learn's coordinate descent),
 * stopping when the relative decrease of ‖X − WH‖_F falls below `tol`. X is never built:
 * each pass reads δ once and routes it to the positive or negative half.
 */
import type { Mat } from '../tensor.ts';
import type { Rng } from './random.ts';
import type { Estimator } from './estimator.ts';
import { gramApply, projectRows, unit } from './kernels.ts';
import { topEigenvector } from './eigen.ts';

export interface NmfOptions { maxIter: number; tol: number }
export interface NmfFit { H: Float64Array[]; W: Float64Array; error: number; iterations: number }

const EPS = 1e-12;

/** The split-sign halves max(δ, 0) and max(−δ, 0) as two n×d arrays (branch-free loops). */
export interface SplitSign { n: number; d: number; P: Float32Array; N: Float32Array }

export function splitSign(delta: Mat): SplitSign {
  const P = new Float32Array(delta.data.length);
  const N = new Float32Array(delta.data.length);
  for (let k = 0; k < P.length; k++) {
    const v = delta.data[k];
    if (v > 0) P[k] = v; else N[k] = -v;
  }
  return { n: delta.rows, d: delta.cols, P, N };
}

/** XHᵀ (n×2, row-major) with X = [P, N]. */
function xht(x: SplitSign, H: Float64Array[], out: Float64Array): void {
  const { d, P, N } = x;
  const [h0, h1] = H;
  for (let i = 0; i < x.n; i++) {
    let s0 = 0, s1 = 0;
    for (let k = 0, o = i * d; k < d; k++) {
      const p = P[o + k];
      const q = N[o + k];
      s0 += p * h0[k] + q * h0[d + k];
      s1 += p * h1[k] + q * h1[d + k];
    }
    out[2 * i] = s0;
    out[2 * i + 1] = s1;
  }
}

/** WᵀX (2×2d) with X = [P, N]. */
function wtx(x: SplitSign, W: Float64Array, out: Float64Array[]): void {
  const { d, P, N } = x;
  out[0].fill(0);
  out[1].fill(0);
  const [a, b] = out;
  for (let i = 0; i < x.n; i++) {
    const w0 = W[2 * i], w1 = W[2 * i + 1];
    for (let k = 0, o = i * d; k < d; k++) {
      const p = P[o + k];
      const q = N[o + k];
      a[k] += w0 * p;
      a[d + k] += w0 * q;
      b[k] += w1 * p;
      b[d + k] += w1 * q;
    }
  }
}

function gram2(rows: Float64Array[]): number[] {
  let a = 0, b = 0, c = 0;
  const [r0, r1] = rows;
  for (let k = 0; k < r0.length; k++) { a += r0[k] * r0[k]; b += r0[k] * r1[k]; c += r1[k] * r1[k]; }
  return [a, b, c];
}

/**
 * `init`: 'random' is scikit-learn's (|N(0,1)|·√(mean X / 2)); 'svd' (default) seeds W with
 * the positive and negative parts of the projections on the top singular vector of δ, the
 * rank-2 split that NNDSVD (Boutsidis & Gallopoulos 2008) would start from, so HALS starts
 * near the answer and stops after a few passes.
 */
export function nmfFit(delta: Mat, opts: NmfOptions & { init?: 'svd' | 'random' }, rng: Rng): NmfFit {
  const n = delta.rows;
  const d = delta.cols;
  const x = splitSign(delta);
  let sq = 0;
  let sum = 0;
  for (let k = 0; k < delta.data.length; k++) { sq += delta.data[k] ** 2; sum += Math.abs(delta.data[k]); }
  // scikit-learn's 'random' init scale: sqrt(mean(X) / n_components).
  const avg = Math.sqrt(sum / (n * 2 * d) / 2);
  const W = Float64Array.from({ length: 2 * n }, () => avg * Math.abs(rng.normal()));
  const H = [0, 1].map(() => Float64Array.from({ length: 2 * d }, () => avg * Math.abs(rng.normal())));
  if ((opts.init ?? 'svd') === 'svd') {
    const proj = new Float64Array(n);
    const v = topEigenvector((u, out) => gramApply(delta, u, 0, 1, out), d, rng, { tol: 1e-6 }).vector;
    projectRows(delta, v, proj);
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(proj[i]));
    for (let i = 0; i < n; i++) {
      W[2 * i] = Math.max(proj[i], 0) / scale + 1e-3;
      W[2 * i + 1] = Math.max(-proj[i], 0) / scale + 1e-3;
    }
    // H from one least-squares step given W, so the first W step sees a matching H.
    wtx(x, W, H);
    let p = 0, q = 0, r = 0;
    for (let i = 0; i < n; i++) { p += W[2 * i] ** 2; q += W[2 * i] * W[2 * i + 1]; r += W[2 * i + 1] ** 2; }
    const det = p * r - q * q;
    for (let k = 0; k < 2 * d; k++) {
      const a = H[0][k], b = H[1][k];
      H[0][k] = Math.max(0, (r * a - q * b) / det);
      H[1][k] = Math.max(0, (p * b - q * a) / det);
    }
  }
  const XH = new Float64Array(2 * n);
  const WX = [new Float64Array(2 * d), new Float64Array(2 * d)];
  let error = Infinity;
  let it = 0;
  for (; it < opts.maxIter; it++) {
    // W update (HALS): W_j ← max(0, W_j + ((XHᵀ)_j − W (HHᵀ)_j) / (HHᵀ)_jj).
    xht(x, H, XH);
    const [a, b, c] = gram2(H);
    for (let i = 0; i < n; i++) {
      let w0 = W[2 * i], w1 = W[2 * i + 1];
      w0 = Math.max(EPS, w0 + (XH[2 * i] - (w0 * a + w1 * b)) / Math.max(a, EPS));
      w1 = Math.max(EPS, w1 + (XH[2 * i + 1] - (w0 * b + w1 * c)) / Math.max(c, EPS));
      W[2 * i] = w0;
      W[2 * i + 1] = w1;
    }
    // H update, symmetric in the roles of W and H.
    wtx(x, W, WX);
    let p = 0, q = 0, r = 0;
    for (let i = 0; i < n; i++) { p += W[2 * i] ** 2; q += W[2 * i] * W[2 * i + 1]; r += W[2 * i + 1] ** 2; }
    const [h0, h1] = H;
    let cross = 0;
    for (let k = 0; k < 2 * d; k++) {
      let x0 = h0[k], x1 = h1[k];
      x0 = Math.max(0, x0 + (WX[0][k] - (p * x0 + q * x1)) / Math.max(p, EPS));
      x1 = Math.max(0, x1 + (WX[1][k] - (q * x0 + r * x1)) / Math.max(r, EPS));
      h0[k] = x0;
      h1[k] = x1;
      cross += x0 * WX[0][k] + x1 * WX[1][k];
    }
    // ‖X − WH‖² = ‖X‖² − 2 tr(Hᵀ WᵀX) + tr(WᵀW HHᵀ), all from quantities already at hand.
    const [ha, hb, hc] = gram2(H);
    const next = Math.sqrt(Math.max(0, sq - 2 * cross + p * ha + 2 * q * hb + r * hc));
    const done = Number.isFinite(error) && (error - next) / Math.max(error, EPS) < opts.tol;
    error = next;
    if (done) { it++; break; }
  }
  return { H, W, error, iterations: it };
}

/** Non-negative least squares for two coefficients per row with H fixed (exact: active sets). */
export function nmfTransform(delta: Mat, H: Float64Array[]): Float64Array {
  const n = delta.rows;
  const XH = new Float64Array(2 * n);
  xht(splitSign(delta), H, XH);
  const [a, b, c] = gram2(H);
  const det = a * c - b * b;
  const W = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const u = XH[2 * i], v = XH[2 * i + 1];
    let w0 = det > EPS ? (c * u - b * v) / det : -1;
    let w1 = det > EPS ? (a * v - b * u) / det : -1;
    if (w0 < 0 || w1 < 0) {
      // One coefficient at zero: compare the two single-component fits.
      const s0 = Math.max(0, u / Math.max(a, EPS));
      const s1 = Math.max(0, v / Math.max(c, EPS));
      if (s0 * u >= s1 * v) { w0 = s0; w1 = 0; } else { w0 = 0; w1 = s1; }
    }
    W[2 * i] = w0;
    W[2 * i + 1] = w1;
  }
  return W;
}

export const nmf: Estimator = {
  name: 'nmf',
  supervised: false,
  summary: 'NMF with two components on the split-sign differences [max(δ, 0), max(−δ, 0)]',
  options: {
    max_iter: { type: 'integer', default: 200, minimum: 1, maximum: 10_000, description: 'HALS iterations at most' },
    tol: { type: 'number', default: 1e-4, minimum: 0, maximum: 1, description: "stop when ‖X − WH‖ falls by less than tol relatively (scikit-learn's tol)" },
    init: { type: 'string', enum: ['svd', 'random'], default: 'svd', description: "W, H from the top singular vector of δ, or scikit-learn's random init" },
  },
  fit(data, o, rng) {
    const d = data.d;
    const fit = nmfFit(data.delta(), { maxIter: o.max_iter as number, tol: o.tol as number, init: o.init as 'svd' | 'random' }, rng);
    const [h0, h1] = fit.H;
    // Linear surrogate for agreement: fold each component back to a signed d-vector.
    const w = unit(Float64Array.from({ length: d }, (_, k) => (h0[k] - h0[d + k]) - (h1[k] - h1[d + k])));
    return {
      kind: 'nmf', direction: Array.from(w), scale: 1, bias_pos: 0, bias_neg: 0, components: [Array.from(h0), Array.from(h1)],
      extra: { reconstruction_error: fit.error, iterations: fit.iterations },
    };
  },
};
