/**
 * A sweep as the API accepts it (POST /v1/sweeps): lists of models and datasets, optional
 * transfer pairs, and the job options every job shares. It expands, model-major, into one
 * ordinary job per (model, dataset); a transfer pair (train → test) adds `test` to the
 * `eval_datasets` of every job fitted on `train`, so the clean probe is scored on the other
 * dataset too. Jobs on the same model and texts share activations through the
 * content-addressed store, with nothing to arrange here. Shape validation happens against
 * openapi.yaml; this module adds the checks JSON Schema cannot express and the expansion.
 */
import { BadInputError } from './errors.ts';
import type { JobRequest } from './job-spec.ts';
import { DEFAULT_MODEL } from './job-spec.ts';

type TemplateList = NonNullable<JobRequest['templates']>;

export interface SweepDataset {
  /** A built-in name or an uploaded dataset id (uploaded with its preset, if any). */
  dataset: string;
  /** This dataset's templates; default: the sweep's `templates`, else the dataset's preset default or its kind's. */
  templates?: TemplateList;
}

export interface TransferPair {
  train: string;
  test: string;
}

/** The options every job of the sweep shares: a job request without what the sweep varies. */
export type SweepJobOptions = Omit<JobRequest, 'model' | 'dataset' | 'eval_datasets' | 'activations'>;

export interface SweepRequest extends SweepJobOptions {
  name?: string;
  models?: string[];
  datasets: (string | SweepDataset)[];
  transfer?: TransferPair[];
}

export interface SweepSpec {
  name: string | null;
  models: string[];
  datasets: { dataset: string; templates: TemplateList | null }[];
  transfer: TransferPair[];
  /** Shared job options as given (each job's own defaults are filled in by normalizeJobRequest). */
  job: SweepJobOptions;
}

export interface SweepJobPlan {
  /** 0-based, model-major: position = model index × datasets + dataset index. */
  position: number;
  model: string;
  dataset: string;
  request: JobRequest;
}

export class SweepSpecError extends BadInputError {}

export const SWEEP_LIMITS = { models: 10, datasets: 20, transfer: 50, jobs: 100 } as const;

const SWEEP_KEYS = new Set(['name', 'models', 'datasets', 'transfer']);

function noRepeats(what: string, xs: readonly string[]): void {
  const dup = xs.find((x, i) => xs.indexOf(x) !== i);
  if (dup !== undefined) throw new SweepSpecError(`${what} lists "${dup}" twice`);
}

export function normalizeSweepRequest(req: SweepRequest): SweepSpec {
  const models = req.models?.length ? req.models : [DEFAULT_MODEL];
  const datasets = (req.datasets ?? []).map((d) => (typeof d === 'string' ? { dataset: d, templates: null } : { dataset: d.dataset, templates: d.templates ?? null }));
  const transfer = req.transfer ?? [];
  if (!datasets.length) throw new SweepSpecError('a sweep needs at least one dataset');
  if (models.length > SWEEP_LIMITS.models) throw new SweepSpecError(`a sweep takes at most ${SWEEP_LIMITS.models} models, got ${models.length}`);
  if (datasets.length > SWEEP_LIMITS.datasets) throw new SweepSpecError(`a sweep takes at most ${SWEEP_LIMITS.datasets} datasets, got ${datasets.length}`);
  if (transfer.length > SWEEP_LIMITS.transfer) throw new SweepSpecError(`a sweep takes at most ${SWEEP_LIMITS.transfer} transfer pairs, got ${transfer.length}`);
  noRepeats('models', models);
  noRepeats('datasets', datasets.map((d) => d.dataset));
  noRepeats('transfer', transfer.map((t) => `${t.train} → ${t.test}`));
  const names = datasets.map((d) => d.dataset);
  for (const t of transfer) {
    if (!names.includes(t.train)) throw new SweepSpecError(`transfer train dataset "${t.train}" is not among the sweep's datasets (${names.join(', ')})`);
    if (t.test === t.train) throw new SweepSpecError(`transfer pair "${t.train}" → "${t.test}" trains and tests on the same dataset (every job already tests on its own)`);
  }
  const nJobs = models.length * datasets.length;
  if (nJobs > SWEEP_LIMITS.jobs) throw new SweepSpecError(`this sweep expands to ${nJobs} jobs, over the limit of ${SWEEP_LIMITS.jobs} per sweep`);
  const job = Object.fromEntries(Object.entries(req).filter(([k]) => !SWEEP_KEYS.has(k))) as SweepJobOptions;
  return { name: req.name ?? null, models: [...models], datasets, transfer: transfer.map((t) => ({ train: t.train, test: t.test })), job };
}

/** One job request per (model, dataset), model-major. */
export function expandSweep(spec: SweepSpec): SweepJobPlan[] {
  const plans: SweepJobPlan[] = [];
  for (const model of spec.models) {
    for (const d of spec.datasets) {
      const evalDatasets = spec.transfer.filter((t) => t.train === d.dataset).map((t) => t.test);
      const templates = d.templates ?? spec.job.templates;
      const request: JobRequest = {
        ...spec.job,
        model,
        dataset: d.dataset,
        ...(templates ? { templates } : {}),
        ...(evalDatasets.length ? { eval_datasets: evalDatasets } : {}),
      };
      plans.push({ position: plans.length, model, dataset: d.dataset, request });
    }
  }
  return plans;
}

export type SweepStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface SweepProgress {
  /** Jobs that ended (completed, failed or cancelled). */
  done: number;
  total: number;
  /** Mean over jobs of each one's share done: extraction counts as the first half of a job, fitting as the second. */
  fraction: number;
  by_status: Record<SweepStatus, number>;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * The sweep's status from its jobs': queued while none has started, running while any is
 * queued or running, and once all have ended: completed if all completed, failed if any
 * failed, else cancelled.
 */
export function sweepStatus(jobs: readonly { status: string }[]): SweepStatus {
  const n = (s: string) => jobs.filter((j) => j.status === s).length;
  if (jobs.length === 0 || n('queued') === jobs.length) return 'queued';
  if (jobs.some((j) => !TERMINAL.has(j.status))) return 'running';
  if (n('completed') === jobs.length) return 'completed';
  return n('failed') > 0 ? 'failed' : 'cancelled';
}

export function sweepProgress(jobs: readonly { status: string; progress_stage: string | null; progress_done: number; progress_total: number }[]): SweepProgress {
  const by_status: Record<SweepStatus, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
  let sum = 0;
  for (const j of jobs) {
    by_status[j.status as SweepStatus]++;
    const stageShare = j.progress_total > 0 ? Math.min(1, j.progress_done / j.progress_total) : 0;
    sum += TERMINAL.has(j.status) ? 1
      : j.status === 'running' ? (j.progress_stage === 'fit' ? 0.5 + 0.5 * stageShare : 0.5 * stageShare)
        : 0;
  }
  const done = by_status.completed + by_status.failed + by_status.cancelled;
  return { done, total: jobs.length, fraction: jobs.length ? sum / jobs.length : 0, by_status };
}
