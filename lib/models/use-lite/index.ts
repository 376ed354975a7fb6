/**
 * The built-in default model `use-lite`: converted from the npm package on first use and
 * cached as a Sonde model directory (docs/use-lite.md):
 *
 *   <dataDir>/models/use-lite/  model.onnx, vocab.json (copied), sonde.json (ModelManifest)
 *
 * Conversion writes into a temporary sibling directory and renames it into place, so a
 * crash never leaves a half-written model that looks complete, and two processes racing
 * on first use both end with the same finished directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeModel } from '../onnx/codec.ts';
import { loadHfTokenizer } from '../hf-tokenizer.ts';
import { ModelManifestError } from '../model-dir.ts';
import type { ModelManifest, Tokenizer } from '../types.ts';
import { USE_LITE_HIDDEN, USE_LITE_MAX_TOKENS, USE_LITE_OUTPUTS, buildUseLiteOnnx } from './convert.ts';
import { UseTokenizer } from './tokenizer.ts';
import { USE_LITE_PACKAGE, readTfjsWeights, useLitePackageDir, useLitePackageVersion } from './weights.ts';

export { UseTokenizer } from './tokenizer.ts';
export { USE_LITE_MAX_TOKENS } from './convert.ts';

export const USE_LITE_NAME = 'use-lite';
/** Bumped whenever the conversion or the manifest changes, so cached copies are rebuilt. */
export const USE_LITE_IMPORTER_VERSION = 2;

export function useLiteManifest(packageVersion: string): ModelManifest {
  return {
    format: 'sonde-model/1',
    name: USE_LITE_NAME,
    kind: 'encoder',
    hidden_size: USE_LITE_HIDDEN,
    layers: USE_LITE_OUTPUTS.layers.map((output, index) => ({
      index,
      output,
      dim: USE_LITE_HIDDEN,
      description: `residual stream after Transformer layer ${index} (TF tensor …/TransformerStack/Layer_${index}/TransformerLayer/FFN/layer_postprocess/add); zero at padded positions`,
    })),
    default_pooling: 'mean',
    inputs: { style: 'dense', input_ids: 'input_ids', attention_mask: 'attention_mask' },
    tokenizer: { type: 'use-sentencepiece', files: ['vocab.json'], pad_id: 0, padding_side: 'right' },
    extra_outputs: { sentence_embedding: USE_LITE_OUTPUTS.sentence },
    // The original silently drops tokens past 128 (ClipToMaxLength); Sonde rejects such
    // texts instead, so every stored activation comes from tokens the model really saw.
    max_length: USE_LITE_MAX_TOKENS,
    license: 'Apache-2.0',
    source: `npm ${USE_LITE_PACKAGE}@${packageVersion} (Universal Sentence Encoder-lite, TF.js graph model), converted to ONNX by Sonde's use-lite importer v${USE_LITE_IMPORTER_VERSION}`,
  };
}

function isComplete(dir: string): boolean {
  return ['model.onnx', 'vocab.json', 'sonde.json'].every((f) => fs.existsSync(path.join(dir, f)));
}

/** Complete and written by this importer version for this package version. */
function isCurrent(dir: string, packageVersion: string): boolean {
  if (!isComplete(dir)) return false;
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'sonde.json'), 'utf8')) as ModelManifest;
    return m.source === useLiteManifest(packageVersion).source;
  } catch {
    return false;
  }
}

/** Convert the npm package into `<dataDir>/models/use-lite/` unless already there; returns that directory. */
export async function ensureUseLite(dataDir: string): Promise<string> {
  const target = path.join(dataDir, 'models', USE_LITE_NAME);
  const dist = useLitePackageDir();
  const version = useLitePackageVersion(dist);
  if (isCurrent(target, version)) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(target), `.${USE_LITE_NAME}-tmp-`));
  try {
    const model = buildUseLiteOnnx(readTfjsWeights(dist), `npm ${USE_LITE_PACKAGE}@${version}`);
    fs.writeFileSync(path.join(tmp, 'model.onnx'), encodeModel(model));
    fs.copyFileSync(path.join(dist, 'vocab.json'), path.join(tmp, 'vocab.json'));
    fs.writeFileSync(path.join(tmp, 'sonde.json'), JSON.stringify(useLiteManifest(version), null, 2) + '\n');
    if (fs.existsSync(target) && !isCurrent(target, version)) {
      // An older conversion (or a damaged one): move it aside, then drop it.
      const old = `${tmp}-old`;
      fs.renameSync(target, old);
      fs.rmSync(old, { recursive: true, force: true });
    }
    try {
      fs.renameSync(tmp, target);
    } catch (err) {
      // Another process finished first (rename onto a non-empty directory fails): use theirs.
      if (!isCurrent(target, version)) throw err;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}

/** The tokenizer a model directory's manifest names. */
export function loadTokenizer(modelDir: string, manifest: ModelManifest): Tokenizer {
  switch (manifest.tokenizer.type) {
    case 'use-sentencepiece':
      return UseTokenizer.fromFile(path.join(modelDir, manifest.tokenizer.files[0] ?? 'vocab.json'));
    case 'hf-tokenizer-json':
      return loadHfTokenizer(modelDir, manifest.tokenizer.pad_id);
    default:
      throw new ModelManifestError(`${modelDir}/sonde.json: unknown tokenizer type "${manifest.tokenizer.type}" (expected use-sentencepiece or hf-tokenizer-json)`);
  }
}
