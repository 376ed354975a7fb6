/**
 * Evaluation of a probe's pair scores p̃ ∈ [0, 1] (p̃ > ½ ⇒ "yes is true"). Unsupervised probes
 * have no intrinsic sign, so `accuracy` uses the papers' oracle sign max(acc, 1 − acc)
 * (Burns et al. 2022, §3.1) and `accuracy_signed` the sign a user could pick from k
 * labelled examples. AUROC, calibrated accuracy and ECE are computed on the oracle-signed
 * scores, so they describe the probe's ranking and calibration, not its arbitrary sign.
 */
import type { Rng } from './random.ts';

export function accuracyAt(scores: ArrayLike<number>, targets: ArrayLike<number>, threshold = 0.5): number {
  let correct = 0;
  for (let i = 0; i < scores.length; i++) if ((scores[i] > threshold ? 1 : 0) === targets[i]) correct++;
  return scores.length ? correct / scores.length : NaN;
}

/** max(acc, 1 − acc) at threshold ½: the sign-free accuracy of the papers. */
export function oracleAccuracy(scores: ArrayLike<number>, targets: ArrayLike<number>): number {
  const a = accuracyAt(scores, targets);
  return Math.max(a, 1 - a);
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic with ties counted ½ (equal to the
 * trapezoidal ROC area of scikit-learn's roc_auc_score). Null when one class is absent.
 */
export function auroc(scores: ArrayLike<number>, targets: ArrayLike<number>): number | null {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  return aurocSorted(order, scores, targets, null);
}

/** AUROC over a pre-sorted order, each example weighted by `counts` (bootstrap multiplicities). */
function aurocSorted(order: number[], scores: ArrayLike<number>, targets: ArrayLike<number>, counts: ArrayLike<number> | null): number | null {
  let pos = 0;
  let neg = 0;
  let rankSum = 0; // Σ over positives of (negatives below + ½ negatives tied)
  let i = 0;
  while (i < order.length) {
    let j = i;
    let tiePos = 0;
    let tieNeg = 0;
    while (j < order.length && scores[order[j]] === scores[order[i]]) {
      const c = counts ? counts[order[j]] : 1;
      if (targets[order[j]]) tiePos += c; else tieNeg += c;
      j++;
    }
    rankSum += tiePos * (neg + 0.5 * tieNeg);
    pos += tiePos;
    neg += tieNeg;
    i = j;
  }
  return pos && neg ? rankSum / (pos * neg) : null;
}

/**
 * Expected calibration error with equal-width confidence bins over [½, 1] (Guo et al. 2017, eq. 3):
 * Σ_b |B_b|/n · |acc(B_b) − conf(B_b)|, confidence = max(p, 1 − p).
 */
export function ece(scores: ArrayLike<number>, targets: ArrayLike<number>, bins = 10): number {
  const count = new Float64Array(bins);
  const acc = new Float64Array(bins);
  const conf = new Float64Array(bins);
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i];
    const c = Math.max(p, 1 - p);
    const b = Math.min(bins - 1, Math.floor(((c - 0.5) / 0.5) * bins));
    count[b]++;
    conf[b] += c;
    acc[b] += (p > 0.5 ? 1 : 0) === targets[i] ? 1 : 0;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b]) e += Math.abs(acc[b] - conf[b]);
  return e / Math.max(1, scores.length);
}

/** Calibrated accuracy (Burns et al. 2022, §3.1): threshold at the median score. */
export function calibratedAccuracy(scores: ArrayLike<number>, targets: ArrayLike<number>): number {
  const sorted = Float64Array.from(scores).sort();
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  return accuracyAt(scores, targets, median);
}

export interface BootstrapCi { accuracy: [number, number]; auroc: [number, number] | null }

/**
 * Percentile bootstrap (Efron & Tibshirani 1993, §13.3), resampling examples with
 * replacement. The accuracy uses the sign fixed on the full sample, so the interval is that
 * of the reported estimate rather than of a re-maximised one.
 */
/**
 * The multiplicities of `resamples` bootstrap resamples of n examples, drawn in the order
 * bootstrapCi draws them: counts[i·resamples + r] is how often resample r drew example i
 * (example-major, so a pass over one example's resamples is contiguous). They depend only on
 * (n, rng), so every method scored on one split shares them (context.ts).
 */
export function resampleCounts(n: number, resamples: number, rng: Rng): Uint16Array {
  const counts = new Uint16Array(n * resamples);
  for (let r = 0; r < resamples; r++) for (let t = 0; t < n; t++) counts[rng.int(n) * resamples + r]++;
  return counts;
}

/**
 * bootstrapCi's statistics for all resamples at once from shared multiplicities: one sweep
 * over the examples in score order, each updating every resample's running sums (hits, and
 * the Mann–Whitney sum of aurocSorted with ties counted ½ — the same integer-and-half
 * arithmetic, so the same numbers).
 */
function sharedResamples(signed: ArrayLike<number>, targets: ArrayLike<number>, order: number[], R: number, counts: Uint16Array): { accs: Float64Array; aucs: number[] } {
  const n = signed.length;
  const hits = new Float64Array(R), pos = new Float64Array(R), neg = new Float64Array(R), rank = new Float64Array(R), tieNeg = new Float64Array(R);
  for (let a = 0; a < n;) {
    let b = a + 1;
    while (b < n && signed[order[b]] === signed[order[a]]) b++;
    if (b === a + 1) {
      // No tie (the usual case): a negative raises every later positive's rank, a positive adds its own.
      const i = order[a], o = i * R;
      if ((signed[i] > 0.5 ? 1 : 0) === targets[i]) for (let r = 0; r < R; r++) hits[r] += counts[o + r];
      if (targets[i]) {
        for (let r = 0; r < R; r++) { const c = counts[o + r]; rank[r] += c * neg[r]; pos[r] += c; }
      } else {
        for (let r = 0; r < R; r++) neg[r] += counts[o + r];
      }
      a = b;
      continue;
    }
    tieNeg.fill(0);
    for (let p = a; p < b; p++) {
      const i = order[p], o = i * R;
      if (!targets[i]) for (let r = 0; r < R; r++) tieNeg[r] += counts[o + r];
    }
    for (let p = a; p < b; p++) {
      const i = order[p], o = i * R;
      if ((signed[i] > 0.5 ? 1 : 0) === targets[i]) for (let r = 0; r < R; r++) hits[r] += counts[o + r];
      if (targets[i]) {
        for (let r = 0; r < R; r++) {
          const c = counts[o + r];
          rank[r] += c * (neg[r] + 0.5 * tieNeg[r]);
          pos[r] += c;
        }
      }
    }
    for (let r = 0; r < R; r++) neg[r] += tieNeg[r];
    a = b;
  }
  const aucs: number[] = [];
  for (let r = 0; r < R; r++) if (pos[r] && neg[r]) aucs.push(rank[r] / (pos[r] * neg[r]));
  return { accs: hits.map((h) => h / n), aucs };
}

export function bootstrapCi(signed: ArrayLike<number>, targets: ArrayLike<number>, resamples: number, rng: Rng, draws?: Uint16Array): BootstrapCi {
  const n = signed.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => signed[a] - signed[b]);
  const correct = Uint8Array.from({ length: n }, (_, i) => ((signed[i] > 0.5 ? 1 : 0) === targets[i] ? 1 : 0));
  const accs = new Float64Array(resamples);
  const aucs: number[] = [];
  if (draws && draws.length === n * resamples) {
    const shared = sharedResamples(signed, targets, order, resamples, draws);
    accs.set(shared.accs);
    aucs.push(...shared.aucs);
  } else {
    const counts = new Uint32Array(n);
    for (let r = 0; r < resamples; r++) {
      counts.fill(0);
      let hits = 0;
      for (let t = 0; t < n; t++) {
        const i = rng.int(n);
        counts[i]++;
        hits += correct[i];
      }
      accs[r] = hits / n;
      const a = aurocSorted(order, signed, targets, counts);
      if (a !== null) aucs.push(a);
    }
  }
  const pct = (xs: ArrayLike<number>, q: number) => {
    const s = Float64Array.from(xs).sort();
    // Linear interpolation between order statistics (numpy's default percentile).
    const h = (s.length - 1) * q;
    const lo = Math.floor(h);
    return s[lo] + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]) - s[lo]);
  };
  return {
    accuracy: [pct(accs, 0.025), pct(accs, 0.975)],
    auroc: aucs.length ? [pct(aucs, 0.025), pct(aucs, 0.975)] : null,
  };
}
