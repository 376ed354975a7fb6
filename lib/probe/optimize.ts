/**
 * Optimisers for several independent problems at once (CCS restarts): every round evaluates
 * all pending points in one batched call, so one pass over the data serves every restart.
 * - L-BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 7.4 two-loop recursion,
 *   Alg. 3.1 backtracking with the Armijo condition eq. 3.4 and quadratic interpolation §3.5).
 * - AdamW (Loshchilov & Hutter 2019, Alg. 2; PyTorch's defaults β = (0.9, 0.999), ε = 1e-8,
 *   decay applied to every parameter as torch.optim.AdamW does).
 */

/** f and ∇f for each listed problem at xs[j]; grads[j] is filled in place. */
export type BatchObjective = (xs: Float64Array[], which: number[], grads: Float64Array[]) => Float64Array;

export interface LbfgsOptions {
  maxIter: number;
  history?: number;
  /** Stop when the gradient's norm (`gradNorm`, default max |∂f/∂x_k|) is at most this. */
  gradTol?: number;
  /** Stop when one accepted step changes f by at most changeTol·max(1, |f|). */
  changeTol?: number;
  /**
   * The stopping rule on the loss: stop when the last `lossWindow` (5) accepted steps
   * together lowered f by at most lossTol·|f| (0 disables it).
   */
  lossTol?: number;
  lossWindow?: number;
  maxEvals?: number;
  /**
   * Inner product of problem j's vectors (default Euclidean). A problem solved in other
   * coordinates (CCS in the span of the training rows) supplies the metric that makes the
   * iterates those of the Euclidean problem.
   */
  dot?: (j: number, a: Float64Array, b: Float64Array) => number;
  gradNorm?: (j: number, g: Float64Array) => number;
  /** First step length (default min(1, 1/‖g‖₁), as torch.optim.LBFGS). */
  firstStep?: (j: number, g: Float64Array) => number;
}
export interface OptimResult { x: Float64Array[]; f: number[]; iterations: number[]; evaluations: number }

const dotp = (a: Float64Array, b: Float64Array) => {
  let s0 = 0, s1 = 0;
  const n = a.length;
  let k = 0;
  for (; k + 1 < n; k += 2) { s0 += a[k] * b[k]; s1 += a[k + 1] * b[k + 1]; }
  if (k < n) s0 += a[k] * b[k];
  return s0 + s1;
};

/** q += c·x, returning z·q (the updated q) from the same sweep. */
function axpyDot(q: Float64Array, c: number, x: Float64Array, z: Float64Array, len: number): number {
  let s0 = 0, s1 = 0;
  let k = 0;
  for (; k + 1 < len; k += 2) {
    const v0 = q[k] + c * x[k], v1 = q[k + 1] + c * x[k + 1];
    q[k] = v0; q[k + 1] = v1;
    s0 += z[k] * v0; s1 += z[k + 1] * v1;
  }
  if (k < len) { const v = q[k] + c * x[k]; q[k] = v; s0 += z[k] * v; }
  return s0 + s1;
}

interface LbfgsState {
  j: number;
  x: Float64Array; f: number; g: Float64Array; fs: number[];
  s: Float64Array[]; y: Float64Array[]; rho: number[]; spareS: Float64Array | null; spareY: Float64Array | null;
  p: Float64Array; trial: Float64Array; trialG: Float64Array; alpha: number; gp: number;
  iter: number; done: boolean;
}

type Dot = (j: number, a: Float64Array, b: Float64Array) => number;

/** Two-loop recursion: p = −H∇f (Nocedal & Wright, Alg. 7.4). */
function direction(st: LbfgsState, dot: Dot | null): void {
  const q = st.p;
  q.set(st.g);
  const m = st.s.length;
  const a = new Float64Array(m);
  // Initial Hessian scaling γ = sᵀy / yᵀy (eq. 7.20).
  let gamma = 1;
  if (dot) {
    const dotp = (u: Float64Array, v: Float64Array) => dot(st.j, u, v);
    for (let i = m - 1; i >= 0; i--) {
      a[i] = st.rho[i] * dotp(st.s[i], q);
      const y = st.y[i];
      for (let k = 0; k < q.length; k++) q[k] -= a[i] * y[k];
    }
    if (m) gamma = 1 / (st.rho[m - 1] * dotp(st.y[m - 1], st.y[m - 1]));
    for (let k = 0; k < q.length; k++) q[k] *= gamma;
    for (let i = 0; i < m; i++) {
      const b = st.rho[i] * dotp(st.y[i], q);
      const s = st.s[i];
      for (let k = 0; k < q.length; k++) q[k] += (a[i] - b) * s[k];
    }
  } else {
    // Euclidean: each update of q is fused with the next inner product, one sweep per pair;
    // two partial sums break the floating-point add chain (latency, not throughput, bound).
    const len = q.length;
    if (m) {
      let next = dotp(st.s[m - 1], q);
      for (let i = m - 1; i >= 0; i--) {
        const ai = (a[i] = st.rho[i] * next);
        const y = st.y[i];
        if (i > 0) next = axpyDot(q, -ai, y, st.s[i - 1], len);
        else for (let k = 0; k < len; k++) q[k] -= ai * y[k];
      }
      const yl = st.y[m - 1];
      gamma = 1 / (st.rho[m - 1] * dotp(yl, yl));
      for (let k = 0; k < len; k++) q[k] *= gamma;
      let bnext = dotp(st.y[0], q);
      for (let i = 0; i < m; i++) {
        const c = a[i] - st.rho[i] * bnext;
        const s = st.s[i];
        if (i + 1 < m) bnext = axpyDot(q, c, s, st.y[i + 1], len);
        else for (let k = 0; k < len; k++) q[k] += c * s[k];
      }
    }
  }
  for (let k = 0; k < q.length; k++) q[k] = -q[k];
  st.gp = dot ? dot(st.j, st.g, q) : dotp(st.g, q);
  if (!(st.gp < 0)) {
    // Not a descent direction (round-off): fall back to steepest descent.
    for (let k = 0; k < q.length; k++) st.p[k] = -st.g[k];
    st.gp = -(dot ? dot(st.j, st.g, st.g) : dotp(st.g, st.g));
  }
}

function setTrial(st: LbfgsState): void {
  for (let k = 0; k < st.x.length; k++) st.trial[k] = st.x[k] + st.alpha * st.p[k];
}

export function lbfgsBatch(objective: BatchObjective, x0: Float64Array[], opts: LbfgsOptions): OptimResult {
  const R = x0.length;
  const hist = opts.history ?? 10;
  const gradTol = opts.gradTol ?? 1e-9;
  const changeTol = opts.changeTol ?? 1e-12;
  const maxEvals = opts.maxEvals ?? opts.maxIter * 3;
  const lossTol = opts.lossTol ?? 0;
  const window = opts.lossWindow ?? 5;
  const metric = opts.dot ?? null;
  const dot: Dot = metric ?? ((_j, a, b) => dotp(a, b));
  const gradNorm = opts.gradNorm ?? ((_j: number, g: Float64Array) => maxAbs(g));
  const firstStep = opts.firstStep ?? ((_j: number, g: Float64Array) => {
    // As torch.optim.LBFGS: min(1, 1/‖g‖₁), since the Hessian scale is unknown.
    let l1 = 0;
    for (let k = 0; k < g.length; k++) l1 += Math.abs(g[k]);
    return Math.min(1, 1 / Math.max(l1, 1e-300));
  });
  const all = Array.from({ length: R }, (_, j) => j);
  const g0 = x0.map((x) => new Float64Array(x.length));
  const f0 = objective(x0, all, g0);
  let evaluations = 1;
  const states: LbfgsState[] = x0.map((x, j) => ({
    j, x: Float64Array.from(x), f: f0[j], g: g0[j], fs: [f0[j]], s: [], y: [], rho: [], spareS: null, spareY: null,
    p: new Float64Array(x.length), trial: new Float64Array(x.length), trialG: new Float64Array(x.length),
    alpha: 1, gp: 0, iter: 0, done: false,
  }));
  for (const st of states) {
    direction(st, metric);
    st.alpha = firstStep(st.j, st.g);
    setTrial(st);
    if (gradNorm(st.j, st.g) <= gradTol) st.done = true;
  }
  while (evaluations < maxEvals) {
    const active = all.filter((j) => !states[j].done);
    if (!active.length) break;
    const fs = objective(states.map((s) => s.trial), active, states.map((s) => s.trialG));
    evaluations++;
    for (const j of active) {
      const st = states[j];
      const ft = fs[j];
      const armijo = Number.isFinite(ft) && ft <= st.f + 1e-4 * st.alpha * st.gp;
      if (!armijo) {
        // Backtrack with the minimiser of the quadratic through f(0), f'(0), f(α) (N&W §3.5).
        const q = Number.isFinite(ft) ? (-st.gp * st.alpha * st.alpha) / (2 * (ft - st.f - st.gp * st.alpha)) : 0.1 * st.alpha;
        st.alpha = Math.min(0.5 * st.alpha, Math.max(0.1 * st.alpha, q));
        if (st.alpha < 1e-20) st.done = true;
        setTrial(st);
        continue;
      }
      // The pair goes into spare arrays; the pair it evicts becomes the next spare (no garbage).
      const s = st.spareS ?? new Float64Array(st.x.length);
      const y = st.spareY ?? new Float64Array(st.x.length);
      st.spareS = st.spareY = null;
      for (let k = 0; k < s.length; k++) {
        s[k] = st.trial[k] - st.x[k];
        y[k] = st.trialG[k] - st.g[k];
      }
      const sy = dot(j, s, y);
      // Keep the pair only with positive curvature, so H stays positive definite.
      if (sy > 1e-10 * Math.sqrt(dot(j, s, s) * dot(j, y, y))) {
        st.s.push(s); st.y.push(y); st.rho.push(1 / sy);
        if (st.s.length > hist) { st.spareS = st.s.shift()!; st.spareY = st.y.shift()!; st.rho.shift(); }
      } else {
        st.spareS = s;
        st.spareY = y;
      }
      const change = Math.abs(st.f - ft);
      st.x.set(st.trial);
      st.g.set(st.trialG);
      st.f = ft;
      st.fs.push(ft);
      st.iter++;
      // Stopping rule on the loss: the last `window` steps together gained less than lossTol·|f|.
      const stalled = lossTol > 0 && st.fs.length > window && st.fs[st.fs.length - 1 - window] - ft <= lossTol * Math.abs(ft);
      if (st.iter >= opts.maxIter || stalled || gradNorm(j, st.g) <= gradTol || change <= changeTol * Math.max(1, Math.abs(ft))) {
        st.done = true;
        continue;
      }
      direction(st, metric);
      st.alpha = 1;
      setTrial(st);
    }
  }
  return { x: states.map((s) => s.x), f: states.map((s) => s.f), iterations: states.map((s) => s.iter), evaluations };
}

function maxAbs(g: Float64Array): number {
  let m = 0;
  for (let k = 0; k < g.length; k++) m = Math.max(m, Math.abs(g[k]));
  return m;
}

export interface AdamOptions { epochs: number; lr: number; weightDecay: number; beta1?: number; beta2?: number; eps?: number }

/** Full-batch AdamW for a fixed number of epochs, all problems stepped together. */
export function adamwBatch(objective: BatchObjective, x0: Float64Array[], opts: AdamOptions): OptimResult {
  const { lr, weightDecay } = opts;
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const xs = x0.map((x) => Float64Array.from(x));
  const ms = xs.map((x) => new Float64Array(x.length));
  const vs = xs.map((x) => new Float64Array(x.length));
  const gs = xs.map((x) => new Float64Array(x.length));
  const all = xs.map((_, j) => j);
  for (let t = 1; t <= opts.epochs; t++) {
    objective(xs, all, gs);
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let j = 0; j < xs.length; j++) {
      const x = xs[j], g = gs[j], m = ms[j], v = vs[j];
      for (let k = 0; k < x.length; k++) {
        x[k] *= 1 - lr * weightDecay; // decoupled decay (AdamW)
        m[k] = b1 * m[k] + (1 - b1) * g[k];
        v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
        x[k] -= (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + eps);
      }
    }
  }
  const f = Array.from(objective(xs, all, gs));
  return { x: xs, f, iterations: xs.map(() => opts.epochs), evaluations: opts.epochs + 1 };
}
