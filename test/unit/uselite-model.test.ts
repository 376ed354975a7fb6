/**
 * The converted use-lite ONNX model against the original TF.js model (reference outputs made
 * by test/fixtures/use-lite/make-reference.ts): sentence-embedding cosine ≥ 0.9999 for every
 * fixture sentence, per-token hidden states equal, padded batches equal unpadded runs, and
 * the cache directory is complete, valid and reused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { validateManifest } from '../../lib/models/model-dir.ts';
import { decodeModel } from '../../lib/models/onnx/codec.ts';
import { ensureUseLite, loadTokenizer } from '../../lib/models/use-lite/index.ts';
import { parseNpy } from '../../lib/npy.ts';
import type { ModelManifest, Tokenizer } from '../../lib/models/types.ts';

const FIX = 'test/fixtures/use-lite';
const reference = JSON.parse(fs.readFileSync(path.join(FIX, 'reference.json'), 'utf8')) as {
  sentences: string[];
  token_ids: number[][];
  hidden_sentences: number;
};
const refEmbeddings = parseNpy(fs.readFileSync(path.join(FIX, 'embeddings.npy'))).values;
const refHidden = [0, 1].map((k) => parseNpy(fs.readFileSync(path.join(FIX, `hidden_${k}.npy`))).values);
const D = 512;

interface Outputs {
  hidden: Float32Array[];
  embedding: Float32Array;
}

/** Run a batch; `left` pads on the left instead of the right. */
async function run(session: ort.InferenceSession, batch: number[][], left = false): Promise<Outputs> {
  const seq = Math.max(...batch.map((ids) => ids.length));
  const ids = new BigInt64Array(batch.length * seq);
  const mask = new BigInt64Array(batch.length * seq);
  batch.forEach((row, b) => {
    const offset = b * seq + (left ? seq - row.length : 0);
    row.forEach((id, t) => {
      ids[offset + t] = BigInt(id);
      mask[offset + t] = 1n;
    });
  });
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, [batch.length, seq]),
    attention_mask: new ort.Tensor('int64', mask, [batch.length, seq]),
  });
  return {
    hidden: [out.hidden_0.data as Float32Array, out.hidden_1.data as Float32Array],
    embedding: out.sentence_embedding.data as Float32Array,
  };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('use-lite ONNX model vs the TF.js original', () => {
  let dataDir: string;
  let modelDir: string;
  let manifest: ModelManifest;
  let tokenizer: Tokenizer;
  let session: ort.InferenceSession;
  const single: Outputs[] = [];

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-uselite-'));
    modelDir = await ensureUseLite(dataDir);
    manifest = validateManifest(JSON.parse(fs.readFileSync(path.join(modelDir, 'sonde.json'), 'utf8')));
    tokenizer = loadTokenizer(modelDir, manifest);
    session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'), { intraOpNumThreads: 1 });
    for (const ids of reference.token_ids) single.push(await run(session, [ids]));
  });

  after(async () => {
    await session?.release();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes a complete, valid model directory and reuses it on the next call', async () => {
    assert.equal(modelDir, path.join(dataDir, 'models', 'use-lite'));
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'models')), ['use-lite']); // no temp dir left
    assert.equal(manifest.inputs.style, 'dense');
    assert.deepEqual(manifest.layers.map((l) => [l.index, l.output, l.dim]), [[0, 'hidden_0', 512], [1, 'hidden_1', 512]]);
    assert.equal(manifest.tokenizer.type, 'use-sentencepiece');
    const graph = decodeModel(fs.readFileSync(path.join(modelDir, 'model.onnx'))).graph!;
    assert.deepEqual(graph.output!.map((o) => o.name), ['hidden_0', 'hidden_1', 'sentence_embedding']);
    assert.deepEqual(graph.input!.map((o) => o.name), ['input_ids', 'attention_mask']);
    const mtime = fs.statSync(path.join(modelDir, 'model.onnx')).mtimeMs;
    assert.equal(await ensureUseLite(dataDir), modelDir);
    assert.equal(fs.statSync(path.join(modelDir, 'model.onnx')).mtimeMs, mtime);
    assert.equal(manifest.max_length, 128);
  });

  it('rebuilds a cache written by an older importer', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-uselite-stale-'));
    try {
      const dir = await ensureUseLite(other);
      const stale = { ...JSON.parse(fs.readFileSync(path.join(dir, 'sonde.json'), 'utf8')), source: 'importer v0' };
      fs.writeFileSync(path.join(dir, 'sonde.json'), JSON.stringify(stale));
      fs.writeFileSync(path.join(dir, 'model.onnx'), 'stale');
      assert.equal(await ensureUseLite(other), dir);
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'sonde.json'), 'utf8')).source, manifest.source);
      assert.ok(fs.statSync(path.join(dir, 'model.onnx')).size > 1e6);
      assert.deepEqual(fs.readdirSync(path.join(other, 'models')), ['use-lite']);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('tokenises every fixture sentence as the original does (incl. one past the 128-token limit)', () => {
    reference.sentences.forEach((s, i) => assert.deepEqual(tokenizer.encode(s), reference.token_ids[i], `sentence ${i}`));
    assert.ok(reference.token_ids.some((ids) => ids.length > 128));
  });

  it('sentence embeddings have cosine ≥ 0.9999 with the original for every sentence', (t) => {
    let min = 1;
    single.forEach((o, i) => {
      const c = cosine(o.embedding, refEmbeddings.subarray(i * D, (i + 1) * D));
      min = Math.min(min, c);
      assert.ok(c >= 0.9999, `sentence ${i} ${JSON.stringify(reference.sentences[i])}: cosine ${c}`);
    });
    t.diagnostic(`min cosine over ${single.length} sentences: ${min}`);
  });

  it('per-token hidden states equal the original residual stream after each layer', () => {
    for (const k of [0, 1]) {
      let row = 0;
      for (let i = 0; i < reference.hidden_sentences; i++) {
        const n = reference.token_ids[i].length;
        const ref = refHidden[k].subarray(row * D, (row + n) * D);
        const scale = Math.max(...Array.from(ref, Math.abs));
        assert.ok(maxAbsDiff(single[i].hidden[k], ref) <= 1e-4 * scale, `layer ${k}, sentence ${i}`);
        row += n;
      }
      assert.equal(row * D, refHidden[k].length);
    }
  });

  for (const left of [false, true]) {
    it(`a ${left ? 'left' : 'right'}-padded batch gives the unpadded results; padded positions are zero`, async () => {
      const picks = [0, 3, 11, 75, 124, 29];
      const batch = await run(session, picks.map((i) => reference.token_ids[i]), left);
      const seq = Math.max(...picks.map((i) => reference.token_ids[i].length));
      picks.forEach((i, b) => {
        assert.ok(maxAbsDiff(batch.embedding.subarray(b * D, (b + 1) * D), single[i].embedding) < 1e-5, `embedding of ${i}`);
        const n = reference.token_ids[i].length;
        const start = left ? seq - n : 0;
        for (const k of [0, 1]) {
          const rows = batch.hidden[k].subarray((b * seq + start) * D, (b * seq + start + n) * D);
          assert.ok(maxAbsDiff(rows, single[i].hidden[k]) < 1e-4, `layer ${k} of ${i}`);
          const pad = left ? batch.hidden[k].subarray(b * seq * D, (b * seq + start) * D) : batch.hidden[k].subarray((b * seq + n) * D, (b + 1) * seq * D);
          assert.ok(pad.every((v) => v === 0), `padding of ${i}, layer ${k}`);
        }
      });
    });
  }
});
