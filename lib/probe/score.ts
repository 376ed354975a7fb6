/**
 * Metrics of one probe on one split, from its per-side probabilities: every field of the
 * Metrics row the workers store (label-dependent fields null without labels).
 */
import type { Metrics } from './types.ts';
import { accuracyAt, auroc, bootstrapCi, calibratedAccuracy, ece } from './metrics.ts';
import { ccsLossParts } from './ccs.ts';
import { rngFor } from './random.ts';

export interface ScoreOptions {
  seed?: number;
  /** Sign for `accuracy_signed` (+1 keeps p̃, −1 flips it), chosen from k labelled train examples. */
  sign?: { value: 1 | -1; k: number } | null;
  bootstrap?: number;
  /** Distinguishes the bootstrap streams of different splits. */
  split?: string;
  /** Precomputed resample multiplicities of this (seed, split) stream (metrics.ts resampleCounts). */
  draws?: Uint16Array;
}

/** The random stream of a split's bootstrap (shared by every method scored on it). */
export const bootstrapRng = (seed: number, split: string) => rngFor(seed, `bootstrap:${split}`);

/** +1 or −1 from the probe's accuracy on k random labelled examples (ties keep +1). */
export function signFromLabelled(scores: ArrayLike<number>, labels: Int8Array | undefined, k: number, seed: number): { value: 1 | -1; k: number } | null {
  if (!labels || k <= 0) return null;
  const n = labels.length;
  const rng = rngFor(seed, 'sign-k');
  const idx = Array.from({ length: n }, (_, i) => i);
  const m = Math.min(k, n);
  // Partial Fisher–Yates: the first m positions are a uniform sample without replacement.
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  let correct = 0;
  for (let t = 0; t < m; t++) if ((scores[idx[t]] > 0.5 ? 1 : 0) === labels[idx[t]]) correct++;
  return { value: correct * 2 >= m ? 1 : -1, k: m };
}

export function scoreSides(s: { pPos: Float64Array; pNeg: Float64Array }, labels: Int8Array | undefined, opts: ScoreOptions): Metrics {
  const n = s.pPos.length;
  const scores = s.pPos.map((a, i) => 0.5 * (a + 1 - s.pNeg[i]));
  const parts = ccsLossParts(s.pPos, s.pNeg, 'burns');
  const base: Metrics = {
    n, accuracy: NaN, accuracy_signed: null, sign_k: opts.sign?.k ?? 0, auroc: null, calibrated_accuracy: null, ece: null,
    ccs_loss: parts.loss, consistency_loss: parts.consistency, confidence_loss: parts.confidence,
    accuracy_ci_low: null, accuracy_ci_high: null, auroc_ci_low: null, auroc_ci_high: null,
  };
  if (!labels) return base;
  const raw = accuracyAt(scores, labels);
  // Oracle sign (Burns et al. 2022, §3.1): evaluate the probe with whichever sign is better.
  const flip = raw < 0.5;
  const signed = flip ? scores.map((p) => 1 - p) : scores;
  const m: Metrics = {
    ...base,
    accuracy: Math.max(raw, 1 - raw),
    accuracy_signed: opts.sign ? (opts.sign.value === 1 ? raw : 1 - raw) : null,
    auroc: auroc(signed, labels),
    calibrated_accuracy: calibratedAccuracy(signed, labels),
    ece: ece(signed, labels),
  };
  const resamples = opts.bootstrap ?? 1000;
  if (resamples > 0) {
    const ci = bootstrapCi(signed, labels, resamples, bootstrapRng(opts.seed ?? 0, opts.split ?? ''), opts.draws);
    m.accuracy_ci_low = ci.accuracy[0];
    m.accuracy_ci_high = ci.accuracy[1];
    if (ci.auroc) {
      m.auroc_ci_low = ci.auroc[0];
      m.auroc_ci_high = ci.auroc[1];
    }
  }
  return m;
}
