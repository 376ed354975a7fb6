/**
 * Protocol-buffers wire format primitives (https://protobuf.dev/programming-guides/encoding/):
 * a cursor that reads varints / fixed-width values / length-delimited slices, and a
 * chunked writer that never copies large byte fields (an ONNX model's weights can be
 * gigabytes of `raw_data`; we reference those slices instead of copying them per level).
 */
import { BadInputError } from '../../errors.ts';

export class ProtoFormatError extends BadInputError {}

export type Int64 = number | bigint;

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;

/** Narrow a bigint to a number when it is exactly representable, so common values stay plain numbers. */
export function compactInt(v: bigint): Int64 {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export class WireReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Unsigned varint as a bigint (up to 64 bits; a 10-byte varint carries a negative int64). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoFormatError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result % TWO_64;
      shift += 7n;
    }
    throw new ProtoFormatError('varint longer than 10 bytes');
  }

  /** Unsigned varint as a number; falls back to bigint arithmetic past 2^53. */
  varint(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new ProtoFormatError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    this.pos = start;
    const big = this.varintBig();
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtoFormatError('varint too large for a length or tag');
    return Number(big);
  }

  /** int64 (two's complement in a varint), as number when safe else bigint. */
  int64(): Int64 {
    const u = this.varintBig();
    return compactInt(u >= TWO_63 ? u - TWO_64 : u);
  }

  uint64(): Int64 {
    return compactInt(this.varintBig());
  }

  int32(): number {
    // int32 negatives are sign-extended to 10-byte varints; the low 32 bits carry the value.
    return Number(BigInt.asIntN(32, this.varintBig()));
  }

  sint64(): Int64 {
    const u = this.varintBig();
    return compactInt((u >> 1n) ^ -(u & 1n));
  }

  fixed32(): DataView {
    if (this.pos + 4 > this.end) throw new ProtoFormatError('truncated fixed32');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4);
    this.pos += 4;
    return v;
  }

  fixed64(): DataView {
    if (this.pos + 8 > this.end) throw new ProtoFormatError('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return v;
  }

  /** A length-delimited payload, as a view into the input (no copy). */
  bytes(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.end) throw new ProtoFormatError(`length ${len} runs past the end of the message`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Skip one value of the given wire type (used to capture unknown fields verbatim). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varintBig();
        return;
      case 1:
        this.fixed64();
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.fixed32();
        return;
      default:
        throw new ProtoFormatError(`unsupported wire type ${wireType} (groups are not used by ONNX)`);
    }
  }
}

/** Collects output as a list of chunks; large byte fields are appended by reference. */
export class WireWriter {
  readonly parts: Uint8Array[] = [];
  /** Bytes already moved to `parts`. */
  private committed = 0;
  private scratch = new Uint8Array(256);
  private used = 0;

  private ensure(n: number): void {
    if (this.used + n <= this.scratch.length) return;
    this.flush();
    if (n > this.scratch.length) this.scratch = new Uint8Array(Math.max(n, 2 * this.scratch.length));
  }

  private flush(): void {
    if (this.used === 0) return;
    this.parts.push(this.scratch.slice(0, this.used));
    this.committed += this.used;
    this.used = 0;
  }

  varint(v: number | bigint): this {
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      this.ensure(10);
      while (v >= 128) {
        this.scratch[this.used++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      this.scratch[this.used++] = v;
    } else {
      // Negative int64 / int32 values are written as their 64-bit two's complement.
      let u = BigInt.asUintN(64, BigInt(v));
      this.ensure(10);
      while (u >= 128n) {
        this.scratch[this.used++] = Number(u & 0x7fn) | 0x80;
        u >>= 7n;
      }
      this.scratch[this.used++] = Number(u);
    }
    return this;
  }

  zigzag(v: number | bigint): this {
    const b = BigInt(v);
    return this.varint((b << 1n) ^ (b >> 63n));
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  float32(v: number): this {
    this.ensure(4);
    new DataView(this.scratch.buffer).setFloat32(this.used, v, true);
    this.used += 4;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    new DataView(this.scratch.buffer).setFloat64(this.used, v, true);
    this.used += 8;
    return this;
  }

  fixed32(v: number, signed: boolean): this {
    this.ensure(4);
    const dv = new DataView(this.scratch.buffer);
    if (signed) dv.setInt32(this.used, v, true);
    else dv.setUint32(this.used, v, true);
    this.used += 4;
    return this;
  }

  fixed64(v: number | bigint, signed: boolean): this {
    this.ensure(8);
    const dv = new DataView(this.scratch.buffer);
    if (signed) dv.setBigInt64(this.used, BigInt(v), true);
    else dv.setBigUint64(this.used, BigInt(v), true);
    this.used += 8;
    return this;
  }

  /** Append bytes verbatim (by reference when large). */
  raw(bytes: Uint8Array): this {
    if (bytes.length <= 64) {
      this.ensure(bytes.length);
      this.scratch.set(bytes, this.used);
      this.used += bytes.length;
    } else {
      this.flush();
      this.parts.push(bytes);
      this.committed += bytes.length;
    }
    return this;
  }

  /** Length prefix + payload. */
  bytes(bytes: Uint8Array): this {
    return this.varint(bytes.length).raw(bytes);
  }

  /** Length prefix + the chunks of a nested writer (no copy). */
  nested(child: WireWriter): this {
    const parts = child.finishParts();
    this.varint(child.length);
    for (const p of parts) this.raw(p);
    return this;
  }

  /** Total encoded length so far. */
  get length(): number {
    return this.committed + this.used;
  }

  finishParts(): Uint8Array[] {
    this.flush();
    return this.parts;
  }

  finish(): Uint8Array {
    const parts = this.finishParts();
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}
