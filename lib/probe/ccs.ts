/**
 * Contrast-Consistent Search (Burns et al. 2022). Probe p(x) = σ(θᵀx + b) (eq. 1 context);
 * loss = mean[(p(x⁺) − (1 − p(x⁻)))²] + mean[min(p(x⁺), p(x⁻))²] (eqs. 1–2), or with
 * Farquhar et al. 2023's symmetric confidence term min(p⁺, p⁻, 1 − p⁺, 1 − p⁻)².
 *
 * All restarts are optimised together: their parameters are the rows of an R × d matrix Θ,
 * so one evaluation is two GEMMs over the stacked sides X = [x̃⁺; x̃⁻] (forward XΘᵀ, backward
 * Xᵀ C), each reading X once for every restart. When 2n < d the problem can instead be
 * solved in the span of the training rows (`solver: gram`, see GramCcs below).
 */
import type { Rng } from './random.ts';
import type { Estimator } from './estimator.ts';
import { norm, sigmoid } from './kernels.ts';
import { adamwBatch, lbfgsBatch, type BatchObjective } from './optimize.ts';
import type { Block, Workspace } from './workspace.ts';

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
  /** lbfgs: stop a restart when its last 5 iterations lowered the objective by at most tol·f. */
  tol: number;
  /** lbfgs: 'primal' (θ ∈ R^d), 'gram' (θ in the span of the 2n training rows), or 'auto' (cheaper by a cost model). */
  solver: 'auto' | 'primal' | 'gram';
}

/** The training pairs as the CCS solvers read them (resident in a workspace, see context.ts). */
export interface CcsInput {
  ws: Workspace;
  n: number;
  d: number;
  /** [x̃⁺; x̃⁻]: 2n rows. */
  sides: Block;
  /** Its transpose (d × 2n), for the backward GEMM. */
  sidesT(): Block;
  /** K = X Xᵀ (2n × 2n), for the Gram solver. */
  gram(): Block;
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

/** dL/du for one pair given both probabilities; returns [dL/du⁺, dL/du⁻] scaled by n. */
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
 * Loss and, when `coef` is given, the coefficients c = ∂L/∂u (row t of coef: restart t's 2n
 * values, ld apart) from the logits u (2n × R, row-major, bias not included).
 */
function lossAndCoefficients(f32: Float32Array, U: number, n: number, R: number, bias: Float64Array, loss: CcsLoss, coef: { at: number; ld: number } | null, fl: Float64Array, gb: Float64Array, sides?: { pPos: Float64Array; pNeg: Float64Array }[]): void {
  const pg = new Float64Array(2);
  const u = U >> 2;
  fl.fill(0, 0, R);
  gb.fill(0, 0, R);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < R; t++) {
      const a = sigmoid(f32[u + i * R + t] + bias[t]);
      const b = sigmoid(f32[u + (n + i) * R + t] + bias[t]);
      if (sides) { sides[t].pPos[i] = a; sides[t].pNeg[i] = b; }
      fl[t] += pairGrad(a, b, loss, pg);
      if (coef) {
        const cp = pg[0] / n, cn = pg[1] / n;
        f32[coef.at + t * coef.ld + i] = cp;
        f32[coef.at + t * coef.ld + n + i] = cn;
        gb[t] += cp + cn;
      }
    }
  }
  for (let t = 0; t < R; t++) fl[t] /= n;
}

/**
 * The batched objective over params [θ (d), b] in R^d: `l2` adds l2·‖θ‖²/2 (elk's penalty
 * for L-BFGS; AdamW's decay is decoupled and lives in the optimiser instead).
 */
export function ccsObjective(inp: CcsInput, loss: CcsLoss, l2: number, maxR: number): BatchObjective & { sides(xs: Float64Array[]): { pPos: Float64Array; pNeg: Float64Array }[] } {
  const { ws, n, d, sides: X } = inp;
  const m = 2 * n;
  const Th = ws.block(maxR, d);
  const U = ws.alloc(m * maxR);
  const bias = new Float64Array(maxR);
  const fl = new Float64Array(maxR);
  const gb = new Float64Array(maxR);
  let XT: Block | null = null;
  let C: Block | null = null;
  let G = 0;
  const forward = (xs: Float64Array[], which: number[]) => {
    const f = ws.f32;
    which.forEach((j, t) => {
      const th = xs[j];
      const at = (Th.off >> 2) + t * Th.ld;
      for (let k = 0; k < d; k++) f[at + k] = th[k];
      bias[t] = th[d];
    });
    // Forward GEMM: U = X Θᵀ, every restart from one read of X.
    ws.rowdots(X, Th, which.length, U, which.length);
  };
  const objective = (xs: Float64Array[], which: number[], grads: Float64Array[]): Float64Array => {
    const out = new Float64Array(xs.length);
    if (!XT) {
      XT = inp.sidesT();
      C = ws.block(maxR, m);
      G = ws.alloc(XT.rows * maxR);
    }
    const R = which.length;
    for (let g0 = 0; g0 < R; g0 += maxR) {
      const part = which.slice(g0, g0 + maxR);
      const r = part.length;
      forward(xs, part);
      lossAndCoefficients(ws.f32, U, n, r, bias, loss, { at: C!.off >> 2, ld: C!.ld }, fl, gb);
      // Backward GEMM: G = Xᵀ C, the gradients of every restart from one read of Xᵀ.
      ws.rowdots(XT, C!, r, G, r);
      const f = ws.f32;
      const g = G >> 2;
      part.forEach((j, t) => {
        const th = xs[j];
        const gr = grads[j];
        let reg = 0;
        for (let k = 0; k < d; k++) {
          reg += th[k] * th[k];
          gr[k] = f[g + k * r + t] + l2 * th[k];
        }
        gr[d] = gb[t];
        out[j] = fl[t] + 0.5 * l2 * reg;
      });
    }
    return out;
  };
  /** Per-side probabilities at each point (one forward pass). */
  const sides = (xs: Float64Array[]) => {
    const res = xs.map(() => ({ pPos: new Float64Array(n), pNeg: new Float64Array(n) }));
    for (let g0 = 0; g0 < xs.length; g0 += maxR) {
      const part = xs.map((_, j) => j).slice(g0, g0 + maxR);
      forward(xs, part);
      lossAndCoefficients(ws.f32, U, n, part.length, bias, loss, null, fl, gb, res.slice(g0, g0 + maxR));
    }
    return res;
  };
  return Object.assign(objective, { sides });
}

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
class GramCcs {
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
    this.u0 = theta0.map((_, t) => Float64Array.from({ length: this.m }, (_, i) => f[(this.U >> 2) + i * R + t]));
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
    const o = this.U >> 2;
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
    lossAndCoefficients(f, this.U, n, R, bias, this.loss, { at: this.Cb.off >> 2, ld: this.Cb.ld }, fl, gb);
    // K C for every restart: one read of the 2n × 2n Gram matrix.
    ws.rowdots(this.K, this.Cb, R, this.KC, R);
    const f2 = ws.f32;
    which.forEach((j, t) => {
      const x = xs[j], g = grads[j];
      const c = (this.Cb.off >> 2) + t * this.Cb.ld, kc = this.KC >> 2;
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

/**
 * The stopping rule's default: a restart stops once its last 5 L-BFGS iterations together
 * lowered the objective by at most 2 %. In bench/probes.ts (n = 1000) that is 60–75 % of the
 * 100-iteration budget at a best loss 35–55 % below torch AdamW-1000-epochs' at d = 1024 and
 * 4096; on the fixtures (d = 16) the loss is within 1e-4 of torch's. Which restart ends
 * lowest can depend on where the restarts stop (docs/methods.md, "stopping rule").
 */
export const LOSS_TOL = 0.02;

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

export interface CcsRestart {
  theta: Float64Array;
  bias: number;
  loss: number;
  iterations: number;
  /** Per-side probabilities on the training pairs at the final parameters. */
  pPos: Float64Array;
  pNeg: Float64Array;
}

export interface CcsFit {
  theta: Float64Array;
  bias: number;
  loss: number;
  solver: 'primal' | 'gram';
  evaluations: number;
  restarts: CcsRestart[];
}

/** Restarts share one GEMM up to this many at a time (all of them, for any sane `restarts`). */
const MAX_BATCH = 64;

export function ccsFit(inp: CcsInput, opts: CcsOptions, rng: Rng): CcsFit {
  const d = inp.d;
  const x0: Float64Array[] = [];
  for (let r = 0; r < opts.restarts; r++) {
    const x = new Float64Array(d + 1);
    // torch.nn.Linear's default init, U(−1/√d, 1/√d) for weight and bias (as Burns' code).
    const bound = 1 / Math.sqrt(d);
    for (let k = 0; k <= d; k++) x[k] = opts.init === 'normal' ? rng.normal() * bound : (2 * rng.next() - 1) * bound;
    x0.push(x);
  }
  const maxR = Math.min(MAX_BATCH, opts.restarts);
  // L-BFGS stops on the loss (opts.tol); its first step is 1/‖g‖₂ in θ-space (a rotation-
  // invariant choice, so the primal and Gram solvers take the same steps).
  const euclid = (_j: number, v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const lbfgs = (norm: (j: number, v: Float64Array) => number) => ({
    maxIter: opts.epochs, lossTol: opts.tol, gradNorm: norm, firstStep: (j: number, g: Float64Array) => Math.min(1, 1 / Math.max(norm(j, g), 1e-300)),
  });
  const solver = opts.optimizer === 'adam' ? 'primal' : opts.solver === 'auto' ? chooseSolver(inp.n, d, opts.restarts, opts.epochs) : opts.solver;
  let thetas: Float64Array[];
  let iterations: number[];
  let evaluations: number;
  if (solver === 'gram') {
    const g = new GramCcs(inp, x0.map((x) => x.subarray(0, d)), opts.loss, opts.weightDecay);
    const res = lbfgsBatch(g.objective, x0.map((x, j) => g.start(j, x[d])), { ...lbfgs((j, v) => Math.sqrt(g.dot(j, v, v))), dot: g.dot });
    thetas = res.x.map((x, j) => g.theta(j, x));
    ({ iterations, evaluations } = res);
  } else {
    const res = opts.optimizer === 'adam'
      ? adamwBatch(ccsObjective(inp, opts.loss, 0, maxR), x0, { epochs: opts.epochs, lr: opts.lr, weightDecay: opts.weightDecay })
      : lbfgsBatch(ccsObjective(inp, opts.loss, opts.weightDecay, maxR), x0, lbfgs(euclid));
    thetas = res.x;
    ({ iterations, evaluations } = res);
  }
  // Report and select on the pure CCS loss (no penalty), as Burns' code keeps the lowest loss.
  const sides = ccsObjective(inp, opts.loss, 0, maxR).sides(thetas);
  const restarts = thetas.map((x, j) => ({
    theta: x.subarray(0, d), bias: x[d], loss: ccsLossParts(sides[j].pPos, sides[j].pNeg, opts.loss).loss, iterations: iterations[j], ...sides[j],
  }));
  let best = 0;
  for (let j = 1; j < restarts.length; j++) if (restarts[j].loss < restarts[best].loss) best = j;
  return { theta: restarts[best].theta, bias: restarts[best].bias, loss: restarts[best].loss, solver, evaluations, restarts };
}

export const ccs: Estimator = {
  name: 'ccs',
  supervised: false,
  summary: 'Contrast-Consistent Search: a linear probe whose two sides are consistent (p⁺ ≈ 1 − p⁻) and confident (Burns et al. 2022)',
  options: {
    loss: { type: 'string', enum: ['burns', 'symmetric'], default: 'burns', description: 'confidence term: min(p⁺, p⁻)² (Burns) or min(p⁺, p⁻, 1 − p⁺, 1 − p⁻)² (Farquhar et al. 2023)' },
    restarts: { type: 'integer', default: 10, minimum: 1, maximum: 1000, description: 'random initialisations; the lowest loss is kept, every one is reported' },
    optimizer: { type: 'string', enum: ['lbfgs', 'adam'], default: 'lbfgs', description: 'L-BFGS (elk) or AdamW full batch (Burns et al.)' },
    epochs: { type: 'integer', default: 100, default_by: { option: 'optimizer', values: { adam: 1000 } }, minimum: 1, maximum: 100_000, description: 'lbfgs: maximum iterations (the stopping rule usually ends earlier); adam: epochs' },
    lr: { type: 'number', default: 1e-3, minimum: 0, exclusive_minimum: true, maximum: 10, description: 'adam: learning rate' },
    // AdamW's decoupled decay 0.01 is Burns' setting. For L-BFGS the decay is elk's L2 penalty
    // wd·‖θ‖²/2 in the objective; elk's 0.01 visibly biases the fitted loss, so the default is
    // 6e-5: enough to keep ‖θ‖ finite when n < d and the pairs are separable, small enough
    // that the fitted loss stays at or below AdamW-1000-epochs' (bench/probes.ts).
    weight_decay: { type: 'number', default: 6e-5, default_by: { option: 'optimizer', values: { adam: 0.01 } }, minimum: 0, maximum: 10, description: 'lbfgs: L2 penalty wd·‖θ‖²/2; adam: decoupled weight decay' },
    init: { type: 'string', enum: ['torch', 'normal'], default: 'torch', description: "initialisation: nn.Linear's U(±1/√d) or N(0, 1/d)" },
    tol: { type: 'number', default: LOSS_TOL, minimum: 0, maximum: 1, description: 'lbfgs: stop a restart when its last 5 iterations lowered the objective by at most tol·f (0: run all epochs)' },
    solver: { type: 'string', enum: ['auto', 'primal', 'gram'], default: 'auto', description: "lbfgs: optimise θ in R^d ('primal'), in the span of the 2n training rows ('gram'), or whichever a cost model says is cheaper" },
  },
  fit(data, o, rng) {
    const fit = ccsFit(data, {
      loss: o.loss as CcsLoss, restarts: o.restarts as number, optimizer: o.optimizer as 'lbfgs' | 'adam', epochs: o.epochs as number,
      lr: o.lr as number, weightDecay: o.weight_decay as number, init: o.init as 'torch' | 'normal', tol: o.tol as number, solver: o.solver as CcsOptions['solver'],
    }, rng);
    const s = norm(fit.theta) || 1;
    return {
      kind: 'linear', direction: Array.from(fit.theta, (t) => t / s), scale: s, bias_pos: fit.bias, bias_neg: fit.bias,
      restarts: fit.restarts, extra: { loss: fit.loss, solver: fit.solver, evaluations: fit.evaluations },
    };
  },
};
