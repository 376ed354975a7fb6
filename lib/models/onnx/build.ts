/**
 * Small constructors for ONNX messages, in the spirit of onnx.helper (make_node,
 * make_tensor, make_tensor_value_info, make_model), for graphs Sonde builds itself:
 * the use-lite importer and test fixtures.
 */
import { AttributeType, DataType } from './types.ts';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './types.ts';

export type AttrValue = number | string | number[] | TensorProto;

/** Attribute with the type ONNX expects: integers as INT(S) unless `floatAttrs` names them. */
function makeAttribute(name: string, value: AttrValue, asFloat: boolean): AttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return asFloat || !Number.isInteger(value)
      ? { name, type: AttributeType.FLOAT, f: value }
      : { name, type: AttributeType.INT, i: value };
  }
  if (Array.isArray(value)) {
    return asFloat || value.some((v) => !Number.isInteger(v))
      ? { name, type: AttributeType.FLOATS, floats: value }
      : { name, type: AttributeType.INTS, ints: value };
  }
  return { name, type: AttributeType.TENSOR, t: value };
}

/** Attributes whose values are floats even when they look like integers (e.g. epsilon: 1). */
const FLOAT_ATTRIBUTES = new Set(['epsilon', 'alpha', 'beta', 'gamma', 'value_float', 'value_floats']);

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  name?: string,
): NodeProto {
  const node: NodeProto = { input: inputs, output: outputs, name: name ?? outputs[0], op_type: opType };
  const attribute = Object.entries(attrs).map(([k, v]) => makeAttribute(k, v, FLOAT_ATTRIBUTES.has(k)));
  if (attribute.length) node.attribute = attribute;
  return node;
}

function rawBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Initializer holding float32 data as little-endian raw_data (the layout ONNX Runtime reads fastest). */
export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`tensor ${name}: ${data.length} values for dims [${dims}]`);
  return { dims, data_type: DataType.FLOAT, name, raw_data: rawBytes(data) };
}

export function int64Tensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`tensor ${name}: ${data.length} values for dims [${dims}]`);
  return { dims, data_type: DataType.INT64, name, raw_data: rawBytes(BigInt64Array.from(Array.from(data), BigInt)) };
}

/** A graph input/output declaration; dims are numbers, symbolic names, or null (unknown). */
export function valueInfo(name: string, elemType: number, dims?: (number | string | null)[]): ValueInfoProto {
  const tensorType: NonNullable<ValueInfoProto['type']>['tensor_type'] = { elem_type: elemType };
  if (dims) {
    tensorType.shape = {
      dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})),
    };
  }
  return { name, type: { tensor_type: tensorType } };
}

export function makeModel(graph: GraphProto, opts: { opset: number; producer: string; docString?: string }): ModelProto {
  return {
    // IR version 8 is what ONNX 1.12+ writes for opset 17 models.
    ir_version: 8,
    opset_import: [{ domain: '', version: opts.opset }],
    producer_name: opts.producer,
    graph,
    ...(opts.docString ? { doc_string: opts.docString } : {}),
  };
}
