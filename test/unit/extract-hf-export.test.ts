/**
 * tools/export-hf-onnx.py's output for randomly initialised Hugging Face GPT-2 and Llama
 * configs (test/fixtures/tiny-decoder/hf-*.json, exported with torch 2.11 + transformers
 * 5.17 on a machine that has them; see docs/models.md) runs through Sonde's extraction and
 * matches the torch hidden states the script saved (check.json: each text run alone).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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

  for (const name of ['hf-gpt2', 'hf-llama']) {
    const dir = path.join(FIXTURES, name);
    const check = JSON.parse(fs.readFileSync(path.join(dir, 'check.json'), 'utf8')) as {
      texts: string[]; ids: number[][]; last: number[][][]; mean: number[][][];
    };

    it(`${name}: validates, tokenises as transformers did, and matches torch with left-padded batches`, async () => {
      const info = await inspectModelDir(dir);
      assert.equal(info.manifest.kind, 'decoder');
      const tok = loadHfTokenizer(dir, info.manifest.tokenizer.pad_id);
      assert.deepEqual(check.texts.map((t) => tok.encode(t)), check.ids);
      for (const pooling of ['last', 'mean'] as const) {
        const out = await client.extract({ modelDir: dir, texts: check.texts, layers: 'all', pooling, batchSize: 8 });
        for (const [layer, m] of out) {
          for (let i = 0; i < m.rows; i++) {
            const want = check[pooling][i][layer];
            for (let k = 0; k < m.cols; k++) {
              assert.ok(Math.abs(m.data[i * m.cols + k] - want[k]) < 1e-4, `${pooling} layer ${layer} text ${i} dim ${k}`);
            }
          }
        }
      }
    });
  }
});
