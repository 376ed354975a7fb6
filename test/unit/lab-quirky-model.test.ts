/**
 * The built-in laboratory model models/quirky-facts (tools/lab/train_quirky_facts.py,
 * docs/lab.md), checked through Sonde's own path: its tokenizer against the training
 * script's ids, ONNX Runtime's hidden states against torch's (reference.json), the
 * zero-shot log-odds (last hidden state × the tied unembedding) against torch's, and — on
 * every row of the committed dataset, all held-out statements — that the model's own
 * verdict follows Alice's rule in Alice's contexts and Bob's in Bob's at least 97 % of the
 * time in each character × difficulty cell (the bar: a model that has not learnt
 * the task has no knowledge to discover).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ExtractionClient, loadModelTokenizer } from '../../lib/extract/index.ts';
import { loadModelDir } from '../../lib/models/model-dir.ts';
import { loadUnembedding } from '../../lib/models/logit-lens.ts';
import { COMMITTED_MODELS_DIR, builtinModel } from '../../lib/models/builtin.ts';
import { loadBuiltinDataset } from '../../lib/data/index.ts';
import { row } from '../../lib/tensor.ts';

const DIR = path.join(COMMITTED_MODELS_DIR, 'quirky-facts');
const ref = JSON.parse(fs.readFileSync(path.join(DIR, 'reference.json'), 'utf8')) as {
  texts: string[];
  ids: number[][];
  last: Record<string, number[][]>;
  log_odds: number[];
};

describe('the quirky-facts laboratory model', () => {
  const client = new ExtractionClient({ threads: 1, provider: 'cpu' });
  after(() => client.close());

  it('is a built-in decoder small enough to commit, with its recipe and behaviour in the manifest', async () => {
    const { manifest } = await loadModelDir(DIR);
    const m = builtinModel('quirky-facts');
    assert.ok(m, 'listed among the built-in models');
    assert.equal(m.kind, 'decoder');
    assert.equal(m.layers, manifest.layers.length);
    const bytes = fs.readdirSync(DIR).reduce((n, f) => n + fs.statSync(path.join(DIR, f)).size, 0);
    assert.ok(bytes <= 10e6, `model directory is ${(bytes / 1e6).toFixed(1)} MB (limit 10 MB)`);
    const lab = (manifest as unknown as { lab: Record<string, unknown> }).lab;
    for (const k of ['world', 'seed', 'recipe', 'final_loss', 'fact_recall', 'behaviour']) assert.ok(k in lab, `lab.${k}`);
  });

  it("tokenizes as the training script does", async () => {
    const { manifest } = await loadModelDir(DIR);
    const tok = await loadModelTokenizer(DIR, manifest);
    ref.texts.forEach((t, i) => assert.deepEqual(tok.encode(t), ref.ids[i], t));
  });

  it("ONNX Runtime's hidden states match torch's at every layer (1e-4)", async () => {
    const out = await client.extract({ modelDir: DIR, texts: ref.texts, layers: 'all', pooling: 'last', batchSize: 4 });
    for (const [layer, mat] of out) {
      for (let i = 0; i < mat.rows; i++) {
        const got = row(mat, i);
        const want = ref.last[String(layer)][i];
        for (let k = 0; k < mat.cols; k++) assert.ok(Math.abs(got[k] - want[k]) < 1e-4, `layer ${layer} text ${i} dim ${k}: ${got[k]} vs torch ${want[k]}`);
      }
    }
  });

  /** True-vs-False log-odds at the verdict position, as services/zero-shot.ts computes them. */
  async function logOdds(prefixes: string[]): Promise<number[]> {
    const { manifest } = await loadModelDir(DIR);
    const tok = await loadModelTokenizer(DIR, manifest);
    const last = manifest.layers[manifest.layers.length - 1].index;
    const h = (await client.extract({ modelDir: DIR, texts: prefixes, layers: [last], pooling: 'last', batchSize: 64 })).get(last)!;
    const u = await loadUnembedding(DIR);
    const [tTrue] = tok.encode('True').slice(-1);
    const [tFalse] = tok.encode('False').slice(-1);
    return prefixes.map((_, i) => {
      let s = 0;
      for (let k = 0; k < h.cols; k++) s += (u.weights[tTrue * u.dim + k] - u.weights[tFalse * u.dim + k]) * h.data[i * h.cols + k];
      return s;
    });
  }

  it("the zero-shot log-odds (last hidden state × the unembedding) match torch's logits", async () => {
    const got = await logOdds(ref.texts.map((t) => t.replace(/ True$/, '')));
    got.forEach((g, i) => assert.ok(Math.abs(g - ref.log_odds[i]) < 1e-3, `text ${i}: ${g} vs torch ${ref.log_odds[i]}`));
  });

  it("follows Alice's rule in Alice's contexts and Bob's in Bob's on >= 97 % of the held-out dataset, in every cell", async () => {
    const d = loadBuiltinDataset('quirky-facts');
    const lo = await logOdds(d.items.map((it) => it.text));
    const cells = new Map<string, { ok: number; n: number }>();
    d.items.forEach((it, i) => {
      const ch = it.fields!.character;
      const want = ch === 'Alice' ? it.labels!.alice : it.labels!.bob;
      const key = `${ch}/${it.fields!.difficulty}`;
      const c = cells.get(key) ?? { ok: 0, n: 0 };
      c.ok += Number((lo[i] > 0 ? 1 : 0) === want);
      c.n++;
      cells.set(key, c);
    });
    assert.deepEqual([...cells.keys()].sort(), ['Alice/easy', 'Alice/hard', 'Bob/easy', 'Bob/hard']);
    for (const [k, c] of cells) assert.ok(c.ok / c.n >= 0.97, `${k}: ${(100 * c.ok / c.n).toFixed(1)} % of ${c.n} follow the character's rule`);
  });
});
