/**
 * Sweeps: models × datasets (× transfer pairs) submitted at once as ordinary jobs, then
 * followed and read as one. Submission checks every job as POST /v1/jobs would (and its
 * templates against its datasets), then inserts the sweep and all its jobs and enqueues
 * them in one transaction under the tenant's lock: all or nothing, and never past the
 * tenant's concurrent-job quota (docs/sweeps.md says why a sweep is refused, not queued).
 */
import { withTransaction, type Queryable } from '../infra/db/pool.ts';
import * as jobsDb from '../infra/db/jobs.ts';
import * as sweepsDb from '../infra/db/sweeps.ts';
import { lockTenant } from '../infra/db/tenants.ts';
import { checkControlsForTemplates, parseControls } from '../lib/data/index.ts';
import type { JobSpec } from '../lib/job-spec.ts';
import { expandSweep, normalizeSweepRequest, sweepProgress, sweepStatus, type SweepRequest, type SweepSpec } from '../lib/sweep-spec.ts';
import type { ExportFormat } from '../lib/report/export.ts';
import { sweepTable } from '../lib/report/sweep-table.ts';
import { NotFoundError, SondeError, UnavailableError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import type { ServiceDeps } from './context.ts';
import { datasetNames, datasetSummary, datasetTemplates } from './datasets.ts';
import { exportFile, tidyResultRows, type NamedExport } from './exports.ts';
import { cancelJob, prepareJob } from './jobs.ts';
import type { Admission } from './admission.ts';
import type { Principal } from './keys.ts';
import { assertJobSlot } from './quota.ts';

export type SweepRow = sweepsDb.SweepRow;
export type SweepJobRow = jobsDb.JobRow & { position: number };

/** The templates each job will render, on its own dataset and on each transfer dataset: refused now rather than failed after extraction. */
async function checkTemplates(db: Queryable, tenantId: string, spec: JobSpec): Promise<void> {
  const own = datasetTemplates(await datasetSummary(db, tenantId, spec.dataset), spec.templates);
  checkControlsForTemplates(parseControls(spec.controls), own);
  for (const name of spec.eval_datasets) datasetTemplates(await datasetSummary(db, tenantId, name), spec.templates);
}

export async function submitSweep(deps: ServiceDeps, principal: Principal, request: SweepRequest, idempotencyKey: string | null) {
  const tenantId = principal.tenantId;
  const spec = normalizeSweepRequest(request);
  const plans = expandSweep(spec);
  const specs: JobSpec[] = [];
  const admissions: Admission[] = [];
  for (const plan of plans) {
    try {
      const { spec: job, admission } = await prepareJob(deps, tenantId, plan.request);
      await checkTemplates(deps.db, tenantId, job);
      specs.push(job);
      admissions.push(admission);
    } catch (e) {
      // Same kind (and status) as the job's own error, saying which job of the sweep.
      if (e instanceof SondeError) e.message = `sweep job ${plan.position} (model ${plan.model}, dataset ${plan.dataset}): ${e.message}`;
      throw e;
    }
  }
  return withTransaction(deps.db, async (tx) => {
    await lockTenant(tx, tenantId);
    if (idempotencyKey) {
      const prior = await sweepsDb.findSweepByIdempotencyKey(tx, tenantId, idempotencyKey);
      if (prior) return { sweep: prior, created: false };
    }
    await assertJobSlot(tx, tenantId, deps.config.maxConcurrentJobsPerTenant, plans.length);
    const sweep = await sweepsDb.insertSweep(tx, { tenantId, name: spec.name, spec, idempotencyKey });
    const ids: string[] = [];
    for (const [i, plan] of plans.entries()) {
      const { job } = await jobsDb.insertJob(tx, { tenantId, model: specs[i].model, dataset: specs[i].dataset, spec: specs[i], admission: admissions[i] });
      await sweepsDb.linkSweepJob(tx, sweep.id, plan.position, job.id);
      ids.push(job.id);
    }
    const enqueued: string[] = [];
    try {
      for (const id of ids) {
        await deps.queues.enqueueExtract(id);
        enqueued.push(id);
      }
    } catch (e) {
      // The transaction rolls back; units already queued would find no job: take them off.
      await Promise.all(enqueued.map((id) => deps.queues.removeExtract(id).catch(() => {})));
      throw new UnavailableError('the job queue (Redis) is unavailable; nothing was stored, retry later', { cause: e });
    }
    return { sweep, created: true };
  });
}

export async function getSweep(db: Queryable, tenantId: string, id: string): Promise<SweepRow> {
  const row = isUuid(id) ? await sweepsDb.getSweep(db, tenantId, id) : null;
  if (!row) throw NotFoundError.of(`sweep ${id}`);
  return row;
}

export interface SweepView {
  sweep: SweepRow;
  jobs: SweepJobRow[];
  names: Map<string, string>;
  status: ReturnType<typeof sweepStatus>;
  progress: ReturnType<typeof sweepProgress>;
}

async function view(db: Queryable, tenantId: string, sweep: SweepRow, jobs: SweepJobRow[]): Promise<SweepView> {
  const spec = sweep.spec as unknown as SweepSpec;
  const names = await datasetNames(db, tenantId, [...spec.datasets.map((d) => d.dataset), ...spec.transfer.map((t) => t.test)]);
  return { sweep, jobs, names, status: sweepStatus(jobs), progress: sweepProgress(jobs) };
}

/** A sweep with its jobs, status and progress aggregated over them. */
export async function sweepView(db: Queryable, tenantId: string, id: string): Promise<SweepView> {
  const sweep = await getSweep(db, tenantId, id);
  return view(db, tenantId, sweep, await sweepsDb.sweepJobs(db, sweep.id));
}

export async function listSweeps(db: Queryable, tenantId: string, limit = 50): Promise<SweepView[]> {
  const sweeps = await sweepsDb.listSweeps(db, tenantId, limit);
  const jobs = await sweepsDb.jobsOfSweeps(db, sweeps.map((s) => s.id));
  return Promise.all(sweeps.map((s) => view(db, tenantId, s, jobs.filter((j) => j.sweep_id === s.id))));
}

/** Cancels every job of the sweep that has not ended. */
export async function cancelSweep(deps: ServiceDeps, tenantId: string, id: string): Promise<SweepView> {
  const sweep = await getSweep(deps.db, tenantId, id);
  for (const job of await sweepsDb.sweepJobs(deps.db, sweep.id)) {
    if (!jobsDb.TERMINAL.has(job.status)) await cancelJob(deps, tenantId, job.id);
  }
  return sweepView(deps.db, tenantId, id);
}

/**
 * The sweep's results: every job's result rows in the tidy schema (the same rows as the
 * CSV and Parquet exports), and the best layers of every job from the best_layers view.
 */
export async function sweepResults(db: Queryable, tenantId: string, id: string) {
  const v = await sweepView(db, tenantId, id);
  const rows = await tidyResultRows(db, tenantId, v.jobs, v.sweep.id);
  const name = (d: string) => v.names.get(d) ?? d;
  const best = (await sweepsDb.sweepBestLayers(db, v.sweep.id)).map((b) => ({
    ...b,
    dataset_name: name(b.dataset),
    eval_dataset: b.control?.startsWith('transfer:') ? b.control.slice(9) : b.dataset,
    eval_dataset_name: name(b.control?.startsWith('transfer:') ? b.control.slice(9) : b.dataset),
  }));
  return { view: v, results: rows, best_layers: best, table: sweepTable(best) };
}

export async function sweepResultsExport(db: Queryable, tenantId: string, id: string, format: ExportFormat): Promise<NamedExport> {
  const v = await sweepView(db, tenantId, id);
  const rows = await tidyResultRows(db, tenantId, v.jobs, v.sweep.id);
  return exportFile(format, rows, `sweep-${v.sweep.id}`, { 'sonde.sweep_id': v.sweep.id, 'sonde.sweep_status': v.status });
}
