/**
 * exposeLayers / `sonde models expose-layers` on toy 2-block residual Transformers built in
 * the test (GPT-2-style LayerNorm with exporter names, Llama-style decomposed RMSNorm, and a
 * GPT-NeoX-style parallel residual). ONNX Runtime runs the model before and after: the new
 * outputs are fetchable and equal the same tensors declared as outputs at build time, the
 * old outputs do not change, unknown fields and external data survive.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { main as exposeCli } from '../../cli/commands/expose-layers.ts';
import { ExposeLayersInputError, exposeLayers } from '../../lib/models/expose-layers.ts';
import { floatTensor, makeModel, makeNode, valueInfo } from '../../lib/models/onnx/build.ts';
import { decodeModel, encodeModel } from '../../lib/models/onnx/codec.ts';
import { DataType } from '../../lib/models/onnx/types.ts';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../../lib/models/onnx/types.ts';

const W = 4;
type Style = 'gpt2' | 'llama' | 'parallel';

function seeded(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
}

/** A toy pre-norm Transformer with exporter-style names; `extraOutputs` declares tensors as outputs. */
function toyModel(style: Style, extraOutputs: string[] = []): ModelProto {
  const rand = seeded(style.length * 7 + 1);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const weight = (name: string, dims: number[]) => {
    inits.push(floatTensor(name, dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, rand)));
    return name;
  };
  const op = (type: string, inputs: string[], out: string, attrs = {}) => {
    nodes.push(makeNode(type, inputs, [out], attrs, out.replace(/_output_0$/, '')));
    return out;
  };
  const norm = (x: string, scope: string) => {
    if (style !== 'llama') return op('LayerNormalization', [x, weight(`${scope}.weight`, [W]), weight(`${scope}.bias`, [W])], `${scope}/LayerNormalization_output_0`, { axis: -1, epsilon: 1e-5 });
    // Decomposed RMSNorm as torch.onnx exports Llama's: x · rsqrt(mean(x²) + ε) · γ.
    const sq = op('Pow', [x, weight(`${scope}.two`, [])], `${scope}/Pow_output_0`);
    const mean = op('ReduceMean', [sq], `${scope}/ReduceMean_output_0`, { axes: [-1], keepdims: 1 });
    const std = op('Sqrt', [op('Add', [mean, weight(`${scope}.eps`, [])], `${scope}/Add_output_0`)], `${scope}/Sqrt_output_0`);
    return op('Mul', [op('Div', [x, std], `${scope}/Div_output_0`), weight(`${scope}.weight`, [W])], `${scope}/Mul_1_output_0`);
  };
  const prefix = style === 'llama' ? '/model/layers' : '/transformer/h';
  let x = style === 'gpt2' ? op('Add', ['x', weight('wpe', [W])], '/transformer/Add_output_0') : op('Identity', ['x'], '/model/embed_output_0');
  for (let k = 0; k < 2; k++) {
    const s = `${prefix}.${k}`;
    const attn = (inp: string) => op('MatMul', [op('Softmax', [op('MatMul', [inp, weight(`${s}.q`, [W, W])], `${s}/attn/MatMul_output_0`)], `${s}/attn/Softmax_output_0`, { axis: -1 }), weight(`${s}.v`, [W, W])], `${s}/attn/MatMul_1_output_0`);
    const mlp = (inp: string) => op('MatMul', [op('Relu', [op('MatMul', [inp, weight(`${s}.fc`, [W, 2 * W])], `${s}/mlp/MatMul_output_0`)], `${s}/mlp/Relu_output_0`), weight(`${s}.proj`, [2 * W, W])], `${s}/mlp/MatMul_1_output_0`);
    if (style === 'parallel') {
      const ln1 = norm(x, `${s}/input_layernorm`);
      const ln2 = norm(x, `${s}/post_attention_layernorm`);
      x = op('Add', [op('Add', [mlp(ln2), attn(ln1)], `${s}/Add_output_0`), x], `${s}/Add_1_output_0`);
    } else {
      const h = op('Add', [x, attn(norm(x, `${s}/ln_1`))], `${s}/Add_output_0`);
      x = op('Add', [h, mlp(norm(h, `${s}/ln_2`))], `${s}/Add_1_output_0`);
    }
  }
  op('MatMul', [norm(x, '/final_norm'), weight('lm_head', [W, 3])], 'logits');
  const graph: GraphProto = {
    name: 'toy',
    node: nodes,
    initializer: inits,
    input: [valueInfo('x', DataType.FLOAT, ['n', W])],
    output: [valueInfo('logits', DataType.FLOAT, ['n', 3]), ...extraOutputs.map((o) => valueInfo(o, DataType.FLOAT))],
  };
  return makeModel(graph, { opset: 17, producer: 'sonde test' });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-expose-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(model: ModelProto, name: string): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodeModel(model));
  return file;
}

const INPUT = Float32Array.from([0.3, -1.2, 0.8, 2.0, -0.5, 0.1, 1.7, -0.9]);

async function run(file: string): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(file);
  const out = await session.run({ x: new ort.Tensor('float32', INPUT, [2, W]) });
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

const BLOCKS: Record<Style, string[]> = {
  gpt2: ['/transformer/h.0/Add_1_output_0', '/transformer/h.1/Add_1_output_0'],
  llama: ['/model/layers.0/Add_1_output_0', '/model/layers.1/Add_1_output_0'],
  parallel: ['/transformer/h.0/Add_1_output_0', '/transformer/h.1/Add_1_output_0'],
};

describe('exposeLayers', () => {
  for (const style of ['gpt2', 'llama', 'parallel'] as const) {
    it(`finds the block outputs of a ${style}-style graph by structure, and ORT returns them`, async () => {
      const src = write(toyModel(style), `${style}/model.onnx`);
      const out = path.join(tmp, `${style}/exposed.onnx`);
      assert.deepEqual(exposeLayers(src, out, {}).added, BLOCKS[style]);
      const got = await run(out);
      const want = await run(write(toyModel(style, BLOCKS[style]), `${style}/declared.onnx`));
      assert.deepEqual(got.logits, (await run(src)).logits);
      for (const name of BLOCKS[style]) {
        assert.equal(got[name].length, 2 * W);
        assert.deepEqual(got[name], want[name]);
      }
    });
  }

  it('selects by pattern and by layer index, and skips outputs already exposed', () => {
    const src = write(toyModel('gpt2'), 'pattern/model.onnx');
    const out = path.join(tmp, 'pattern/exposed.onnx');
    assert.deepEqual(exposeLayers(src, out, { pattern: '/h\\.\\d+/Add_output_0$' }).added, ['/transformer/h.0/Add_output_0', '/transformer/h.1/Add_output_0']);
    assert.deepEqual(exposeLayers(src, out, { layers: [1] }).added, ['/transformer/h.1/Add_1_output_0']);
    assert.deepEqual(exposeLayers(out, out, { layers: [1] }).added, []);
    assert.throws(() => exposeLayers(src, out, { layers: [2] }), /layer 2 out of range/);
    assert.throws(() => exposeLayers(src, out, { pattern: 'nothing-like-this' }), ExposeLayersInputError);
    assert.throws(() => exposeLayers(src, out, { pattern: '(' }), ExposeLayersInputError);
    assert.throws(() => exposeLayers(path.join(tmp, 'missing.onnx'), out, {}), ExposeLayersInputError);
  });

  it('keeps unknown fields and external data (copied beside the output)', async () => {
    const model = toyModel('gpt2');
    const unknown = Uint8Array.from([0xc2, 0x3e, 3, 0x61, 0x62, 0x63]); // field 1000, bytes "abc"
    model.$unknown = [unknown];
    model.graph!.node![0].$unknown = [unknown];
    // Move every initializer into weights.bin, as exporters do for models over 2 GB.
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const init of model.graph!.initializer!) {
      const data = Buffer.from(init.raw_data!);
      init.external_data = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(data.length) }];
      init.data_location = 1;
      delete init.raw_data;
      chunks.push(data);
      offset += data.length;
    }
    const src = write(model, 'external/in/model.onnx');
    fs.writeFileSync(path.join(tmp, 'external/in/weights.bin'), Buffer.concat(chunks));
    const out = path.join(tmp, 'external/out/model.onnx');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    exposeLayers(src, out, {});
    assert.ok(fs.existsSync(path.join(tmp, 'external/out/weights.bin')));
    const back = decodeModel(fs.readFileSync(out));
    const bytes = (list?: Uint8Array[]) => list?.map((u) => Array.from(u));
    assert.deepEqual(bytes(back.$unknown), bytes([unknown]));
    assert.deepEqual(bytes(back.graph!.node![0].$unknown), bytes([unknown]));
    assert.equal(back.graph!.initializer![0].external_data![0].value, 'weights.bin');
    const got = await run(out);
    assert.deepEqual(got.logits, (await run(src)).logits);
    assert.equal(got['/transformer/h.1/Add_1_output_0'].length, 2 * W);
  });

  it('declares the element type of a float16 tensor as float16', () => {
    const model = toyModel('gpt2');
    // Cast the last block output to float16 and back: the exposed Cast output must say FLOAT16.
    const g = model.graph!;
    g.node!.push(makeNode('Cast', ['/transformer/h.1/Add_1_output_0'], ['/half/Cast_output_0'], { to: DataType.FLOAT16 }));
    g.node!.push(makeNode('Cast', ['/half/Cast_output_0'], ['/half/Cast_1_output_0'], { to: DataType.FLOAT }));
    const src = write(model, 'half/model.onnx');
    const out = path.join(tmp, 'half/exposed.onnx');
    exposeLayers(src, out, { pattern: '^/half/Cast_output_0$' });
    const added = decodeModel(fs.readFileSync(out)).graph!.output!.at(-1)!;
    assert.equal(added.type!.tensor_type!.elem_type, DataType.FLOAT16);
  });
});

describe('sonde models expose-layers', () => {
  it('exits 0 and writes the outputs; exits 2 on bad input', async () => {
    const src = write(toyModel('llama'), 'cli/model.onnx');
    const out = path.join(tmp, 'cli/exposed.onnx');
    const log = console.log;
    const error = console.error;
    const lines: string[] = [];
    console.log = console.error = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      assert.equal(await exposeCli(['--model', src, '--out', out, '--layers', '0']), 0);
      assert.equal(await exposeCli(['--model', src]), 2);
      assert.equal(await exposeCli(['--model', src, '--out', out, '--layers', 'x']), 2);
      assert.equal(await exposeCli(['--model', src, '--out', out, '--pattern', 'zzz']), 2);
    } finally {
      console.log = log;
      console.error = error;
    }
    assert.deepEqual(decodeModel(fs.readFileSync(out)).graph!.output!.map((o) => o.name), ['logits', '/model/layers.0/Add_1_output_0']);
    assert.ok(lines.some((l) => /--out is required/.test(l)));
  });
});

describe('exposeLayers on a real torch.onnx export (test/fixtures/tiny-decoder)', () => {
  const file = 'test/fixtures/tiny-decoder/model.onnx';
  it('re-encodes the PyTorch-written file byte for byte and finds both block outputs', { skip: !fs.existsSync(file) }, async () => {
    const bytes = fs.readFileSync(file);
    assert.equal(Buffer.compare(Buffer.from(encodeModel(decodeModel(bytes))), bytes), 0);
    const out = path.join(tmp, 'tiny/exposed.onnx');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // hidden_1 (already an output) is block 0's residual Add; block 1's is before the final norm.
    const { added } = exposeLayers(file, out, {});
    assert.deepEqual(added, ['/blocks.1/Add_3_output_0']);
    const session = await ort.InferenceSession.create(out);
    const ids = new BigInt64Array([1n, 5n, 9n]);
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [1, 3]) };
    if (session.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(3).fill(1n), [1, 3]);
    if (session.inputNames.includes('position_ids')) feeds.position_ids = new ort.Tensor('int64', new BigInt64Array([0n, 1n, 2n]), [1, 3]);
    const res = await session.run(feeds);
    await session.release();
    assert.equal(res['/blocks.1/Add_3_output_0'].dims.join(','), res.hidden_2.dims.join(','));
  });
});
