/** `sonde fit` end to end on .npy files: JSON output, the probe file, and exit code 2 on bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../../lib/npy.ts';
import { main } from '../../cli/commands/fit.ts';
import { predictScores, rngFor } from '../../lib/probe/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sonde-fit-'));
const n = 60, d = 5;
const r = rngFor(4, 'cli');
const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
const pos = new Float32Array(n * d), neg = new Float32Array(n * d);
for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) {
  const c = r.normal();
  pos[i * d + k] = c + (k === 0 ? (labels[i] ? 1 : -1) : 0) + 0.3 * r.normal();
  neg[i * d + k] = c - (k === 0 ? (labels[i] ? 1 : -1) : 0) + 0.3 * r.normal();
}
const file = (name: string, bytes: Uint8Array) => { writeFileSync(join(dir, name), bytes); return join(dir, name); };
const P = file('pos.npy', encodeNpy([n, d], pos));
const N = file('neg.npy', encodeNpy([n, d], Float64Array.from(neg)));
const Y = file('y.npy', encodeNpy([n], labels));
const Y2 = file('y-short.npy', encodeNpy([n - 1], labels.subarray(1)));
const BAD = file('bad.npy', new TextEncoder().encode('not numpy'));
const NEG3 = file('neg3.npy', encodeNpy([n, 3], new Float32Array(n * 3)));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('sonde fit --json prints the metrics and writes a probe that predicts', async () => {
  const probePath = join(dir, 'probe.json');
  const res = await run(['--pos', P, '--neg', N, '--labels', Y, '--test-pos', P, '--test-neg', N, '--test-labels', Y,
    '--method', 'ccs', '--restarts', '3', '--json', '--bootstrap', '100', '--out', probePath]);
  assert.equal(res.code, 0, res.err);
  const o = JSON.parse(res.out);
  assert.equal(o.method, 'ccs');
  assert.ok(o.accuracy > 0.9 && o.auroc > 0.9 && Number.isFinite(o.loss) && o.fit_seconds >= 0);
  assert.equal(o.restarts.length, 3);
  assert.equal(o.evaluated_on, 'test');
  const probe = JSON.parse(readFileSync(probePath, 'utf8'));
  assert.equal(predictScores(probe, { pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg } }).length, n);
  const plain = await run(['--pos', P, '--neg', N, '--method', 'pca']);
  assert.equal(plain.code, 0, plain.err);
  assert.match(plain.out, /pca \(burns, seed 0\)/);
});

test('sonde fit: bad input is one line on stderr and exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--pos', P, '--neg', N], /--method is required/],
    [['--pos', P, '--neg', N, '--method', 'svm'], /--method must be one of/],
    [['--pos', BAD, '--neg', N, '--method', 'pca'], /not a \.npy file/],
    [['--pos', join(dir, 'missing.npy'), '--neg', N, '--method', 'pca'], /cannot read/],
    [['--pos', P, '--neg', NEG3, '--method', 'pca'], /must match/],
    [['--pos', P, '--neg', N, '--labels', Y2, '--method', 'pca'], /59 labels for 60 pairs/],
    [['--pos', P, '--neg', N, '--method', 'lr'], /labels are required/],
    [['--pos', P, '--neg', N, '--labels', P, '--method', 'pca'], /1-D array/],
    [['--pos', P, '--neg', N, '--method', 'pca', '--restarts', '3'], /ccs only/],
    [['--pos', P, '--neg', N, '--method', 'ccs', '--loss', 'hinge'], /loss/],
  ];
  for (const [argv, pattern] of cases) {
    const res = await run(argv);
    assert.equal(res.code, 2, `${argv.join(' ')} → ${res.err}`);
    assert.match(res.err, pattern);
    assert.equal(res.err.split('\n').length, 1, res.err);
  }
});
