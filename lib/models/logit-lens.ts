/**
 * Logit-lens readout of a probe direction (nostalgebraist 2020, "interpreting GPT: the
 * logit lens"; Geva et al. 2021 decode FFN value vectors the same way): the tokens a
 * direction writes toward are the largest entries of W_U·w, where W_U [vocab, d] is the
 * model's unembedding matrix, named by the manifest's `unembedding` initializer.
 *
 * Sonde's normalisations centre and scale by a scalar (lib/probe/normalize.ts), so a probe
 * direction in normalised space is, up to a positive factor, the same direction in the raw
 * residual stream: the ranking is exact. (The final norm before the unembedding is not
 * applied, as in the original logit lens on residual directions.)
 */
import { BadInputError } from '../errors.ts';
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadModelDir } from './model-dir.ts';
import { decodeModel } from './onnx/codec.ts';
import type { TensorProto } from './onnx/types.ts';
import { halfToFloat } from '../npy.ts';

export class LogitLensError extends BadInputError {}

export interface Unembedding {
  vocab: number;
  dim: number;
  /** Row-major [vocab, dim]. */
  weights: Float32Array;
  tokens: string[];
}

const FLOAT = 1;
const FLOAT16 = 10;

async function tensorBytes(t: TensorProto, modelDir: string): Promise<Uint8Array> {
  if (t.data_location === 1) {
    const entry = (k: string) => t.external_data?.find((e) => e.key === k)?.value;
    const location = entry('location');
    if (!location || path.isAbsolute(location) || location.split(/[\\/]/).includes('..')) throw new LogitLensError(`unembedding ${t.name}: bad external data location`);
    const offset = Number(entry('offset') ?? 0);
    const buf = await fs.readFile(path.join(modelDir, location));
    const length = entry('length') !== undefined ? Number(entry('length')) : buf.length - offset;
    return new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
  }
  if (t.raw_data && t.raw_data.length) return t.raw_data;
  if (t.float_data?.length) return new Uint8Array(Float32Array.from(t.float_data).buffer);
  throw new LogitLensError(`unembedding ${t.name} holds no data`);
}

function tokenStrings(modelDir: string, tokenizerJson: string, vocab: number): string[] {
  const out = Array.from({ length: vocab }, (_, i) => `<${i}>`);
  try {
    const json = JSON.parse(tokenizerJson) as { model?: { vocab?: Record<string, number> | [string, number][] }; added_tokens?: { id: number; content: string }[] };
    const v = json.model?.vocab;
    const pairs: [string, number][] = Array.isArray(v) ? v.map(([tok], i) => [tok, i]) : Object.entries(v ?? {});
    for (const [tok, id] of pairs) if (id < vocab) out[id] = tok;
    for (const a of json.added_tokens ?? []) if (a.id < vocab) out[a.id] = a.content;
  } catch {
    throw new LogitLensError(`${modelDir}/tokenizer.json is not valid JSON`);
  }
  return out;
}

export async function loadUnembedding(modelDir: string, opts: { root?: string } = {}): Promise<Unembedding> {
  const { dir, manifest } = await loadModelDir(modelDir, opts);
  if (!manifest.unembedding) throw new LogitLensError(`model ${manifest.name} names no unembedding matrix in sonde.json (logit lens needs one)`);
  const model = decodeModel(new Uint8Array(await fs.readFile(path.join(dir, manifest.model_file ?? 'model.onnx'))));
  const t = model.graph?.initializer?.find((i) => i.name === manifest.unembedding);
  if (!t) throw new LogitLensError(`model ${manifest.name}: no initializer named ${manifest.unembedding}`);
  const dims = (t.dims ?? []).map(Number);
  if (dims.length !== 2) throw new LogitLensError(`unembedding ${t.name} has shape [${dims}], expected 2-D`);
  const d = manifest.hidden_size;
  const transposed = dims[1] !== d && dims[0] === d; // stored [d, vocab] (a MatMul weight)
  if (!transposed && dims[1] !== d) throw new LogitLensError(`unembedding ${t.name} [${dims}] does not match hidden size ${d}`);
  const vocab = transposed ? dims[1] : dims[0];
  const bytes = await tensorBytes(t, dir);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = t.data_type === FLOAT16 ? 2 : t.data_type === FLOAT ? 4 : 0;
  if (!size) throw new LogitLensError(`unembedding ${t.name} has element type ${t.data_type}; float32 or float16 expected`);
  if (bytes.byteLength !== vocab * d * size) throw new LogitLensError(`unembedding ${t.name}: ${bytes.byteLength} bytes for [${dims}]`);
  const weights = new Float32Array(vocab * d);
  for (let r = 0; r < vocab; r++) {
    for (let c = 0; c < d; c++) {
      const src = transposed ? c * vocab + r : r * d + c;
      weights[r * d + c] = size === 4 ? dv.getFloat32(src * 4, true) : halfToFloat(dv.getUint16(src * 2, true));
    }
  }
  const tokFile = manifest.tokenizer.files.find((f) => f.endsWith('tokenizer.json'));
  const tokens = tokFile ? tokenStrings(dir, await fs.readFile(path.join(dir, tokFile), 'utf8'), vocab) : Array.from({ length: vocab }, (_, i) => `<${i}>`);
  return { vocab, dim: d, weights, tokens };
}

export interface LensToken {
  id: number;
  token: string;
  /** W_U[id]·w / ‖w‖ */
  score: number;
}

/** Byte-level BPE marks (Ġ space, Ċ newline) shown as text. */
const readable = (t: string) => t.replace(/Ġ/g, ' ').replace(/Ċ/g, '\n').replace(/▁/g, ' ');

export function logitLens(u: Unembedding, direction: ArrayLike<number>, k = 20): { top: LensToken[]; bottom: LensToken[] } {
  if (direction.length !== u.dim) throw new LogitLensError(`direction has ${direction.length} dimensions, the model ${u.dim}`);
  let norm = 0;
  for (let j = 0; j < u.dim; j++) norm += direction[j] * direction[j];
  norm = Math.sqrt(norm) || 1;
  const scores = new Float64Array(u.vocab);
  for (let r = 0; r < u.vocab; r++) {
    let s = 0;
    const off = r * u.dim;
    for (let j = 0; j < u.dim; j++) s += u.weights[off + j] * direction[j];
    scores[r] = s / norm;
  }
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  const pick = (ids: number[]) => ids.map((id) => ({ id, token: readable(u.tokens[id]), score: scores[id] }));
  const kk = Math.max(1, Math.min(k, u.vocab));
  return { top: pick(order.slice(0, kk)), bottom: pick(order.slice(-kk).reverse()) };
}
