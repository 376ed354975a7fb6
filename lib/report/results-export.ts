/**
 * The tidy form of result rows, for `format=csv|parquet` on a job's or a sweep's results:
 * one row per result row of `/results` (layer × method × seed × condition × template),
 * every metric a column, and the context a data frame needs to group by (sweep, job,
 * model, the dataset the probe was fitted on, the dataset it was scored on, condition).
 * Rows keep `/results`' order, job by job, so an export matches the JSON row for row.
 * Best layers are not decided here: `is_best_layer` marks the layer the best_layers view
 * (migrations/005) chose.
 */
import type { ExportColumn, ExportRow } from './export.ts';

/** The metric columns of a result row, as the results table and /results name them. */
export const RESULT_METRIC_COLUMNS: readonly ExportColumn[] = [
  { name: 'accuracy', type: 'double', description: 'test accuracy with the oracle sign, max(acc, 1 − acc), on the labelled test rows; null when none is labelled' },
  { name: 'accuracy_signed', type: 'double', description: "test accuracy with the probe's own sign (sign_rule)" },
  { name: 'sign_k', type: 'int32', description: 'labelled training rows used to choose the sign' },
  { name: 'auroc', type: 'double', description: 'test AUROC (oracle sign)' },
  { name: 'auroc_signed', type: 'double', description: "test AUROC with the probe's own sign" },
  { name: 'calibrated_accuracy', type: 'double', description: "Burns et al. 2022's calibrated accuracy (median-thresholded credences)" },
  { name: 'ece', type: 'double', description: 'expected calibration error of the credences' },
  { name: 'ccs_loss', type: 'double', description: 'CCS loss on the test split (Burns et al. 2022, eq. 1–2)' },
  { name: 'consistency_loss', type: 'double', description: 'its consistency term' },
  { name: 'confidence_loss', type: 'double', description: 'its confidence term' },
  { name: 'accuracy_ci_low', type: 'double', description: 'bootstrap 95 % interval of accuracy, low end' },
  { name: 'accuracy_ci_high', type: 'double', description: 'bootstrap 95 % interval of accuracy, high end' },
  { name: 'auroc_ci_low', type: 'double', description: 'bootstrap 95 % interval of AUROC, low end' },
  { name: 'auroc_ci_high', type: 'double', description: 'bootstrap 95 % interval of AUROC, high end' },
  { name: 'train_accuracy', type: 'double', description: 'accuracy on the training split' },
  { name: 'distractor_accuracy', type: 'double', description: "control distractor: agreement of predictions with the appended word's bit" },
  { name: 'opinion_accuracy', type: 'double', description: "control explicit-opinion: agreement of predictions with the character's view" },
  { name: 'n_test_labelled', type: 'int32', description: 'test rows that carry a label (label-dependent metrics use only these)' },
  { name: 'coverage', type: 'double', description: 'fraction of rows with a confident credence, |p̃ − ½| > 0.25 (label-free)' },
  { name: 'seed_cosine', type: 'double', description: "mean |cos| between the seeds' directions on this layer and condition (label-free)" },
  { name: 'seed_sign_agreement', type: 'double', description: "fraction of seeds whose credences correlate positively with the seeds' mean (label-free)" },
  { name: 'seed_agreement', type: 'double', description: "this seed's mean prediction agreement with the other seeds (label-free)" },
  { name: 'seed_bimodal', type: 'int32', description: '1 when the seeds split into two groups that agree within and disagree across' },
];

export const RESULT_EXPORT_COLUMNS: readonly ExportColumn[] = [
  { name: 'sweep_id', type: 'string', description: 'the sweep the job belongs to; null in a single job\'s export' },
  { name: 'job_id', type: 'string', description: 'the job (uuid)' },
  { name: 'model', type: 'string', description: 'model name' },
  { name: 'dataset', type: 'string', description: 'the dataset the probe was fitted on: built-in name or upload id' },
  { name: 'dataset_name', type: 'string', description: "that dataset's name" },
  { name: 'eval_dataset', type: 'string', description: 'the dataset the row was scored on: `dataset`, or the transfer dataset' },
  { name: 'eval_dataset_name', type: 'string', description: "that dataset's name" },
  { name: 'condition', type: 'string', description: 'clean, distractor, explicit-opinion, template-sensitivity or transfer' },
  { name: 'control', type: 'string', description: "the row's control as /results gives it: null (clean), a control name, or transfer:<dataset>" },
  { name: 'template', type: 'int32', description: 'template index for template-sensitivity rows; null when all templates are pooled' },
  { name: 'layer', type: 'int32', description: 'layer index' },
  { name: 'method', type: 'string', description: 'ccs, crc, pca, kmeans, nmf, random, vinc, lr, mass-mean' },
  { name: 'seed', type: 'int32', description: 'seed (split seed + s and method seed s)' },
  { name: 'n_train', type: 'int32', description: 'training pairs' },
  { name: 'n_test', type: 'int32', description: 'test pairs' },
  { name: 'sign_rule', type: 'string', description: "how the probe's sign was fixed: labels, reference, as-fitted or model (zero-shot)" },
  ...RESULT_METRIC_COLUMNS,
  { name: 'fit_seconds', type: 'double', description: 'seconds the fit took' },
  { name: 'is_best_layer', type: 'boolean', description: 'this layer is the best_layers view\'s choice for (job, method, control) by mean accuracy over seeds; null for per-template rows' },
  { name: 'probe_id', type: 'string', description: 'the learned probe (GET /v1/jobs/{job_id}/probes/{probe_id})' },
];

export interface ExportJob {
  id: string;
  model: string;
  dataset: string;
}

/** A result row as /results gives it (infra/db/results.ts listResults). */
export interface ExportResultRow {
  layer: number;
  method: string;
  seed: number;
  control: string | null;
  template: number | null;
  probe_id: string | null;
  n_train: number;
  n_test: number;
  fit_seconds: number;
  [metric: string]: unknown;
}

/** A best layer by accuracy, as the best_layers view gives it. */
export interface ExportBestLayer {
  method: string;
  control: string | null;
  metric: string;
  best_layer: number;
}

const TRANSFER = 'transfer:';

export function conditionOf(control: string | null): string {
  if (control === null) return 'clean';
  return control.startsWith(TRANSFER) ? 'transfer' : control;
}

/** The tidy rows of one job's results, in the order given. */
export function resultExportRows(
  job: ExportJob,
  rows: readonly ExportResultRow[],
  best: readonly ExportBestLayer[],
  opts: { sweepId?: string | null; datasetName?: (dataset: string) => string } = {},
): ExportRow[] {
  const name = opts.datasetName ?? ((d: string) => d);
  const bestOf = new Map(best.filter((b) => b.metric === 'accuracy').map((b) => [`${b.method}\u0000${b.control ?? ''}`, b.best_layer]));
  return rows.map((r) => {
    const evalDataset = r.control?.startsWith(TRANSFER) ? r.control.slice(TRANSFER.length) : job.dataset;
    const out: ExportRow = {
      sweep_id: opts.sweepId ?? null,
      job_id: job.id,
      model: job.model,
      dataset: job.dataset,
      dataset_name: name(job.dataset),
      eval_dataset: evalDataset,
      eval_dataset_name: name(evalDataset),
      condition: conditionOf(r.control),
      control: r.control,
      template: r.template,
      layer: r.layer,
      method: r.method,
      seed: r.seed,
      n_train: r.n_train,
      n_test: r.n_test,
      sign_rule: typeof r.sign_rule === 'string' ? r.sign_rule : null,
      fit_seconds: Number(r.fit_seconds),
      is_best_layer: r.template === null ? bestOf.get(`${r.method}\u0000${r.control ?? ''}`) === r.layer : null,
      probe_id: r.probe_id,
    };
    for (const c of RESULT_METRIC_COLUMNS) {
      const v = r[c.name];
      out[c.name] = v === null || v === undefined ? null : Number(v);
    }
    return out;
  });
}
