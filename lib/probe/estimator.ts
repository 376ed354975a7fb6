/**
 * What a method's file declares (scikit-learn's estimator class, as data): its name,
 * whether it needs labels, its options with defaults and bounds, and its fit. The fit reads
 * the normalised training split through FitData, whose derived quantities (differences,
 * their statistics, the top principal component, resident copies for the SIMD kernels) are
 * computed once per split and shared by every method fitted on it (context.ts).
 */
import type { Mat } from '../tensor.ts';
import type { MethodName, OptionSchema, SerializedProbe } from './types.ts';
import type { Rng } from './random.ts';
import type { Block, Workspace } from './workspace.ts';
import type { EigenResult } from './eigen.ts';

export interface Sides { pPos: Float64Array; pNeg: Float64Array }

/** A fitted method before the normaliser and the request's options are attached. */
export type Fitted = Omit<SerializedProbe, 'method' | 'options' | 'normalizer'> & {
  /** ccs: every restart (parameters, final pure loss, iterations, per-side probabilities on train). */
  restarts?: ({ loss: number; theta: Float64Array; bias: number; iterations: number } & Sides)[];
  /** Per-side probabilities on the training pairs when the fit had them anyway (exactly what probeSides gives). */
  trainSides?: Sides;
};

/** Validated options with every default filled in. */
export type ResolvedOptions = Readonly<Record<string, number | string>>;

/** Row statistics of the differences δ = x̃⁺ − x̃⁻ (k-means, NMF). */
export interface DeltaStats {
  /** ‖δ_i‖² per row. */
  rowNorms: Float64Array;
  mean: Float64Array;
  /** Mean over features of the per-feature variance (scikit-learn's k-means tolerance scale). */
  meanVar: number;
  /** Σ δ², Σ |δ|. */
  sumSq: number;
  sumAbs: number;
}

/** The normalised training split of one fit, with lazily computed shared quantities. */
export interface FitData {
  readonly n: number;
  readonly d: number;
  readonly pos: Mat;
  readonly neg: Mat;
  readonly labels?: Int8Array;
  readonly ws: Workspace;
  /** [x̃⁺; x̃⁻] resident in the workspace (2n rows). */
  readonly sides: Block;
  /** The transpose of `sides` (d × 2n). */
  sidesT(): Block;
  /** K = sides · sidesᵀ (2n × 2n). */
  gram(): Block;
  delta(): Mat;
  deltaBlock(): Block;
  deltaMean(): Float64Array;
  /** [max(δ, 0) | max(−δ, 0)] resident (NMF). */
  splitSign(): Block;
  deltaStats(): DeltaStats;
  /** Top eigenvector of the covariance of δ (CRC-TPC / PCA), from a method-independent random stream. */
  topComponent(): EigenResult;
  /** Column means of x̃⁺ and x̃⁻. */
  sideMeans(): { pos: Float64Array; neg: Float64Array };
  /** Projections of both sides on w. */
  project(w: ArrayLike<number>): { up: Float64Array; un: Float64Array };
}

export interface Estimator {
  readonly name: MethodName;
  /** Needs training labels (the supervised ceilings). */
  readonly supervised: boolean;
  readonly summary: string;
  readonly options: OptionSchema;
  fit(data: FitData, options: ResolvedOptions, rng: Rng): Fitted;
}
