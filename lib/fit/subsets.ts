/**
 * Which items a fit trains on and which it is evaluated on. Without filters: an
 * item-level split of every item (stratified by label, as lib/data/split.ts does). With
 * `split.train_where` / `split.test_where` (Mallen et al. 2023's context shift: train on
 * Alice's easy items, test on Bob's hard ones): `train` of the train pool is drawn for
 * training and `test` of the test pool, never an item twice. Named evaluation subsets
 * are scored on their items that were not trained on. The split reads no labels unless
 * `split.stratify` asks for it, so an unsupervised fit is the same with and without them.
 */
import { trainTestSplit } from '../data/index.ts';
import { seededRandom } from '../seeded-random.ts';
import type { ItemFilter, PairsMeta } from './types.ts';

export interface ItemSplit {
  train: Set<number>;
  test: Set<number>;
}

/** Items whose fields match a filter (a value or a list of allowed values per field). */
export function matchItems(fields: readonly (Record<string, string> | undefined)[], filter: ItemFilter): number[] {
  const out: number[] = [];
  fields.forEach((f, i) => {
    const ok = Object.entries(filter).every(([k, want]) => {
      const v = f?.[k];
      return v !== undefined && (Array.isArray(want) ? want.includes(v) : want === v);
    });
    if (ok) out.push(i);
  });
  return out;
}

/** One label per item (the rows of an item agree), −1 unknown; undefined without labels. */
export function itemLabels(meta: PairsMeta): Int8Array | undefined {
  if (!meta.labels) return undefined;
  const out = new Int8Array(nItemsOf(meta)).fill(-1);
  meta.items.forEach((item, row) => { out[item] = meta.labels![row]; });
  return out;
}

export const nItemsOf = (meta: PairsMeta) => meta.items.reduce((m, i) => Math.max(m, i), -1) + 1;

/** Seeded draw of round(fraction · n) of `pool`, in index order. */
function draw(pool: number[], fraction: number, seed: number, stream: string, exclude: Set<number>): number[] {
  const candidates = pool.filter((i) => !exclude.has(i));
  const r = seededRandom(seed, stream);
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  return candidates.slice(0, Math.round(fraction * candidates.length)).sort((a, b) => a - b);
}

export function splitItems(meta: PairsMeta, split: { train: number; test: number; seed: number; stratify?: boolean }, seed: number): ItemSplit {
  const pools = meta.pools;
  const s = split.seed + seed;
  if (!pools || (pools.train === null && pools.test === null)) {
    const t = trainTestSplit(nItemsOf(meta), { train: split.train, test: split.test, seed: s, labels: split.stratify ? itemLabels(meta) : null });
    return { train: new Set(t.train), test: new Set(t.test) };
  }
  const all = Array.from({ length: nItemsOf(meta) }, (_, i) => i);
  const train = draw(pools.train ?? all, split.train, s, 'train-pool', new Set());
  const trainSet = new Set(train);
  const test = draw(pools.test ?? all, split.test, s, 'test-pool', trainSet);
  return { train: trainSet, test: new Set(test) };
}

/** Pair rows whose item is in `items`, optionally of one template only. */
export function rowsOf(meta: PairsMeta, items: Set<number>, template?: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < meta.n_pairs; i++) {
    if (items.has(meta.items[i]) && (template === undefined || meta.templates[i] === template)) out.push(i);
  }
  return Int32Array.from(out);
}

/** The evaluation subsets' rows: each subset's items minus the training items. */
export function subsetRows(meta: PairsMeta, train: Set<number>): Record<string, Int32Array> {
  const out: Record<string, Int32Array> = {};
  for (const [name, items] of Object.entries(meta.pools?.subsets ?? {})) {
    out[name] = rowsOf(meta, new Set(items.filter((i) => !train.has(i))));
  }
  return out;
}
