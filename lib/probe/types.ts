/**
 * The probe library's public types, and the one definition of the method and normalisation
 * names used by the API, the CLI and the workers. Each method's options (defaults, bounds)
 * are declared by the method's own file and collected in registry.ts; this file defines
 * their shape. Metrics are snake_case because they become Postgres columns.
 */
import type { Mat } from '../tensor.ts';

export type MethodName = 'ccs' | 'crc' | 'pca' | 'kmeans' | 'nmf' | 'random' | 'vinc' | 'lr' | 'mass-mean';
export const METHODS: readonly MethodName[] = ['ccs', 'crc', 'pca', 'kmeans', 'nmf', 'random', 'vinc', 'lr', 'mass-mean'];

export type NormalizeMode = 'none' | 'center' | 'burns' | 'elk' | 'cluster';
export const NORMALIZE_MODES: readonly NormalizeMode[] = ['none', 'center', 'burns', 'elk', 'cluster'];

/**
 * One option of a method, shaped like a JSON Schema property so an API can validate
 * `method_options` with it directly. Every number is bounded. `default_by` gives defaults
 * that depend on another option (e.g. ccs `epochs`: 100 for lbfgs, 1000 for adam).
 */
export type OptionSpec =
  | {
    type: 'integer' | 'number';
    default: number;
    default_by?: { option: string; values: Record<string, number> };
    minimum: number;
    maximum: number;
    /** True when the minimum itself is not allowed (a learning rate > 0). */
    exclusive_minimum?: boolean;
    description: string;
  }
  | { type: 'string'; enum: readonly string[]; default: string; description: string };

export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/** What the registry lists for a method (registry.ts `methodCatalog()`). */
export interface MethodInfo {
  name: MethodName;
  supervised: boolean;
  summary: string;
  options: OptionSchema;
}

/** n contrast pairs: row i of `pos` is x_i^+ (the "yes" completion), row i of `neg` is x_i^-. */
export interface ContrastData {
  pos: Mat;
  neg: Mat;
  /** 1 when the "yes" side is true. */
  labels?: Int8Array;
  /** Prompt template of each row (Burns normalises per template). */
  templates?: Int32Array;
}

/** What every fit request has: the split, normalisation, seed and evaluation settings. */
interface FitSettings {
  normalize: NormalizeMode;
  seed: number;
  train: ContrastData;
  test?: ContrastData;
  /** Labelled training examples used to pick the sign for `accuracy_signed` (default 8). */
  signK?: number;
  /** Bootstrap resamples for the confidence intervals (default 1000; 0 disables). */
  bootstrap?: number;
  /** Normalise the test split with its own statistics, as the papers' code does. */
  transductive?: boolean;
  /**
   * Threads for the kernels of these fits (default 1). A worker already running one fit
   * unit per core keeps 1; a single large fit on an idle machine can use the cores.
   */
  threads?: number;
}

/** Fit several methods on one split, sharing the work they have in common (context.ts). */
export interface FitMethodsRequest extends FitSettings {
  methods: readonly MethodName[];
  /** Per-method options (validated against each method's schema). */
  options?: Partial<Record<MethodName, Record<string, unknown>>>;
}

export interface FitRequest extends FitSettings {
  method: MethodName;
  options?: Record<string, unknown>;
}

export interface Metrics {
  n: number;
  /** Oracle-sign accuracy max(acc, 1 − acc); NaN when labels are absent. */
  accuracy: number;
  accuracy_signed: number | null;
  sign_k: number;
  auroc: number | null;
  calibrated_accuracy: number | null;
  ece: number | null;
  ccs_loss: number;
  consistency_loss: number;
  confidence_loss: number;
  accuracy_ci_low: number | null;
  accuracy_ci_high: number | null;
  auroc_ci_low: number | null;
  auroc_ci_high: number | null;
}

/** Fitted normaliser: everything needed to normalise new data the way training data was. */
export interface NormalizerState {
  mode: NormalizeMode;
  d: number;
  /** Per group: [mean+, mean−] (d numbers each) and [scale+, scale−]. Group = template (burns) or cluster. */
  groups: { key: number; mean_pos: number[]; mean_neg: number[]; scale_pos: number; scale_neg: number }[];
  /** cluster mode: centroids of the pair means, used to assign new rows to a group. */
  centroids?: number[][];
}

/**
 * A fitted probe as plain JSON. Linear probes score each side as
 * p(x^±) = σ(scale · direction·x + bias_±) (Burns et al. 2022, eq. 1, with a per-side bias so
 * difference-based methods can carry a threshold); NMF scores the pair (see nmf.ts).
 */
export interface SerializedProbe {
  method: MethodName;
  options: Record<string, unknown>;
  normalizer: NormalizerState;
  kind: 'linear' | 'nmf';
  direction: number[];
  scale: number;
  bias_pos: number;
  bias_neg: number;
  /** nmf only: the two components' split-sign rows [max(h,0) part, max(−h,0) part], 2d each. */
  components?: number[][];
  extra?: Record<string, unknown>;
}

export interface FitReport {
  method: MethodName;
  seed: number;
  /** This method's fit; shared work (normalisation, differences, …) counts for the first fit that needs it. */
  fit_seconds: number;
  probe: SerializedProbe;
  /** Unit direction in the normalised activation space, for |cosine| agreement. */
  direction: Float32Array;
  train: Metrics;
  test: Metrics | null;
  /** ccs: every restart's final loss and (oracle-sign, train) accuracy. */
  /** ccs: every restart's final loss, (oracle-sign, train) accuracy, iterations and p̃ on the training pairs (for callers that score partial labels themselves). */
  restarts?: { loss: number; accuracy: number | null; iterations: number; train_scores: Float64Array }[];
  /** p̃ on the test set (train set when there is no test set), in [0, 1]. */
  test_scores: Float64Array;
  /** The per-side probabilities behind test_scores (p̃ = ½(p⁺ + 1 − p⁻)). */
  test_sides: { pPos: Float64Array; pNeg: Float64Array };
}
