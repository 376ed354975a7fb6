/**
 * What one fit unit (one layer of one job) reads and what it produces. Pure data: the
 * extract stage builds PairsMeta, the fit child loads the activations, lib/fit/layer.ts
 * turns both into rows, and infra/db/results.ts stores them.
 */
import type { Mat } from '../tensor.ts';

/** A set of dataset items named by their field values, e.g. {character: "Bob", difficulty: "hard"}. */
export type ItemFilter = Record<string, string | string[]>;

/** The pairs of one condition (clean, a control, a transfer dataset), row by row. */
export interface PairsMeta {
  condition: string;
  n_pairs: number;
  /** 1 when the pos side is true, 0 when false, −1 unknown; null when no row is labelled. */
  labels: number[] | null;
  /** Extra label columns (`label_<name>` in the dataset), per row, −1 unknown: metrics are reported against each. */
  label_sets?: Record<string, number[]>;
  templates: number[];
  template_ids: string[];
  /** Dataset item of each pair row. */
  items: number[];
  /** Row of the original dataset for each item (items may be a max_items sample). */
  dataset_rows?: number[];
  control_bits: number[] | null;
  /**
   * Items the job's filters allow: `train`/`test` pools (null: every item) and named
   * evaluation subsets (evaluated on their items that were not trained on).
   */
  pools?: { train: number[] | null; test: number[] | null; subsets: Record<string, number[]> };
  /** The model's own log-odds log p(answer₁) − log p(answer₀) at the answer position, per row (zero-shot). */
  zero_shot?: number[] | null;
  /** Why zero-shot cannot run on this condition (no unembedding, an encoder…), when it was asked for. */
  zero_shot_unavailable?: string | null;
  layers: number[];
  dim: Record<string, number>;
}

export interface ConditionData {
  /** 'clean', 'distractor', 'explicit-opinion', or 'transfer:<dataset>' (evaluation only). */
  name: string;
  meta: PairsMeta;
  pos: Mat;
  neg: Mat;
}

export const METRIC_COLUMNS = [
  'accuracy', 'accuracy_signed', 'sign_k', 'auroc', 'auroc_signed', 'calibrated_accuracy', 'ece', 'ccs_loss',
  'consistency_loss', 'confidence_loss', 'accuracy_ci_low', 'accuracy_ci_high', 'auroc_ci_low',
  'auroc_ci_high', 'train_accuracy', 'distractor_accuracy', 'opinion_accuracy', 'n_test_labelled', 'coverage',
  'seed_cosine', 'seed_sign_agreement', 'seed_agreement', 'seed_bimodal',
] as const;
export type MetricColumn = (typeof METRIC_COLUMNS)[number];

/** How a probe's arbitrary sign (Burns et al. 2022, §2.2) was fixed for its credences and signed metrics. */
export type SignRule = 'labels' | 'reference' | 'as-fitted' | 'model';

/** Metrics of one probe on one evaluation subset against one label column. */
export interface Evaluation {
  /** 'test' (the test split) or an evaluation subset's name. */
  subset: string;
  /** 'label' (the ground truth) or an extra label column's name. */
  label_set: string;
  /** Rows of the subset that carry this label. */
  n: number;
  /** Oracle-sign accuracy and AUROC (max over both signs), and with the probe's own sign. */
  accuracy: number | null;
  accuracy_signed: number | null;
  auroc: number | null;
  auroc_signed: number | null;
}

export interface ResultInput {
  layer: number;
  method: string;
  seed: number;
  control: string | null;
  template: number | null;
  n_train: number;
  n_test: number;
  fit_seconds: number;
  sign_rule: SignRule;
  columns: Partial<Record<MetricColumn, number | null>>;
  metrics: Record<string, unknown> & { evaluations?: Evaluation[] };
  /** Null for zero-shot, which reads the model's output and learns no direction. */
  probe: { dim: number; direction: Float32Array; state: object } | null;
}

export interface AgreementInput {
  layer: number;
  seed: number;
  control: string | null;
  method_a: string;
  method_b: string;
  prediction_agreement: number;
  direction_cosine: number | null;
}

/** p̃ of every pair row of a condition for one probe, oriented by `sign_rule`, and each row's split. */
export interface CredenceInput {
  layer: number;
  method: string;
  seed: number;
  control: string | null;
  sign_rule: SignRule;
  /** float32 p̃ per pair row. */
  credences: Float32Array;
  /** Per pair row: 0 unused, 1 train, 2 test. */
  split: Uint8Array;
}

/** The row bookkeeping credences are read against (one per condition of a job). */
export interface CredenceIndex {
  control: string | null;
  items: Int32Array;
  templates: Int32Array;
  labels: Int8Array | null;
  dataset_rows: Int32Array | null;
  label_sets: Record<string, Int8Array>;
  template_ids: string[];
}

/** A method that could not run on a condition, and why (never a failed job). */
export interface SkipInput {
  method: string;
  control: string | null;
  reason: string;
}

export interface LayerOutcome {
  results: ResultInput[];
  agreements: AgreementInput[];
  credences: CredenceInput[];
  credenceIndex: CredenceIndex[];
  skipped: SkipInput[];
}
