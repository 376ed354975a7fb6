/**
 * Ensembling across prompt templates, in the three modes of EleutherAI's elk
 * (`--ensembling none|partial|full`). A probe gives each side of a pair a score: a
 * credence p in [0, 1] (CCS, LR) or a real projection s (PCA, k-means distance, …).
 *
 * - `none`: one prediction per (item, template) from the pos side alone, p(x+) > 0.5
 *   (for real scores s(x+) > 0). Accuracy is over all rows.
 * - `partial`: one prediction per (item, template) from both sides, the pooled credence
 *   p̃ = ½(p(x+) + 1 − p(x−)) of Burns et al. 2022, §2.2, the CCS inference rule (real scores: ½(s(x+) − s(x−))).
 *   Accuracy is over all rows.
 * - `full`: pooled credences averaged over an item's templates, one prediction per item.
 *
 * Mode `full` is what Burns et al. report as the consistent ensemble; `none` is the
 * harshest and shows how much a method needs the negation to be right.
 */
import { DataInputError } from './errors.ts';

export type Ensembling = 'none' | 'partial' | 'full';
export const ENSEMBLING_MODES: readonly Ensembling[] = ['none', 'partial', 'full'];

export interface EnsembleInput {
  /** Score of each pair row's pos side. */
  pos: ArrayLike<number>;
  /** Score of each pair row's neg side (unused by `none`). */
  neg: ArrayLike<number>;
  /** Item of each row (ContrastPairs.items). */
  items: ArrayLike<number>;
  /** 0/1 per row (ContrastPairs.labels), -1 where unknown, or null. */
  labels: ArrayLike<number> | null;
  /** 'probability': scores are credences in [0, 1], threshold 0.5. 'real': threshold 0. Default 'probability'. */
  scale?: 'probability' | 'real';
}

export interface Ensembled {
  /** Pooled score per prediction unit (row, or item for `full`). */
  scores: Float64Array;
  /** 1 where the unit predicts "pos is true". */
  predictions: Int8Array;
  /** Label per unit, or null. */
  labels: Int8Array | null;
  /** Item per unit. */
  items: Int32Array;
}

export function ensemble(mode: Ensembling, input: EnsembleInput): Ensembled {
  if (!ENSEMBLING_MODES.includes(mode)) throw new DataInputError(`unknown ensembling "${String(mode)}"; expected one of ${ENSEMBLING_MODES.join(', ')}`);
  const n = input.pos.length;
  if (input.neg.length !== n || input.items.length !== n || (input.labels && input.labels.length !== n)) {
    throw new RangeError('ensemble: pos, neg, items and labels must have one entry per pair row');
  }
  const real = input.scale === 'real';
  const threshold = real ? 0 : 0.5;
  const pooled = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    if (mode === 'none') pooled[r] = input.pos[r];
    // Burns et al. 2022, §2.2 (inference): average the pos credence with the complement of the neg one.
    else pooled[r] = real ? 0.5 * (input.pos[r] - input.neg[r]) : 0.5 * (input.pos[r] + 1 - input.neg[r]);
  }
  if (mode !== 'full') {
    return {
      scores: pooled,
      predictions: Int8Array.from(pooled, (s) => (s > threshold ? 1 : 0)),
      labels: input.labels ? Int8Array.from(input.labels) : null,
      items: Int32Array.from(input.items),
    };
  }
  // full: mean pooled credence per item, in order of first appearance.
  const order: number[] = [];
  const sum = new Map<number, { s: number; c: number; y: number }>();
  for (let r = 0; r < n; r++) {
    const it = input.items[r];
    const acc = sum.get(it);
    const y = input.labels ? input.labels[r] : -1;
    if (!acc) {
      order.push(it);
      sum.set(it, { s: pooled[r], c: 1, y });
    } else {
      if (acc.y !== y) throw new RangeError(`ensemble: item ${it} has different labels across its templates`);
      acc.s += pooled[r];
      acc.c++;
    }
  }
  const scores = Float64Array.from(order, (it) => sum.get(it)!.s / sum.get(it)!.c);
  return {
    scores,
    predictions: Int8Array.from(scores, (s) => (s > threshold ? 1 : 0)),
    labels: input.labels ? Int8Array.from(order, (it) => sum.get(it)!.y) : null,
    items: Int32Array.from(order),
  };
}

/** Share of labelled units whose prediction equals the label; units with label -1 (unknown) are left out. */
export function ensembleAccuracy(e: Ensembled): number {
  if (!e.labels) throw new DataInputError('accuracy needs a labelled dataset');
  let right = 0;
  let known = 0;
  for (let i = 0; i < e.labels.length; i++) {
    if (e.labels[i] < 0) continue;
    known++;
    if (e.predictions[i] === e.labels[i]) right++;
  }
  return known === 0 ? NaN : right / known;
}
