/**
 * Logit lens on the committed tiny decoders: an unembedding row used as the direction must
 * come out on top, with its token string; a transposed ([d, vocab]) and a float16 export
 * read the same way; a model without an unembedding is refused with a reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadUnembedding, logitLens } from '../../lib/models/logit-lens.ts';

for (const dir of ['test/fixtures/tiny-decoder', 'test/fixtures/tiny-decoder/hf-gpt2', 'test/fixtures/tiny-decoder/hf-gpt2-fp16', 'test/fixtures/tiny-decoder/hf-llama-ext']) {
  test(`logit lens reads the unembedding of ${dir}`, async () => {
    const u = await loadUnembedding(dir);
    assert.ok(u.vocab > 10 && u.dim > 0);
    for (const id of [3, Math.floor(u.vocab / 2), u.vocab - 1]) {
      const row = u.weights.subarray(id * u.dim, (id + 1) * u.dim);
      const { top, bottom } = logitLens(u, row, 5);
      // The row itself scores ‖row‖ (Cauchy–Schwarz): no other token can beat it unless it has a larger norm along it.
      const self = top.find((t) => t.id === id);
      let norm = 0;
      for (const x of row) norm += x * x;
      assert.ok(top[0].score >= Math.sqrt(norm) - 1e-4, 'top score is at least the row norm');
      assert.ok(self || top[0].score > Math.sqrt(norm) - 1e-4);
      assert.ok(bottom[0].score <= top[top.length - 1].score);
      assert.equal(typeof top[0].token, 'string');
    }
  });
}

test('a model without an unembedding is refused with a reason', async () => {
  await assert.rejects(loadUnembedding('test/fixtures/tiny-decoder/hf-bert'), /unembedding/);
});
