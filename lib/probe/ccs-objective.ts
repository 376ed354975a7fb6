/**
 * The CCS objective (Burns et al. 2022): probe p(x) = σ(θᵀx + b) (eq. 1 context);
 * loss = mean[(p(x⁺) − (1 − p(x⁻)))²] + mean[min(p(x⁺), p(x⁻))²] (eqs. 1–2), or with
 * Farquhar et al. 2023's symmetric confidence term min(p⁺, p⁻, 1 − p⁺, 1 − p⁻)². Batched over
 * restarts: their parameters are the rows of an R × d matrix Θ, so one evaluation is two GEMMs
 * over the stacked sides X = [x̃⁺; x̃⁻] (forward XΘᵀ, backward Xᵀ C), each reading X once for
 * every restart.
 */
import { sigmoid } from './kernels.ts';
import type { BatchObjective } from './optimize.ts';
import type { Block, Workspace } from './workspace.ts';

export type CcsLoss = 'burns' | 'symmetric';

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
export function lossAndCoefficients(f32: Float32Array, U: number, n: number, R: number, bias: Float64Array, loss: CcsLoss, coef: { at: number; ld: number } | null, fl: Float64Array, gb: Float64Array, sides?: { pPos: Float64Array; pNeg: Float64Array }[]): void {
  const pg = new Float64Array(2);
  const u = U >>> 2;
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
      const at = (Th.off >>> 2) + t * Th.ld;
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
      lossAndCoefficients(ws.f32, U, n, r, bias, loss, { at: C!.off >>> 2, ld: C!.ld }, fl, gb);
      // Backward GEMM: G = Xᵀ C, the gradients of every restart from one read of Xᵀ.
      ws.rowdots(XT, C!, r, G, r);
      const f = ws.f32;
      const g = G >>> 2;
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
