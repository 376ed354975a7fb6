/** Loading the tokenizer a model directory\'s manifest names (no ONNX Runtime needed). */
import path from 'node:path';
import { loadHfTokenizer } from './hf-tokenizer.ts';
import { UseTokenizer } from './use-lite/tokenizer.ts';
import type { ModelManifest, Tokenizer } from './types.ts';
import { ModelManifestError } from './model-dir.ts';

/** The tokenizer a manifest names: tokenizer.json, or USE-lite's own (lib/models/use-lite). */
export async function loadModelTokenizer(dir: string, manifest: ModelManifest): Promise<Tokenizer> {
  const type = manifest.tokenizer.type;
  if (type === 'hf-tokenizer-json') return loadHfTokenizer(dir, manifest.tokenizer.pad_id);
  if (type === 'use-sentencepiece') return UseTokenizer.fromFile(path.join(dir, manifest.tokenizer.files[0] ?? 'vocab.json'));
  throw new ModelManifestError(`${dir}: unknown tokenizer type "${type}" (expected hf-tokenizer-json or use-sentencepiece)`);
}

