/**
 * Dense loops over row-major float32 activations with float64 accumulation. Plain JS runs
 * at ~1.5 GFLOP/s here, so the loops are shaped for the cache: each row is read once per
 * pass and multiplied against up to four vectors at a time (restarts, Lanczos blocks).
 */
import type { Mat } from '../tensor.ts';

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** out[i] = X_i · v for every row. */
export function projectRows(x: Mat, v: Float64Array, out: Float64Array = new Float64Array(x.rows)): Float64Array {
  const d = x.cols;
  const data = x.data;
  for (let i = 0; i < x.rows; i++) {
    const o = i * d;
    let s0 = 0;
    let s1 = 0;
    let k = 0;
    for (; k + 1 < d; k += 2) {
      s0 += data[o + k] * v[k];
      s1 += data[o + k + 1] * v[k + 1];
    }
    if (k < d) s0 += data[o + k] * v[k];
    out[i] = s0 + s1;
  }
  return out;
}

/** out += Xᵀ c (a weighted sum of rows). */
export function addRowsT(x: Mat, c: ArrayLike<number>, out: Float64Array): Float64Array {
  const d = x.cols;
  const data = x.data;
  for (let i = 0; i < x.rows; i++) {
    const w = c[i];
    if (w === 0) continue;
    const o = i * d;
    for (let k = 0; k < d; k++) out[k] += w * data[o + k];
  }
  return out;
}

/**
 * For up to four vectors at once: outs[j][i] = X_i · vs[j]. Reading each row once for four
 * vectors quarters the memory traffic of four separate passes.
 */
export function projectRowsMany(x: Mat, vs: Float64Array[], outs: Float64Array[]): void {
  const d = x.cols;
  const data = x.data;
  let j0 = 0;
  for (; j0 + 4 <= vs.length; j0 += 4) {
    const v0 = vs[j0], v1 = vs[j0 + 1], v2 = vs[j0 + 2], v3 = vs[j0 + 3];
    for (let i = 0; i < x.rows; i++) {
      const o = i * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < d; k++) {
        const xv = data[o + k];
        s0 += xv * v0[k];
        s1 += xv * v1[k];
        s2 += xv * v2[k];
        s3 += xv * v3[k];
      }
      outs[j0][i] = s0;
      outs[j0 + 1][i] = s1;
      outs[j0 + 2][i] = s2;
      outs[j0 + 3][i] = s3;
    }
  }
  // Remainders two and one at a time, so no work is spent on padding vectors.
  for (; j0 + 2 <= vs.length; j0 += 2) {
    const v0 = vs[j0], v1 = vs[j0 + 1];
    for (let i = 0; i < x.rows; i++) {
      const o = i * d;
      let s0 = 0, s1 = 0, t0 = 0, t1 = 0;
      let k = 0;
      for (; k + 1 < d; k += 2) {
        const a = data[o + k], b = data[o + k + 1];
        s0 += a * v0[k]; t0 += b * v0[k + 1];
        s1 += a * v1[k]; t1 += b * v1[k + 1];
      }
      if (k < d) { s0 += data[o + k] * v0[k]; s1 += data[o + k] * v1[k]; }
      outs[j0][i] = s0 + t0;
      outs[j0 + 1][i] = s1 + t1;
    }
  }
  if (j0 < vs.length) projectRows(x, vs[j0], outs[j0]);
}

/** For up to four coefficient vectors: outs[j] += Xᵀ cs[j]. */
export function addRowsTMany(x: Mat, cs: ArrayLike<number>[], outs: Float64Array[]): void {
  const d = x.cols;
  const data = x.data;
  const scratch = new Float64Array(d);
  for (let j0 = 0; j0 < cs.length; j0 += 4) {
    const m = Math.min(4, cs.length - j0);
    const o0 = outs[j0];
    const o1 = m > 1 ? outs[j0 + 1] : scratch;
    const o2 = m > 2 ? outs[j0 + 2] : scratch;
    const o3 = m > 3 ? outs[j0 + 3] : scratch;
    for (let i = 0; i < x.rows; i++) {
      const o = i * d;
      const c0 = cs[j0][i];
      const c1 = m > 1 ? cs[j0 + 1][i] : 0;
      const c2 = m > 2 ? cs[j0 + 2][i] : 0;
      const c3 = m > 3 ? cs[j0 + 3][i] : 0;
      for (let k = 0; k < d; k++) {
        const xv = data[o + k];
        o0[k] += xv * c0;
        o1[k] += xv * c1;
        o2[k] += xv * c2;
        o3[k] += xv * c3;
      }
    }
  }
}

/** Row-wise difference x⁺ − x⁻ (the contrast vectors CRC, k-means, NMF and random use). */
export function differences(pos: Mat, neg: Mat): Mat {
  const out = new Float32Array(pos.data.length);
  for (let k = 0; k < out.length; k++) out[k] = pos.data[k] - neg.data[k];
  return { rows: pos.rows, cols: pos.cols, data: out };
}

/** Column means of X. */
export function columnMeans(x: Mat): Float64Array {
  const mean = new Float64Array(x.cols);
  const ones = new Float64Array(x.rows).fill(1 / Math.max(1, x.rows));
  return addRowsT(x, ones, mean);
}

export function unit(v: Float64Array): Float64Array {
  const n = norm(v);
  if (n > 0) for (let k = 0; k < v.length; k++) v[k] /= n;
  return v;
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : 0;
}

export function std(a: ArrayLike<number>): number {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - m) ** 2;
  return a.length ? Math.sqrt(s / a.length) : 0;
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * out += Xᵀ (c ⊙ (X v − shift)) in one pass: each row's dot product and its weighted add run
 * while the row is in L1 (the covariance operator of PCA/VINC and the power steps of NMF).
 */
export function gramApply(x: Mat, v: Float64Array, shift: number, weight: number, out: Float64Array, proj?: Float64Array): void {
  const d = x.cols;
  const data = x.data;
  for (let i = 0; i < x.rows; i++) {
    const o = i * d;
    let s0 = 0, s1 = 0;
    let k = 0;
    for (; k + 1 < d; k += 2) {
      s0 += data[o + k] * v[k];
      s1 += data[o + k + 1] * v[k + 1];
    }
    if (k < d) s0 += data[o + k] * v[k];
    const c = (s0 + s1 - shift) * weight;
    if (proj) proj[i] = c;
    for (k = 0; k < d; k++) out[k] += c * data[o + k];
  }
}

/**
 * The VINC operator's pass: with u = x⁺·v − a and w = x⁻·v − b per pair,
 * out += x⁺ (α u + β w) + x⁻ (α w + β u); returns the coefficient sums for the centring.
 */
export function pairGramApply(pos: Mat, neg: Mat, v: Float64Array, a: number, b: number, alpha: number, beta: number, out: Float64Array): [number, number] {
  const d = pos.cols;
  const P = pos.data;
  const N = neg.data;
  let sp = 0, sn = 0;
  for (let i = 0; i < pos.rows; i++) {
    const o = i * d;
    let u0 = 0, u1 = 0, w0 = 0, w1 = 0;
    let k = 0;
    for (; k + 1 < d; k += 2) {
      u0 += P[o + k] * v[k]; u1 += P[o + k + 1] * v[k + 1];
      w0 += N[o + k] * v[k]; w1 += N[o + k + 1] * v[k + 1];
    }
    if (k < d) { u0 += P[o + k] * v[k]; w0 += N[o + k] * v[k]; }
    const u = u0 + u1 - a;
    const w = w0 + w1 - b;
    const cp = alpha * u + beta * w;
    const cn = alpha * w + beta * u;
    sp += cp; sn += cn;
    for (k = 0; k < d; k++) out[k] += cp * P[o + k] + cn * N[o + k];
  }
  return [sp, sn];
}
