/**
 * Graph surgery: make intermediate tensors of an ONNX model (the residual stream after each
 * Transformer block) fetchable by adding them to `graph.output`. ONNX Runtime can only
 * return graph outputs, and an exporter usually emits only logits.
 *
 * Tensors are chosen by a regular expression over tensor names (e.g. GPT-2's
 * `/transformer/h\.\d+/Add_1_output_0`, Llama's `/model/layers\.\d+/Add_1_output_0`) or,
 * without one, by structure (see `findBlockOutputs`). Everything else in the file — unknown
 * protobuf fields, metadata, external-data references — is written back unchanged, and
 * external-data files are copied beside the output when it goes to another directory (their
 * `location` is relative to the model file).
 *
 * Add outputs to the *unoptimised* export: ONNX Runtime fuses a residual Add into
 * SkipLayerNormalization only when the Add's result is not a graph output, so exposing
 * happens before, and ORT optimises at load.
 */
import { BadInputError } from '../errors.ts';
import fs from 'node:fs';
import path from 'node:path';
import { decodeModel, encodeModel } from './onnx/codec.ts';
import { DataType } from './onnx/types.ts';
import type { GraphProto, NodeProto, ValueInfoProto } from './onnx/types.ts';

/** Bad model file, pattern or layer selection (the CLI exits 2, the API answers 400). */
export class ExposeLayersInputError extends BadInputError {}

/** Ops that open a normalisation: fused LayerNorm/RMSNorm, or the first op of a decomposed one. */
const NORM_OPS = new Set([
  'LayerNormalization',
  'SimplifiedLayerNormalization',
  'RMSNormalization',
  'ReduceMean', // decomposed LayerNorm: mean(x); decomposed RMSNorm after Pow
  'Pow', // decomposed RMSNorm: x² (Llama)
]);

interface GraphIndex {
  producer: Map<string, NodeProto>;
  consumers: Map<string, NodeProto[]>;
  order: Map<NodeProto, number>;
}

function indexGraph(graph: GraphProto): GraphIndex {
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  const order = new Map<NodeProto, number>();
  (graph.node ?? []).forEach((node, i) => {
    order.set(node, i);
    for (const out of node.output ?? []) producer.set(out, node);
    for (const inp of node.input ?? []) {
      if (!inp) continue;
      if (!consumers.has(inp)) consumers.set(inp, []);
      consumers.get(inp)!.push(node);
    }
  });
  return { producer, consumers, order };
}

function feedsNorm(tensor: string, idx: GraphIndex): boolean {
  return (idx.consumers.get(tensor) ?? []).some(
    (c) => NORM_OPS.has(c.op_type ?? '') || (c.op_type === 'Cast' && (idx.consumers.get(c.output![0]) ?? []).some((d) => NORM_OPS.has(d.op_type ?? ''))),
  );
}

/** Whether any node between `from` (exclusive, walking producers upward) and `stop` is a Softmax. */
function branchHasSoftmax(from: string, stop: string, idx: GraphIndex): boolean {
  const seen = new Set<string>([stop]);
  const stack = [from];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const node = idx.producer.get(t);
    if (!node) continue;
    if (node.op_type === 'Softmax') return true;
    for (const inp of node.input ?? []) if (inp) stack.push(inp);
  }
  return false;
}

/**
 * Residual-stream tensors after each block, found by structure. The residual stream is the
 * set of tensors that feed a normalisation (each sub-layer's LayerNorm/RMSNorm, the final
 * norm); it advances through Add nodes that take one of those tensors as their skip input and
 * feed a norm themselves. In a sequential pre-norm block (GPT-2, Llama) the links alternate
 * attention and MLP adds; the block output is the MLP add, recognised as the link whose
 * branch holds no Softmax. In a parallel-residual block (GPT-J, GPT-NeoX) every link holds a
 * Softmax and every link is a block output.
 */
export function findBlockOutputs(graph: GraphProto): string[] {
  const idx = indexGraph(graph);
  const isStream = (t: string) => feedsNorm(t, idx);
  const links = (graph.node ?? [])
    .filter((n) => n.op_type === 'Add' && n.output?.length === 1 && isStream(n.output[0]))
    .map((n) => {
      const skip = (n.input ?? []).find(isStream);
      const branch = (n.input ?? []).find((i) => i !== skip);
      return skip && branch ? { out: n.output![0], attention: branchHasSoftmax(branch, skip, idx), node: n } : null;
    })
    .filter((l): l is NonNullable<typeof l> => l !== null)
    .sort((a, b) => idx.order.get(a.node)! - idx.order.get(b.node)!);
  const mlp = links.filter((l) => !l.attention);
  return (mlp.length > 0 ? mlp : links).map((l) => l.out);
}

/** All tensor names produced by nodes, in graph order, that match `pattern` in full or in part. */
export function findByPattern(graph: GraphProto, pattern: string): string[] {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw new ExposeLayersInputError(`--pattern is not a valid regular expression: ${(err as Error).message}`);
  }
  return (graph.node ?? []).flatMap((n) => (n.output ?? []).filter((o) => o && re.test(o)));
}

/** Element type of a tensor: declared in value_info/inputs/outputs/initializers, else inferred upward. */
function elemTypeOf(tensor: string, graph: GraphProto, idx: GraphIndex): number {
  const declared = new Map<string, number>();
  for (const vi of [...(graph.value_info ?? []), ...(graph.input ?? []), ...(graph.output ?? [])]) {
    const t = vi.type?.tensor_type?.elem_type;
    if (vi.name && t) declared.set(vi.name, t);
  }
  for (const init of graph.initializer ?? []) if (init.name && init.data_type) declared.set(init.name, init.data_type);
  // Breadth-first towards the inputs: element-wise ops keep their inputs' type; Cast sets its own.
  const queue = [tensor];
  const seen = new Set<string>();
  while (queue.length) {
    const t = queue.shift()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const known = declared.get(t);
    if (known) return known;
    const node = idx.producer.get(t);
    if (!node) continue;
    if (node.op_type === 'Cast') {
      const to = node.attribute?.find((a) => a.name === 'to')?.i;
      if (to !== undefined) return Number(to);
    }
    for (const inp of node.input ?? []) if (inp) queue.push(inp);
  }
  return DataType.FLOAT;
}

export interface ExposeLayersOptions {
  /** Regular expression over tensor names; without it, block outputs are found by structure. */
  pattern?: string;
  /** Which of the found tensors to expose, by position in graph order (0 = first block). */
  layers?: number[];
}

/** Read `modelPath`, add the chosen tensors as graph outputs, write `outPath`. */
export function exposeLayers(modelPath: string, outPath: string, opts: ExposeLayersOptions): { added: string[] } {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(modelPath);
  } catch (err) {
    throw new ExposeLayersInputError(`cannot read ${modelPath}: ${(err as Error).message}`);
  }
  let model;
  try {
    model = decodeModel(bytes);
  } catch (err) {
    throw new ExposeLayersInputError(`${modelPath} is not an ONNX model: ${(err as Error).message}`);
  }
  const graph = model.graph;
  if (!graph?.node?.length) throw new ExposeLayersInputError(`${modelPath} has no graph nodes`);
  const found = opts.pattern !== undefined ? findByPattern(graph, opts.pattern) : findBlockOutputs(graph);
  if (found.length === 0) {
    throw new ExposeLayersInputError(
      opts.pattern !== undefined
        ? `no tensor name in ${modelPath} matches /${opts.pattern}/`
        : `no residual Add chain found in ${modelPath} (an ORT-optimised model fuses them; use the unoptimised export or --pattern)`,
    );
  }
  const chosen = opts.layers ?? found.map((_, i) => i);
  for (const k of chosen) {
    if (!Number.isInteger(k) || k < 0 || k >= found.length) {
      throw new ExposeLayersInputError(`layer ${k} out of range: ${found.length} candidate tensors (0..${found.length - 1})`);
    }
  }
  const idx = indexGraph(graph);
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  const added: string[] = [];
  const outputs: ValueInfoProto[] = graph.output ?? [];
  for (const k of chosen) {
    const name = found[k];
    if (existing.has(name)) continue;
    // Shape left unknown: ORT infers it; the element type must be right or loading fails.
    outputs.push({ name, type: { tensor_type: { elem_type: elemTypeOf(name, graph, idx) } } });
    existing.add(name);
    added.push(name);
  }
  graph.output = outputs;
  copyExternalData(model.graph!, path.dirname(path.resolve(modelPath)), path.dirname(path.resolve(outPath)));
  const tmp = `${outPath}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, encodeModel(model));
  fs.renameSync(tmp, outPath);
  return { added };
}

/** External-data files referenced by initializers, copied (hard-linked when possible) next to the output. */
function copyExternalData(graph: GraphProto, fromDir: string, toDir: string): void {
  if (fromDir === toDir) return;
  const locations = new Set<string>();
  for (const init of graph.initializer ?? []) {
    const loc = init.external_data?.find((e) => e.key === 'location')?.value;
    if (init.data_location === 1 && loc) locations.add(loc);
  }
  for (const loc of locations) {
    if (path.isAbsolute(loc) || loc.split(/[\\/]/).includes('..')) {
      throw new ExposeLayersInputError(`external data location "${loc}" must be a relative path inside the model directory`);
    }
    const src = path.join(fromDir, loc);
    const dst = path.join(toDir, loc);
    if (fs.existsSync(dst)) continue;
    if (!fs.existsSync(src)) throw new ExposeLayersInputError(`external data file ${src} is missing`);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    try {
      fs.linkSync(src, dst);
    } catch {
      fs.copyFileSync(src, dst);
    }
  }
}
