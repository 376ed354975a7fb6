/**
 * Seeded randomness for the data layer. Every random choice (distractor bits, Alice's
 * opinions, multiclass negatives, splits) draws from its own stream, keyed by the job seed
 * and a purpose name, so that adding a template or a control never changes the others.
 */

export { seededRandom } from '../seeded-random.ts';
import { seededRandom } from '../seeded-random.ts';

/** Fisher–Yates shuffle in place (Knuth, TAOCP vol. 2, Algorithm P). */
export function shuffleInPlace<T extends { length: number; [i: number]: any }>(xs: T, random: () => number): T {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = xs[i];
    xs[i] = xs[j];
    xs[j] = tmp;
  }
  return xs;
}

/**
 * n bits with exactly round(fraction · n) ones at random positions. Exact counts (rather
 * than independent coin flips) keep a control balanced on small datasets, so a 60 %
 * "distractor accuracy" cannot come from an unlucky draw of h.
 */
export function balancedBits(n: number, fraction: number, random: () => number): Int8Array {
  const bits = new Int8Array(n);
  const ones = Math.round(fraction * n);
  for (let i = 0; i < ones; i++) bits[i] = 1;
  return shuffleInPlace(bits, random);
}
