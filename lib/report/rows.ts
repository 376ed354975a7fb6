/**
 * Rows the API serves from the aggregate views (migrations/005–006), as one type for the
 * repository that reads them (infra/db/views.ts) and the dashboard that draws them.
 */

/** method_best_layer: the best layer by oracle-sign accuracy. */
export interface SummaryRow {
  method: string;
  control: string | null;
  best_layer: number;
  n_seeds: number;
  accuracy_mean: number;
  accuracy_std: number;
  accuracy_min: number;
  accuracy_max: number;
}

/** best_layers: the best layer per (method, control, metric), by mean over seeds. */
export interface MetricBestLayerRow {
  method: string;
  control: string | null;
  metric: string;
  best_layer: number;
  n_seeds: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}
