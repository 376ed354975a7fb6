/**
 * The one seeded generator of Sonde's pure libraries (lib/data, lib/probe). Every random
 * choice draws from its own stream keyed by (seed, purpose), so adding a template, a
 * control or a restart never shifts the others, and every result reproduces from its seed.
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
