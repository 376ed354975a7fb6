/**
 * Top eigenvector of a symmetric operator given only as v ↦ A v, so a d×d covariance is
 * never formed: Lanczos with full reorthogonalisation (Golub & Van Loan, Matrix
 * Computations, 4th ed., Alg. 10.1.1), restarted from the Ritz vector until the residual
 * ‖Av − λv‖ is small. Each step costs one pass over the data.
 */
import type { Rng } from './random.ts';
import { dot, norm, unit } from './kernels.ts';

export type SymOperator = (v: Float64Array, out: Float64Array) => void;

/** Eigen-decomposition of a small dense symmetric matrix by cyclic Jacobi rotations. */
export function jacobiEigen(a: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p * m + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * m + q] - A[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p];
          const akq = A[k * m + q];
          A[k * m + p] = c * akp - s * akq;
          A[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k];
          const aqk = A[q * m + k];
          A[p * m + k] = c * apk - s * aqk;
          A[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k * m + p];
          const vkq = V[k * m + q];
          V[k * m + p] = c * vkp - s * vkq;
          V[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = A[i * m + i];
  return { values, vectors: V };
}

function tridiagonal(alpha: number[], beta: number[]): Float64Array {
  const m = alpha.length;
  const T = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    T[i * m + i] = alpha[i];
    if (i + 1 < m) T[i * m + i + 1] = T[(i + 1) * m + i] = beta[i];
  }
  return T;
}

export interface EigenResult {
  vector: Float64Array;
  value: number;
  /** Operator applications used (one data pass each). */
  matvecs: number;
}

/** Largest (algebraic) eigenpair of the operator on R^d. */
export function topEigenvector(apply: SymOperator, d: number, rng: Rng, opts: { tol?: number; steps?: number; restarts?: number; start?: ArrayLike<number> } = {}): EigenResult {
  const tol = opts.tol ?? 1e-8;
  const steps = Math.min(d, opts.steps ?? 30);
  let start = new Float64Array(d);
  for (let k = 0; k < d; k++) start[k] = rng.normal();
  // A warm start (a related operator's eigenvector), kept off-axis by the random draw.
  if (opts.start) for (let k = 0; k < d; k++) start[k] = opts.start[k] + 1e-3 * start[k] / Math.sqrt(d);
  unit(start);
  let matvecs = 0;
  let best: EigenResult = { vector: start, value: 0, matvecs: 0 };
  const w = new Float64Array(d);
  for (let restart = 0; restart < (opts.restarts ?? 20); restart++) {
    const Q: Float64Array[] = [start];
    const alpha: number[] = [];
    const beta: number[] = [];
    for (let j = 0; j < steps; j++) {
      apply(Q[j], w.fill(0));
      matvecs++;
      alpha.push(dot(w, Q[j]));
      // Full reorthogonalisation (twice is enough, Parlett): keeps Ritz values from ghosting.
      for (let pass = 0; pass < 2; pass++) {
        for (const q of Q) {
          const c = dot(w, q);
          for (let k = 0; k < d; k++) w[k] -= c * q[k];
        }
      }
      const b = norm(w);
      if (j === steps - 1 || b < 1e-12 * Math.max(1, Math.abs(alpha[0]))) break;
      beta.push(b);
      Q.push(Float64Array.from(w, (x) => x / b));
      // Early exit: the Ritz pair's residual is |β_j · (last component of its T-eigenvector)|
      // (Golub & Van Loan §10.1.4), cheap to check on the small tridiagonal T.
      if (j >= 2) {
        const { values, vectors } = jacobiEigen(tridiagonal(alpha, beta), alpha.length);
        let top = 0;
        for (let i = 1; i < values.length; i++) if (values[i] > values[top]) top = i;
        const last = alpha.length - 1;
        if (Math.abs(b * vectors[last * alpha.length + top]) <= tol * Math.abs(values[top])) {
          beta.pop();
          Q.pop();
          break;
        }
      }
    }
    const m = alpha.length;
    const { values, vectors } = jacobiEigen(tridiagonal(alpha, beta), m);
    let top = 0;
    for (let i = 1; i < m; i++) if (values[i] > values[top]) top = i;
    const ritz = new Float64Array(d);
    for (let i = 0; i < m; i++) {
      const c = vectors[i * m + top];
      for (let k = 0; k < d; k++) ritz[k] += c * Q[i][k];
    }
    unit(ritz);
    // Residual of the Ritz pair from the last Lanczos coefficient (Golub & Van Loan §10.1.4).
    const lastB = beta.length >= m ? beta[m - 1] : m < steps ? 0 : norm(w);
    const resid = Math.abs(lastB * vectors[(m - 1) * m + top]);
    best = { vector: ritz, value: values[top], matvecs };
    if (resid <= tol * Math.max(1e-300, Math.abs(values[top])) || m < steps) break;
    start = ritz;
  }
  best.matvecs = matvecs;
  return best;
}
