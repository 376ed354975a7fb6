/**
 * The ONNX codec against files written by the reference implementation (protobuf via
 * python3-onnx, test/fixtures/use-lite/onnx/make-onnx-fixtures.py): decoded values match
 * what onnx reads, re-encoding is byte-identical (unknown fields included), and ONNX Runtime
 * runs the re-encoded bytes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ProtoFormatError, decodeModel, encodeModel } from '../../lib/models/onnx/codec.ts';
import { floatTensor, makeModel, makeNode, valueInfo } from '../../lib/models/onnx/build.ts';
import { DataType } from '../../lib/models/onnx/types.ts';
import type { ModelProto } from '../../lib/models/onnx/types.ts';

const DIR = 'test/fixtures/use-lite/onnx';
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function runModel(bytesOrPath: Uint8Array | string, x: number[]): Promise<Record<string, number[]>> {
  const session = typeof bytesOrPath === 'string' ? await ort.InferenceSession.create(bytesOrPath) : await ort.InferenceSession.create(bytesOrPath);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 2]) });
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as ArrayLike<number | bigint>, Number)]));
}

describe('onnx codec on a model written by the reference implementation', () => {
  const bytes = new Uint8Array(fs.readFileSync(path.join(DIR, 'reference.onnx')));
  const model = decodeModel(bytes);

  it('decodes the same values as onnx/protobuf', () => {
    const g = model.graph!;
    assert.equal(model.ir_version, expected.ir_version);
    assert.equal(model.producer_name, expected.producer_name);
    assert.deepEqual(model.opset_import!.map((o) => [o.domain ?? '', o.version]), expected.opset);
    assert.deepEqual(Object.fromEntries(model.metadata_props!.map((p) => [p.key, p.value])), expected.metadata);
    assert.deepEqual(g.node!.map((n) => n.op_type), expected.op_types);
    assert.deepEqual(g.node!.map((n) => n.name), expected.node_names);
    assert.deepEqual(g.initializer!.map((i) => i.name), expected.initializers);
    assert.deepEqual(g.initializer![2].int64_data!.map(String), expected.big_int64_data);
    assert.equal(typeof g.initializer![2].int64_data![0], 'bigint'); // INT64_MAX is not a safe number
    assert.deepEqual(g.initializer![1].float_data, expected.b_float_data);
    assert.equal(hex(g.initializer![0].raw_data!), expected.w_raw_data_hex);
    assert.equal(Math.fround(g.node![7].attribute![0].f!), Math.fround(expected.leaky_alpha));
    const ifNode = g.node![5];
    assert.equal(ifNode.attribute!.find((a) => a.name === 'then_branch')!.g!.node![0].op_type, expected.then_op);
    assert.deepEqual(g.input![0].type!.tensor_type!.shape!.dim!.map((d) => d.dim_value), expected.x_shape);
  });

  it('keeps fields the schema does not know, at top level and inside a node', () => {
    assert.deepEqual(model.$unknown!.map(hex), [expected.model_unknown_hex]);
    assert.deepEqual(model.graph!.node![0].$unknown!.map(hex), [expected.node_unknown_hex]);
    assert.equal(model.graph!.node![1].$unknown, undefined);
  });

  it('re-encodes byte for byte when nothing is edited', () => {
    assert.equal(hex(encodeModel(model)), hex(bytes));
  });

  it('keeps unknown fields through an edit, and ONNX Runtime runs the result', async () => {
    const edited = decodeModel(bytes);
    edited.graph!.output!.push(valueInfo('y', DataType.FLOAT));
    const out = encodeModel(edited);
    const again = decodeModel(out);
    assert.deepEqual(again.$unknown!.map(hex), [expected.model_unknown_hex]);
    assert.deepEqual(again.graph!.node![0].$unknown!.map(hex), [expected.node_unknown_hex]);
    const before = await runModel(bytes, [1, 2]);
    const after = await runModel(out, [1, 2]);
    assert.deepEqual(after.out, before.out);
    // y = x·w + b = [1·1.5 + 2·0.25 + 0.5, 1·(−2) + 2·4 − 0.5]
    assert.deepEqual(after.y, [2.5, 5.5]);
  });

  it('keeps external-data references and re-encodes them byte for byte', async () => {
    const file = path.join(DIR, 'external', 'model.onnx');
    const ext = new Uint8Array(fs.readFileSync(file));
    const m = decodeModel(ext);
    const got = m.graph!.initializer!.map((i) => ({
      name: i.name,
      data_location: i.data_location ?? 0,
      external_data: Object.fromEntries((i.external_data ?? []).map((e) => [e.key, e.value])),
    }));
    assert.deepEqual(got, expected.external);
    assert.equal(hex(encodeModel(m)), hex(ext));
    const out = await runModel(file, [1, 2]);
    assert.deepEqual(out.out, (await runModel(bytes, [1, 2])).out);
  });
});

describe('onnx codec edge cases', () => {
  it('round-trips int64 extremes, negative int32 attributes and empty strings', () => {
    const model: ModelProto = makeModel(
      {
        name: 'g',
        node: [makeNode('Flatten', ['x'], ['y'], { axis: -1 })],
        initializer: [{ name: 'i', data_type: DataType.INT64, dims: [3], int64_data: [-(2n ** 63n), 2n ** 63n - 1n, -5] }],
        input: [valueInfo('x', DataType.FLOAT, ['n', 3])],
        output: [valueInfo('y', DataType.FLOAT)],
        doc_string: '',
      },
      { opset: 17, producer: 'test' },
    );
    const back = decodeModel(encodeModel(model));
    assert.deepEqual(back.graph!.initializer![0].int64_data, [-(2n ** 63n), 2n ** 63n - 1n, -5]);
    assert.equal(back.graph!.node![0].attribute![0].i, -1);
    assert.equal(back.graph!.doc_string, '');
    assert.equal(hex(encodeModel(back)), hex(encodeModel(model)));
  });

  it('accepts unpacked encodings of packed fields (protobuf requires both)', () => {
    // TensorProto.float_data (field 4, packed) written unpacked: tag 0x25 + fixed32, twice.
    const f = new Float32Array([1.5, -3]);
    const le = new Uint8Array(f.buffer);
    const tensor = Uint8Array.from([0x25, ...le.subarray(0, 4), 0x25, ...le.subarray(4, 8)]);
    // GraphProto.initializer is field 5; ModelProto.graph is field 7.
    const graph = Uint8Array.from([0x2a, tensor.length, ...tensor]);
    const bytes = Uint8Array.from([0x3a, graph.length, ...graph]);
    assert.deepEqual(decodeModel(bytes).graph!.initializer![0].float_data, [1.5, -3]);
  });

  it('keeps a string field holding invalid UTF-8 byte for byte', () => {
    // ModelProto.producer_name (field 2) = bytes ff fe, then ir_version (field 1) = 8.
    const bytes = Uint8Array.from([0x12, 2, 0xff, 0xfe, 0x08, 8]);
    const m = decodeModel(bytes);
    assert.equal(m.producer_name, undefined);
    assert.equal(m.ir_version, 8);
    assert.deepEqual(Array.from(decodeModel(encodeModel(m)).$unknown![0]), [0x12, 2, 0xff, 0xfe]);
  });

  it('rejects truncated input with a ProtoFormatError', () => {
    const good = encodeModel(makeModel({ name: 'g', initializer: [floatTensor('w', [4], new Float32Array(4))] }, { opset: 17, producer: 't' }));
    assert.throws(() => decodeModel(good.subarray(0, good.length - 3)), ProtoFormatError);
  });
});
