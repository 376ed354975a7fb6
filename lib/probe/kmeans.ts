/**
 * k-means (Lloyd 1982) with greedy k-means++ seeding (Arthur & Vassilvitskii 2007; the
 * 2 + ⌊ln k⌋ local trials of scikit-learn), best of n_init runs by inertia. Farquhar et al.
 * 2023 use 2-means on the normalised differences as a baseline for CCS.
 * Distances come from ‖x‖² − 2x·c + ‖c‖², so one iteration is one projection pass plus one
 * centroid pass over the data.
 */
import type { Mat } from '../tensor.ts';
import type { Rng } from './random.ts';
import type { Estimator } from './estimator.ts';
import { dot, unit } from './kernels.ts';
import { directionProbe } from './linear.ts';
import { withScratchWorkspace } from './workspace.ts';
import { twoMeans } from './kmeans2.ts';

export interface KmeansResult {
  centroids: Float64Array[];
  labels: Int32Array;
  inertia: number;
  iterations: number;
}

export interface KmeansOptions {
  nInit?: number;
  maxIter?: number;
  tol?: number;
  /** Precomputed by a shared split context: row dots on resident data, ‖x_i‖², the mean per-feature variance. */
  dots?: RowDots;
  rowSums?: RowSums;
  norms?: Float64Array;
  meanVar?: number;
}

function rowNorms(x: Mat): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    for (let k = 0, o = i * x.cols; k < x.cols; k++) s += x.data[o + k] ** 2;
    out[i] = s;
  }
  return out;
}

export function rowOf(x: Mat, i: number): Float64Array {
  return Float64Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols));
}

export type RowDots = (vs: Float64Array[], outs: Float64Array[]) => void;
/** out += Σ_i c_i x_i over one fit's data (SIMD when available). */
export type RowSums = ((c: Float64Array, out: Float64Array) => Float64Array) | null;

/** Squared distances of every row to each centre (clamped at 0 against round-off). */
export function sqDistances(x: Mat, norms: Float64Array, centres: Float64Array[], dots: RowDots): Float64Array[] {
  const outs = centres.map(() => new Float64Array(x.rows));
  dots(centres, outs);
  centres.forEach((c, j) => {
    const cc = dot(c, c);
    const o = outs[j];
    for (let i = 0; i < x.rows; i++) o[i] = Math.max(0, norms[i] - 2 * o[i] + cc);
  });
  return outs;
}

/** Greedy k-means++: each new centre is the best of several D²-sampled candidates. */
function kmeansPlusPlus(x: Mat, k: number, norms: Float64Array, rng: Rng, dots: RowDots): Float64Array[] {
  const n = x.rows;
  const trials = 2 + Math.floor(Math.log(k));
  const centres = [rowOf(x, rng.int(n))];
  let closest = sqDistances(x, norms, centres, dots)[0];
  while (centres.length < k) {
    let total = 0;
    for (let i = 0; i < n; i++) total += closest[i];
    const candidates: number[] = [];
    for (let t = 0; t < trials; t++) {
      let r = rng.next() * total;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        r -= closest[i];
        if (r < 0) { pick = i; break; }
      }
      candidates.push(pick);
    }
    const dists = sqDistances(x, norms, candidates.map((i) => rowOf(x, i)), dots);
    let best = 0;
    let bestPot = Infinity;
    dists.forEach((dd, t) => {
      let pot = 0;
      for (let i = 0; i < n; i++) pot += Math.min(closest[i], dd[i]);
      if (pot < bestPot) { bestPot = pot; best = t; }
    });
    centres.push(rowOf(x, candidates[best]));
    closest = closest.map((c, i) => Math.min(c, dists[best][i]));
  }
  return centres;
}

/**
 * 53-bit hash of a partition (two independent 32-bit FNV-style streams). Cluster ids are
 * renumbered by first appearance, so the same partition under permuted ids hashes equally.
 */
export function labelHash(labels: Int32Array): number {
  let a = 0x811c9dc5, b = 0x01000193;
  const rename = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    let l = rename.get(labels[i]);
    if (l === undefined) rename.set(labels[i], (l = rename.size));
    a = Math.imul(a ^ l, 0x01000193);
    b = Math.imul(b ^ (l + 7), 0x5bd1e995);
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);
}

/**
 * Lloyd's iterations with Hamerly's bounds (Hamerly 2010, "Making k-means even faster"): an
 * upper bound to the own centre and a lower bound to the second-closest one skip the distance
 * computations of rows that cannot change cluster; centre sums are updated only for rows that
 * moved. Exact: the same assignments as plain Lloyd.
 * After the first assignment the trajectory is a function of the partition alone, so a run
 * that reaches a partition an earlier run visited ends where that run ended: `seen` maps
 * visited partitions to results and cuts it short.
 */
function lloyd(x: Mat, norms: Float64Array, centres: Float64Array[], maxIter: number, tol: number, seen: Map<number, KmeansResult>, dots: RowDots, rowSums: RowSums, columnSums: () => Float64Array): KmeansResult {
  const visited: number[] = [];
  const n = x.rows;
  const d = x.cols;
  const k = centres.length;
  const labels = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const sums = centres.map(() => new Float64Array(d));
  const counts = new Float64Array(k);
  const cc = new Float64Array(k);
  const distTo = (i: number, j: number) => {
    let s = 0;
    const c = centres[j];
    for (let t = 0, o = i * d; t < d; t++) s += x.data[o + t] * c[t];
    return Math.sqrt(Math.max(0, norms[i] - 2 * s + cc[j]));
  };
  const addRow = (i: number, j: number, sign: number) => {
    const sum = sums[j];
    for (let t = 0, o = i * d; t < d; t++) sum[t] += sign * x.data[o + t];
    counts[j] += sign;
  };
  // First assignment: all distances (one pass for all centres).
  const dist = sqDistances(x, norms, centres, dots);
  for (let i = 0; i < n; i++) {
    let a = 0, b = -1;
    for (let j = 1; j < k; j++) if (dist[j][i] < dist[a][i]) a = j;
    for (let j = 0; j < k; j++) if (j !== a && (b < 0 || dist[j][i] < dist[b][i])) b = j;
    labels[i] = a;
    upper[i] = Math.sqrt(dist[a][i]);
    lower[i] = b < 0 ? Infinity : Math.sqrt(dist[b][i]);
    if (rowSums) counts[a]++;
    else addRow(i, a, 1);
  }
  // The clusters' sums in one weighted pass each (SIMD) instead of a row-by-row JS loop.
  // With two clusters one pass suffices: S₀ = Σ x − S₁ (the column sums are computed once per fit).
  const recomputeSums = () => {
    if (k === 2) {
      const total = columnSums();
      sums[1].fill(0);
      rowSums!(Float64Array.from(labels, (l) => l), sums[1]);
      for (let t = 0; t < d; t++) sums[0][t] = total[t] - sums[1][t];
      return;
    }
    for (let j = 0; j < k; j++) {
      sums[j].fill(0);
      rowSums!(Float64Array.from(labels, (l) => (l === j ? 1 : 0)), sums[j]);
    }
  };
  if (rowSums) recomputeSums();
  let it = 1;
  for (; ; it++) {
    const h = labelHash(labels);
    const known = seen.get(h);
    if (known) {
      for (const v of visited) seen.set(v, known);
      return known;
    }
    visited.push(h);
    // Move the centres to their means.
    const move = new Float64Array(k);
    let shift = 0;
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) continue; // an empty cluster keeps its centre
      let m = 0;
      for (let t = 0; t < d; t++) {
        const v = sums[j][t] / counts[j];
        m += (v - centres[j][t]) ** 2;
        centres[j][t] = v;
      }
      move[j] = Math.sqrt(m);
      shift += m;
    }
    for (let j = 0; j < k; j++) cc[j] = dot(centres[j], centres[j]);
    if (shift <= tol || it >= maxIter) break;
    // Half the distance from each centre to its nearest other centre (Hamerly's s(j)).
    const half = new Float64Array(k).fill(Infinity);
    for (let j = 0; j < k; j++) {
      for (let j2 = j + 1; j2 < k; j2++) {
        let s2 = 0;
        for (let t = 0; t < d; t++) s2 += (centres[j][t] - centres[j2][t]) ** 2;
        const hd = 0.5 * Math.sqrt(s2);
        half[j] = Math.min(half[j], hd);
        half[j2] = Math.min(half[j2], hd);
      }
    }
    let maxMove = 0;
    for (let j = 0; j < k; j++) maxMove = Math.max(maxMove, move[j]);
    let changed = 0;
    if (k === 2) {
      // Two centres: nearest ⇔ x·(c₁ − c₀) beyond (‖c₁‖² − ‖c₀‖²)/2, one dot per row instead
      // of two distances (the bounds rarely prune in high dimension, where all distances are
      // alike, so they are skipped here).
      const w = centres[1].map((v, t) => v - centres[0][t]);
      const thr = 0.5 * (cc[1] - cc[0]);
      const proj = new Float64Array(n);
      dots([w], [proj]);
      const moved: number[] = [];
      for (let i = 0; i < n; i++) {
        const best = proj[i] > thr ? 1 : 0;
        if (best !== labels[i]) moved.push(i);
      }
      changed = moved.length;
      // Many moves: two SIMD passes beat updating the sums row by row.
      const bulk = rowSums && changed * 16 > n;
      for (const i of moved) {
        const best = 1 - labels[i];
        if (bulk) { counts[labels[i]]--; counts[best]++; } else { addRow(i, labels[i], -1); addRow(i, best, 1); }
        labels[i] = best;
      }
      if (bulk) recomputeSums();
      if (changed === 0) break;
      continue;
    }
    for (let i = 0; i < n; i++) {
      const a = labels[i];
      upper[i] += move[a];
      lower[i] -= maxMove;
      const bound = Math.max(half[a], lower[i]);
      if (upper[i] <= bound) continue;
      upper[i] = distTo(i, a);
      if (upper[i] <= bound) continue;
      let best = a, bestD = upper[i], second = Infinity;
      for (let j = 0; j < k; j++) {
        if (j === a) continue;
        const dj = distTo(i, j);
        if (dj < bestD) { second = bestD; bestD = dj; best = j; } else if (dj < second) second = dj;
      }
      lower[i] = second;
      upper[i] = bestD;
      if (best !== a) {
        addRow(i, a, -1);
        addRow(i, best, 1);
        labels[i] = best;
        changed++;
      }
    }
    if (changed === 0) break;
  }
  // Inertia from the sums (centres are the cluster means): Σ‖x‖² − Σ_j ‖S_j‖² / n_j.
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += norms[i];
  for (let j = 0; j < k; j++) if (counts[j] > 0) inertia -= dot(sums[j], sums[j]) / counts[j];
  const result = { centroids: centres, labels, inertia: Math.max(0, inertia), iterations: it };
  for (const v of visited) seen.set(v, result);
  return result;
}

function meanVariance(x: Mat): number {
  let meanVar = 0;
  const m = new Float64Array(x.cols);
  for (let i = 0; i < x.rows; i++) for (let c = 0, o = i * x.cols; c < x.cols; c++) m[c] += x.data[o + c] / x.rows;
  for (let i = 0; i < x.rows; i++) for (let c = 0, o = i * x.cols; c < x.cols; c++) meanVar += (x.data[o + c] - m[c]) ** 2;
  return meanVar / (x.rows * x.cols);
}

export function kmeansFit(x: Mat, k: number, rng: Rng, opts: KmeansOptions = {}): KmeansResult {
  if (!opts.dots) {
    // Standalone (the cluster normaliser, the tests): the data resident in a scratch workspace.
    return withScratchWorkspace((ws) => {
      const X = ws.upload([x]);
      return kmeansFit(x, k, rng, { ...opts, dots: (vs, outs) => ws.dotsMany(X, vs, outs), rowSums: (c, out) => ws.addRowsT(X, c, out) });
    });
  }
  const norms = opts.norms ?? rowNorms(x);
  // scikit-learn's tolerance: relative to the mean per-feature variance of the data.
  const tol = (opts.tol ?? 1e-4) * (opts.meanVar ?? meanVariance(x));
  let best: KmeansResult | null = null;
  const seen = new Map<number, KmeansResult>();
  const dots = opts.dots;
  const rowSums = opts.rowSums ?? null;
  let total: Float64Array | null = null;
  const columnSums = () => (total ??= rowSums!(new Float64Array(x.rows).fill(1), new Float64Array(x.cols)));
  if (k === 2 && rowSums) return twoMeans(x, norms, rng, { nInit: opts.nInit ?? 10, maxIter: opts.maxIter ?? 300, tol, dots, rowSums, columnSums });
  for (let run = 0; run < (opts.nInit ?? 10); run++) {
    const r = lloyd(x, norms, kmeansPlusPlus(x, k, norms, rng, dots), opts.maxIter ?? 300, tol, seen, dots, rowSums, columnSums);
    if (!best || r.inertia < best.inertia) best = r;
  }
  return best!;
}

export const kmeans: Estimator = {
  name: 'kmeans',
  supervised: false,
  summary: '2-means on the differences; the direction joins the centroids (Farquhar et al. 2023)',
  options: {
    n_init: { type: 'integer', default: 10, minimum: 1, maximum: 100, description: 'k-means++ initialisations; the lowest inertia is kept' },
    max_iter: { type: 'integer', default: 300, minimum: 1, maximum: 10_000, description: "Lloyd iterations per initialisation (scikit-learn's 300)" },
  },
  fit(data, o, rng) {
    const delta = data.delta();
    const stats = data.deltaStats();
    const X = data.deltaBlock();
    const km = kmeansFit(delta, 2, rng, {
      nInit: o.n_init as number, maxIter: o.max_iter as number, norms: stats.rowNorms, meanVar: stats.meanVar,
      dots: (vs, outs) => data.ws.dotsMany(X, vs, outs), rowSums: (c, out) => data.ws.addRowsT(X, c, out),
    });
    const [c0, c1] = km.centroids;
    const w = unit(c1.map((v, k) => v - c0[k]));
    // Nearest centroid ⇔ w·δ beyond the projection of the centroids' mid-point.
    let t = 0;
    for (let k = 0; k < data.d; k++) t += w[k] * 0.5 * (c0[k] + c1[k]);
    return { ...directionProbe(data, w, t), extra: { inertia: km.inertia, iterations: km.iterations } };
  },
};
