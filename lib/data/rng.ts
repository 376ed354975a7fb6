/**
 * Seeded randomness for the data layer. Every random choice (distractor bits, Alice's
 * opinions, multiclass negatives, splits) draws from its own stream, keyed by the job seed
 * and a purpose name, so that adding a template or a control never changes the others.
 */

/** 32-bit FNV-1a hash of a string, used to turn a purpose name into a stream key. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A uniform generator on [0, 1): mulberry32 (Tommy Ettinger's public-domain generator),
 * seeded from (seed, purpose). Deterministic across platforms since it uses only 32-bit ops.
 */
export function seededRandom(seed: number, purpose: string): () => number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  // Fold both halves of a 53-bit seed in, so seeds 1 and 2**32 + 1 differ.
  let a = (fnv1a(purpose) ^ Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.floor(seed / 2 ** 32)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
