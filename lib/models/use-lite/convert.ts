/**
 * USE-lite (TF.js graph) → ONNX, rebuilt from the weights as a dense-input graph.
 *
 * The TF.js graph takes a ragged batch (sparse `indices`/`values`) and runs each block on
 * the gathered non-padded positions. Translating that node by node would keep the sparse
 * inputs, so instead we rebuild the same computation (read off model.json, see
 * docs/use-lite.md) on dense [batch, seq] inputs with an attention mask. It is a
 * tensor2tensor-style pre-norm Transformer encoder (Vaswani et al. 2017; Cer et al. 2018):
 *
 *   x   = 2·E[ids] + timing(pos)        (the graph adds the scattered embedding to the
 *                                        scattered "embedding + timing"; we keep that quirk)
 *   layer k:  h = MHA(LN(x)) + R(x)     (R = dense 256→512 in layer 0, identity in layer 1)
 *             y = FFN(LN(h)) + h        → hidden_k (…/FFN/layer_postprocess/add)
 *   s = tanh(W · masked_mean(y_1) + b);  sentence_embedding = s / ‖s‖
 *
 * Positions are counted over unmasked tokens (cumulative sum of the mask), so left and right
 * padding both reproduce the original's per-sentence positions; tokens past the original's
 * 128-token limit (ClipToMaxLength) are masked out exactly as the original drops them.
 */
import { floatTensor, int64Tensor, makeModel, makeNode, valueInfo } from '../onnx/build.ts';
import type { AttrValue } from '../onnx/build.ts';
import { DataType } from '../onnx/types.ts';
import type { ModelProto, NodeProto, TensorProto } from '../onnx/types.ts';
import { UseLiteSourceError, scalarWeight, weightBySuffix } from './weights.ts';
import type { TfjsWeight } from './weights.ts';

export const USE_LITE_MAX_TOKENS = 128;
export const USE_LITE_OUTPUTS = { layers: ['hidden_0', 'hidden_1'], sentence: 'sentence_embedding' } as const;
export const USE_LITE_HIDDEN = 512;

const STACK = 'Encode/TransformerStack';

/** Accumulates nodes and initializers; each op returns its (single) output name. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];

  op(opType: string, inputs: string[], name: string, attrs: Record<string, AttrValue> = {}): string {
    this.nodes.push(makeNode(opType, inputs, [name], attrs, name));
    return name;
  }

  ops(opType: string, inputs: string[], names: string[], attrs: Record<string, AttrValue> = {}): string[] {
    this.nodes.push(makeNode(opType, inputs, names, attrs, names[0]));
    return names;
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  scalar(name: string, value: number): string {
    return this.floats(name, [], new Float32Array([value]));
  }

  int64s(name: string, data: number[]): string {
    this.initializers.push(int64Tensor(name, [data.length], data));
    return name;
  }

  weight(weights: Map<string, TfjsWeight>, name: string, suffix: string, dims: number[]): string {
    const w = weightBySuffix(weights, suffix);
    const n = dims.reduce((a, b) => a * b, 1);
    if (!(w.data instanceof Float32Array) || w.data.length !== n) {
      throw new UseLiteSourceError(`weight ${w.name} [${w.shape}] does not fit [${dims}]`);
    }
    return this.floats(name, dims, w.data);
  }
}

interface LayerSpec {
  index: number;
  width: number;
  heads: number;
  depth: number;
  ffn: number;
  /** Layer 0 widens the residual 256 → 512 with a dense layer (AdjustResidualInput). */
  adjustResidual: boolean;
}

function layerNorm(g: GraphBuilder, w: Map<string, TfjsWeight>, x: string, scope: string, tfScope: string, width: number, eps: number): string {
  // LayerNorm with TF's formula (x-μ)·rsqrt(σ²+ε)·γ+β (Ba et al. 2016, eq. 4), as ONNX LayerNormalization.
  const scale = g.weight(w, `${scope}/ln_scale`, `${tfScope}/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [width]);
  const bias = g.weight(w, `${scope}/ln_bias`, `${tfScope}/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [width]);
  return g.op('LayerNormalization', [x, scale, bias], `${scope}/layer_norm`, { axis: -1, epsilon: eps });
}

function dense(g: GraphBuilder, w: Map<string, TfjsWeight>, x: string, scope: string, kernel: string, bias: string, dims: [number, number]): string {
  const k = g.weight(w, `${scope}/kernel`, kernel, dims);
  const b = g.weight(w, `${scope}/bias`, bias, [dims[1]]);
  return g.op('Add', [g.op('MatMul', [x, k], `${scope}/matmul`), b], `${scope}/add_bias`);
}

/** One Transformer layer; returns the residual stream after it. */
function transformerLayer(g: GraphBuilder, w: Map<string, TfjsWeight>, x: string, spec: LayerSpec, attnBias: string, eps: number): string {
  const L = `Layer_${spec.index}/TransformerLayer`;
  const s = `/layer_${spec.index}`;
  const inWidth = spec.heads * spec.depth;
  const normed = layerNorm(g, w, x, `${s}/attention`, `Encode/${L}/layer_prepostprocess`, inWidth, eps);
  // The 1×1 Conv2D projections of the original are matmuls over the last axis.
  const qkv = dense(g, w, normed, `${s}/attention/qkv`, `${L}/MultiheadAttention/qkv_transform_single/kernel/part_0`,
    `${L}/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, [inWidth, 3 * inWidth]);
  const split = g.int64s(`${s}/attention/split_sizes`, [inWidth, inWidth, inWidth]);
  const [q, k, v] = g.ops('Split', [qkv, split], [`${s}/attention/q`, `${s}/attention/k`, `${s}/attention/v`], { axis: -1 });
  const headShape = g.int64s(`${s}/attention/head_shape`, [0, 0, spec.heads, spec.depth]);
  const heads = (t: string, name: string, perm: number[]) =>
    g.op('Transpose', [g.op('Reshape', [t, headShape], `${s}/attention/${name}_split`)], `${s}/attention/${name}_heads`, { perm });
  // Scaled dot-product attention, Vaswani et al. 2017 eq. 1; the scale is the graph's own constant.
  const scale = g.scalar(`${s}/attention/scale`, scalarWeight(w, `${STACK}/${L}/MultiheadAttention/mul/y`));
  const qh = g.op('Mul', [heads(q, 'q', [0, 2, 1, 3]), scale], `${s}/attention/q_scaled`);
  const kt = heads(k, 'k', [0, 2, 3, 1]);
  const vh = heads(v, 'v', [0, 2, 1, 3]);
  const logits = g.op('Add', [g.op('MatMul', [qh, kt], `${s}/attention/logits`), attnBias], `${s}/attention/logits_masked`);
  const probs = g.op('Softmax', [logits], `${s}/attention/weights`, { axis: -1 });
  const ctx = g.op('Transpose', [g.op('MatMul', [probs, vh], `${s}/attention/context_heads`)], `${s}/attention/context_t`, { perm: [0, 2, 1, 3] });
  const merged = g.op('Reshape', [ctx, g.int64s(`${s}/attention/merged_shape`, [0, 0, inWidth])], `${s}/attention/context`);
  const attnOut = dense(g, w, merged, `${s}/attention/output`, `${L}/MultiheadAttention/output_transform_single/kernel/part_0`,
    `${L}/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, [inWidth, spec.width]);
  const residual = spec.adjustResidual
    ? dense(g, w, x, `${s}/adjust_residual`, `Encode/${L}/dense/kernel/ConcatPartitions/concat`,
        `Encode/${L}/dense/bias/ConcatPartitions/concat`, [inWidth, spec.width])
    : x;
  const h = g.op('Add', [attnOut, residual], `${s}/attention_residual_add`);
  const ffnIn = layerNorm(g, w, h, `${s}/ffn`, `Encode/${L}/FFN/layer_prepostprocess`, spec.width, eps);
  const up = dense(g, w, ffnIn, `${s}/ffn/conv1`, `${STACK}/${L}/FFN/conv1/Tensordot/Reshape_1`,
    `Encode/${L}/FFN/conv1/bias/ConcatPartitions/concat`, [spec.width, spec.ffn]);
  const down = dense(g, w, g.op('Relu', [up], `${s}/ffn/relu`), `${s}/ffn/conv2`, `${STACK}/${L}/FFN/conv2/Tensordot/Reshape_1`,
    `Encode/${L}/FFN/conv2/bias/ConcatPartitions/concat`, [spec.ffn, spec.width]);
  // Named after the TF tensor it reproduces: …/Layer_k/TransformerLayer/FFN/layer_postprocess/add.
  return g.op('Add', [down, h], `${s}/ffn_residual_add`);
}

/** Build the ONNX model from the TF.js weights (see the module comment for the equations). */
export function buildUseLiteOnnx(w: Map<string, TfjsWeight>, source: string): ModelProto {
  const g = new GraphBuilder();
  const eps = scalarWeight(w, `${STACK}/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`);
  const negInf = scalarWeight(w, `${STACK}/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`);
  const maxTokens = scalarWeight(w, 'KonaTransformer/ClipToMaxLength/Less/y');
  if (maxTokens !== USE_LITE_MAX_TOKENS) throw new UseLiteSourceError(`max length ${maxTokens}, expected ${USE_LITE_MAX_TOKENS}`);
  const embedding = weightBySuffix(w, 'module/Embeddings_en');
  const [vocab, embWidth] = embedding.shape;

  // Mask: the attention_mask, minus positions past the original's 128-token clip.
  const maskF = g.op('Cast', ['attention_mask'], '/mask/float', { to: DataType.FLOAT });
  const positionsI = g.op('Sub', [g.op('CumSum', ['attention_mask', g.int64s('/mask/axis', [1])], '/mask/cumsum'),
    g.int64s('/mask/one', [1])], '/positions');
  const keep = g.op('Cast', [g.op('Less', [positionsI, g.int64s('/mask/max_tokens', [maxTokens])], '/mask/in_range')], '/mask/in_range_f', { to: DataType.FLOAT });
  const mask = g.op('Mul', [maskF, keep], '/mask/effective');
  const mask3 = g.op('Unsqueeze', [mask, g.int64s('/mask/axes_last', [-1])], '/mask/effective_3d');
  // attention_bias_ignore_padding: (1 − mask)·(−1e9), broadcast over heads and queries.
  const notMask = g.op('Sub', [g.scalar('/mask/one_f', 1), mask], '/mask/padding');
  const attnBias = g.op('Unsqueeze', [g.op('Mul', [notMask, g.scalar('/mask/neg_inf', negInf)], '/mask/bias_2d'),
    g.int64s('/mask/axes_heads_queries', [1, 2])], '/mask/attention_bias');

  // Sinusoidal timing signal (Vaswani et al. 2017, §3.5): [sin(p·τ), cos(p·τ)] with the graph's τ.
  const invTimescales = g.weight(w, '/embed/inv_timescales', `${STACK}/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, embWidth / 2]);
  const posF = g.op('Unsqueeze', [g.op('Cast', [positionsI], '/embed/positions_f', { to: DataType.FLOAT }), g.int64s('/embed/axes_last', [-1])], '/embed/positions_3d');
  const angles = g.op('Mul', [posF, invTimescales], '/embed/angles');
  const timing = g.op('Concat', [g.op('Sin', [angles], '/embed/sin'), g.op('Cos', [angles], '/embed/cos')], '/embed/timing', { axis: -1 });
  const emb = g.op('Gather', [g.floats('/embed/table', [vocab, embWidth], embedding.data as Float32Array), 'input_ids'], '/embed/lookup', { axis: 0 });
  const x0 = g.op('Add', [emb, g.op('Add', [emb, timing], '/embed/with_timing')], '/embed/layer_0_input');

  const layers: LayerSpec[] = [
    { index: 0, width: USE_LITE_HIDDEN, heads: 4, depth: embWidth / 4, ffn: 1536, adjustResidual: true },
    { index: 1, width: USE_LITE_HIDDEN, heads: 4, depth: USE_LITE_HIDDEN / 4, ffn: 1536, adjustResidual: false },
  ];
  let x = x0;
  layers.forEach((spec, k) => {
    x = transformerLayer(g, w, x, spec, attnBias, eps);
    // Padded positions carry no meaning (the original never computes them): zero them.
    g.op('Mul', [x, mask3], USE_LITE_OUTPUTS.layers[k]);
  });

  // Masked mean over tokens, divided by max(length, 1) as the graph does.
  const axisSeq = g.int64s('/pool/axis_seq', [1]);
  const summed = g.op('ReduceSum', [g.op('Mul', [x, mask3], '/pool/masked'), axisSeq], '/pool/sum', { keepdims: 0 });
  const count = g.op('Max', [g.op('ReduceSum', [mask, axisSeq], '/pool/count', { keepdims: 1 }), g.scalar('/pool/one', 1)], '/pool/count_clamped');
  const mean = g.op('Div', [summed, count], '/pool/mean');
  const tanh = g.op('Tanh', [dense(g, w, mean, '/head/tanh_layer', 'hidden_layers/tanh_layer_0/weights', 'hidden_layers/tanh_layer_0/bias',
    [USE_LITE_HIDDEN, USE_LITE_HIDDEN])], '/head/tanh');
  // l2_normalize: x · rsqrt(max(Σx², ε)).
  const sq = g.op('ReduceSum', [g.op('Mul', [tanh, tanh], '/head/square'), g.int64s('/head/axis_last', [-1])], '/head/sum_sq', { keepdims: 1 });
  const norm = g.op('Sqrt', [g.op('Max', [sq, g.scalar('/head/l2_eps', scalarWeight(w, 'hidden_layers/l2_normalize/Maximum/y'))], '/head/sum_sq_clamped')], '/head/norm');
  g.op('Div', [tanh, norm], USE_LITE_OUTPUTS.sentence);

  const graph = {
    name: 'use_lite',
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo('input_ids', DataType.INT64, ['batch', 'seq']), valueInfo('attention_mask', DataType.INT64, ['batch', 'seq'])],
    output: [
      ...USE_LITE_OUTPUTS.layers.map((name) => valueInfo(name, DataType.FLOAT, ['batch', 'seq', USE_LITE_HIDDEN])),
      valueInfo(USE_LITE_OUTPUTS.sentence, DataType.FLOAT, ['batch', USE_LITE_HIDDEN]),
    ],
  };
  return makeModel(graph, { opset: 17, producer: 'sonde use-lite importer', docString: `Universal Sentence Encoder-lite converted from ${source}` });
}
