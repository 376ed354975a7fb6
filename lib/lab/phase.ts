/**
 * The phase diagram of the planted-feature lab: one planted set whose layer k has
 * distractor strength r_k · a against truth strength a, so each "layer" is one setting of
 * the sweep and a job's per-layer results, read against the truth and the distractor
 * label column, are the diagram. Farquhar et al. 2023 (§3, Theorem 1; §4.1) predict where
 * methods switch: PCA (variance of x⁺ − x⁻) follows the stronger feature, so it flips at
 * r = 1 when both have the same noise; CCS has two equally consistent minima and its
 * confidence term alone decides between them.
 */
import { BadInputError } from '../errors.ts';
import { checkPlantedRequest, type PlantedRequest } from './planted.ts';

export const PHASE_AXIS = 'distractor / truth strength';
export const DEFAULT_RATIOS = [0, 0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 4];
export const DEFAULT_PHASE_METHODS = ['pca', 'ccs', 'lr'];

export interface PhaseRequest {
  ratios?: number[];
  d?: number;
  n?: number;
  truth_strength?: number;
  noise?: number;
  shared_noise?: number;
  seed?: number;
}

/** The planted set of a phase diagram: layer k plants one distractor at ratios[k] × the truth's strength. */
export function phaseSetRequest(req: PhaseRequest): PlantedRequest {
  const ratios = req.ratios ?? DEFAULT_RATIOS;
  if (ratios.length < 2) throw new BadInputError('a phase diagram needs at least two ratios');
  if (ratios.some((r, i) => i > 0 && r <= ratios[i - 1])) throw new BadInputError('ratios must be increasing');
  const a = req.truth_strength ?? 1;
  const planted: PlantedRequest = {
    layers: ratios.length,
    d: req.d ?? 32,
    n: req.n ?? 600,
    truth_strength: a,
    distractors: [{ name: 'distractor', strength: ratios.map((r) => r * a) }],
    noise: req.noise ?? 0.5,
    shared_noise: req.shared_noise ?? 1,
    seed: req.seed ?? 0,
    axis: { name: PHASE_AXIS, values: ratios },
  };
  checkPlantedRequest(planted);
  return planted;
}

export interface PhasePoint {
  method: string;
  layer: number;
  x: number;
  /** Per seed, in seed order: oracle-sign accuracy against the truth labels and agreement with the distractor bit, test split. */
  truth: (number | null)[];
  distractor: (number | null)[];
}

/**
 * Where a method flips from the truth to the distractor: the first x at which the mean
 * distractor agreement rises above the mean truth accuracy, linearly interpolated between
 * the two settings around the crossing; null if it never does (or starts there: `from`).
 */
export function flipPoint(xs: readonly number[], truth: readonly (number | null)[], distractor: readonly (number | null)[]): { at: number | null; starts: 'truth' | 'distractor' | null } {
  const gap = xs.map((_, i) => (truth[i] === null || distractor[i] === null ? null : distractor[i]! - truth[i]!));
  const first = gap.findIndex((g) => g !== null);
  if (first < 0) return { at: null, starts: null };
  if (gap[first]! > 0) return { at: null, starts: 'distractor' };
  let prev = first;
  for (let i = first + 1; i < xs.length; i++) {
    const g = gap[i];
    if (g === null) continue;
    if (g > 0) {
      const g0 = gap[prev]!;
      return { at: xs[prev] + ((xs[i] - xs[prev]) * -g0) / (g - g0), starts: 'truth' };
    }
    prev = i;
  }
  return { at: null, starts: 'truth' };
}
