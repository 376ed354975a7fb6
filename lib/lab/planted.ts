/**
 * The planted-feature lab: contrast-pair activations whose answer is known, so a new
 * method or normalisation can be checked against it. Pure and seeded: the same request
 * gives the same arrays, bit for bit.
 *
 * For item i (truth bit yᵢ, distractor bits h_{ik}, signs s = 2y − 1, g = 2h − 1) at a
 * layer with truth strength a, distractor strengths b_k and noise σ:
 *
 *   x⁺ᵢ = cᵢ + ½·(a·sᵢ·t + Σ_k b_k·g_{ik}·u_k) + σ·ε⁺ᵢ
 *   x⁻ᵢ = cᵢ − ½·(a·sᵢ·t + Σ_k b_k·g_{ik}·u_k) + σ·ε⁻ᵢ,      cᵢ = σ_c·zᵢ
 *
 * with zᵢ, ε±ᵢ ~ N(0, I_d) and unit directions t, u_k. The distractor enters exactly as the
 * truth does: "which side of the pair carries +u_k" is a contrast-consistent feature, so a
 * probe reading it has the same CCS loss as one reading the truth — Farquhar et al. 2023,
 * Theorem 1 (any binary feature of the questions, flipped between x⁺ and x⁻, gives a CCS
 * minimum), and the shape of their §4.1 banana/shed control, where h decides which side of
 * the pair gets which word. The shared part c (what both completions of a question have in
 * common, large in real models) cancels in x⁺ − x⁻ but is seen by methods that score each
 * side (CCS). Differences x⁺ − x⁻ have variance a² along t and b_k² along u_k on top of the
 * same 2σ² in every direction, so PCA on them follows the stronger feature and flips at
 * b/a = 1 (the prediction docs/planted-lab.md checks).
 *
 * Directions are drawn once per set (u_k = ρ_k·t + √(1 − ρ_k²)·w_k with w_k orthonormal and
 * ⊥ t, ρ_k the chosen overlap), and items and noise are the same at every layer (common
 * random numbers): layers differ only by their strengths, so a sweep over layers is a clean
 * phase diagram.
 */
import { BadInputError, TooLargeError } from '../errors.ts';
import { rngFor } from '../probe/random.ts';
import type { Mat } from '../tensor.ts';

/** A value for every layer, or one for all. */
export type PerLayer = number | number[];

export interface PlantedDistractor {
  /** Label column name for the distractor bit (default `distractor`, `distractor_2`, …). */
  name?: string;
  strength: PerLayer;
  /** cos(u_k, t), in (−1, 1); default 0 (orthogonal). */
  overlap?: number;
}

export interface PlantedRequest {
  layers: number;
  d: number;
  n: number;
  truth_strength: PerLayer;
  distractors?: PlantedDistractor[];
  /** Per-side noise σ (default 0.5). */
  noise?: PerLayer;
  /** Std of the part both sides of a pair share (default 1). */
  shared_noise?: number;
  /** Fraction of items whose stored truth label is flipped (planted mislabels; default 0). */
  label_noise?: number;
  /** Fraction of items that carry a truth label, the others −1 (default 1). */
  labelled?: number;
  seed?: number;
  /** Recorded in meta: what the layers sweep (the phase diagram's x axis). */
  axis?: { name: string; values: number[] } | null;
}

export interface PlantedLayerSettings {
  layer: number;
  truth_strength: number;
  distractor_strengths: number[];
  noise: number;
}

export interface PlantedMeta {
  generator: 'sonde-planted/1';
  seed: number;
  n: number;
  d: number;
  shared_noise: number;
  label_noise: number;
  labelled: number;
  distractors: { name: string; overlap: number }[];
  layers: PlantedLayerSettings[];
  /** Items whose stored truth label was flipped (the answer the disagreement list should find). */
  mislabelled: number[];
  axis?: { name: string; values: number[] };
}

export interface PlantedSet {
  layers: { pos: Mat; neg: Mat }[];
  /** Stored truth labels (after label_noise and labelled), −1 unknown. */
  labels: Int8Array;
  /** The true bits yᵢ, before any planted mislabel. */
  truth: Int8Array;
  /** One label column per distractor bit (all known). */
  label_sets: Record<string, Int8Array>;
  directions: { truth: Float64Array; distractors: Float64Array[] };
  meta: PlantedMeta;
}

/** Every size is bounded; the product bounds the memory one request may take (float32, both sides). */
export const PLANTED_LIMITS = {
  layers: 64,
  d: 4096,
  n: 20_000,
  distractors: 8,
  /** layers × n × d: 4 Mi values per side, 32 MiB of float32 for x⁺ and x⁻ together. */
  values: 4 * 1024 * 1024,
  strength: 1000,
} as const;

function perLayer(v: PerLayer, layers: number, what: string): number[] {
  const out = Array.isArray(v) ? v : Array.from({ length: layers }, () => v);
  if (out.length !== layers) throw new BadInputError(`${what} has ${out.length} values for ${layers} layers (give one, or one per layer)`);
  for (const x of out) {
    if (!Number.isFinite(x) || x < 0 || x > PLANTED_LIMITS.strength) throw new BadInputError(`${what} must be numbers in [0, ${PLANTED_LIMITS.strength}] (got ${x})`);
  }
  return out;
}

const fraction = (v: number | undefined, fallback: number, what: string) => {
  const x = v ?? fallback;
  if (!Number.isFinite(x) || x < 0 || x > 1) throw new BadInputError(`${what} must be in [0, 1] (got ${x})`);
  return x;
};

/** Checks a request and fills in its defaults; every size error names the limit. */
export function checkPlantedRequest(req: PlantedRequest): Required<Omit<PlantedRequest, 'axis'>> & { axis: PlantedRequest['axis'] } {
  const { layers, d, n } = req;
  const L = PLANTED_LIMITS;
  for (const [what, v, lo, hi] of [['layers', layers, 1, L.layers], ['d', d, 2, L.d], ['n', n, 8, L.n]] as const) {
    if (!Number.isInteger(v) || v < lo) throw new BadInputError(`${what} must be an integer ≥ ${lo} (got ${v})`);
    if (v > hi) throw new TooLargeError(`${what} = ${v} is over the planted lab's limit of ${hi}`, { extra: { limit: hi } });
  }
  if (layers * n * d > L.values) {
    throw new TooLargeError(`layers × n × d = ${layers} × ${n} × ${d} = ${layers * n * d} values is over the planted lab's limit of ${L.values} (32 MiB of float32 for both sides)`, { extra: { limit: L.values } });
  }
  const distractors = req.distractors ?? [];
  if (distractors.length > L.distractors) throw new TooLargeError(`${distractors.length} distractors is over the limit of ${L.distractors}`, { extra: { limit: L.distractors } });
  if (d < 1 + distractors.length) throw new BadInputError(`d = ${d} has no room for the truth and ${distractors.length} distractor direction(s): need d ≥ ${1 + distractors.length}`);
  const names = distractors.map((x, k) => x.name ?? (k === 0 ? 'distractor' : `distractor_${k + 1}`));
  for (const name of names) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(name) || name === 'label') throw new BadInputError(`distractor name "${name}" must be a letter then letters, digits or _ (at most 40), and not "label"`);
  }
  if (new Set(names).size !== names.length) throw new BadInputError('distractor names must be distinct');
  for (const x of distractors) {
    if (x.overlap !== undefined && !(Number.isFinite(x.overlap) && Math.abs(x.overlap) < 1)) throw new BadInputError(`a distractor's overlap (cosine with the truth) must be in (−1, 1) (got ${x.overlap})`);
  }
  const seed = req.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new BadInputError(`seed must be a non-negative integer (got ${seed})`);
  const sharedNoise = req.shared_noise ?? 1;
  if (!Number.isFinite(sharedNoise) || sharedNoise < 0 || sharedNoise > L.strength) throw new BadInputError(`shared_noise must be in [0, ${L.strength}] (got ${sharedNoise})`);
  if (req.axis && req.axis.values.length !== layers) throw new BadInputError(`axis "${req.axis.name}" has ${req.axis.values.length} values for ${layers} layers`);
  perLayer(req.truth_strength, layers, 'truth_strength');
  perLayer(req.noise ?? 0.5, layers, 'noise');
  distractors.forEach((x, k) => perLayer(x.strength, layers, `distractors[${k}].strength`));
  return {
    layers, d, n, seed,
    truth_strength: req.truth_strength,
    distractors: distractors.map((x, k) => ({ ...x, name: names[k], overlap: x.overlap ?? 0 })),
    noise: req.noise ?? 0.5,
    shared_noise: sharedNoise,
    label_noise: fraction(req.label_noise, 0, 'label_noise'),
    labelled: fraction(req.labelled, 1, 'labelled'),
    axis: req.axis ?? null,
  };
}

/** Unit truth direction t and distractor directions u_k with cos(u_k, t) = overlap_k (Gram–Schmidt on Gaussians). */
export function plantedDirections(seed: number, d: number, overlaps: readonly number[]): { truth: Float64Array; distractors: Float64Array[] } {
  const r = rngFor(seed, 'planted-directions');
  const basis: Float64Array[] = [];
  for (let k = 0; k <= overlaps.length; k++) {
    for (;;) {
      const v = Float64Array.from({ length: d }, () => r.normal());
      for (const b of basis) {
        let c = 0;
        for (let j = 0; j < d; j++) c += v[j] * b[j];
        for (let j = 0; j < d; j++) v[j] -= c * b[j];
      }
      const norm = Math.hypot(...v);
      if (norm > 1e-6) { basis.push(v.map((x) => x / norm)); break; }
    }
  }
  const [t, ...ws] = basis;
  const distractors = overlaps.map((rho, k) => Float64Array.from(t, (tj, j) => rho * tj + Math.sqrt(1 - rho * rho) * ws[k][j]));
  return { truth: t, distractors };
}

/** Exactly round(n/2) ones, in a seeded order. */
function balancedBits(n: number, seed: number, stream: string): Int8Array {
  const r = rngFor(seed, stream);
  const bits = Int8Array.from({ length: n }, (_, i) => (i < Math.round(n / 2) ? 1 : 0));
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [bits[i], bits[j]] = [bits[j], bits[i]];
  }
  return bits;
}

/** round(fraction · n) distinct items, seeded, in index order. */
function someItems(n: number, frac: number, seed: number, stream: string): number[] {
  const r = rngFor(seed, stream);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, Math.round(frac * n)).sort((a, b) => a - b);
}

export function plantedSet(request: PlantedRequest): PlantedSet {
  const req = checkPlantedRequest(request);
  const { layers: L, d, n, seed } = req;
  const K = req.distractors.length;
  const dirs = plantedDirections(seed, d, req.distractors.map((x) => x.overlap!));
  const truth = balancedBits(n, seed, 'planted-truth');
  const bits = req.distractors.map((_, k) => balancedBits(n, seed, `planted-distractor-${k}`));
  const strengths = perLayer(req.truth_strength, L, 'truth_strength');
  const noise = perLayer(req.noise, L, 'noise');
  const bStrengths = req.distractors.map((x, k) => perLayer(x.strength, L, `distractors[${k}].strength`));

  // Common random numbers: one draw of z, ε⁺, ε⁻ per item, reused (scaled) at every layer.
  const r = rngFor(seed, 'planted-noise');
  const z = new Float32Array(n * d), ePos = new Float32Array(n * d), eNeg = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) { z[i] = r.normal(); ePos[i] = r.normal(); eNeg[i] = r.normal(); }

  const out: { pos: Mat; neg: Mat }[] = [];
  const half = new Float64Array(d);
  for (let l = 0; l < L; l++) {
    const pos = new Float32Array(n * d), neg = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const s = truth[i] ? 1 : -1;
      for (let j = 0; j < d; j++) half[j] = 0.5 * strengths[l] * s * dirs.truth[j];
      for (let k = 0; k < K; k++) {
        const g = 0.5 * bStrengths[k][l] * (bits[k][i] ? 1 : -1);
        const u = dirs.distractors[k];
        for (let j = 0; j < d; j++) half[j] += g * u[j];
      }
      for (let j = 0, o = i * d; j < d; j++, o++) {
        const c = req.shared_noise * z[o];
        pos[o] = c + half[j] + noise[l] * ePos[o];
        neg[o] = c - half[j] + noise[l] * eNeg[o];
      }
    }
    out.push({ pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg } });
  }

  const labels = Int8Array.from(truth);
  const known = new Set(someItems(n, req.labelled, seed, 'planted-labelled'));
  for (let i = 0; i < n; i++) if (!known.has(i)) labels[i] = -1;
  // Mislabels among the labelled items only: each is an answer the disagreement list should find.
  const mislabelled = someItems(n, req.label_noise, seed, 'planted-mislabel').filter((i) => known.has(i));
  for (const i of mislabelled) labels[i] = 1 - labels[i];

  return {
    layers: out,
    labels,
    truth,
    label_sets: Object.fromEntries(req.distractors.map((x, k) => [x.name!, bits[k]])),
    directions: dirs,
    meta: {
      generator: 'sonde-planted/1',
      seed, n, d,
      shared_noise: req.shared_noise,
      label_noise: req.label_noise,
      labelled: req.labelled,
      distractors: req.distractors.map((x) => ({ name: x.name!, overlap: x.overlap! })),
      layers: Array.from({ length: L }, (_, l) => ({ layer: l, truth_strength: strengths[l], distractor_strengths: bStrengths.map((b) => b[l]), noise: noise[l] })),
      mislabelled,
      ...(req.axis ? { axis: req.axis } : {}),
    },
  };
}
