/**
 * The ActivationStore contract, run against both backends: a local directory and a real
 * S3-protocol server (s3rver, started in-process; see docs/architecture.md for what it
 * does not model). Same entry logic, same answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activationKey, textsSha256, type ActivationKeyParts, type ActivationStore } from '../../infra/store/activation-store.ts';
import { LocalActivationStore } from '../../infra/store/local-store.ts';
import { S3ActivationStore, s3Client } from '../../infra/store/s3-store.ts';
import { mat } from '../../lib/tensor.ts';
import { startS3, type TestS3 } from '../support/s3.ts';

const parts = (template: string, dtype?: 'float16'): ActivationKeyParts => ({ modelSha256: 'c'.repeat(64), dataSha256: textsSha256(['p', 'q', 'r']), template, pooling: 'last', dtype });

let s3: TestS3;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-backends-'));

before(async () => {
  s3 = await startS3();
});
after(async () => {
  await s3.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const backends: [string, () => ActivationStore][] = [
  ['local directory', () => new LocalActivationStore(path.join(tmp, 'local'))],
  ['S3 (s3rver)', () => new S3ActivationStore(s3Client(s3.config), s3.config.bucket, 'test/activations/')],
];

for (const [name, make] of backends) {
  describe(`activation store: ${name}`, () => {
    it('round-trips, reads chosen rows, and keeps float16 as float16 values', async () => {
      const store = make();
      const p = parts('rt');
      const key = activationKey(p);
      assert.equal(await store.get(key, 0, 'texts'), null);
      const m = mat(3, 2, Float32Array.from([1, 2, 3, 4, 5, 6]));
      await store.put(key, p, 0, 'texts', m);
      assert.deepEqual(await store.get(key, 0, 'texts'), m);
      assert.deepEqual(Array.from((await store.getRows(key, 0, 'texts', [2, 0, 2]))!.data), [5, 6, 1, 2, 5, 6]);
      await assert.rejects(store.getRows(key, 0, 'texts', [3]), /out of range/);
      assert.equal(await store.has(key, 1, 'texts'), false);
      await assert.rejects(store.put(key, p, 1, 'texts', mat(4, 2)), /has 3 rows/);
      const p16 = parts('rt16', 'float16');
      const k16 = activationKey(p16);
      await store.put(k16, p16, 0, 'pos', mat(1, 3, Float32Array.from([0.5, -2, 1024])));
      assert.deepEqual(Array.from((await store.getRows(k16, 0, 'pos', null))!.data), [0.5, -2, 1024]);
    });

    it('removes an entry whole, and prunes least recently used first, never a kept one', async () => {
      const store = make();
      const keys: string[] = [];
      for (let i = 0; i < 3; i++) {
        const p = parts(`prune-${i}`);
        keys.push(activationKey(p));
        await store.put(keys[i], p, 0, 'texts', mat(50, 50));
        // S3's LastModified has one-second resolution: space the entries' last uses apart.
        await new Promise((r) => setTimeout(r, 1100));
      }
      await store.get(keys[0], 0, 'texts'); // entry 0 becomes the most recently used
      const { bytes: before } = await store.prune(Number.MAX_SAFE_INTEGER);
      const mine = (await Promise.all(keys.map((k) => store.manifest(k)))).every(Boolean);
      assert.ok(mine && before > 0);
      const one = 50 * 50 * 4;
      const out = await store.prune(before - one - 1, [keys[1]]);
      assert.ok(!out.removed.includes(keys[1]), 'a kept entry is never removed');
      assert.ok(out.removed.includes(keys[2]) && !out.removed.includes(keys[0]), `removed ${out.removed.join(', ')}`);
      assert.equal(await store.get(keys[2], 0, 'texts'), null);
      assert.ok(await store.get(keys[0], 0, 'texts'));
      await store.remove(keys[0]);
      assert.equal(await store.manifest(keys[0]), null);
      assert.equal(await store.get(keys[0], 0, 'texts'), null);
    });
  });
}
