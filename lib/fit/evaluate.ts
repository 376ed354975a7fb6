/**
 * Scoring a fitted probe where labels may be partial or absent. The probe gives every pair
 * row a credence p̃ (Burns et al. 2022, eq. 3). Its sign is arbitrary (§2.2), so:
 *   - with k ≥ 1 labelled training rows, the sign comes from up to `sign_k` of them (the
 *     labels rule, as `accuracy_signed` always did);
 *   - with none, the sign makes p̃ correlate positively with the reference method's p̃ at
 *     the same layer, seed and condition (default: CCS's best-loss restart);
 *   - the reference itself, with no labels, keeps the sign it was fitted with.
 * Metrics are computed on labelled rows only, and say on how many. Nothing here reads a
 * label of a row that is not being evaluated.
 */
import type { ContrastData, Metrics } from '../probe/index.ts';
import { auroc, oracleAccuracy } from '../probe/index.ts';
import { scoreSides, signFromLabelled } from '../probe/score.ts';
import type { Evaluation, SignRule } from './types.ts';

export interface Sides { pPos: Float64Array; pNeg: Float64Array }

export const pick = (xs: ArrayLike<number>, rows: ArrayLike<number>) => Float64Array.from({ length: rows.length }, (_, k) => xs[rows[k]]);
export const pickInt8 = (xs: ArrayLike<number>, rows: ArrayLike<number>) => Int8Array.from({ length: rows.length }, (_, k) => xs[rows[k]]);

/** Rows of `rows` whose label is known (0 or 1). */
export function labelledRows(labels: ArrayLike<number> | null | undefined, rows: Int32Array): Int32Array {
  if (!labels) return new Int32Array(0);
  return rows.filter((r) => labels[r] === 0 || labels[r] === 1);
}

/** p̃ = ½(p(x⁺) + 1 − p(x⁻)) (Burns et al. 2022, eq. 3). */
export function pairCredences(s: Sides): Float64Array {
  return s.pPos.map((a, i) => 0.5 * (a + 1 - s.pNeg[i]));
}

/** Pearson correlation (0 when either side is constant). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma, y = b[i] - mb;
    sab += x * y; saa += x * x; sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export interface Orientation {
  sign: 1 | -1;
  rule: SignRule;
  /** Labelled training rows the labels rule used. */
  k: number;
}

/**
 * The sign of a probe: from up to `signK` labelled training rows when there are any;
 * otherwise from the reference credences (all rows); otherwise as fitted.
 */
export function orient(
  credences: Float64Array,
  labels: ArrayLike<number> | null | undefined,
  trainRows: Int32Array,
  signK: number,
  seed: number,
  reference: Float64Array | null,
): Orientation {
  const labelled = labelledRows(labels, trainRows);
  if (labelled.length > 0 && signK > 0) {
    const s = signFromLabelled(pick(credences, labelled), pickInt8(labels!, labelled), signK, seed)!;
    return { sign: s.value, rule: 'labels', k: s.k };
  }
  if (reference) return { sign: correlation(credences, reference) >= 0 ? 1 : -1, rule: 'reference', k: 0 };
  return { sign: 1, rule: 'as-fitted', k: 0 };
}

export const oriented = (p: Float64Array, sign: 1 | -1): Float64Array => (sign === 1 ? p : p.map((x) => 1 - x));

/**
 * The headline metrics of a probe on rows `rows` (the test split), computed on those of
 * them that are labelled; the sign for `accuracy_signed` is the probe's orientation.
 */
export function headlineMetrics(
  sides: Sides,
  labels: ArrayLike<number> | null | undefined,
  rows: Int32Array,
  o: Orientation,
  opts: { seed: number; bootstrap: number; split: string },
): Metrics & { n_labelled: number } {
  const labelled = labelledRows(labels, rows);
  const part = (r: Int32Array) => ({ pPos: pick(sides.pPos, r), pNeg: pick(sides.pNeg, r) });
  if (labelled.length === 0) {
    // Label-free: the CCS loss parts still describe the probe (Burns et al. 2022, eqs. 1–2).
    const m = scoreSides(part(rows), undefined, { seed: opts.seed, bootstrap: 0, split: opts.split });
    return { ...m, accuracy: NaN, n_labelled: 0 };
  }
  const m = scoreSides(part(labelled), pickInt8(labels!, labelled), {
    seed: opts.seed, bootstrap: opts.bootstrap, split: opts.split, sign: { value: o.sign, k: o.k },
  });
  // The loss parts are label-free: report them over every evaluated row, labelled or not.
  const all = scoreSides(part(rows), undefined, { seed: opts.seed, bootstrap: 0, split: opts.split });
  return { ...m, ccs_loss: all.ccs_loss, consistency_loss: all.consistency_loss, confidence_loss: all.confidence_loss, n_labelled: labelled.length };
}

/** Oracle-sign and own-sign accuracy and AUROC of oriented credences on the labelled rows of `rows`. */
export function evaluation(subset: string, labelSet: string, credences: Float64Array, labels: ArrayLike<number>, rows: Int32Array): Evaluation {
  const labelled = labelledRows(labels, rows);
  if (labelled.length === 0) return { subset, label_set: labelSet, n: 0, accuracy: null, accuracy_signed: null, auroc: null, auroc_signed: null };
  const p = pick(credences, labelled);
  const y = pickInt8(labels, labelled);
  let right = 0;
  for (let i = 0; i < p.length; i++) if ((p[i] > 0.5 ? 1 : 0) === y[i]) right++;
  const a = auroc(p, y);
  return {
    subset, label_set: labelSet, n: labelled.length,
    accuracy: oracleAccuracy(p, y), accuracy_signed: right / p.length,
    auroc: a === null ? null : Math.max(a, 1 - a), auroc_signed: a,
  };
}

/** Fraction of rows whose credence is confident: |p̃ − ½| > 0.25 (label-free). */
export function coverage(credences: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < credences.length; i++) if (Math.abs(credences[i] - 0.5) > 0.25) n++;
  return credences.length ? n / credences.length : NaN;
}

/** A ContrastData of some rows, with labels only when asked (unsupervised fits never see them). */
export function rowsData(pos: ContrastData['pos'], neg: ContrastData['neg'], templates: ArrayLike<number>, rows: Int32Array, labels?: ArrayLike<number> | null): ContrastData {
  const select = (m: ContrastData['pos']) => {
    const out = new Float32Array(rows.length * m.cols);
    for (let k = 0; k < rows.length; k++) out.set(m.data.subarray(rows[k] * m.cols, (rows[k] + 1) * m.cols), k * m.cols);
    return { rows: rows.length, cols: m.cols, data: out };
  };
  return {
    pos: select(pos),
    neg: select(neg),
    labels: labels ? pickInt8(labels, rows) : undefined,
    templates: Int32Array.from(rows, (r) => templates[r]),
  };
}
