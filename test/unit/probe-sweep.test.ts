/**
 * `npm run bench:sweep -- --quick` as a smoke test: the planted sweep runs through fitLayer
 * sequentially and on two processes and prints its report. Nothing is timed here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('bench:sweep --quick runs every mode and prints the report', () => {
  const script = fileURLToPath(new URL('../../bench/sweep.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--quick'], { encoding: 'utf8', timeout: 120_000 });
  assert.match(out, /^sequential\s+1\s/m);
  assert.match(out, /^parallel\s+2\s/m);
  assert.match(out, /speed-up from 2 processes/);
  assert.match(out, /per-method fit time .*ccs [\d.]+ s/);
  assert.match(out, /mean test accuracy .*lr 0\.\d+/);
});
