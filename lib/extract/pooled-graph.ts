/**
 * Pooling inside the ONNX graph. For each per-token layer output H [batch, seq, dim] the
 * graph gets an output P = squeeze(w[:, None, :] @ H) [batch, dim], where w [batch, seq]
 * is a new input holding per-token pooling weights (mean: 1/n on real tokens; last/first:
 * 1 on that token). ONNX Runtime then pools with its own batched MatMul, and only
 * [batch, dim] per layer leaves the session instead of [batch, seq, dim]: less copying on
 * CPU, and seq× less GPU→CPU traffic with CUDA, where every fetched output is copied back.
 *
 * The original outputs stay, so the JavaScript pooling path (batching.ts) remains
 * available; the engine falls back to it when this rewrite does not apply.
 */
import { decodeModel, encodeModel } from '../models/onnx/codec.ts';
import { int64Tensor, makeNode, valueInfo } from '../models/onnx/build.ts';
import { DataType, type ModelProto, type ValueInfoProto } from '../models/onnx/types.ts';

export const POOL_WEIGHTS = 'sonde_pool_weights';

export interface PooledGraph {
  bytes: Uint8Array;
  /** Layer output name → its pooled [batch, dim] output name. */
  pooled: Map<string, string>;
  /**
   * External-data files the graph references (relative locations). Non-empty: the bytes
   * must be written beside those files (or links to them) and loaded by path, because
   * ONNX Runtime resolves them relative to the model file.
   */
  externalFiles: string[];
}

function rank(v: ValueInfoProto | undefined): number | null {
  const dims = v?.type?.tensor_type?.shape?.dim;
  return dims ? dims.length : null;
}

/** Why the rewrite does not apply to this model, or null when it does. */
function unsupported(model: ModelProto): string | null {
  const g = model.graph;
  if (!g) return 'no graph';
  if ((g.input ?? []).some((i) => i.name === POOL_WEIGHTS)) return `the graph already has an input ${POOL_WEIGHTS}`;
  return null;
}

/** Relative locations of the external-data files the initializers name. */
function externalFiles(model: ModelProto): string[] {
  const files = new Set<string>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.data_location !== 1) continue;
    const loc = t.external_data?.find((e) => e.key === 'location')?.value;
    if (loc) files.add(loc);
  }
  return [...files];
}

/**
 * The model with pooled outputs added for `outputs` (those of rank 3 whose element type is
 * float32 or float16), or a reason string when it cannot be done.
 */
export function addPooledOutputs(modelBytes: Uint8Array, outputs: string[]): PooledGraph | string {
  const model = decodeModel(modelBytes);
  const why = unsupported(model);
  if (why) return why;
  const g = model.graph!;
  const opset = Number(model.opset_import?.find((o) => !o.domain)?.version ?? 0);
  if (opset < 9) return `opset ${opset} is older than 9`;
  const nodes = g.node ?? (g.node = []);
  const inits = g.initializer ?? (g.initializer = []);
  const graphOutputs = g.output ?? (g.output = []);
  const pooled = new Map<string, string>();

  // Opset 13 moved Unsqueeze/Squeeze axes from an attribute to an input.
  const axesName = 'sonde_pool_axes_1';
  const axis = (op: 'Unsqueeze' | 'Squeeze', input: string, output: string) =>
    opset >= 13 ? makeNode(op, [input, axesName], [output]) : makeNode(op, [input], [output], { axes: [1] });
  if (opset >= 13) inits.push(int64Tensor(axesName, [1], [1]));

  const casts = new Map<number, string>();
  for (const name of outputs) {
    const info = graphOutputs.find((o) => o.name === name);
    const elem = info?.type?.tensor_type?.elem_type;
    if (rank(info) !== 3 || (elem !== DataType.FLOAT && elem !== DataType.FLOAT16)) continue;
    if (!casts.has(elem)) {
      // [batch, seq] → [batch, 1, seq], in the hidden states' precision.
      const w3 = `sonde_pool_w3_${elem}`;
      if (elem === DataType.FLOAT) nodes.push(axis('Unsqueeze', POOL_WEIGHTS, w3));
      else {
        nodes.push(makeNode('Cast', [POOL_WEIGHTS], [`${w3}_cast`], { to: elem }));
        nodes.push(axis('Unsqueeze', `${w3}_cast`, w3));
      }
      casts.set(elem, w3);
    }
    const out = `sonde_pooled_${pooled.size}`;
    nodes.push(makeNode('MatMul', [casts.get(elem)!, name], [`${out}_3d`]));
    nodes.push(axis('Squeeze', `${out}_3d`, out));
    const dims = info!.type!.tensor_type!.shape!.dim!;
    const dim = dims[2].dim_value !== undefined ? Number(dims[2].dim_value) : null;
    graphOutputs.push(valueInfo(out, elem, ['batch', dim]));
    pooled.set(name, out);
  }
  if (pooled.size === 0) return 'no float [batch, seq, dim] layer outputs with declared shapes';
  (g.input ?? (g.input = [])).push(valueInfo(POOL_WEIGHTS, DataType.FLOAT, ['batch', 'seq']));
  return { bytes: encodeModel(model), pooled, externalFiles: externalFiles(model) };
}
