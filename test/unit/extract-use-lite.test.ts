/**
 * use-lite through the whole extraction path (tokeniser, length batching, right padding,
 * in-graph pooling, child process) against the ORIGINAL TF.js model's per-token hidden
 * states (test/fixtures/use-lite/, made by its make-reference.ts), pooled here.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExtractionClient } from '../../lib/extract/index.ts';
import { ensureUseLite } from '../../lib/models/use-lite/index.ts';
import { parseNpy } from '../../lib/npy.ts';

const FIX = fileURLToPath(new URL('../fixtures/use-lite', import.meta.url));
const ref = JSON.parse(fs.readFileSync(path.join(FIX, 'reference.json'), 'utf8')) as { sentences: string[]; token_ids: number[][]; hidden_sentences: number };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-uselite-extract-'));

/** TF.js per-token rows of sentence i, layer k. */
function tfjsRows(k: number): Float64Array[][] {
  const a = parseNpy(fs.readFileSync(path.join(FIX, `hidden_${k}.npy`)));
  const dim = a.shape[1];
  const out: Float64Array[][] = [];
  let row = 0;
  for (let i = 0; i < ref.hidden_sentences; i++) {
    out.push(ref.token_ids[i].map(() => a.values.subarray(dim * row, dim * ++row)));
  }
  return out;
}

describe('use-lite extraction against TF.js', () => {
  const client = new ExtractionClient({ threads: 1, provider: 'cpu' });
  after(async () => {
    await client.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('mean/first/last pooled layers match the pooled TF.js hidden states', async () => {
    const dir = await ensureUseLite(tmp);
    const texts = ref.sentences.slice(0, ref.hidden_sentences);
    for (const pooling of ['mean', 'first', 'last'] as const) {
      const out = await client.extract({ modelDir: dir, texts, layers: 'all', pooling, batchSize: 4 });
      for (const k of [0, 1]) {
        const rows = tfjsRows(k);
        const m = out.get(k)!;
        let worst = 0;
        let scale = 0;
        rows.forEach((tokens, i) => {
          for (let d = 0; d < m.cols; d++) {
            const want = pooling === 'mean' ? tokens.reduce((s, t) => s + t[d], 0) / tokens.length
              : (pooling === 'first' ? tokens[0] : tokens[tokens.length - 1])[d];
            worst = Math.max(worst, Math.abs(m.data[i * m.cols + d] - want));
            scale = Math.max(scale, Math.abs(want));
          }
        });
        assert.ok(worst < 1e-5 * Math.max(1, scale), `${pooling} layer ${k}: max diff ${worst} (scale ${scale})`);
      }
    }
    assert.equal(client.lastStats!.graphPooling, true);
  });
});
