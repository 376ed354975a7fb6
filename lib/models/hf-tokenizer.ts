/**
 * Hugging Face `tokenizer.json` tokenizers (byte-level BPE as GPT-2 / Llama-3 / Qwen use,
 * WordPiece, Unigram) through `@huggingface/tokenizers`, a dependency-free JS port that
 * reads local files and never touches the network.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { Tokenizer } from './types.ts';
import { ModelManifestError } from './model-dir.ts';

function readJson(file: string, required: boolean): object | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    if (!required) return null;
    throw new ModelManifestError(`${file}: missing (a Hugging Face tokenizer needs tokenizer.json)`);
  }
  try {
    return JSON.parse(text) as object;
  } catch (e) {
    throw new ModelManifestError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Loads `dir/tokenizer.json` (+ `tokenizer_config.json` when present). Special tokens are
 * added as the tokenizer's post-processor says (e.g. Llama's BOS), as the model was
 * trained. `padId` overrides the pad token: decoders such as GPT-2 have none, and any id
 * works because padded positions are masked.
 */
export function loadHfTokenizer(dir: string, padId?: number): Tokenizer {
  const json = readJson(path.join(dir, 'tokenizer.json'), true) as Record<string, unknown>;
  const config = (readJson(path.join(dir, 'tokenizer_config.json'), false) ?? {}) as Record<string, unknown>;
  let tok: HfTokenizer;
  try {
    tok = new HfTokenizer(json, config);
  } catch (e) {
    throw new ModelManifestError(`${dir}/tokenizer.json: cannot be loaded (${(e as Error).message})`);
  }
  const vocabSize = tok.get_vocab().size;
  const padToken = typeof config.pad_token === 'string' ? config.pad_token : null;
  const pad: number = padId ?? (padToken ? tok.token_to_id(padToken) : undefined) ?? 0;
  return {
    encode: (text: string) => tok.encode(text).ids,
    padId: pad,
    vocabSize,
  };
}
