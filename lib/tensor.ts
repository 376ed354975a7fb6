/**
 * The dense matrix that flows between extraction, the activation store and the probe
 * library: row-major float32, one row per example. Kept as a plain object (not a class)
 * so it crosses process boundaries and serialises without ceremony.
 */
export interface Mat {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function mat(rows: number, cols: number, data?: Float32Array): Mat {
  const d = data ?? new Float32Array(rows * cols);
  if (d.length !== rows * cols) {
    throw new RangeError(`matrix data has ${d.length} values, expected ${rows}×${cols}`);
  }
  return { rows, cols, data: d };
}

/** A view (no copy) of row i. */
export function row(m: Mat, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** A copy holding the given rows in the given order. */
export function selectRows(m: Mat, indices: ArrayLike<number>): Mat {
  const out = new Float32Array(indices.length * m.cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (i < 0 || i >= m.rows) throw new RangeError(`row ${i} out of range 0..${m.rows - 1}`);
    out.set(row(m, i), k * m.cols);
  }
  return { rows: indices.length, cols: m.cols, data: out };
}

export function fromRows(rows: ArrayLike<number>[]): Mat {
  if (rows.length === 0) return mat(0, 0);
  const cols = rows[0].length;
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new RangeError(`row ${i} has ${r.length} values, expected ${cols}`);
    out.set(r, i * cols);
  });
  return { rows: rows.length, cols, data: out };
}
