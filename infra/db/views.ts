/** Reads of the aggregate views (migrations/001, 005): the one place best layers are computed. */
import type { Queryable } from './pool.ts';
import type { MetricBestLayerRow as MetricRow, SummaryRow } from '../../lib/report/rows.ts';
import type { Evaluation } from '../../lib/fit/types.ts';

export type BestLayerRow = SummaryRow & { job_id: string };

export async function bestLayers(db: Queryable, jobIds: string[]): Promise<BestLayerRow[]> {
  const { rows } = await db.query(
    `SELECT job_id, method, NULLIF(control, 'clean') AS control, best_layer, n_seeds::int AS n_seeds,
            accuracy_mean, accuracy_std, accuracy_min, accuracy_max
     FROM method_best_layer WHERE job_id = ANY($1::uuid[]) ORDER BY job_id, control NULLS FIRST, method`,
    [jobIds],
  );
  return rows;
}

export interface LayerCurveRow {
  job_id: string;
  method: string;
  control: string | null;
  layer: number;
  n_seeds: number;
  accuracy_mean: number;
  accuracy_std: number;
  accuracy_min: number;
  accuracy_max: number;
  distractor_accuracy_mean: number | null;
  opinion_accuracy_mean: number | null;
}

export async function accuracyByLayer(db: Queryable, jobIds: string[]): Promise<LayerCurveRow[]> {
  const { rows } = await db.query(
    `SELECT job_id, method, NULLIF(control, 'clean') AS control, layer, n_seeds::int AS n_seeds, accuracy_mean,
            accuracy_std, accuracy_min, accuracy_max, distractor_accuracy_mean, opinion_accuracy_mean
     FROM accuracy_by_layer WHERE job_id = ANY($1::uuid[]) ORDER BY job_id, control NULLS FIRST, method, layer`,
    [jobIds],
  );
  return rows;
}

export type MetricBestLayerRow = MetricRow & { job_id: string };

/** Best layer per (job, method, control, metric), from the best_layers view. */
export async function bestLayersByMetric(db: Queryable, jobIds: string[]): Promise<MetricBestLayerRow[]> {
  const { rows } = await db.query(
    `SELECT job_id, method, NULLIF(control, 'clean') AS control, metric, best_layer, n_seeds::int AS n_seeds, mean, std, min, max
     FROM best_layers WHERE job_id = ANY($1::uuid[]) ORDER BY job_id, control NULLS FIRST, method, metric`,
    [jobIds],
  );
  return rows;
}

export interface ElkGapRow {
  layer: number;
  method: string;
  seed: number;
  control: string;
  label_set: string;
  probe_auroc: number | null;
  model_auroc: number | null;
  model_auroc_truthful: number | null;
  recovered_gap: number | null;
}

/** Mallen et al. 2023's recovered AUROC gap per probe (view elk_gaps, migrations/006). */
export async function elkGaps(db: Queryable, jobId: string): Promise<ElkGapRow[]> {
  const { rows } = await db.query(
    `SELECT layer, method, seed, control, label_set, probe_auroc, model_auroc, model_auroc_truthful, recovered_gap
     FROM elk_gaps WHERE job_id = $1 ORDER BY control, label_set, method, layer, seed`,
    [jobId],
  );
  return rows;
}

export interface EvaluationRow extends Evaluation {
  layer: number;
  method: string;
  seed: number;
  control: string;
}

/** Metrics against every label column on every evaluation subset (view evaluations). */
export async function evaluations(db: Queryable, jobId: string): Promise<EvaluationRow[]> {
  const { rows } = await db.query(
    `SELECT layer, method, seed, control, subset, label_set, n, accuracy, accuracy_signed, auroc, auroc_signed
     FROM evaluations WHERE job_id = $1 ORDER BY control, subset, label_set, method, layer, seed`,
    [jobId],
  );
  return rows;
}
