/**
 * TypeScript views of the ONNX messages Sonde reads or builds (field names as in onnx.proto).
 * Only the fields we touch are typed; everything else, including fields a newer ONNX added,
 * rides along untouched in the decoded object (`$unknown` holds bytes the schema lacks).
 */
import type { Int64 } from './wire.ts';

export type { Int64 };

/** TensorProto.DataType (onnx.proto). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

/** AttributeProto.AttributeType (onnx.proto). */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

interface Extensible {
  [field: string]: unknown;
  $unknown?: Uint8Array[];
}

export interface StringStringEntryProto extends Extensible {
  key?: string;
  value?: string;
}

export interface TensorProto extends Extensible {
  dims?: Int64[];
  data_type?: number;
  name?: string;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Int64[];
  external_data?: StringStringEntryProto[];
  /** 0 DEFAULT, 1 EXTERNAL (TensorProto.DataLocation). */
  data_location?: number;
}

export interface AttributeProto extends Extensible {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  graphs?: GraphProto[];
}

export interface NodeProto extends Extensible {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeProto[];
}

export interface TensorShapeDimension extends Extensible {
  dim_value?: Int64;
  dim_param?: string;
}

export interface TypeProto extends Extensible {
  tensor_type?: Extensible & {
    elem_type?: number;
    shape?: Extensible & { dim?: TensorShapeDimension[] };
  };
}

export interface ValueInfoProto extends Extensible {
  name?: string;
  type?: TypeProto;
  doc_string?: string;
}

export interface GraphProto extends Extensible {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  doc_string?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
}

export interface OperatorSetIdProto extends Extensible {
  domain?: string;
  version?: Int64;
}

export interface ModelProto extends Extensible {
  ir_version?: Int64;
  opset_import?: OperatorSetIdProto[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props?: StringStringEntryProto[];
}
