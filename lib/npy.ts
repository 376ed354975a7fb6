/**
 * NumPy `.npy` reader and writer (format versions 1.0–3.0, little-endian, C order).
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 * Malformed input throws NpyError with a one-line message (the CLI and API turn it into
 * exit code 2 / HTTP 400).
 */
import { BadInputError } from './errors.ts';
import type { Mat } from './tensor.ts';

export class NpyError extends BadInputError {}

export type NpyDtype = '<f4' | '<f8' | '<f2' | '<i1' | '<i2' | '<i4' | '<i8' | '|u1' | '<u2' | '<u4' | '|b1' | '|i1';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Values widened to float64 (int64 included; safe below 2^53). */
  values: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const ITEM_SIZE: Record<string, number> = {
  '<f4': 4, '<f8': 8, '<f2': 2, '<i1': 1, '|i1': 1, '<i2': 2, '<i4': 4, '<i8': 8,
  '|u1': 1, '<u1': 1, '<u2': 2, '<u4': 4, '|b1': 1,
};

interface NpyLayout {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data in the buffer, and bytes per value. */
  dataStart: number;
  size: number;
}

/**
 * How many leading bytes hold the .npy header (magic, version, length, dict), or null when
 * `buf` is too short to tell yet: what a streaming reader needs before `readNpyHeader`.
 */
export function npyHeaderSize(buf: Uint8Array, what = 'npy file'): number | null {
  if (buf.length < 8) return null;
  if (MAGIC.some((b, i) => buf[i] !== b)) throw new NpyError(`${what}: not a .npy file (bad magic bytes)`);
  const major = buf[6];
  if (major === 1) return buf.length < 10 ? null : 10 + (buf[8] | (buf[9] << 8));
  if (major === 2 || major === 3) return buf.length < 12 ? null : 12 + new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(8, true);
  throw new NpyError(`${what}: unsupported .npy version ${major}`);
}

/** The header alone (dtype, shape, where the data starts): checks before any data is read. */
export function readNpyHeader(buf: Uint8Array, what = 'npy file'): { dtype: NpyDtype; shape: number[]; dataStart: number; itemSize: number; dataBytes: number } {
  const { dtype, shape, dataStart, size } = npyHeaderOnly(buf, what);
  return { dtype, shape, dataStart, itemSize: size, dataBytes: shape.reduce((a, b) => a * b, 1) * size };
}

/** Reads and checks a .npy header, including that the data length matches the shape. */
function npyLayout(buf: Uint8Array, what: string): NpyLayout {
  const layout = npyHeaderOnly(buf, what);
  const count = layout.shape.reduce((a, b) => a * b, 1);
  if (buf.length - layout.dataStart !== count * layout.size) {
    throw new NpyError(`${what}: expected ${count * layout.size} data bytes for shape (${layout.shape.join(', ')}) ${layout.dtype}, found ${buf.length - layout.dataStart}`);
  }
  return layout;
}

function npyHeaderOnly(buf: Uint8Array, what: string): NpyLayout {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw new NpyError(`${what}: not a .npy file (bad magic bytes)`);
  }
  const major = buf[6];
  let headerLen: number;
  let offset: number;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new NpyError(`${what}: truncated header`);
    headerLen = dv.getUint32(8, true);
    offset = 12;
  } else {
    throw new NpyError(`${what}: unsupported .npy version ${major}`);
  }
  if (offset + headerLen > buf.length) throw new NpyError(`${what}: truncated header`);
  const header = new TextDecoder().decode(buf.subarray(offset, offset + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(`${what}: malformed header`);
  if (fortran === 'True') throw new NpyError(`${what}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  const dtype = (descr === '<u1' ? '|u1' : descr) as NpyDtype;
  const size = ITEM_SIZE[dtype];
  if (!size) throw new NpyError(`${what}: unsupported dtype ${descr} (use float32, float64, int or bool, little-endian)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((n) => !Number.isSafeInteger(n) || n < 0)) throw new NpyError(`${what}: bad shape (${shapeText})`);
  if (!Number.isSafeInteger(shape.reduce((a, b) => a * b, size))) throw new NpyError(`${what}: shape (${shapeText}) is too large`);
  return { dtype, shape, dataStart: offset + headerLen, size };
}

export function parseNpy(buf: Uint8Array, what = 'npy file'): NpyArray {
  const { dtype, shape, dataStart, size } = npyLayout(buf, what);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const p = dataStart + i * size;
    switch (dtype) {
      case '<f4': values[i] = dv.getFloat32(p, true); break;
      case '<f8': values[i] = dv.getFloat64(p, true); break;
      case '<f2': values[i] = halfToFloat(dv.getUint16(p, true)); break;
      case '<i1': case '|i1': values[i] = dv.getInt8(p); break;
      case '<i2': values[i] = dv.getInt16(p, true); break;
      case '<i4': values[i] = dv.getInt32(p, true); break;
      case '<i8': values[i] = Number(dv.getBigInt64(p, true)); break;
      case '|u1': case '|b1': values[i] = dv.getUint8(p); break;
      case '<u2': values[i] = dv.getUint16(p, true); break;
      case '<u4': values[i] = dv.getUint32(p, true); break;
    }
  }
  return { dtype, shape, values };
}

/**
 * Rows of a stored 2-D float32 or float16 matrix straight into float32 (`rows` null: all,
 * in order), without widening the whole file to float64 as parseNpy does: the activation
 * store's read path. Other dtypes go through parseNpy.
 */
export function readMatRows(buf: Uint8Array, rows: ArrayLike<number> | null, what = 'npy file'): Mat {
  const { dtype, shape, dataStart } = npyLayout(buf, what);
  if (shape.length !== 2) throw new NpyError(`${what}: expected a 2-D array (n×d), got shape (${shape.join(', ')})`);
  const [n, d] = shape;
  const pick = rows ?? { length: n } as ArrayLike<number>;
  const m = pick.length;
  const out = new Float32Array(m * d);
  const rowAt = (k: number) => {
    const i = rows ? rows[k] : k;
    if (!(i >= 0 && i < n)) throw new RangeError(`${what}: row ${i} out of range 0..${n - 1}`);
    return i;
  };
  if (dtype === '<f4' || dtype === '<f2') {
    const width = dtype === '<f4' ? 4 : 2;
    // An aligned copy of just the data bytes, so typed-array views need no per-value DataView.
    const aligned = (buf.byteOffset + dataStart) % width === 0
      ? buf.subarray(dataStart)
      : buf.slice(dataStart);
    if (dtype === '<f4') {
      const src = new Float32Array(aligned.buffer, aligned.byteOffset, n * d);
      for (let k = 0; k < m; k++) out.set(src.subarray(rowAt(k) * d, rowAt(k) * d + d), k * d);
    } else {
      const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n * d);
      const table = halfTable();
      for (let k = 0; k < m; k++) {
        const o = rowAt(k) * d;
        for (let j = 0; j < d; j++) out[k * d + j] = table[src[o + j]];
      }
    }
    return { rows: m, cols: d, data: out };
  }
  const all = npyToMat(parseNpy(buf, what), what);
  for (let k = 0; k < m; k++) out.set(all.data.subarray(rowAt(k) * d, rowAt(k) * d + d), k * d);
  return { rows: m, cols: d, data: out };
}

let HALF_TABLE: Float32Array | null = null;

/** float16 bit pattern → float32 value, a 65,536-entry table (IEEE 754 binary16). */
export function halfTable(): Float32Array {
  if (!HALF_TABLE) {
    HALF_TABLE = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) HALF_TABLE[h] = halfToFloat(h);
  }
  return HALF_TABLE;
}

/** A 2-D float array as a float32 matrix (float16/float64 converted). */
export function npyToMat(a: NpyArray, what = 'npy file'): Mat {
  if (a.shape.length !== 2) throw new NpyError(`${what}: expected a 2-D array (n×d), got shape (${a.shape.join(', ')})`);
  if (!a.dtype.includes('f')) throw new NpyError(`${what}: expected float32 or float64 activations, got ${a.dtype}`);
  for (let i = 0; i < a.values.length; i++) {
    if (!Number.isFinite(a.values[i])) throw new NpyError(`${what}: contains NaN or infinite values`);
  }
  return { rows: a.shape[0], cols: a.shape[1], data: Float32Array.from(a.values) };
}

/**
 * A 1-D array of 0/1 (bool, int or float holding 0/1) as labels; with `unknown`, −1 marks
 * a row whose label is not known (a partly labelled set).
 */
export function npyToLabels(a: NpyArray, what = 'labels file', opts: { unknown?: boolean } = {}): Int8Array {
  if (a.shape.length !== 1) throw new NpyError(`${what}: expected a 1-D array of labels, got shape (${a.shape.join(', ')})`);
  const out = new Int8Array(a.values.length);
  for (let i = 0; i < a.values.length; i++) {
    const v = a.values[i];
    if (v !== 0 && v !== 1 && !(opts.unknown && v === -1)) {
      throw new NpyError(`${what}: label at index ${i} is ${v}; labels must be 0/1 or boolean${opts.unknown ? ', or −1 for unknown' : ''}`);
    }
    out[i] = v;
  }
  return out;
}

/** The .npy header encodeNpy writes (so a hash over header + data equals one over the encoded file). */
export function encodeNpyHeader(dtype: string, shape: number[]): Uint8Array {
  return header(dtype, shape);
}

function header(dtype: string, shape: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let text = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pad = 64 - ((10 + text.length + 1) % 64);
  text += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + text.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 10);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function encodeNpy(shape: number[], data: Float32Array | Float64Array | Int32Array | Int8Array | Uint16Array, dtype?: NpyDtype): Uint8Array {
  const d: string = dtype ?? (data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : data instanceof Uint16Array ? '<f2' : '|i1');
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return concat(header(d, shape), bytes);
}

export function encodeMat(m: Mat): Uint8Array {
  return encodeNpy([m.rows, m.cols], m.data);
}

/** IEEE 754 half → float (for float16 activation storage). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** float → IEEE 754 half, round to nearest even. */
export function floatToHalf(x: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}
