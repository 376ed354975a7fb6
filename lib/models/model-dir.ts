/**
 * A model directory (docs/models.md): `model.onnx` (+ external data), tokenizer files and
 * `sonde.json`. This module loads and validates one, hashes its weights, and keeps
 * user-supplied paths inside the configured model root.
 */
import { BadInputError } from '../errors.ts';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ModelManifest, Pooling } from './types.ts';

/** Bad model directory or manifest. The name contains "Manifest" so the CLI exits 2. */
export class ModelManifestError extends BadInputError {}

const POOLINGS: readonly Pooling[] = ['last', 'first', 'mean'];
/** External-data names that exporters write by default (torch.onnx, optimum). */
const DEFAULT_EXTERNAL = ['model.onnx.data', 'model.onnx_data', 'model.data'];

function fail(where: string, msg: string): never {
  throw new ModelManifestError(`${where}: ${msg}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** A relative file name that stays inside the model directory. */
function checkRelative(where: string, field: string, v: unknown): string {
  if (!isStr(v)) fail(where, `${field} must be a non-empty string`);
  if (path.isAbsolute(v) || v.split(/[\\/]/).includes('..')) fail(where, `${field} "${v}" must be a file name inside the model directory`);
  return v;
}

/** Checks the shape of a parsed sonde.json; returns it typed or throws one clear message. */
export function validateManifest(raw: unknown, where = 'sonde.json'): ModelManifest {
  if (!isObj(raw)) fail(where, 'must be a JSON object');
  const m = raw;
  if (m.format !== 'sonde-model/1') fail(where, `format must be "sonde-model/1", got ${JSON.stringify(m.format)}`);
  if (!isStr(m.name)) fail(where, 'name must be a non-empty string');
  if (m.kind !== 'encoder' && m.kind !== 'decoder') fail(where, `kind must be "encoder" or "decoder", got ${JSON.stringify(m.kind)}`);
  if (!isPosInt(m.hidden_size)) fail(where, 'hidden_size must be a positive integer');
  if (!POOLINGS.includes(m.default_pooling as Pooling)) fail(where, `default_pooling must be one of ${POOLINGS.join(', ')}`);
  if (!Array.isArray(m.layers) || m.layers.length === 0) fail(where, 'layers must be a non-empty array of {index, output, dim}');
  const seen = new Set<number>();
  m.layers.forEach((l, i) => {
    if (!isObj(l)) fail(where, `layers[${i}] must be an object`);
    if (!Number.isInteger(l.index) || (l.index as number) < 0) fail(where, `layers[${i}].index must be a non-negative integer`);
    if (seen.has(l.index as number)) fail(where, `layers[${i}].index ${l.index} appears twice`);
    seen.add(l.index as number);
    if (!isStr(l.output)) fail(where, `layers[${i}].output must name a graph output`);
    if (!isPosInt(l.dim)) fail(where, `layers[${i}].dim must be a positive integer`);
  });
  const inputs = m.inputs;
  if (!isObj(inputs)) fail(where, 'inputs must be an object');
  if (inputs.style === 'dense') {
    if (!isStr(inputs.input_ids)) fail(where, 'inputs.input_ids must name the token-id input (dense style)');
  } else if (inputs.style === 'ragged') {
    if (!isStr(inputs.indices) || !isStr(inputs.values)) fail(where, 'inputs.indices and inputs.values must name graph inputs (ragged style)');
  } else fail(where, `inputs.style must be "dense" or "ragged", got ${JSON.stringify(inputs.style)}`);
  const tok = m.tokenizer;
  if (!isObj(tok)) fail(where, 'tokenizer must be an object');
  if (!isStr(tok.type)) fail(where, 'tokenizer.type must be a string');
  if (!Array.isArray(tok.files)) fail(where, 'tokenizer.files must be an array of file names');
  tok.files.forEach((f, i) => checkRelative(where, `tokenizer.files[${i}]`, f));
  if (!Number.isInteger(tok.pad_id) || (tok.pad_id as number) < 0) fail(where, 'tokenizer.pad_id must be a non-negative integer');
  if (tok.padding_side !== undefined && tok.padding_side !== 'left' && tok.padding_side !== 'right') {
    fail(where, 'tokenizer.padding_side must be "left" or "right"');
  }
  if (typeof m.license !== 'string') fail(where, 'license must be a string (SPDX id, or "unknown")');
  if (typeof m.source !== 'string') fail(where, 'source must be a string (where the weights came from)');
  if (m.max_length !== undefined && !isPosInt(m.max_length)) fail(where, 'max_length must be a positive integer');
  if (m.model_file !== undefined) checkRelative(where, 'model_file', m.model_file);
  if (m.external_data !== undefined) {
    if (!Array.isArray(m.external_data)) fail(where, 'external_data must be an array of file names');
    m.external_data.forEach((f, i) => checkRelative(where, `external_data[${i}]`, f));
  }
  return m as unknown as ModelManifest;
}

export const modelFile = (manifest: ModelManifest) => manifest.model_file ?? 'model.onnx';

/**
 * Reads and validates `dir/sonde.json`, and checks that the files it names exist. With
 * `root` (the API and workers pass the configured model root) the directory and every file
 * it names must resolve inside root: a symlinked weight file cannot point elsewhere.
 */
export async function loadModelDir(dir: string, opts: { root?: string } = {}): Promise<{ dir: string; manifest: ModelManifest }> {
  const abs = opts.root ? await resolveModelPath(opts.root, dir) : path.resolve(dir);
  const stat = await fs.stat(abs).catch(() => null);
  if (!stat?.isDirectory()) throw new ModelManifestError(`${dir}: not a model directory (see docs/models.md)`);
  const file = path.join(abs, 'sonde.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ModelManifestError(`${dir}: no sonde.json (a model directory needs model.onnx, tokenizer files and sonde.json)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelManifestError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const manifest = validateManifest(raw, file);
  for (const f of [modelFile(manifest), ...manifest.tokenizer.files, ...(manifest.external_data ?? [])]) {
    if (!(await fs.stat(path.join(abs, f)).catch(() => null))?.isFile()) {
      throw new ModelManifestError(`${dir}: sonde.json names ${f}, which is missing`);
    }
    if (opts.root) await resolveModelPath(opts.root, path.join(abs, f));
  }
  return { dir: abs, manifest };
}

/** The weight files of a model directory, graph first, then external data by name. */
export async function weightFiles(dir: string, manifest: ModelManifest): Promise<string[]> {
  const extra = new Set(manifest.external_data ?? []);
  for (const f of DEFAULT_EXTERNAL) if (await fs.stat(path.join(dir, f)).catch(() => null)) extra.add(f);
  return [modelFile(manifest), ...[...extra].sort()];
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (c) => h.update(c)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

const hashMemo = new Map<string, { stamp: string; sha256: string; bytes: number }>();

/**
 * sha256 of the weights: for a lone model.onnx, the plain file hash (so `sha256sum
 * model.onnx` agrees); with external data, the sha256 of the lines "name␠filehash\n" in
 * weightFiles order. Memoised per process by path, size and mtime: big models hash once.
 */
export async function hashModelDir(dir: string, manifest: ModelManifest): Promise<{ sha256: string; bytes: number }> {
  const files = (await weightFiles(dir, manifest)).map((f) => path.join(dir, f));
  const stats = await Promise.all(files.map((f) => fs.stat(f)));
  const stamp = files.map((f, i) => `${f}:${stats[i].size}:${stats[i].mtimeMs}`).join('|');
  const memo = hashMemo.get(dir);
  if (memo && memo.stamp === stamp) return { sha256: memo.sha256, bytes: memo.bytes };
  const hashes = await Promise.all(files.map(sha256File));
  const sha256 = files.length === 1
    ? hashes[0]
    : createHash('sha256').update(files.map((f, i) => `${path.basename(f)} ${hashes[i]}\n`).join('')).digest('hex');
  const bytes = stats.reduce((n, s) => n + s.size, 0);
  hashMemo.set(dir, { stamp, sha256, bytes });
  return { sha256, bytes };
}

/** Validate + hash: what `sonde models add` prints and the API stores. */
export async function inspectModelDir(dir: string, opts: { root?: string } = {}): Promise<{ dir: string; manifest: ModelManifest; sha256: string; bytes: number }> {
  const loaded = await loadModelDir(dir, opts);
  const { sha256, bytes } = await hashModelDir(loaded.dir, loaded.manifest);
  return { dir: loaded.dir, manifest: { ...loaded.manifest, sha256 }, sha256, bytes };
}

/**
 * A user-supplied model path, resolved inside `root` (the configured model root). Rejects
 * absolute paths outside it, `..` segments and symlinks that lead out of it, so an API
 * caller cannot make the worker read arbitrary files.
 */
export async function resolveModelPath(root: string, userPath: string): Promise<string> {
  if (!userPath || userPath.includes('\0')) throw new ModelManifestError('model path must be a non-empty string');
  if (userPath.split(/[\\/]/).includes('..')) throw new ModelManifestError(`model path "${userPath}" must not contain ".."`);
  const realRoot = await fs.realpath(root).catch(() => {
    throw new ModelManifestError(`model root ${root} does not exist`);
  });
  const candidate = path.resolve(realRoot, userPath);
  const real = await fs.realpath(candidate).catch(() => {
    throw new ModelManifestError(`model path "${userPath}" does not exist under the model root`);
  });
  const rel = path.relative(realRoot, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ModelManifestError(`model path "${userPath}" resolves outside the model root ${root}`);
  }
  return real;
}
