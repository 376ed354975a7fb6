/**
 * CCS in the span of the training rows (`solver: gram`), and the cost model that chooses
 * between it and the primal solver (`solver: auto`).
 */
import type { BatchObjective } from './optimize.ts';
import type { Block } from './workspace.ts';
import { lossAndCoefficients, type CcsInput, type CcsLoss } from './ccs-objective.ts';

/**
 * CCS in the span of the training rows (when 2n < d). The gradient Xᵀc + l2·θ never leaves
 * span(rows of X) ⊕ span(θ₀), so every L-BFGS iterate is θ = Xᵀa + γθ₀ and is carried as
 * the coordinates [a (2n), Ka (2n), γ, b] with K = XXᵀ: the logits are Xθ = Ka + γ·Xθ₀,
 * inner products ⟨θ, θ'⟩ = aᵀKa' + γ a'ᵀXθ₀ + γ' aᵀXθ₀ + γγ'‖θ₀‖² (+ bb'), and one
 * evaluation is one product K C for all restarts (2n × 2n) instead of two passes over the
 * d-wide data. L-BFGS is invariant under this change of coordinates (it only uses inner
 * products and linear combinations), so the iterates equal the primal ones up to round-off
 * (Nocedal & Wright §7.2; the representer argument of Schölkopf et al. 2001).
 */
export class GramCcs {
  readonly m: number;
  private readonly K: Block;
  private readonly u0: Float64Array[];
  private readonly t0: number[];
  private readonly Cb: Block;
  private readonly KC: number;
  private readonly U: number;

  constructor(private readonly inp: CcsInput, private readonly theta0: Float64Array[], private readonly loss: CcsLoss, private readonly l2: number) {
    const { ws, n, d } = inp;
    this.m = 2 * n;
    const R = theta0.length;
    this.K = inp.gram();
    // u0_j = X θ0_j (one forward GEMM) and ‖θ0_j‖².
    const Th = ws.block(R, d);
    theta0.forEach((th, t) => ws.write(Th.off + t * Th.ld * 4, th, d));
    this.U = ws.alloc(this.m * R);
    ws.rowdots(inp.sides, Th, R, this.U, R);
    const f = ws.f32;
    this.u0 = theta0.map((_, t) => Float64Array.from({ length: this.m }, (_, i) => f[(this.U >>> 2) + i * R + t]));
    this.t0 = theta0.map((th) => { let s = 0; for (let k = 0; k < d; k++) s += th[k] * th[k]; return s; });
    this.Cb = ws.block(R, this.m);
    this.KC = ws.alloc(this.m * R);
  }

  /** Starting coordinates: θ = θ0 (a = 0, γ = 1) and the initial bias. */
  start(j: number, bias: number): Float64Array {
    const x = new Float64Array(2 * this.m + 2);
    x[2 * this.m] = 1;
    x[2 * this.m + 1] = bias;
    return x;
  }

  readonly dot = (j: number, x: Float64Array, y: Float64Array): number => {
    const m = this.m, u0 = this.u0[j];
    let aKb = 0, au = 0, bu = 0;
    for (let i = 0; i < m; i++) {
      aKb += x[i] * y[m + i];
      au += x[i] * u0[i];
      bu += y[i] * u0[i];
    }
    const gx = x[2 * m], gy = y[2 * m];
    return aKb + gy * au + gx * bu + gx * gy * this.t0[j] + x[2 * m + 1] * y[2 * m + 1];
  };

  /** Logit of row i under coordinates x (bias excluded). */
  private logits(j: number, x: Float64Array, out: Float32Array, t: number, R: number): void {
    const m = this.m, u0 = this.u0[j], g = x[2 * m];
    const o = this.U >>> 2;
    for (let i = 0; i < m; i++) out[o + i * R + t] = x[m + i] + g * u0[i];
  }

  readonly objective: BatchObjective = (xs, which, grads) => {
    const { ws, n } = this.inp;
    const m = this.m, R = which.length;
    const out = new Float64Array(xs.length);
    const bias = Float64Array.from(which, (j) => xs[j][2 * m + 1]);
    const fl = new Float64Array(R), gb = new Float64Array(R);
    const f = ws.f32;
    which.forEach((j, t) => this.logits(j, xs[j], f, t, R));
    lossAndCoefficients(f, this.U, n, R, bias, this.loss, { at: this.Cb.off >>> 2, ld: this.Cb.ld }, fl, gb);
    // K C for every restart: one read of the 2n × 2n Gram matrix.
    ws.rowdots(this.K, this.Cb, R, this.KC, R);
    const f2 = ws.f32;
    which.forEach((j, t) => {
      const x = xs[j], g = grads[j];
      const c = (this.Cb.off >>> 2) + t * this.Cb.ld, kc = this.KC >>> 2;
      for (let i = 0; i < m; i++) {
        g[i] = f2[c + i] + this.l2 * x[i];
        g[m + i] = f2[kc + i * R + t] + this.l2 * x[m + i];
      }
      g[2 * m] = this.l2 * x[2 * m];
      g[2 * m + 1] = gb[t];
      // ‖θ‖² through the metric (the bias coordinate is not penalised).
      const reg = this.dot(j, x, x) - x[2 * m + 1] ** 2;
      out[j] = fl[t] + 0.5 * this.l2 * reg;
    });
    return out;
  };

  /** θ = Xᵀa + γθ0 in R^d (one weighted row sum per restart), plus the bias. */
  theta(j: number, x: Float64Array): Float64Array {
    const { ws, d, sides } = this.inp;
    const m = this.m;
    const C = ws.alloc(m), G = ws.alloc(sides.ld);
    ws.write(C, x, m);
    ws.addrows(sides, C, G);
    const th = new Float64Array(d + 1);
    ws.read(G, th, d);
    const g = x[2 * m];
    const t0 = this.theta0[j];
    for (let k = 0; k < d; k++) th[k] += g * t0[k];
    th[d] = x[2 * m + 1];
    return th;
  }
}

/** Expected L-BFGS evaluations for the solver choice (the stopping rule ends most fits well before `epochs`). */
const EXPECTED_EVALS = 60;
/**
 * L-BFGS's own vector work per evaluation and restart, in kernel multiply-adds: ~25 sweeps
 * over the d + 1 primal coordinates, ~100 over the 2n Gram ones (its inner products take
 * three), each element ~35× a SIMD multiply-add (measured, bench/probes.ts solver lines).
 */
const JS_PRIMAL = 25 * 35, JS_GRAM = 100 * 35;

/**
 * 'gram' when forming K (2n·2n·d/2) plus its cheaper evaluations (2n·2n per restart) beat the
 * primal ones (2·2n·d per restart), optimiser overhead included: in practice when n is well
 * below d (n = 250, d = 4096), never when 2n ≥ d.
 */
export function chooseSolver(n: number, d: number, restarts: number, maxIter: number): 'primal' | 'gram' {
  const m = 2 * n;
  const evals = Math.min(maxIter + 1, EXPECTED_EVALS);
  const primal = evals * restarts * (2 * m * d + JS_PRIMAL * d);
  const gram = (m * m * d) / 2 + m * d * restarts + evals * restarts * (m * m + JS_GRAM * m);
  return gram < primal ? 'gram' : 'primal';
}
