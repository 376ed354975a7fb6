/**
 * Raw little-endian array data (the data section of a .npy or a safetensors tensor,
 * dtype named either way) straight into what Sonde keeps: float32 activations, 0/1 labels.
 * No float64 copy of the whole array is made. Values float32 cannot hold (NaN, ±∞, and
 * float64 beyond ±3.4028235e38, which would become ∞) are refused with their position,
 * here at upload, rather than turning into NaN losses in a fit.
 */
import { BadInputError } from './errors.ts';
import { halfTable } from './npy.ts';

export class ArrayDataError extends BadInputError {}

const FLOAT32_MAX = 3.4028234663852886e38;

/** npy descr or safetensors dtype → one name. */
function kind(dtype: string): 'f2' | 'bf16' | 'f4' | 'f8' | 'i1' | 'u1' | 'i2' | 'u2' | 'i4' | 'u4' | 'i8' | 'b1' | null {
  const map: Record<string, ReturnType<typeof kind>> = {
    '<f2': 'f2', F16: 'f2', BF16: 'bf16', '<f4': 'f4', F32: 'f4', '<f8': 'f8', F64: 'f8',
    '<i1': 'i1', '|i1': 'i1', I8: 'i1', '|u1': 'u1', '<u1': 'u1', U8: 'u1', '|b1': 'b1', BOOL: 'b1',
    '<i2': 'i2', I16: 'i2', '<u2': 'u2', '<i4': 'i4', I32: 'i4', '<u4': 'u4', '<i8': 'i8', I64: 'i8',
  };
  return map[dtype] ?? null;
}

export const isFloatDtype = (dtype: string) => ['f2', 'bf16', 'f4', 'f8'].includes(kind(dtype) ?? '');

function position(i: number, cols: number): string {
  return cols > 1 ? `row ${Math.floor(i / cols)}, column ${i % cols}` : `index ${i}`;
}

/** `data` (exactly count × itemsize bytes) as float32; `cols` only names positions in messages. */
export function decodeFloat32(data: Uint8Array, dtype: string, count: number, cols: number, what: string): Float32Array {
  const k = kind(dtype);
  if (k !== 'f2' && k !== 'bf16' && k !== 'f4' && k !== 'f8') throw new ArrayDataError(`${what}: expected float activations (float16, bfloat16, float32 or float64), got ${dtype}`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(count);
  const bad = (i: number, v: number): never => {
    throw new ArrayDataError(Number.isFinite(v)
      ? `${what}: value ${v} at ${position(i, cols)} is beyond float32 range (±3.4e38); scale the activations or store them as float32`
      : `${what}: contains NaN or infinite values (first at ${position(i, cols)})`);
  };
  if (k === 'f8') {
    for (let i = 0; i < count; i++) {
      const v = dv.getFloat64(i * 8, true);
      if (!(Math.abs(v) <= FLOAT32_MAX)) bad(i, v);
      out[i] = v;
    }
    return out;
  }
  if (k === 'f4') {
    for (let i = 0; i < count; i++) {
      const v = dv.getFloat32(i * 4, true);
      if (!Number.isFinite(v)) bad(i, v);
      out[i] = v;
    }
    return out;
  }
  const table = k === 'f2' ? halfTable() : null;
  const b = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < count; i++) {
    const h = dv.getUint16(i * 2, true);
    let v: number;
    if (table) v = table[h];
    else {
      b.setUint32(0, h << 16);
      v = b.getFloat32(0);
    }
    if (!Number.isFinite(v)) bad(i, v);
    out[i] = v;
  }
  return out;
}

/** `data` as 0/1 labels (bool, any integer, or float holding 0/1). */
export function decodeLabels(data: Uint8Array, dtype: string, count: number, what: string): Int8Array {
  const k = kind(dtype);
  if (!k) throw new ArrayDataError(`${what}: unsupported dtype ${dtype}`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    let v: number;
    switch (k) {
      case 'f2': v = halfTable()[dv.getUint16(i * 2, true)]; break;
      case 'bf16': { const b = new DataView(new ArrayBuffer(4)); b.setUint32(0, dv.getUint16(i * 2, true) << 16); v = b.getFloat32(0); break; }
      case 'f4': v = dv.getFloat32(i * 4, true); break;
      case 'f8': v = dv.getFloat64(i * 8, true); break;
      case 'i1': v = dv.getInt8(i); break;
      case 'u1': case 'b1': v = dv.getUint8(i); break;
      case 'i2': v = dv.getInt16(i * 2, true); break;
      case 'u2': v = dv.getUint16(i * 2, true); break;
      case 'i4': v = dv.getInt32(i * 4, true); break;
      case 'u4': v = dv.getUint32(i * 4, true); break;
      default: v = Number(dv.getBigInt64(i * 8, true));
    }
    // −1: a row whose label is not known (a partly labelled set, docs/without-labels.md).
    if (v !== 0 && v !== 1 && v !== -1) throw new ArrayDataError(`${what}: label at index ${i} is ${v}; labels must be 0/1 or boolean, or −1 for unknown`);
    out[i] = v;
  }
  return out;
}
