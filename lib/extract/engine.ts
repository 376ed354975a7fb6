/**
 * The in-process extraction engine: one warm ONNX Runtime session per model, tokenise,
 * batch by length, run fetching only the requested layers, pool. It blocks its event loop
 * inside session.run, so the service runs it in a child process (client.ts / child.ts).
 */
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { floatToHalf } from '../npy.ts';
import { loadModelDir, modelFile } from '../models/model-dir.ts';
import type { ModelManifest, Tokenizer } from '../models/types.ts';
import { halfToFloat32, padBatch, planBatches, poolHidden, poolWeights, type DenseBatch } from './batching.ts';
import { POOL_WEIGHTS } from './pooled-graph.ts';
import { loadModelTokenizer, pooledSource, SessionFactory } from './session.ts';
import { ExtractInputError, type ExtractRequest, type ExtractStats, type Provider } from './types.ts';


interface Runtime {
  dir: string;
  manifest: ModelManifest;
  tokenizer: Tokenizer;
  session: ort.InferenceSession;
  inputTypes: Map<string, string>;
  provider: string;
  /** Layer output → its in-graph pooled output (pooled-graph.ts); empty when pooling runs in JavaScript. */
  pooled: Map<string, string>;
}

export interface EngineOptions {
  /** Intra-op threads (0 or absent: ONNX Runtime's default, one per core). */
  threads?: number;
  provider?: Provider;
  /** Where to say which execution provider was chosen (default stderr). */
  log?: (line: string) => void;
  /** Pool inside the ONNX graph when the model allows it (default true); false pools in JavaScript. */
  graphPooling?: boolean;
  /** Warm sessions kept at once (default 2); the least recently used is released beyond that. */
  maxModels?: number;
}

export interface LayerResult {
  layer: number;
  rows: number;
  cols: number;
  /** float32 values, or float16 bit patterns when the request asked for float16. */
  data: Float32Array | Uint16Array;
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * int32 → int64 without a BigInt per value: token ids and positions are non-negative and
 * below 2^31, so each int64 is the value in its low word and 0 in its high word.
 */
function toInt64(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]);
    return out;
  }
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) words[2 * i] = values[i];
  return out;
}

/** A float output as float32 (float16 widened). */
function floatData(t: ort.Tensor, name: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Uint16Array) return halfToFloat32(t.data);
  throw new ExtractInputError(`output ${name} has type ${t.type}; expected float32 or float16`);
}

export class ExtractionEngine {
  private readonly runtimes = new Map<string, Promise<Runtime>>();
  private readonly sessions: SessionFactory;

  constructor(private readonly opts: EngineOptions = {}) {
    this.sessions = new SessionFactory({ threads: opts.threads, provider: opts.provider, log: (l) => this.log(l) });
  }

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  get provider(): string | null {
    return this.sessions.provider;
  }

  /** The warm runtime of a model directory, created on first use. */
  runtime(modelDir: string): Promise<Runtime> {
    const key = path.resolve(modelDir);
    let rt = this.runtimes.get(key);
    if (rt) {
      // Map order is insertion order: re-inserting marks this model most recently used.
      this.runtimes.delete(key);
      this.runtimes.set(key, rt);
    } else {
      const max = this.opts.maxModels ?? 2;
      for (const [old, oldRt] of this.runtimes) {
        if (this.runtimes.size < max) break;
        this.runtimes.delete(old);
        void oldRt.then((r) => r.session.release(), () => {});
      }
      rt = (async () => {
        const { dir, manifest } = await loadModelDir(key);
        const tokenizer = await loadModelTokenizer(dir, manifest);
        const file = path.join(dir, modelFile(manifest));
        const { source, pooled, cleanup } = pooledSource(path.join(dir, modelFile(manifest)), manifest, this.opts.graphPooling !== false, (l) => this.log(l));
        let created: { session: ort.InferenceSession; provider: string };
        try {
          created = await this.sessions.create(source);
        } finally {
          cleanup();
        }
        const { session, provider } = created;
        const inputTypes = new Map(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : 'unknown']));
        const missing = manifest.layers.map((l) => l.output).filter((o) => !session.outputNames.includes(o));
        if (missing.length) throw new ExtractInputError(`${dir}: sonde.json names output(s) ${missing.join(', ')} that model.onnx does not have`);
        return { dir, manifest, tokenizer, session, inputTypes, provider, pooled };
      })();
      rt.catch(() => this.runtimes.delete(key));
      this.runtimes.set(key, rt);
    }
    return rt;
  }

  /** Integer input tensor in the type the graph declares (int64 for HF exports, int32 for some). */
  private intTensor(rt: Runtime, name: string, values: Int32Array, dims: number[]): ort.Tensor {
    const type = rt.inputTypes.get(name);
    if (type === undefined) throw new ExtractInputError(`${rt.dir}: sonde.json names input "${name}" that model.onnx does not have`);
    if (type === 'int32') return new ort.Tensor('int32', values, dims);
    return new ort.Tensor('int64', toInt64(values), dims);
  }

  private feeds(rt: Runtime, batch: DenseBatch, tokens: number[][]): Record<string, ort.Tensor> {
    const inp = rt.manifest.inputs;
    if (inp.style === 'ragged') {
      // USE-lite style: a sparse [N, 2] (row, position) index list and N token ids.
      const indices: number[] = [];
      const values: number[] = [];
      tokens.forEach((t, r) => t.forEach((id, p) => { indices.push(r, p); values.push(id); }));
      return {
        [inp.indices!]: this.intTensor(rt, inp.indices!, Int32Array.from(indices), [values.length, 2]),
        [inp.values!]: this.intTensor(rt, inp.values!, Int32Array.from(values), [values.length]),
      };
    }
    const dims = [batch.rows, batch.seq];
    const feeds: Record<string, ort.Tensor> = { [inp.input_ids!]: this.intTensor(rt, inp.input_ids!, batch.ids, dims) };
    if (inp.attention_mask) feeds[inp.attention_mask] = this.intTensor(rt, inp.attention_mask, batch.mask, dims);
    if (inp.position_ids) feeds[inp.position_ids] = this.intTensor(rt, inp.position_ids, batch.positions, dims);
    return feeds;
  }

  /**
   * Runs one request. `onLayer` receives each finished layer (so a caller can stream them
   * out); `onProgress` is called after every batch with texts done so far.
   */
  async extract(
    req: ExtractRequest,
    onLayer: (r: LayerResult) => void,
    onProgress?: (done: number, total: number) => void,
  ): Promise<ExtractStats> {
    const t0 = performance.now();
    if (!Array.isArray(req.texts) || req.texts.some((t) => typeof t !== 'string')) throw new ExtractInputError('texts must be an array of strings');
    if (!['last', 'first', 'mean'].includes(req.pooling)) throw new ExtractInputError(`pooling must be last, first or mean, got "${req.pooling}"`);
    const batchSize = req.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ExtractInputError(`batch size must be a positive integer, got ${batchSize}`);
    const rt = await this.runtime(req.modelDir);
    const { manifest } = rt;
    const available = manifest.layers.map((l) => l.index);
    const layerIdx = req.layers === 'all' ? available : req.layers;
    const missing = layerIdx.filter((l) => !available.includes(l));
    if (missing.length) throw new ExtractInputError(`model ${manifest.name} has no layer(s) ${missing.join(', ')}; it has ${available.join(', ')}`);
    const layers = layerIdx.map((i) => manifest.layers.find((l) => l.index === i)!);

    const tokens = req.texts.map((t) => rt.tokenizer.encode(t));
    const tokenizeMs = performance.now() - t0;
    const maxLen = manifest.max_length;
    tokens.forEach((t, i) => {
      if (t.length === 0) throw new ExtractInputError(`text ${i} has no tokens (the tokenizer adds no special tokens; give it some text)`);
      if (maxLen && t.length > maxLen) throw new ExtractInputError(`text ${i} has ${t.length} tokens; model ${manifest.name} takes at most ${maxLen}`);
    });

    const n = req.texts.length;
    const outs = layers.map((l) => new Float32Array(n * l.dim));
    const side = manifest.inputs.style === 'ragged' ? 'right' : (manifest.tokenizer.padding_side ?? (manifest.kind === 'decoder' ? 'left' : 'right'));
    // In-graph pooling when every requested layer has a pooled output (pooled-graph.ts).
    const inGraph = layers.every((l) => rt.pooled.has(l.output));
    const rawFetches = layers.map((l) => l.output);
    let done = 0;
    let runMs = 0;
    let realTokens = 0;
    let paddedTokens = 0;
    const batches = planBatches(tokens.map((t) => t.length), batchSize, req.maxBatchTokens ?? 16384);
    for (const idx of batches) {
      const bt = idx.map((i) => tokens[i]);
      const batch = padBatch(bt, manifest.tokenizer.pad_id, side);
      const r0 = performance.now();
      const feeds = this.feeds(rt, batch, bt);
      let pooledOk = false;
      if (inGraph) {
        feeds[POOL_WEIGHTS] = new ort.Tensor('float32', poolWeights(batch, req.pooling), [batch.rows, batch.seq]);
        const result = await rt.session.run(feeds, layers.map((l) => rt.pooled.get(l.output)!));
        const rows = layers.map((l) => {
          const t = result[rt.pooled.get(l.output)!];
          if (t.dims.length !== 2 || t.dims[0] !== batch.rows || t.dims[1] !== l.dim) {
            throw new ExtractInputError(`pooled output of ${l.output} has shape [${t.dims.join(', ')}]; expected [${batch.rows}, ${l.dim}]`);
          }
          return floatData(t, l.output);
        });
        // NaN in a padded position (some exports leave fully masked rows undefined) would
        // leak through 0 × NaN; pooling in JavaScript skips padding, so redo such a batch there.
        pooledOk = rows.every((d) => !d.some(Number.isNaN));
        if (pooledOk) {
          layers.forEach((l, k) => idx.forEach((target, r) => outs[k].set(rows[k].subarray(r * l.dim, (r + 1) * l.dim), target * l.dim)));
        }
        Object.values(result).forEach((t) => t.dispose());
        delete feeds[POOL_WEIGHTS];
      }
      if (!pooledOk) {
        const result = await rt.session.run(feeds, rawFetches);
        layers.forEach((l, k) => {
          const t = result[l.output];
          const data = floatData(t, l.output);
          if (t.dims.length === 2 && t.dims[0] === batch.rows && t.dims[1] === l.dim) {
            // Already one vector per text (e.g. a sentence embedding): pooling does not apply.
            idx.forEach((target, r) => outs[k].set(data.subarray(r * l.dim, (r + 1) * l.dim), target * l.dim));
          } else if (t.dims.length === 3 && t.dims[0] === batch.rows && t.dims[1] === batch.seq && t.dims[2] === l.dim) {
            poolHidden(data, batch, l.dim, req.pooling, outs[k], idx);
          } else {
            throw new ExtractInputError(`output ${l.output} has shape [${t.dims.join(', ')}]; expected [${batch.rows}, ${batch.seq}, ${l.dim}]`);
          }
        });
        Object.values(result).forEach((t) => t.dispose());
      }
      runMs += performance.now() - r0;
      for (const t of bt) realTokens += t.length;
      paddedTokens += batch.rows * batch.seq;
      done += idx.length;
      onProgress?.(done, n);
    }
    layers.forEach((l, k) => {
      const data = req.dtype === 'float16' ? Uint16Array.from(outs[k], floatToHalf) : outs[k];
      onLayer({ layer: l.index, rows: n, cols: l.dim, data });
    });
    return {
      provider: rt.provider, texts: n, tokens: realTokens, paddedTokens, batches: batches.length,
      graphPooling: inGraph, tokenizeMs, runMs, totalMs: performance.now() - t0, peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  }

  async close(): Promise<void> {
    for (const rt of this.runtimes.values()) await rt.then((r) => r.session.release(), () => {});
    this.runtimes.clear();
  }
}
