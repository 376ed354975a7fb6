/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors#format):
 * 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape,
 * data_offsets: [begin, end]}, "__metadata__"?: {...}}, then the raw little-endian data.
 * Malformed input throws SafetensorsError with a one-line message.
 */
import { BadInputError } from './errors.ts';
import { halfToFloat } from './npy.ts';

export class SafetensorsError extends BadInputError {}

export interface Tensor {
  dtype: string;
  shape: number[];
  /** Values widened to float64. */
  values: Float64Array;
}

const SIZES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 << 20;

function bf16(u: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, u << 16);
  return b.getFloat32(0);
}

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte offsets in the data section (after the header). */
  begin: number;
  end: number;
}

/** Bytes of the header (the 8-byte length and the JSON), or null when `buf` is too short to tell. */
export function safetensorsHeaderSize(buf: Uint8Array, what = 'safetensors file'): number | null {
  if (buf.length < 8) return null;
  const n = Number(new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true));
  if (n <= 0 || n > MAX_HEADER) throw new SafetensorsError(`${what}: bad header length ${n}`);
  return 8 + n;
}

/**
 * The header alone: every tensor's dtype, shape and data offsets (checked against each
 * other), and the total file size they imply, so a reader can refuse a file before its data.
 */
export function readSafetensorsHeader(buf: Uint8Array, what = 'safetensors file'): { tensors: Map<string, TensorInfo>; dataStart: number; totalBytes: number } {
  const size = safetensorsHeaderSize(buf, what);
  if (size === null) throw new SafetensorsError(`${what}: too short to be safetensors`);
  if (size > buf.length) throw new SafetensorsError(`${what}: bad header length ${size - 8}`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, size)));
  } catch {
    throw new SafetensorsError(`${what}: header is not valid JSON`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError(`${what}: header must be a JSON object`);
  const tensors = new Map<string, TensorInfo>();
  let end = 0;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!t || typeof t !== 'object') throw new SafetensorsError(`${what}: tensor "${name}" has no description`);
    const itemSize = SIZES[t.dtype];
    if (!itemSize) throw new SafetensorsError(`${what}: tensor "${name}" has unsupported dtype ${String(t.dtype)}`);
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new SafetensorsError(`${what}: tensor "${name}" has a bad shape`);
    const [begin, stop] = Array.isArray(t.data_offsets) ? t.data_offsets : [NaN, NaN];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(stop) || begin < 0 || stop - begin !== count * itemSize) {
      throw new SafetensorsError(`${what}: tensor "${name}" data offsets do not match its shape and dtype`);
    }
    tensors.set(name, { dtype: t.dtype, shape: t.shape, begin, end: stop });
    end = Math.max(end, stop);
  }
  return { tensors, dataStart: size, totalBytes: size + end };
}

export function parseSafetensors(buf: Uint8Array, what = 'safetensors file'): Map<string, Tensor> {
  if (buf.length < 8) throw new SafetensorsError(`${what}: too short to be safetensors`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n <= 0 || n > MAX_HEADER || 8 + n > buf.length) throw new SafetensorsError(`${what}: bad header length ${n}`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch {
    throw new SafetensorsError(`${what}: header is not valid JSON`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError(`${what}: header must be a JSON object`);
  const data = 8 + n;
  const out = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!t || typeof t !== 'object') throw new SafetensorsError(`${what}: tensor "${name}" has no description`);
    const size = SIZES[t.dtype];
    if (!size) throw new SafetensorsError(`${what}: tensor "${name}" has unsupported dtype ${String(t.dtype)}`);
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new SafetensorsError(`${what}: tensor "${name}" has a bad shape`);
    const [begin, end] = Array.isArray(t.data_offsets) ? t.data_offsets : [NaN, NaN];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end - begin !== count * size || data + end > buf.length) {
      throw new SafetensorsError(`${what}: tensor "${name}" data offsets do not match its shape and dtype`);
    }
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const p = data + begin + i * size;
      switch (t.dtype) {
        case 'F64': values[i] = dv.getFloat64(p, true); break;
        case 'F32': values[i] = dv.getFloat32(p, true); break;
        case 'F16': values[i] = halfToFloat(dv.getUint16(p, true)); break;
        case 'BF16': values[i] = bf16(dv.getUint16(p, true)); break;
        case 'I64': values[i] = Number(dv.getBigInt64(p, true)); break;
        case 'I32': values[i] = dv.getInt32(p, true); break;
        case 'I16': values[i] = dv.getInt16(p, true); break;
        case 'I8': values[i] = dv.getInt8(p); break;
        case 'U8': case 'BOOL': values[i] = dv.getUint8(p); break;
      }
    }
    out.set(name, { dtype: t.dtype, shape: t.shape, values });
  }
  return out;
}

export function encodeSafetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // align data to 8 bytes
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
