/**
 * Seeded randomness for the probe library: restarts, initialisations, k-means++ and the
 * bootstrap each draw from their own stream so that changing one never shifts the others.
 * Never Math.random: every fit must be reproducible from its seed.
 */

import { seededRandom } from '../seeded-random.ts';

export interface Rng {
  /** Uniform on [0, 1). */
  next(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** mulberry32 (public domain, T. Ettinger) keyed by (seed, stream). */
export function rngFor(seed: number, stream: string): Rng {
  const next = seededRandom(seed, stream);
  let spare: number | null = null;
  return {
    next,
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int: (n: number) => Math.floor(next() * n),
  };
}
