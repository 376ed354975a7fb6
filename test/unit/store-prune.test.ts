/** Least-recently-used eviction of the activation store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activationKey, textsSha256, type ActivationKeyParts } from '../../infra/store/activation-store.ts';
import { LocalActivationStore } from '../../infra/store/local-store.ts';
import { mat } from '../../lib/tensor.ts';

test('prune removes least-recently-used entries until the store fits, never a kept one', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-prune-'));
  try {
    const store = new LocalActivationStore(root);
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const parts: ActivationKeyParts = { modelSha256: 'a'.repeat(64), dataSha256: textsSha256([`t${i}`]), template: '', pooling: 'mean' };
      const key = activationKey(parts);
      keys.push(key);
      await store.put(key, parts, 0, 'texts', mat(100, 100));
      await new Promise((r) => setTimeout(r, 20));
    }
    await store.get(keys[0], 0, 'texts'); // entry 0 becomes the most recently used
    const one = (await store.prune(Number.MAX_SAFE_INTEGER)).bytes / 3;
    const out = await store.prune(Math.ceil(one * 2.5), [keys[1]]);
    assert.deepEqual(out.removed, [keys[2]], 'entry 1 is older but kept; entry 2 is the least recently used of the rest');
    assert.equal(await store.get(keys[2], 0, 'texts'), null);
    assert.ok(await store.get(keys[0], 0, 'texts'));
    assert.ok(await store.get(keys[1], 0, 'texts'));
    const all = await store.prune(0);
    assert.equal(all.removed.length, 2);
    assert.equal(all.bytes, 0);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
