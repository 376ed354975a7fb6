/** Reads of the dashboard views (migrations/001_init.sql), shared by the API and the CLI. */
import type { Queryable } from './pool.ts';

export interface BestLayerRow {
  job_id: string;
  method: string;
  control: string | null;
  best_layer: number;
  n_seeds: number;
  accuracy_mean: number;
  accuracy_std: number;
  accuracy_min: number;
  accuracy_max: number;
}

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
