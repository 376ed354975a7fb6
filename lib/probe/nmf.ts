/**
 * NMF with two components on the split-sign differences. Activations are signed, so each
 * difference δ = x̃⁺ − x̃⁻ becomes the non-negative row [max(δ, 0), max(−δ, 0)] of length 2d
 * (a lossless, standard construction); X ≈ W H with W n×2, H 2×2d, both ≥ 0, and a pair is
 * assigned to the component that dominates its row of W.
 * Solver: HALS (Cichocki & Phan 2009, eqs. 14–15; = scikit-learn's coordinate descent),
 * stopping when the relative decrease of ‖X − WH‖_F falls below `tol`. The split matrix is
 * resident in the fit's workspace, so each HALS half-step is one SIMD pass over it.
 */
import type { Mat } from '../tensor.ts';
import type { Rng } from './random.ts';
import type { Estimator } from './estimator.ts';
import { unit } from './kernels.ts';
import { topEigenvector } from './eigen.ts';
import { Workspace, withScratchWorkspace, type Block } from './workspace.ts';

export interface NmfOptions { maxIter: number; tol: number }
export interface NmfFit { H: Float64Array[]; W: Float64Array; error: number; iterations: number }

/** δ resident in a workspace with its sums (a split context shares them; see context.ts). */
export interface NmfInput { ws: Workspace; deltaBlock: Block; sumSq: number; sumAbs: number; splitSign?: Block; warmStart?: ArrayLike<number> }

const EPS = 1e-12;

/** XHᵀ (n×2, row-major) for resident split-sign rows S: one GEMM pass for both components. */
function splitXht(ws: Workspace, S: Block, d: number, H: Float64Array[], out: Float64Array): void {
  const dp = S.ld / 2;
  const B = ws.scratch('nmf:h', 2 * S.ld), XH = ws.scratch('nmf:xh', 2 * S.rows);
  const f = ws.f32;
  for (let j = 0; j < 2; j++) {
    const b = (B >>> 2) + j * S.ld;
    f.fill(0, b, b + S.ld);
    for (let k = 0; k < d; k++) { f[b + k] = H[j][k]; f[b + dp + k] = H[j][d + k]; }
  }
  ws.rowdots(S, { off: B, ld: S.ld }, 2, XH, 2);
  ws.read(XH, out, 2 * S.rows);
}

/** The split-sign matrix S = [max(δ, 0) | max(−δ, 0)] resident (n × 2dp) and HALS's two passes over it. */
class SplitSign {
  readonly S: Block;
  private readonly C: number;
  private readonly G: number;

  constructor(private readonly ws: Workspace, delta: Block, private readonly d: number, S?: Block) {
    this.S = S ?? ws.splitSign(delta);
    this.C = ws.alloc(delta.rows);
    this.G = ws.alloc(2 * delta.ld);
  }

  xht(H: Float64Array[], out: Float64Array): void {
    splitXht(this.ws, this.S, this.d, H, out);
  }

  /** WᵀX (2 × 2d): one weighted row sum over S per component. */
  wtx(W: Float64Array, out: Float64Array[]): void {
    const { ws, d } = this;
    const n = this.S.rows, dp = this.S.ld / 2;
    for (let j = 0; j < 2; j++) {
      const f = ws.f32;
      for (let i = 0, c = this.C >>> 2; i < n; i++) f[c + i] = W[2 * i + j];
      ws.zero(this.G, 2 * dp);
      ws.addrows(this.S, this.C, this.G);
      const g = ws.f32, o = out[j], at = this.G >>> 2;
      for (let k = 0; k < d; k++) { o[k] = g[at + k]; o[d + k] = g[at + dp + k]; }
    }
  }
}

function gram2(rows: Float64Array[]): number[] {
  let a = 0, b = 0, c = 0;
  const [r0, r1] = rows;
  for (let k = 0; k < r0.length; k++) { a += r0[k] * r0[k]; b += r0[k] * r1[k]; c += r1[k] * r1[k]; }
  return [a, b, c];
}

function residentDelta(ws: Workspace, delta: Mat): NmfInput {
  let sumSq = 0, sumAbs = 0;
  for (let k = 0; k < delta.data.length; k++) { sumSq += delta.data[k] ** 2; sumAbs += Math.abs(delta.data[k]); }
  return { ws, deltaBlock: ws.upload([delta]), sumSq, sumAbs };
}

/**
 * `init`: 'random' is scikit-learn's (|N(0,1)|·√(mean X / 2)); 'svd' (default) seeds W with
 * the positive and negative parts of the projections on the top singular vector of δ, the
 * rank-2 split that NNDSVD (Boutsidis & Gallopoulos 2008) would start from, so HALS starts
 * near the answer and stops after a few passes.
 */
export function nmfFit(delta: Mat, opts: NmfOptions & { init?: 'svd' | 'random' }, rng: Rng, shared?: NmfInput): NmfFit {
  if (!shared) return withScratchWorkspace((ws) => nmfFit(delta, opts, rng, residentDelta(ws, delta)));
  const n = delta.rows;
  const d = delta.cols;
  const { ws, deltaBlock, sumSq: sq, sumAbs: sum, splitSign, warmStart } = shared;
  const x = new SplitSign(ws, deltaBlock, d, splitSign);
  // scikit-learn's 'random' init scale: sqrt(mean(X) / n_components).
  const avg = Math.sqrt(sum / (n * 2 * d) / 2);
  const W = Float64Array.from({ length: 2 * n }, () => avg * Math.abs(rng.normal()));
  const H = [0, 1].map(() => Float64Array.from({ length: 2 * d }, () => avg * Math.abs(rng.normal())));
  if ((opts.init ?? 'svd') === 'random') return { H, W, ...hals(x, W, H, sq, opts) };
  // Top right singular vector of δ: top eigenvector of δᵀδ, one fused pass per step. Only a
  // starting point for HALS: a loose residual (1e-4) is enough, and the split's principal
  // component (when shared) is a close warm start.
  const ld = deltaBlock.ld;
  const V = ws.alloc(ld), G = ws.alloc(ld), P = ws.alloc(n);
  const op = (u: Float64Array, out: Float64Array) => {
    ws.write(V, u, d);
    ws.zero(G, ld);
    ws.gram1(deltaBlock, V, 0, 1, G, P);
    ws.read(G, out, d);
  };
  const v = topEigenvector(op, d, rng, { tol: 1e-4, start: warmStart }).vector;
  const proj = ws.dots(deltaBlock, v, new Float64Array(n));
  // HALS updates the components in order, so where it ends depends on which component starts
  // with the positive projections: both assignments are tried (the eigenvector's sign is
  // arbitrary), and the lower reconstruction error is kept.
  let best: NmfFit | null = null;
  for (const sign of [1, -1]) {
    const w = new Float64Array(2 * n), h = [new Float64Array(2 * d), new Float64Array(2 * d)];
    svdStart(x, proj, sign, w, h);
    const fit = { H: h, W: w, ...hals(x, w, h, sq, opts) };
    if (!best || fit.error < best.error) best = fit;
  }
  return best!;
}

/** W from the positive and negative parts of the projections, H from one least-squares step given W. */
function svdStart(x: SplitSign, proj: Float64Array, sign: number, W: Float64Array, H: Float64Array[]): void {
  const n = proj.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(proj[i]));
  for (let i = 0; i < n; i++) {
    W[2 * i] = Math.max(sign * proj[i], 0) / scale + 1e-3;
    W[2 * i + 1] = Math.max(-sign * proj[i], 0) / scale + 1e-3;
  }
  // H from one least-squares step given W, so the first W step sees a matching H.
  x.wtx(W, H);
  let p = 0, q = 0, r = 0;
  for (let i = 0; i < n; i++) { p += W[2 * i] ** 2; q += W[2 * i] * W[2 * i + 1]; r += W[2 * i + 1] ** 2; }
  const det = p * r - q * q;
  for (let k = 0; k < H[0].length; k++) {
    const a = H[0][k], b = H[1][k];
    H[0][k] = Math.max(0, (r * a - q * b) / det);
    H[1][k] = Math.max(0, (p * b - q * a) / det);
  }
}

/** HALS (Cichocki & Phan 2009, eqs. 14–15) from W, H in place, until the relative decrease of ‖X − WH‖ is below tol. */
function hals(x: SplitSign, W: Float64Array, H: Float64Array[], sq: number, opts: NmfOptions): { error: number; iterations: number } {
  const n = W.length / 2, d2 = H[0].length;
  const XH = new Float64Array(2 * n);
  const WX = [new Float64Array(d2), new Float64Array(d2)];
  let error = Infinity;
  let it = 0;
  for (; it < opts.maxIter; it++) {
    // W update (HALS): W_j ← max(0, W_j + ((XHᵀ)_j − W (HHᵀ)_j) / (HHᵀ)_jj).
    x.xht(H, XH);
    const [a, b, c] = gram2(H);
    for (let i = 0; i < n; i++) {
      let w0 = W[2 * i], w1 = W[2 * i + 1];
      w0 = Math.max(EPS, w0 + (XH[2 * i] - (w0 * a + w1 * b)) / Math.max(a, EPS));
      w1 = Math.max(EPS, w1 + (XH[2 * i + 1] - (w0 * b + w1 * c)) / Math.max(c, EPS));
      W[2 * i] = w0;
      W[2 * i + 1] = w1;
    }
    // H update, symmetric in the roles of W and H.
    x.wtx(W, WX);
    let p = 0, q = 0, r = 0;
    for (let i = 0; i < n; i++) { p += W[2 * i] ** 2; q += W[2 * i] * W[2 * i + 1]; r += W[2 * i + 1] ** 2; }
    const [h0, h1] = H;
    let cross = 0;
    for (let k = 0; k < d2; k++) {
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
  return { error, iterations: it };
}

/**
 * Non-negative least squares for two coefficients per row with H fixed (exact: active sets),
 * for split-sign rows resident in a workspace (the scoring path of fits and stored probes).
 */
export function nmfTransformSplit(ws: Workspace, S: Block, d: number, H: Float64Array[]): Float64Array {
  const n = S.rows;
  const XH = new Float64Array(2 * n);
  splitXht(ws, S, d, H, XH);
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

/** nmfTransformSplit for differences given as a Mat. */
export function nmfTransform(delta: Mat, H: Float64Array[]): Float64Array {
  return withScratchWorkspace((ws) => nmfTransformSplit(ws, ws.splitSign(ws.upload([delta])), delta.cols, H));
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
    const stats = data.deltaStats();
    const fit = nmfFit(data.delta(), { maxIter: o.max_iter as number, tol: o.tol as number, init: o.init as 'svd' | 'random' }, rng, {
      ws: data.ws, deltaBlock: data.deltaBlock(), sumSq: stats.sumSq, sumAbs: stats.sumAbs, splitSign: data.splitSign(), warmStart: data.topComponent().vector,
    });
    const [h0, h1] = fit.H;
    // Linear surrogate for agreement: fold each component back to a signed d-vector.
    const w = unit(Float64Array.from({ length: d }, (_, k) => (h0[k] - h0[d + k]) - (h1[k] - h1[d + k])));
    return {
      kind: 'nmf', direction: Array.from(w), scale: 1, bias_pos: 0, bias_neg: 0, components: [Array.from(h0), Array.from(h1)],
      extra: { reconstruction_error: fit.error, iterations: fit.iterations },
    };
  },
};
