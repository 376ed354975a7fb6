/**
 * tools/export-hf-onnx.py's output for randomly initialised Hugging Face configs
 * (test/fixtures/tiny-decoder/hf-*.json, exported with torch 2.11 + transformers 5.17 on a
 * machine that has them; see docs/models.md) runs through Sonde's extraction and matches
 * the torch hidden states the script saved (check.json: each text run alone): GPT-2 and
 * Llama decoders (left padding), a BERT encoder (right padding), GPT-2 in float16, and
 * Llama with its weights in external data.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExtractionClient } from '../../lib/extract/index.ts';
import { loadHfTokenizer } from '../../lib/models/hf-tokenizer.ts';
import { inspectModelDir } from '../../lib/models/model-dir.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/tiny-decoder', import.meta.url));

describe('Hugging Face exports through Sonde', () => {
  const client = new ExtractionClient({ threads: 1, provider: 'cpu' });
  after(() => client.close());

  const cases: { name: string; kind: 'decoder' | 'encoder'; tol: number; graphPooling: boolean }[] = [
    { name: 'hf-gpt2', kind: 'decoder', tol: 1e-5, graphPooling: true },
    { name: 'hf-llama', kind: 'decoder', tol: 1e-5, graphPooling: true },
    { name: 'hf-bert', kind: 'encoder', tol: 1e-5, graphPooling: true },
    // float16 keeps ~3 significant digits and ORT and torch round differently.
    { name: 'hf-gpt2-fp16', kind: 'decoder', tol: 5e-3, graphPooling: true },
    // The rewritten graph is loaded from a temporary file beside the external data.
    { name: 'hf-llama-ext', kind: 'decoder', tol: 1e-5, graphPooling: true },
  ];
  for (const { name, kind, tol, graphPooling } of cases) {
    const dir = path.join(FIXTURES, name);
    const check = JSON.parse(fs.readFileSync(path.join(dir, 'check.json'), 'utf8')) as {
      texts: string[]; ids: number[][]; last: number[][][]; mean: number[][][];
    };

    it(`${name}: validates, tokenises as transformers did, and matches torch in padded batches`, async () => {
      const info = await inspectModelDir(dir);
      assert.equal(info.manifest.kind, kind);
      const tok = loadHfTokenizer(dir, info.manifest.tokenizer.pad_id);
      assert.deepEqual(check.texts.map((t) => tok.encode(t)), check.ids);
      for (const pooling of ['last', 'mean'] as const) {
        const out = await client.extract({ modelDir: dir, texts: check.texts, layers: 'all', pooling, batchSize: 8 });
        assert.equal(client.lastStats!.graphPooling, graphPooling);
        for (const [layer, m] of out) {
          const want = check[pooling].map((perLayer) => perLayer[layer]);
          const scale = Math.max(1, ...want.flat().map(Math.abs));
          for (let i = 0; i < m.rows; i++) {
            for (let k = 0; k < m.cols; k++) {
              assert.ok(Math.abs(m.data[i * m.cols + k] - want[i][k]) <= tol * scale, `${pooling} layer ${layer} text ${i} dim ${k}: ${m.data[i * m.cols + k]} vs ${want[i][k]}`);
            }
          }
        }
      }
    });
  }

  it('hashes external data with the graph', async () => {
    const { sha256, bytes } = await inspectModelDir(path.join(FIXTURES, 'hf-llama-ext'));
    const files = ['model.onnx', 'model.onnx.data'].map((f) => path.join(FIXTURES, 'hf-llama-ext', f));
    const lines = files.map((f) => `${path.basename(f)} ${createHash('sha256').update(fs.readFileSync(f)).digest('hex')}\n`).join('');
    assert.equal(sha256, createHash('sha256').update(lines).digest('hex'));
    assert.equal(bytes, files.reduce((n, f) => n + fs.statSync(f).size, 0));
  });
});
