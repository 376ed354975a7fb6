/**
 * Train/test splits by item. All templates (and both sides) of an item fall on the same
 * side, so a probe is never tested on a question it was fitted on under another prompt.
 * With labels the split is stratified: each class is split in the asked proportions, so
 * test accuracy is not skewed by a split that happens to favour one class. Unlabelled items
 * of a partly labelled dataset (label -1) are one more stratum, "unknown", split in the same
 * proportions, so both sides get their share of labelled items for evaluation.
 */
import { SplitError } from './errors.ts';
import { seededRandom, shuffleInPlace } from './rng.ts';

export interface SplitOptions {
  /** Fraction of items for training, in (0, 1). */
  train: number;
  /** Fraction of items for testing, in (0, 1); train + test ≤ 1 (the rest is unused). */
  test: number;
  seed: number;
  /** One 0/1 (or class) label per item, -1 for unknown; stratify by it when given. */
  labels?: ArrayLike<number> | null;
}

export function trainTestSplit(nItems: number, opts: SplitOptions): { train: Int32Array; test: Int32Array } {
  const { train, test, seed } = opts;
  if (!Number.isInteger(nItems) || nItems < 2) throw new SplitError(`a train/test split needs at least 2 items, got ${nItems}`);
  if (!(train > 0 && test > 0 && train + test <= 1 + 1e-9)) {
    throw new SplitError(`split fractions must be positive and sum to at most 1 (got train ${train}, test ${test})`);
  }
  const labels = opts.labels ?? null;
  if (labels && labels.length !== nItems) throw new SplitError(`${labels.length} labels for ${nItems} items`);

  // Group item indices by class (-1, unknown, is a class here; one group when unlabelled), in index order before shuffling.
  const groups = new Map<number, number[]>();
  for (let i = 0; i < nItems; i++) {
    const y = labels ? labels[i] : 0;
    if (!groups.has(y)) groups.set(y, []);
    groups.get(y)!.push(i);
  }
  const random = seededRandom(seed, 'train-test-split');
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  for (const y of [...groups.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace(groups.get(y)!, random);
    const nTrain = Math.round(train * members.length);
    const nTest = Math.min(members.length - nTrain, Math.round(test * members.length));
    trainIdx.push(...members.slice(0, nTrain));
    testIdx.push(...members.slice(nTrain, nTrain + nTest));
  }
  if (trainIdx.length === 0 || testIdx.length === 0) {
    throw new SplitError(`split of ${nItems} items at train ${train} / test ${test} leaves the ${trainIdx.length === 0 ? 'train' : 'test'} set empty`);
  }
  const sortNum = (a: number, b: number) => a - b;
  return { train: Int32Array.from(trainIdx.sort(sortNum)), test: Int32Array.from(testIdx.sort(sortNum)) };
}

/** One label per item from per-row pair labels (the labels of an item's rows agree); -1 for items without rows or labels. */
export function itemLabels(pairItems: ArrayLike<number>, pairLabels: ArrayLike<number>, nItems: number): Int8Array {
  const out = new Int8Array(nItems).fill(-1);
  for (let r = 0; r < pairItems.length; r++) out[pairItems[r]] = pairLabels[r];
  return out;
}

/** The items (e.g. of a split side) whose label is known (not -1): what accuracy and supervised fits may use. */
export function labelledItems(items: ArrayLike<number>, labels: ArrayLike<number>): Int32Array {
  return Int32Array.from(Array.from(items).filter((i) => labels[i] >= 0));
}

/**
 * The sizes `trainTestSplit` gives each stratum, without drawing: the same rounding, so a
 * submission can tell that a split leaves a side (or a class on a side) empty before any
 * work is done. `strata` maps a class (label, "-1" unknown) to its number of items.
 */
export function splitCounts(strata: Record<string, number>, train: number, test: number): { train: Record<string, number>; test: Record<string, number> } {
  const out = { train: {} as Record<string, number>, test: {} as Record<string, number> };
  for (const [y, m] of Object.entries(strata)) {
    const nTrain = Math.round(train * m);
    out.train[y] = nTrain;
    out.test[y] = Math.min(m - nTrain, Math.round(test * m));
  }
  return out;
}
