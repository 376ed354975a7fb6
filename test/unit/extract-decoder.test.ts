/**
 * The decoder path end to end through ExtractionClient (a real child process and ONNX
 * Runtime session) on the tiny decoder fixture, against torch's hidden states
 * (test/fixtures/tiny-decoder/make.py).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExtractionClient, ExtractInputError, type Pooling } from '../../lib/extract/index.ts';
import { row, type Mat } from '../../lib/tensor.ts';
import { floatToHalf, halfToFloat } from '../../lib/npy.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/tiny-decoder', import.meta.url));
const ref = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'reference.json'), 'utf8')) as {
  texts: string[];
  pooled: Record<string, Record<Pooling, number[][]>>;
};

function maxAbsDiff(a: Mat, b: Mat): number {
  assert.equal(a.rows, b.rows);
  assert.equal(a.cols, b.cols);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

/** A copy of the fixture whose sonde.json says padding_side 'right'. */
function rightPaddedCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-tiny-right-'));
  for (const f of fs.readdirSync(FIXTURE).filter((f) => fs.statSync(path.join(FIXTURE, f)).isFile())) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'sonde.json'), 'utf8'));
  manifest.tokenizer.padding_side = 'right';
  fs.writeFileSync(path.join(dir, 'sonde.json'), JSON.stringify(manifest));
  return dir;
}

describe('ExtractionClient on the tiny decoder', () => {
  const client = new ExtractionClient({ threads: 1, provider: 'cpu' });
  let rightDir = '';
  before(() => { rightDir = rightPaddedCopy(); });
  after(async () => {
    await client.close();
    fs.rmSync(rightDir, { recursive: true, force: true });
  });

  for (const pooling of ['last', 'first', 'mean'] as const) {
    it(`matches torch's ${pooling}-pooled hidden states of every layer (batched, left padding)`, async () => {
      const out = await client.extract({ modelDir: FIXTURE, texts: ref.texts, layers: 'all', pooling, batchSize: 3 });
      assert.deepEqual([...out.keys()], [0, 1, 2]);
      for (const [layer, m] of out) {
        const expected = ref.pooled[String(layer)][pooling];
        assert.equal(m.rows, ref.texts.length);
        for (let i = 0; i < m.rows; i++) {
          const got = row(m, i);
          for (let k = 0; k < m.cols; k++) {
            assert.ok(Math.abs(got[k] - expected[i][k]) < 1e-5, `layer ${layer} text ${i} dim ${k}: ${got[k]} vs torch ${expected[i][k]}`);
          }
        }
      }
    });
  }

  it('left- and right-padded batches give the same last-token activations as unpadded single runs', async () => {
    // Lengths differ a lot, so every batch of 8 is heavily padded.
    const texts = [...ref.texts, 'a much longer sentence about the movie, which was, on the whole, rather good'];
    const single = await client.extract({ modelDir: FIXTURE, texts, layers: [1, 2], pooling: 'last', batchSize: 1 });
    const left = await client.extract({ modelDir: FIXTURE, texts, layers: [1, 2], pooling: 'last', batchSize: 8 });
    const right = await client.extract({ modelDir: rightDir, texts, layers: [1, 2], pooling: 'last', batchSize: 8 });
    for (const l of [1, 2]) {
      assert.ok(maxAbsDiff(left.get(l)!, single.get(l)!) < 1e-5, `left padding, layer ${l}`);
      assert.ok(maxAbsDiff(right.get(l)!, single.get(l)!) < 1e-5, `right padding, layer ${l}`);
    }
    // Padding changes nothing, but the texts do: guard against a constant output.
    assert.ok(maxAbsDiff(
      { rows: 1, cols: 32, data: row(single.get(2)!, 0) },
      { rows: 1, cols: 32, data: row(single.get(2)!, 1) },
    ) > 1e-3);
  });

  it('pools inside the graph, and the JavaScript pooling path gives the same numbers', async () => {
    const js = new ExtractionClient({ threads: 1, provider: 'cpu', graphPooling: false });
    try {
      const texts = [...ref.texts, 'a much longer sentence about the movie, which was, on the whole, rather good'];
      for (const pooling of ['last', 'first', 'mean'] as const) {
        const req = { modelDir: FIXTURE, texts, layers: 'all' as const, pooling, batchSize: 4 };
        const inGraph = await client.extract(req);
        assert.equal(client.lastStats!.graphPooling, true);
        const inJs = await js.extract(req);
        assert.equal(js.lastStats!.graphPooling, false);
        for (const l of [0, 1, 2]) assert.ok(maxAbsDiff(inGraph.get(l)!, inJs.get(l)!) < 1e-5, `${pooling} layer ${l}`);
      }
    } finally {
      await js.close();
    }
  });

  it("provider 'auto' falls back to CPU where CUDA is absent, without failing", async () => {
    const auto = new ExtractionClient({ threads: 1 });
    try {
      const out = await auto.extract({ modelDir: FIXTURE, texts: ref.texts.slice(0, 2), layers: [2], pooling: 'last' });
      assert.ok(['cpu', 'cuda'].includes(auto.lastStats!.provider));
      assert.equal(out.get(2)!.rows, 2);
    } finally {
      await auto.close();
    }
  });

  it('reports progress after each batch, ending at the total', async () => {
    const seen: [number, number][] = [];
    await client.extract({ modelDir: FIXTURE, texts: ref.texts, layers: [0], pooling: 'mean', batchSize: 3 }, (d, t) => seen.push([d, t]));
    assert.deepEqual(seen, [[3, 8], [6, 8], [8, 8]]);
  });

  it('float16 storage returns the float32 values rounded to half precision', async () => {
    const req = { modelDir: FIXTURE, texts: ref.texts, layers: [2], pooling: 'last' as const };
    const f32 = (await client.extract(req)).get(2)!;
    const f16 = (await client.extract({ ...req, dtype: 'float16' })).get(2)!;
    for (let i = 0; i < f32.data.length; i++) assert.equal(f16.data[i], halfToFloat(floatToHalf(f32.data[i])));
  });

  it('rejects unknown layers and empty texts with ExtractInputError', async () => {
    await assert.rejects(client.extract({ modelDir: FIXTURE, texts: ['a'], layers: [7], pooling: 'last' }), (e: Error) => e instanceof ExtractInputError && /no layer\(s\) 7/.test(e.message));
    const long = 'word '.repeat(200);
    await assert.rejects(client.extract({ modelDir: FIXTURE, texts: [long], layers: [0], pooling: 'last' }), (e: Error) => e instanceof ExtractInputError && /at most 64/.test(e.message));
  });

  it('aborts promptly and works again afterwards', async () => {
    const texts = Array.from({ length: 4000 }, (_, i) => `review number ${i}: ${'the plot is thin but the music is great '.repeat(1 + (i % 3))}`);
    const ctl = new AbortController();
    const started = Date.now();
    await assert.rejects(
      client.extract({ modelDir: FIXTURE, texts, layers: 'all', pooling: 'mean', batchSize: 1 }, () => ctl.abort(), ctl.signal),
      (e: Error) => e.name === 'AbortError',
    );
    assert.ok(Date.now() - started < 30_000);
    const again = await client.extract({ modelDir: FIXTURE, texts: ref.texts.slice(0, 2), layers: [0], pooling: 'first' });
    assert.equal(again.get(0)!.rows, 2);
  });
});
