/**
 * tokenizer.json (byte-level BPE) through @huggingface/tokenizers against the ids of
 * make.py's own Python BPE encoder, an independent implementation of the same algorithm.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHfTokenizer } from '../../lib/models/hf-tokenizer.ts';
import { ModelManifestError } from '../../lib/models/model-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/tiny-decoder', import.meta.url));
const ref = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'reference.json'), 'utf8')) as { tokens: { text: string; ids: number[] }[] };

describe('loadHfTokenizer', () => {
  const tok = loadHfTokenizer(FIXTURE, 455);

  for (const { text, ids } of ref.tokens) {
    it(`encodes ${JSON.stringify(text.slice(0, 30))} as the Python BPE does`, () => {
      assert.deepEqual(tok.encode(text), ids);
    });
  }

  it('exposes pad id and vocabulary size', () => {
    assert.equal(tok.padId, 455);
    assert.equal(tok.vocabSize, 456);
    assert.equal(tok.encode('')[0], 455, 'BOS from the post-processor');
  });

  it('fails clearly without tokenizer.json', () => {
    assert.throws(() => loadHfTokenizer(path.dirname(FIXTURE)), (e: Error) => e instanceof ModelManifestError && /tokenizer.json: missing/.test(e.message));
  });
});
