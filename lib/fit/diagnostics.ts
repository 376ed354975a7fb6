/**
 * Label-free diagnostics of one method on one layer and condition across its seeds — how a
 * user can tell, without ground truth, whether a "belief" direction is stable. Farquhar et
 * al. 2023 (§4, Fig. 2) report CCS runs splitting between the truth and a salient distractor
 * across initialisations: the seeds then fall into two groups that disagree.
 *
 *   seed_cosine           mean |cos| between the seeds' directions
 *   seed_sign_agreement   fraction of seeds whose oriented credences correlate positively
 *                         with the seeds' mean oriented credence
 *   seed_agreement        per seed: mean sign-aligned prediction agreement with the others
 *   seed_bimodal          1 when the seeds split into two groups (≥ 2 seeds each) that agree
 *                         within (≥ 0.9) and not across (≤ 0.75), by 2-medoids on 1 − agreement
 */
import { correlation } from './evaluate.ts';

export interface SeedFit {
  direction: Float32Array | null;
  /** Oriented credences on every row of the condition. */
  credences: Float64Array;
}

export interface SeedDiagnostics {
  seed_cosine: number | null;
  seed_sign_agreement: number | null;
  seed_agreement: (number | null)[];
  seed_bimodal: 0 | 1 | null;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let k = 0; k < a.length; k++) { ab += a[k] * b[k]; aa += a[k] * a[k]; bb += b[k] * b[k]; }
  return aa > 0 && bb > 0 ? Math.abs(ab) / Math.sqrt(aa * bb) : 0;
}

/** Fraction of rows two credence vectors predict alike, sign-aligned: max(f, 1 − f). */
export function predictionAgreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] > 0.5) === (b[i] > 0.5)) same++;
  const f = a.length ? same / a.length : NaN;
  return Math.max(f, 1 - f);
}

export function seedDiagnostics(fits: readonly SeedFit[]): SeedDiagnostics {
  const n = fits.length;
  if (n < 2) return { seed_cosine: null, seed_sign_agreement: null, seed_agreement: fits.map(() => null), seed_bimodal: null };
  const agree = Array.from({ length: n }, () => new Float64Array(n).fill(1));
  let cosSum = 0, cosN = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      agree[i][j] = agree[j][i] = predictionAgreement(fits[i].credences, fits[j].credences);
      const di = fits[i].direction, dj = fits[j].direction;
      if (di && dj && di.length && di.length === dj.length) { cosSum += cosine(di, dj); cosN++; }
    }
  }
  const rows = fits[0].credences.length;
  const mean = new Float64Array(rows);
  for (const f of fits) for (let r = 0; r < rows; r++) mean[r] += f.credences[r] / n;
  const positive = fits.filter((f) => correlation(f.credences, mean) > 0).length;
  const seedAgreement = fits.map((_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) if (j !== i) s += agree[i][j];
    return s / (n - 1);
  });
  return {
    seed_cosine: cosN ? cosSum / cosN : null,
    seed_sign_agreement: positive / n,
    seed_agreement: seedAgreement,
    seed_bimodal: bimodal(agree) ? 1 : 0,
  };
}

/** Two groups of ≥ 2 seeds, each internally in agreement and disagreeing with the other. */
function bimodal(agree: Float64Array[]): boolean {
  const n = agree.length;
  if (n < 4) return false;
  let best: { cost: number; a: number; b: number } | null = null;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let cost = 0;
      for (let i = 0; i < n; i++) cost += 1 - Math.max(agree[i][a], agree[i][b]);
      if (!best || cost < best.cost) best = { cost, a, b };
    }
  }
  const { a, b } = best!;
  const groups: number[][] = [[], []];
  for (let i = 0; i < n; i++) groups[agree[i][a] >= agree[i][b] ? 0 : 1].push(i);
  if (groups[0].length < 2 || groups[1].length < 2) return false;
  const meanOver = (pairs: [number, number][]) => pairs.reduce((s, [i, j]) => s + agree[i][j], 0) / pairs.length;
  const within: [number, number][] = [];
  const across: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) (groups[0].includes(i) === groups[0].includes(j) ? within : across).push([i, j]);
  }
  return meanOver(within) >= 0.9 && meanOver(across) <= 0.75;
}
