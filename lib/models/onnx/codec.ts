/**
 * ONNX ModelProto reader/writer driven by the official schema (onnx.proto, vendored beside
 * this file and loaded with protobufjs reflection).
 *
 * Why not protobufjs' generated decode/encode: they drop fields the schema does not know,
 * so re-encoding a model written by a newer ONNX would silently lose data. Here every
 * message keeps the raw bytes of its unknown fields in `$unknown` and writes them back
 * after the known ones, which is also where protobuf's C++ serializer puts them. Known
 * fields are written in field-number order like the C++ serializer, so a model produced by
 * the reference implementation re-encodes byte for byte when nothing is edited.
 *
 * Messages are plain objects keyed by the schema's snake_case field names; int64 values are
 * numbers when exactly representable, else bigint; bytes fields are views into the input.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ProtoFormatError, WireReader, WireWriter, compactInt } from './wire.ts';
import type { ModelProto } from './types.ts';

export { ProtoFormatError } from './wire.ts';

export type ProtoMessage = { [field: string]: unknown; $unknown?: Uint8Array[] };

const SCHEMA_PATH = fileURLToPath(new URL('./onnx.proto', import.meta.url));

let root: protobuf.Root | undefined;

/** The ONNX schema, parsed once. */
export function onnxSchema(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.loadSync(SCHEMA_PATH, { keepCase: true });
    root.resolveAll();
  }
  return root;
}

export function onnxType(name: string): protobuf.Type {
  return onnxSchema().lookupType(`onnx.${name}`);
}

// Fatal: a string field holding invalid UTF-8 is kept as raw bytes instead (see decodeMessage).
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED32_TYPES = new Set(['float', 'fixed32', 'sfixed32']);
const FIXED64_TYPES = new Set(['double', 'fixed64', 'sfixed64']);

function wireTypeOf(field: protobuf.Field): number {
  if (field.resolvedType instanceof protobuf.Type) return 2;
  if (field.resolvedType instanceof protobuf.Enum || VARINT_TYPES.has(field.type)) return 0;
  if (FIXED32_TYPES.has(field.type)) return 5;
  if (FIXED64_TYPES.has(field.type)) return 1;
  return 2; // string, bytes
}

function readScalar(r: WireReader, field: protobuf.Field): unknown {
  if (field.resolvedType instanceof protobuf.Enum) return r.int32();
  switch (field.type) {
    case 'int32':
      return r.int32();
    case 'uint32':
      return Number(BigInt.asUintN(32, r.varintBig()));
    case 'sint32':
      return Number(r.sint64());
    case 'int64':
      return r.int64();
    case 'uint64':
      return r.uint64();
    case 'sint64':
      return r.sint64();
    case 'bool':
      return r.varintBig() !== 0n;
    case 'float':
      return r.fixed32().getFloat32(0, true);
    case 'fixed32':
      return r.fixed32().getUint32(0, true);
    case 'sfixed32':
      return r.fixed32().getInt32(0, true);
    case 'double':
      return r.fixed64().getFloat64(0, true);
    case 'fixed64':
      return compactInt(r.fixed64().getBigUint64(0, true));
    case 'sfixed64':
      return compactInt(r.fixed64().getBigInt64(0, true));
    case 'string':
      return UTF8.decode(r.bytes());
    case 'bytes':
      return r.bytes();
    default:
      throw new ProtoFormatError(`unsupported field type ${field.type}`);
  }
}

/** Decode one message of `type` from buf[start, end). */
export function decodeMessage(type: protobuf.Type, buf: Uint8Array, start = 0, end = buf.length): ProtoMessage {
  const msg: ProtoMessage = {};
  const r = new WireReader(buf, start, end);
  while (!r.done) {
    const fieldStart = r.pos;
    const tag = r.varint();
    const id = Math.floor(tag / 8);
    const wireType = tag % 8;
    const field = type.fieldsById[id];
    const expected = field ? wireTypeOf(field) : -1;
    const packed = field?.repeated && wireType === 2 && expected !== 2;
    if (!field || (wireType !== expected && !packed)) {
      // Unknown field (or a wire type the schema does not allow): keep its exact bytes.
      r.skip(wireType);
      (msg.$unknown ??= []).push(buf.subarray(fieldStart, r.pos));
      continue;
    }
    let value: unknown;
    if (field.resolvedType instanceof protobuf.Type) {
      const payload = r.bytes();
      value = decodeMessage(field.resolvedType, payload);
    } else if (packed) {
      const payload = r.bytes();
      const inner = new WireReader(payload);
      const list = (msg[field.name] ??= []) as unknown[];
      while (!inner.done) list.push(readScalar(inner, field));
      continue;
    } else if (field.type === 'string') {
      const payloadStart = r.pos;
      try {
        value = readScalar(r, field);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        // Not UTF-8: decoding would replace bytes, so keep the field verbatim as unknown.
        r.pos = payloadStart;
        r.skip(2);
        (msg.$unknown ??= []).push(buf.subarray(fieldStart, r.pos));
        continue;
      }
    } else {
      value = readScalar(r, field);
    }
    if (field.repeated) ((msg[field.name] ??= []) as unknown[]).push(value);
    else msg[field.name] = value; // proto2/3: the last occurrence of a singular field wins
  }
  return msg;
}

function writeScalar(w: WireWriter, field: protobuf.Field, v: unknown): void {
  if (field.resolvedType instanceof protobuf.Enum) {
    w.varint(v as number);
    return;
  }
  switch (field.type) {
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      w.varint(v as number | bigint);
      return;
    case 'sint32':
    case 'sint64':
      w.zigzag(v as number | bigint);
      return;
    case 'bool':
      w.varint(v ? 1 : 0);
      return;
    case 'float':
      w.float32(v as number);
      return;
    case 'fixed32':
    case 'sfixed32':
      w.fixed32(v as number, field.type === 'sfixed32');
      return;
    case 'double':
      w.float64(v as number);
      return;
    case 'fixed64':
    case 'sfixed64':
      w.fixed64(v as number | bigint, field.type === 'sfixed64');
      return;
    case 'string':
      w.bytes(new TextEncoder().encode(v as string));
      return;
    case 'bytes':
      w.bytes(v as Uint8Array);
      return;
    default:
      throw new ProtoFormatError(`unsupported field type ${field.type}`);
  }
}

function checkValue(type: protobuf.Type, field: protobuf.Field, v: unknown): void {
  if (v === null || v === undefined) {
    throw new ProtoFormatError(`${type.name}.${field.name} holds ${v}; delete the key instead`);
  }
}

const sortedFields = new WeakMap<protobuf.Type, protobuf.Field[]>();

/** Encode into `w`: known fields in field-number order, then unknown fields verbatim. */
export function encodeMessageInto(w: WireWriter, type: protobuf.Type, msg: ProtoMessage): void {
  let fields = sortedFields.get(type);
  if (!fields) sortedFields.set(type, (fields = [...type.fieldsArray].sort((a, b) => a.id - b.id)));
  for (const field of fields) {
    const value = msg[field.name];
    if (value === undefined) continue;
    const wireType = wireTypeOf(field);
    const values = field.repeated ? (value as unknown[]) : [value];
    if (field.repeated && !Array.isArray(value)) {
      throw new ProtoFormatError(`${type.name}.${field.name} is repeated; expected an array`);
    }
    if (field.repeated && field.packed && wireType !== 2) {
      if (values.length === 0) continue;
      const inner = new WireWriter();
      for (const v of values) {
        checkValue(type, field, v);
        writeScalar(inner, field, v);
      }
      w.tag(field.id, 2).nested(inner);
      continue;
    }
    for (const v of values) {
      checkValue(type, field, v);
      w.tag(field.id, wireType);
      if (field.resolvedType instanceof protobuf.Type) {
        const inner = new WireWriter();
        encodeMessageInto(inner, field.resolvedType, v as ProtoMessage);
        w.nested(inner);
      } else {
        writeScalar(w, field, v);
      }
    }
  }
  for (const raw of msg.$unknown ?? []) w.raw(raw);
}

export function encodeMessage(type: protobuf.Type, msg: ProtoMessage): Uint8Array {
  const w = new WireWriter();
  encodeMessageInto(w, type, msg);
  return w.finish();
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return decodeMessage(onnxType('ModelProto'), bytes) as ModelProto;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return encodeMessage(onnxType('ModelProto'), model as ProtoMessage);
}
