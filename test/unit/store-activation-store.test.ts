/** The content-addressed activation store on a temporary directory, and cached extraction. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activationKey, textsSha256, type ActivationKeyParts } from '../../infra/store/activation-store.ts';
import { LocalActivationStore } from '../../infra/store/local-store.ts';
import { ExtractionClient } from '../../lib/extract/index.ts';
import { extractCached } from '../../services/extraction.ts';
import { mat } from '../../lib/tensor.ts';
import { parseNpy } from '../../lib/npy.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/tiny-decoder', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-store-'));
const parts: ActivationKeyParts = { modelSha256: 'a'.repeat(64), dataSha256: textsSha256(['x', 'y']), template: 't1', pooling: 'mean' };

describe('activation store', () => {
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('keys change with every part and are stable', () => {
    const k = activationKey(parts);
    assert.match(k, /^[0-9a-f]{64}$/);
    assert.equal(activationKey({ ...parts }), k);
    assert.equal(activationKey({ ...parts, dtype: 'float32' }), k);
    for (const change of [{ template: 't2' }, { pooling: 'last' as const }, { dtype: 'float16' as const }, { modelSha256: 'b'.repeat(64) }]) {
      assert.notEqual(activationKey({ ...parts, ...change }), k);
    }
    assert.notEqual(textsSha256(['ab']), textsSha256(['a', 'b']));
    assert.throws(() => activationKey({ ...parts, modelSha256: 'nope' }), /sha256/);
  });

  it('round-trips layers and sides; absent ones are misses', async () => {
    const store = new LocalActivationStore(root);
    const key = activationKey(parts);
    assert.equal(await store.has(key, 0, 'pos'), false);
    assert.equal(await store.get(key, 0, 'pos'), null);
    const m = mat(2, 3, Float32Array.from([1, 2, 3, 4, 5, 6.5]));
    await store.put(key, parts, 0, 'pos', m);
    await store.put(key, parts, 0, 'neg', mat(2, 3));
    assert.deepEqual(await store.get(key, 0, 'pos'), m);
    assert.equal(await store.has(key, 0, 'neg'), true);
    assert.equal(await store.has(key, 1, 'pos'), false);
    const dir = path.join(root, key.slice(0, 2), key);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['layer_0_neg.npy', 'layer_0_pos.npy', 'manifest.json']);
    await assert.rejects(store.put(key, parts, 1, 'pos', mat(3, 3)), /has 2 rows/);
    await assert.rejects(store.put(activationKey({ ...parts, template: 'x' }), parts, 0, 'pos', m), /does not match/);
  });

  it('a file without a manifest entry is not visible (interrupted write)', async () => {
    const store = new LocalActivationStore(root);
    const p2 = { ...parts, template: 'partial' };
    const key = activationKey(p2);
    await store.put(key, p2, 0, 'pos', mat(1, 2));
    // Simulate a crash after the .npy rename but before the manifest update.
    fs.writeFileSync(path.join(root, key.slice(0, 2), key, 'layer_3_pos.npy'), 'garbage');
    assert.equal(await store.has(key, 3, 'pos'), false);
    assert.equal(await store.get(key, 3, 'pos'), null);
  });

  it('stores float16 entries as <f2', async () => {
    const store = new LocalActivationStore(root);
    const p16 = { ...parts, dtype: 'float16' as const };
    const key = activationKey(p16);
    await store.put(key, p16, 2, 'texts', mat(1, 2, Float32Array.from([0.5, -2])));
    const bytes = fs.readFileSync(path.join(root, key.slice(0, 2), key, 'layer_2_texts.npy'));
    assert.equal(parseNpy(bytes).dtype, '<f2');
    assert.deepEqual(Array.from((await store.get(key, 2, 'texts'))!.data), [0.5, -2]);
  });

  it('a repeated extraction is a cache hit that runs nothing; a new layer runs only that layer', async () => {
    const client = new ExtractionClient({ threads: 1, provider: 'cpu' });
    const store = new LocalActivationStore(path.join(root, 'cache'));
    const req = { modelDir: FIXTURE, texts: ['the movie was great', 'it was awful'], layers: [1], pooling: 'last' as const };
    try {
      const first = await extractCached(client, store, req);
      assert.deepEqual([first.hits, first.computed], [[], [1]]);
      const stats = client.lastStats;
      const second = await extractCached(client, store, req);
      assert.deepEqual([second.hits, second.computed], [[1], []]);
      assert.equal(client.lastStats, stats, 'the model must not run again');
      assert.deepEqual(second.layers.get(1), first.layers.get(1));
      const third = await extractCached(client, store, { ...req, layers: [1, 2] });
      assert.deepEqual([third.hits, third.computed], [[1], [2]]);
    } finally {
      await client.close();
    }
  });
});
