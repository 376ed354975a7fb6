/**
 * Small dense helpers in plain JS with float64 accumulation (vector algebra, one-off passes).
 * The passes that dominate fitting run in the SIMD kernels instead (simd.ts, workspace.ts).
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
