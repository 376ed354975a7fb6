/**
 * Normalisation of contrast pairs, fitted on the training split and applied unchanged to
 * new data (the `transductive` flag of fitAndEvaluate instead fits it on each split, as the
 * papers' code does). Each side is normalised separately: otherwise the "yes"/"no" token
 * itself is the most salient direction (Burns et al. 2022, §2.2).
 */
import type { Mat } from '../tensor.ts';
import type { ContrastData, NormalizeMode, NormalizerState } from './types.ts';
import { ProbeInputError } from './errors.ts';
import { kmeansFit } from './kmeans.ts';
import type { Rng } from './random.ts';
import type { Block, Workspace } from './workspace.ts';

/** Group key used for rows whose template was not seen in training (and for center/elk). */
const POOLED = -1;

interface Stats { mean: Float64Array; scale: number }

function sideStats(x: Mat, rows: number[], mode: NormalizeMode): Stats {
  const d = x.cols;
  const mean = new Float64Array(d);
  for (const i of rows) for (let k = 0, o = i * d; k < d; k++) mean[k] += x.data[o + k];
  for (let k = 0; k < d; k++) mean[k] /= Math.max(1, rows.length);
  let scale = 1;
  if (mode === 'burns' || mode === 'cluster') {
    // Burns et al. 2022 §2.2 / public code: after centring, scale so the mean row norm is √d.
    let sumNorm = 0;
    for (const i of rows) {
      let s = 0;
      for (let k = 0, o = i * d; k < d; k++) s += (x.data[o + k] - mean[k]) ** 2;
      sumNorm += Math.sqrt(s);
    }
    const meanNorm = sumNorm / Math.max(1, rows.length);
    scale = meanNorm > 0 ? Math.sqrt(d) / meanNorm : 1;
  } else if (mode === 'elk') {
    // elk: centre, then divide by the mean over dimensions of the per-dimension std.
    const v = new Float64Array(d);
    for (const i of rows) for (let k = 0, o = i * d; k < d; k++) v[k] += (x.data[o + k] - mean[k]) ** 2;
    let meanStd = 0;
    for (let k = 0; k < d; k++) meanStd += Math.sqrt(v[k] / Math.max(1, rows.length));
    meanStd /= d;
    scale = meanStd > 0 ? 1 / meanStd : 1;
  }
  return { mean, scale };
}

function pairMeans(data: ContrastData): Mat {
  const out = new Float32Array(data.pos.data.length);
  for (let k = 0; k < out.length; k++) out[k] = 0.5 * (data.pos.data[k] + data.neg.data[k]);
  return { rows: data.pos.rows, cols: data.pos.cols, data: out };
}

function nearest(centroids: number[][], x: Float32Array, o: number, d: number): number {
  let best = 0;
  let bestD = Infinity;
  centroids.forEach((c, j) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += (x[o + k] - c[k]) ** 2;
    if (s < bestD) { bestD = s; best = j; }
  });
  return best;
}

/** Group key of each row: template (burns), cluster (cluster) or the pooled group. */
function groupKeys(state: NormalizerState, data: ContrastData): Int32Array {
  const n = data.pos.rows;
  const keys = new Int32Array(n).fill(POOLED);
  if (state.mode === 'burns' && data.templates) keys.set(data.templates);
  if (state.mode === 'cluster' && state.centroids) {
    const m = pairMeans(data);
    for (let i = 0; i < n; i++) keys[i] = nearest(state.centroids, m.data, i * m.cols, m.cols);
  }
  return keys;
}

export function fitNormalizer(mode: NormalizeMode, data: ContrastData, rng: Rng, clusters = 2): NormalizerState {
  const { pos, neg } = data;
  const d = pos.cols;
  const state: NormalizerState = { mode, d, groups: [] };
  if (mode === 'none') return state;
  if (mode === 'cluster') {
    // Cluster-normalisation (Laurito et al. 2024, §3): cluster the pair means, which carry
    // the prompt's distractor but not the answer, then normalise within each cluster so the
    // distractor's between-cluster direction is removed before probing.
    const km = kmeansFit(pairMeans(data), Math.min(clusters, pos.rows), rng, { nInit: 3 });
    state.centroids = km.centroids.map((c) => Array.from(c));
  }
  const keys = groupKeys(state, data);
  const byKey = new Map<number, number[]>([[POOLED, Array.from({ length: pos.rows }, (_, i) => i)]]);
  if (mode === 'burns' || mode === 'cluster') {
    keys.forEach((key, i) => {
      if (key === POOLED) return;
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key)!.push(i);
    });
  }
  let pooled: NormalizerState['groups'][number] | null = null;
  for (const [key, rows] of byKey) {
    // A group holding every row (one template, one cluster) has the pooled statistics.
    if (pooled && rows.length === pos.rows) {
      state.groups.push({ ...pooled, key });
      continue;
    }
    const p = sideStats(pos, rows, mode);
    const q = sideStats(neg, rows, mode);
    const g = { key, mean_pos: Array.from(p.mean), mean_neg: Array.from(q.mean), scale_pos: p.scale, scale_neg: q.scale };
    if (key === POOLED) pooled = g;
    state.groups.push(g);
  }
  return state;
}

export function applyNormalizer(state: NormalizerState, data: ContrastData): { pos: Mat; neg: Mat } {
  checkPairs(data, 'data', state.d);
  if (state.mode === 'none') return { pos: data.pos, neg: data.neg };
  const d = state.d;
  const keys = groupKeys(state, data);
  const groups = new Map(state.groups.map((g) => [g.key, g]));
  const pooled = groups.get(POOLED)!;
  const out = (x: Mat, side: 'pos' | 'neg'): Mat => {
    const y = new Float32Array(x.data.length);
    for (let i = 0; i < x.rows; i++) {
      const g = groups.get(keys[i]) ?? pooled;
      const mean = side === 'pos' ? g.mean_pos : g.mean_neg;
      const s = side === 'pos' ? g.scale_pos : g.scale_neg;
      for (let k = 0, o = i * d; k < d; k++) y[o + k] = (x.data[o + k] - mean[k]) * s;
    }
    return { rows: x.rows, cols: d, data: y };
  };
  return { pos: out(data.pos, 'pos'), neg: out(data.neg, 'neg') };
}

/**
 * NaN and ±∞ survive a sum (x·0 turns them into NaN), so one cheap pass screens the data;
 * only a failed screen pays for the scan that names the row. A function of its own so the
 * loop is compiled for exactly this shape.
 */
function allFinite(v: Float32Array): boolean {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 3 < v.length; k += 4) {
    s0 += v[k] * 0; s1 += v[k + 1] * 0; s2 += v[k + 2] * 0; s3 += v[k + 3] * 0;
  }
  for (; k < v.length; k++) s0 += v[k] * 0;
  return s0 + s1 + s2 + s3 === 0;
}

/**
 * The pairs normalised into a workspace: the raw sides uploaded as one stacked block
 * [x⁺; x⁻], screened for NaN/±∞ by a SIMD pass, then centred and scaled in place group by
 * group (float32). Fits and stored probes both score through this, so a stored probe
 * reproduces its report's scores exactly; applyNormalizer is the float64 JS equivalent.
 */
export function normalizeResident(ws: Workspace, state: NormalizerState, data: ContrastData, what: string): Block {
  return normalizeInPlace(ws, uploadPairs(ws, data, what, state.d), state, data);
}

/** The raw sides as one stacked block [x⁺; x⁻], shape-checked and screened for NaN/±∞ (one SIMD pass). */
export function uploadPairs(ws: Workspace, data: ContrastData, what: string, d?: number): Block {
  checkPairs(data, what, d, false);
  const n = data.pos.rows;
  const X = ws.upload([data.pos, data.neg]);
  const bad = ws.firstNonFinite(X);
  if (bad >= 0) throw new ProbeInputError(`${what}: ${bad < n ? 'pos' : 'neg'} contains NaN or infinite values (row ${bad % n})`);
  return X;
}

/** Applies a fitted normaliser in place to pairs uploaded by uploadPairs. */
export function normalizeInPlace(ws: Workspace, X: Block, state: NormalizerState, data: ContrastData): Block {
  const n = data.pos.rows;
  if (state.mode === 'none') return X;
  const keys = groupKeys(state, data);
  const groups = new Map(state.groups.map((g) => [g.key, g]));
  const pooled = groups.get(POOLED)!;
  const params = new Map<number, { mp: number; mn: number; sp: number; sn: number }>();
  const paramsOf = (key: number) => {
    const g = groups.get(key) ?? pooled;
    let p = params.get(g.key);
    if (!p) {
      p = { mp: ws.alloc(X.ld), mn: ws.alloc(X.ld), sp: g.scale_pos, sn: g.scale_neg };
      ws.write(p.mp, g.mean_pos);
      ws.write(p.mn, g.mean_neg);
      params.set(g.key, p);
    }
    return p;
  };
  // Runs of rows in one group share one kernel call per side.
  for (let i0 = 0; i0 < n;) {
    let i1 = i0 + 1;
    while (i1 < n && keys[i1] === keys[i0]) i1++;
    const p = paramsOf(keys[i0]);
    ws.affine(ws.rowsOf(X, i0, i1 - i0), p.mp, p.sp);
    ws.affine(ws.rowsOf(X, n + i0, i1 - i0), p.mn, p.sn);
    i0 = i1;
  }
  return X;
}

/** Shape checks shared by fit and predict: one clear line per problem (`finite`: also screen for NaN/±∞ here). */
export function checkPairs(data: ContrastData, what: string, d?: number, finite = true): void {
  const { pos, neg, labels, templates } = data;
  if (!pos || !neg) throw new ProbeInputError(`${what}: both pos and neg activations are required`);
  if (pos.rows !== neg.rows || pos.cols !== neg.cols) {
    throw new ProbeInputError(`${what}: pos is ${pos.rows}×${pos.cols} but neg is ${neg.rows}×${neg.cols}; they must match`);
  }
  if (pos.rows === 0 || pos.cols === 0) throw new ProbeInputError(`${what}: no pairs (${pos.rows}×${pos.cols})`);
  if (d !== undefined && pos.cols !== d) throw new ProbeInputError(`${what}: activations have ${pos.cols} dimensions but the probe was fitted on ${d}`);
  if (labels && labels.length !== pos.rows) throw new ProbeInputError(`${what}: ${labels.length} labels for ${pos.rows} pairs`);
  if (labels) for (let i = 0; i < labels.length; i++) if (labels[i] !== 0 && labels[i] !== 1) throw new ProbeInputError(`${what}: label ${i} is ${labels[i]}, expected 0 or 1`);
  if (templates && templates.length !== pos.rows) throw new ProbeInputError(`${what}: ${templates.length} template indices for ${pos.rows} pairs`);
  if (!finite) return;
  for (const [name, x] of [['pos', pos], ['neg', neg]] as const) {
    if (allFinite(x.data)) continue;
    for (let k = 0; k < x.data.length; k++) {
      if (!Number.isFinite(x.data[k])) throw new ProbeInputError(`${what}: ${name} contains NaN or infinite values (row ${Math.floor(k / x.cols)})`);
    }
  }
}
