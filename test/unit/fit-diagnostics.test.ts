/** Label-free seed diagnostics (lib/fit/diagnostics.ts) on constructed credences. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seedDiagnostics, predictionAgreement } from '../../lib/fit/diagnostics.ts';
import { mulberry32 } from '../support/rng.ts';

const n = 400;
const r = mulberry32(3);
const truth = Float64Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
const distractor = Float64Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
/** Credences that follow `bits` on all but a fraction `noise` of rows, sign `s`. */
const follow = (bits: Float64Array, noise: number, s: 1 | -1, seed: number) => {
  const q = mulberry32(seed);
  return Float64Array.from(bits, (b) => {
    const y = q() < noise ? 1 - b : b;
    const p = 0.2 + 0.6 * y + 0.1 * (q() - 0.5);
    return s === 1 ? p : 1 - p;
  });
};
const dir = (k: number, d = 8) => Float32Array.from({ length: d }, (_, i) => (i === k ? 1 : 0.01 * i));

test('seeds that split between the truth and a distractor are flagged bimodal; agreeing seeds are not', () => {
  const split = [0, 1, 2, 3].map((s) => ({ direction: dir(0), credences: follow(truth, 0.04, 1, s) }))
    .concat([4, 5, 6, 7].map((s) => ({ direction: dir(1), credences: follow(distractor, 0.04, s % 2 ? 1 : -1, s) })));
  const d = seedDiagnostics(split);
  assert.equal(d.seed_bimodal, 1);
  assert.ok(d.seed_cosine! < 0.6, `mixed directions: ${d.seed_cosine}`);
  const same = [0, 1, 2, 3, 4].map((s) => ({ direction: dir(0), credences: follow(truth, 0.04, 1, s) }));
  const e = seedDiagnostics(same);
  assert.equal(e.seed_bimodal, 0);
  assert.ok(e.seed_cosine! > 0.99);
  assert.equal(e.seed_sign_agreement, 1);
  for (const a of e.seed_agreement) assert.ok(a! > 0.9);
});

test('sign agreement counts seeds whose credences run against the others', () => {
  const fits = [0, 1, 2, 3].map((s) => ({ direction: dir(0), credences: follow(truth, 0.02, s === 3 ? -1 : 1, s) }));
  assert.equal(seedDiagnostics(fits).seed_sign_agreement, 0.75);
  assert.ok(predictionAgreement(fits[0].credences, fits[3].credences) > 0.9, 'sign-aligned agreement ignores the flip');
});

test('one seed has no spread to report', () => {
  const d = seedDiagnostics([{ direction: dir(0), credences: truth }]);
  assert.deepEqual(d, { seed_cosine: null, seed_sign_agreement: null, seed_agreement: [null], seed_bimodal: null });
});
