/**
 * k-means (Lloyd 1982) with greedy k-means++ seeding (Arthur & Vassilvitskii 2007; the
 * 2 + ⌊ln k⌋ local trials of scikit-learn), best of n_init runs by inertia. Farquhar et al.
 * 2023 use 2-means on the normalised differences as a baseline for CCS.
 * Distances come from ‖x‖² − 2x·c + ‖c‖², so one iteration is one projection pass plus one
 * centroid pass over the data.
 */
import type { Mat } from '../tensor.ts';
import type { Rng } from './random.ts';
import { projectRowsMany, addRowsTMany, dot } from './kernels.ts';

export interface KmeansResult {
  centroids: Float64Array[];
  labels: Int32Array;
  inertia: number;
  iterations: number;
}

export interface KmeansOptions { nInit?: number; maxIter?: number; tol?: number }

function rowNorms(x: Mat): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    for (let k = 0, o = i * x.cols; k < x.cols; k++) s += x.data[o + k] ** 2;
    out[i] = s;
  }
  return out;
}

function rowOf(x: Mat, i: number): Float64Array {
  return Float64Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols));
}

/** Squared distances of every row to each centre (clamped at 0 against round-off). */
function sqDistances(x: Mat, norms: Float64Array, centres: Float64Array[]): Float64Array[] {
  const outs = centres.map(() => new Float64Array(x.rows));
  projectRowsMany(x, centres, outs);
  centres.forEach((c, j) => {
    const cc = dot(c, c);
    const o = outs[j];
    for (let i = 0; i < x.rows; i++) o[i] = Math.max(0, norms[i] - 2 * o[i] + cc);
  });
  return outs;
}

/** Greedy k-means++: each new centre is the best of several D²-sampled candidates. */
function kmeansPlusPlus(x: Mat, k: number, norms: Float64Array, rng: Rng): Float64Array[] {
  const n = x.rows;
  const trials = 2 + Math.floor(Math.log(k));
  const centres = [rowOf(x, rng.int(n))];
  let closest = sqDistances(x, norms, centres)[0];
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
    const dists = sqDistances(x, norms, candidates.map((i) => rowOf(x, i)));
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

/** 53-bit hash of a labelling (two independent 32-bit FNV-style streams). */
function labelHash(labels: Int32Array): number {
  let a = 0x811c9dc5, b = 0x01000193;
  for (let i = 0; i < labels.length; i++) {
    a = Math.imul(a ^ labels[i], 0x01000193);
    b = Math.imul(b ^ (labels[i] + 7), 0x5bd1e995);
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);
}

/**
 * Lloyd's iterations. After the first assignment the trajectory is a function of the labels
 * alone (centres are their means), so a run that reaches a labelling an earlier run visited
 * ends where that run ended: `seen` maps visited labellings to results and cuts it short.
 */
function lloyd(x: Mat, norms: Float64Array, centres: Float64Array[], maxIter: number, tol: number, seen: Map<number, KmeansResult>): KmeansResult {
  const visited: number[] = [];
  const n = x.rows;
  const k = centres.length;
  const labels = new Int32Array(n).fill(-1);
  let inertia = Infinity;
  let it = 0;
  for (; it < maxIter; it++) {
    const dist = sqDistances(x, norms, centres);
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (dist[j][i] < dist[best][i]) best = j;
      if (labels[i] !== best) changed++;
      labels[i] = best;
      inertia += dist[best][i];
    }
    const h = labelHash(labels);
    const known = seen.get(h);
    if (known) {
      for (const v of visited) seen.set(v, known);
      return known;
    }
    visited.push(h);
    if (changed === 0) break;
    const weights = centres.map((_, j) => Float64Array.from(labels, (l) => (l === j ? 1 : 0)));
    const sums = centres.map(() => new Float64Array(x.cols));
    addRowsTMany(x, weights, sums);
    let shift = 0;
    for (let j = 0; j < k; j++) {
      let count = 0;
      for (let i = 0; i < n; i++) count += weights[j][i];
      if (count === 0) continue; // an empty cluster keeps its centre
      for (let c = 0; c < x.cols; c++) {
        const v = sums[j][c] / count;
        shift += (v - centres[j][c]) ** 2;
        centres[j][c] = v;
      }
    }
    if (shift <= tol) {
      // Converged on centres: a last assignment so labels match the final centres.
      const last = sqDistances(x, norms, centres);
      inertia = 0;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (last[j][i] < last[best][i]) best = j;
        labels[i] = best;
        inertia += last[best][i];
      }
      it++;
      break;
    }
  }
  const result = { centroids: centres, labels, inertia, iterations: it };
  for (const v of visited) seen.set(v, result);
  return result;
}

export function kmeansFit(x: Mat, k: number, rng: Rng, opts: KmeansOptions = {}): KmeansResult {
  const norms = rowNorms(x);
  // scikit-learn's tolerance: relative to the mean per-feature variance of the data.
  let meanVar = 0;
  const m = new Float64Array(x.cols);
  for (let i = 0; i < x.rows; i++) for (let c = 0, o = i * x.cols; c < x.cols; c++) m[c] += x.data[o + c] / x.rows;
  for (let i = 0; i < x.rows; i++) for (let c = 0, o = i * x.cols; c < x.cols; c++) meanVar += (x.data[o + c] - m[c]) ** 2;
  meanVar /= x.rows * x.cols;
  const tol = (opts.tol ?? 1e-4) * meanVar;
  let best: KmeansResult | null = null;
  const seen = new Map<number, KmeansResult>();
  for (let run = 0; run < (opts.nInit ?? 10); run++) {
    const r = lloyd(x, norms, kmeansPlusPlus(x, k, norms, rng), opts.maxIter ?? 300, tol, seen);
    if (!best || r.inertia < best.inertia) best = r;
  }
  return best!;
}
