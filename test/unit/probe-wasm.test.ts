/** The committed WebAssembly blob is the compiled form of its source (generated code never drifts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BLOB_PATH, compileKernels, renderBlob } from '../../lib/probe/wasm/build.ts';

test('ccs-kernels.wasm.ts is ccs-kernels.wat compiled by wabt (npm run build:wasm)', async () => {
  const bytes = await compileKernels();
  assert.equal(readFileSync(BLOB_PATH, 'utf8'), renderBlob(bytes), 'stale blob: run npm run build:wasm');
});
