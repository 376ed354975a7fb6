/**
 * `sonde extract`: activations of a text file, offline (no server).
 *
 *   sonde extract --model use-lite|NAME|PATH --input FILE.jsonl|FILE.txt --layers all|0,1
 *                 --pooling last|first|mean --out DIR [--dtype float16] [--batch-size N]
 *                 [--threads N] [--provider auto|cpu|cuda] [--no-cache]
 *
 * Writes DIR/layer_<k>.npy (n×d, float32 or float16) and DIR/manifest.json. Results are
 * also kept in the activation store (SONDE_DATA_DIR/activations), so running the same
 * extraction again reads them back without starting the model.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { intFlag, parseArgs, required, str, UsageError } from '../args.ts';
import { encodeMat, encodeNpy, floatToHalf } from '../../lib/npy.ts';
import { hashModelDir } from '../../lib/models/model-dir.ts';
import { ExtractionClient, type Pooling, type Provider } from '../../lib/extract/index.ts';
import { extractCached } from '../../services/extraction.ts';
import { textsSha256 } from '../../infra/store/activation-store.ts';
import { createStores } from '../../infra/store/index.ts';
import { loadConfig } from '../../infra/config.ts';
import { resolveModelOffline } from '../../services/models.ts';

const HELP = `usage: sonde extract --model use-lite|NAME|PATH --input FILE.jsonl|FILE.txt --out DIR
         [--layers all|0,1] [--pooling last|first|mean] [--dtype float32|float16]
         [--batch-size N] [--threads N] [--provider auto|cpu|cuda] [--no-cache]

  --input   .txt: one text per line (blank lines skipped); .jsonl: one JSON string or
            {"text": ...} object per line
  --pooling default: the model's default_pooling (decoders: last, use-lite: mean)
  Model NAME is looked up under $SONDE_DATA_DIR/models (default ./data/models).`;

/** Texts of a .txt (a line each) or .jsonl (a string or {"text"} per line) file. */
export async function readTexts(file: string): Promise<string[]> {
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read --input ${file}`);
  }
  const lines = raw.split(/\r?\n/);
  if (!file.endsWith('.jsonl') && !file.endsWith('.json')) return lines.filter((l) => l.trim().length > 0);
  const texts: string[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new UsageError(`${file}:${i + 1}: not valid JSON`);
    }
    const t = typeof v === 'string' ? v : (v as { text?: unknown })?.text;
    if (typeof t !== 'string') throw new UsageError(`${file}:${i + 1}: expected a JSON string or an object with a "text" string`);
    texts.push(t);
  });
  return texts;
}

function parseLayers(v: string): number[] | 'all' {
  if (v === 'all') return 'all';
  const out = v.split(',').map((s) => Number(s.trim()));
  if (out.some((n) => !Number.isInteger(n) || n < 0)) throw new UsageError(`--layers must be "all" or indices like 0,1; got "${v}"`);
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['no-cache', 'help']);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const config = loadConfig();
  const { dir: modelDir, manifest } = await resolveModelOffline(config, required(flags, 'model'));
  const input = required(flags, 'input');
  const out = required(flags, 'out');
  const layers = parseLayers(str(flags, 'layers', 'all')!);
  const dtype = str(flags, 'dtype', 'float32');
  if (dtype !== 'float32' && dtype !== 'float16') throw new UsageError(`--dtype must be float32 or float16, got "${dtype}"`);
  const provider = str(flags, 'provider', 'auto') as Provider;
  if (!['auto', 'cpu', 'cuda'].includes(provider)) throw new UsageError(`--provider must be auto, cpu or cuda, got "${provider}"`);
  const batchSize = intFlag(flags, 'batch-size', 32)!;
  if (batchSize < 1) throw new UsageError('--batch-size must be at least 1');
  const threads = intFlag(flags, 'threads');

  const pooling = (str(flags, 'pooling') ?? manifest.default_pooling) as Pooling;
  if (!['last', 'first', 'mean'].includes(pooling)) throw new UsageError(`--pooling must be last, first or mean, got "${pooling}"`);
  const texts = await readTexts(input);
  if (texts.length === 0) throw new UsageError(`${input}: no texts`);

  const client = new ExtractionClient({ threads, provider });
  const started = performance.now();
  const tty = process.stderr.isTTY;
  const onProgress = (done: number, total: number) => {
    if (tty) process.stderr.write(`\rextract ${done}/${total}`);
  };
  const req = { modelDir, texts, layers, pooling, dtype, batchSize } as const;
  let result: Map<number, import('../../lib/tensor.ts').Mat>;
  let cache = 'off';
  try {
    if (flags['no-cache']) {
      result = await client.extract(req, onProgress);
    } else {
      const r = await extractCached(client, createStores(config).cache, req, { onProgress });
      result = r.layers;
      cache = r.computed.length === 0 ? 'hit' : r.hits.length ? 'partial' : 'miss';
    }
  } finally {
    if (tty) process.stderr.write('\n');
    await client.close();
  }

  await fs.mkdir(out, { recursive: true });
  const dims: Record<string, number> = {};
  for (const [layer, m] of result) {
    dims[layer] = m.cols;
    const bytes = dtype === 'float16' ? encodeNpy([m.rows, m.cols], Uint16Array.from(m.data, floatToHalf), '<f2') : encodeMat(m);
    await fs.writeFile(path.join(out, `layer_${layer}.npy`), bytes);
  }
  const { sha256 } = await hashModelDir(modelDir, manifest);
  const stats = client.lastStats;
  await fs.writeFile(path.join(out, 'manifest.json'), `${JSON.stringify({
    model: manifest.name, model_dir: modelDir, model_sha256: sha256, input: path.resolve(input),
    texts_sha256: textsSha256(texts), n: texts.length, layers: [...result.keys()], dims, pooling, dtype,
    files: [...result.keys()].map((l) => `layer_${l}.npy`), cache, provider: cache === 'hit' ? null : stats?.provider ?? null,
    created_at: new Date().toISOString(),
  }, null, 2)}\n`);
  const secs = (performance.now() - started) / 1000;
  console.log(`${texts.length} texts × ${result.size} layer(s) → ${out} (${secs.toFixed(1)} s, cache ${cache})`);
  return 0;
}
