/**
 * 2-means (the k-means baseline of Farquhar et al. 2023) with all n_init runs in lockstep:
 * the same greedy k-means++ seeding and Lloyd steps as kmeans.ts runs one after another, but
 * each pass over the data serves every run — the runs' first centres, then their candidate
 * centres, then each Lloyd round's projections are one multi-vector SIMD pass (a GEMM with one
 * row per run) instead of one pass per run. Draws come in the sequential order (per run: the
 * first centre, then the candidates), so every run ends where the sequential one does.
 */
import type { Mat } from '../tensor.ts';
import type { Rng } from './random.ts';
import { dot } from './kernels.ts';
import { labelHash, rowOf, sqDistances, type KmeansResult, type RowDots, type RowSums } from './kmeans.ts';

interface Run {
  labels: Int32Array;
  counts: Float64Array;
  sums: Float64Array[];
  centres: Float64Array[];
  it: number;
  result: KmeansResult | null;
  /** Reached a partition another run visited: it ends where that run ends. */
  alias: number;
}

export interface TwoMeansOptions {
  nInit: number;
  maxIter: number;
  tol: number;
  dots: RowDots;
  rowSums: NonNullable<RowSums>;
  /** Σ_i x_i, computed once (the other cluster's sum is the total minus one cluster's). */
  columnSums: () => Float64Array;
}

export function twoMeans(x: Mat, norms: Float64Array, rng: Rng, o: TwoMeansOptions): KmeansResult {
  const n = x.rows, d = x.cols, R = o.nInit;
  const trials = 2 + Math.floor(Math.log(2));
  // Greedy k-means++ (kmeans.ts kmeansPlusPlus), every run's draws taken in the sequential order.
  const firsts: number[] = [];
  const uniforms: number[][] = [];
  for (let r = 0; r < R; r++) {
    firsts.push(rng.int(n));
    uniforms.push(Array.from({ length: trials }, () => rng.next()));
  }
  const d0 = sqDistances(x, norms, firsts.map((i) => rowOf(x, i)), o.dots);
  const candidates = d0.map((closest, r) => uniforms[r].map((u) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += closest[i];
    let left = u * total;
    for (let i = 0; i < n; i++) {
      left -= closest[i];
      if (left < 0) return i;
    }
    return n - 1;
  }));
  const dc = sqDistances(x, norms, candidates.flat().map((i) => rowOf(x, i)), o.dots);
  const runs: Run[] = d0.map((closest, r) => {
    let best = 0, bestPot = Infinity;
    for (let t = 0; t < trials; t++) {
      const dd = dc[r * trials + t];
      let pot = 0;
      for (let i = 0; i < n; i++) pot += Math.min(closest[i], dd[i]);
      if (pot < bestPot) { bestPot = pot; best = t; }
    }
    // First assignment from the two distances already at hand (kmeans.ts lloyd's first step).
    const other = dc[r * trials + best];
    const labels = new Int32Array(n);
    const counts = new Float64Array(2);
    for (let i = 0; i < n; i++) {
      labels[i] = other[i] < closest[i] ? 1 : 0;
      counts[labels[i]]++;
    }
    return { labels, counts, sums: [new Float64Array(d), new Float64Array(d)], centres: [rowOf(x, firsts[r]), rowOf(x, candidates[r][best])], it: 1, result: null, alias: -1 };
  });
  const recompute = (run: Run) => {
    const total = o.columnSums();
    run.sums[1].fill(0);
    o.rowSums(Float64Array.from(run.labels), run.sums[1]);
    for (let t = 0; t < d; t++) run.sums[0][t] = total[t] - run.sums[1][t];
  };
  const addRow = (run: Run, i: number, j: number, sign: number) => {
    const sum = run.sums[j];
    for (let t = 0, off = i * d; t < d; t++) sum[t] += sign * x.data[off + t];
    run.counts[j] += sign;
  };
  const finish = (run: Run) => {
    // Inertia from the sums (centres are the cluster means): Σ‖x‖² − Σ_j ‖S_j‖² / n_j.
    let inertia = 0;
    for (let i = 0; i < n; i++) inertia += norms[i];
    for (let j = 0; j < 2; j++) if (run.counts[j] > 0) inertia -= dot(run.sums[j], run.sums[j]) / run.counts[j];
    run.result = { centroids: run.centres, labels: run.labels, inertia: Math.max(0, inertia), iterations: run.it };
  };
  runs.forEach(recompute);
  // After the first assignment a run's trajectory is a function of its partition alone, so a
  // run reaching a partition another run visited ends where that run ends.
  const seen = new Map<number, number>();
  let active = runs.map((_, r) => r);
  while (active.length) {
    const step: { r: number; w: Float64Array; thr: number }[] = [];
    for (const r of active) {
      const run = runs[r];
      const h = labelHash(run.labels);
      const q = seen.get(h);
      if (q !== undefined && q !== r) { run.alias = q; continue; }
      seen.set(h, r);
      // Move the centres to their means (an empty cluster keeps its centre).
      let shift = 0;
      for (let j = 0; j < 2; j++) {
        if (run.counts[j] === 0) continue;
        const c = run.centres[j], s = run.sums[j], m = run.counts[j];
        for (let t = 0; t < d; t++) {
          const v = s[t] / m;
          shift += (v - c[t]) ** 2;
          c[t] = v;
        }
      }
      if (shift <= o.tol || run.it >= o.maxIter) { finish(run); continue; }
      // Nearest centre ⇔ x·(c₁ − c₀) beyond (‖c₁‖² − ‖c₀‖²)/2: one dot per row.
      const [c0, c1] = run.centres;
      step.push({ r, w: c1.map((v, t) => v - c0[t]), thr: 0.5 * (dot(c1, c1) - dot(c0, c0)) });
    }
    const proj = step.map(() => new Float64Array(n));
    if (step.length) o.dots(step.map((s) => s.w), proj);
    active = [];
    step.forEach(({ r, thr }, j) => {
      const run = runs[r];
      const moved: number[] = [];
      for (let i = 0; i < n; i++) if ((proj[j][i] > thr ? 1 : 0) !== run.labels[i]) moved.push(i);
      // Many moves: one SIMD pass beats updating the sums row by row.
      const bulk = moved.length * 16 > n;
      for (const i of moved) {
        const to = 1 - run.labels[i];
        if (bulk) { run.counts[run.labels[i]]--; run.counts[to]++; } else { addRow(run, i, run.labels[i], -1); addRow(run, i, to, 1); }
        run.labels[i] = to;
      }
      if (bulk) recompute(run);
      if (moved.length === 0) finish(run);
      else { run.it++; active.push(r); }
    });
  }
  const resultOf = (r: number): KmeansResult => {
    // Partitions only repeat along one descent, so aliases end at a finished run; guard anyway.
    for (let q = r, hops = 0; hops <= R; hops++, q = runs[q].alias) {
      if (runs[q].result) return runs[q].result!;
      if (runs[q].alias < 0) break;
    }
    finish(runs[r]);
    return runs[r].result!;
  };
  let best: KmeansResult | null = null;
  for (let r = 0; r < R; r++) {
    const res = resultOf(r);
    if (!best || res.inertia < best.inertia) best = res;
  }
  return best!;
}
