/**
 * Jobs as their users see them: submit (validation, quota, idempotency and the enqueue in
 * one transaction), list, inspect, cancel, results, probes and their logit-lens readouts.
 * The worker side of a job's life is services/pipeline.ts.
 */
import type { Queryable } from '../infra/db/pool.ts';
import { withTransaction } from '../infra/db/pool.ts';
import * as jobsDb from '../infra/db/jobs.ts';
import { listAgreements, listResults, getProbe as getStoredProbe } from '../infra/db/results.ts';
import { bestLayers, bestLayersByMetric } from '../infra/db/views.ts';
import { getActivationSet } from '../infra/db/activations.ts';
import { lockTenant } from '../infra/db/tenants.ts';
import { normalizeJobRequest, type JobRequest, type JobSpec } from '../lib/job-spec.ts';
import { METHODS } from '../lib/probe/index.ts';
import { checkControlsForDataset, parseControls, DEFAULT_BUILTIN_DATASET } from '../lib/data/index.ts';
import { comparisonTable } from '../lib/report/table.ts';
import { loadUnembedding, logitLens, type Unembedding } from '../lib/models/logit-lens.ts';
import { BadInputError, NotFoundError, UnavailableError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import type { ServiceDeps } from './context.ts';
import { datasetSummary } from './datasets.ts';
import { modelInfo, resolveModel } from './models.ts';
import { assertJobSlot } from './quota.ts';
import type { Principal } from './keys.ts';

export type JobRow = jobsDb.JobRow;
export type JobEvent = { status: string; detail: string | null; at: Date };

/** Checks a normalised spec against what it names: model, datasets, controls, activation set. */
async function checkResources(deps: ServiceDeps, tenantId: string, spec: JobSpec): Promise<void> {
  if (spec.activations) {
    const set = await getActivationSet(deps.db, tenantId, spec.activations);
    if (!set) throw NotFoundError.of(`activation set ${spec.activations}`);
    if (!set.has_labels) throw new BadInputError(`activation set ${spec.activations} has no labels; evaluation needs them`);
    return;
  }
  await modelInfo(deps, tenantId, spec.model);
  const dataset = await datasetSummary(deps.db, tenantId, spec.dataset);
  for (const name of spec.eval_datasets) await datasetSummary(deps.db, tenantId, name);
  if (!dataset.has_labels) throw new BadInputError(`dataset "${spec.dataset}" has no labels; evaluation needs labelled items`);
  checkControlsForDataset(parseControls(spec.controls), dataset);
}

/** A request's normalised spec, checked against what it names: every check a submission makes before its transaction (sweeps make them too). */
export async function prepareJob(deps: ServiceDeps, tenantId: string, request: JobRequest): Promise<JobSpec> {
  const spec = normalizeJobRequest(request, { methods: METHODS, defaultDataset: DEFAULT_BUILTIN_DATASET });
  await checkResources(deps, tenantId, spec);
  return spec;
}

/**
 * Submits a job. An `idempotencyKey` seen before returns the first job (created: false).
 * The quota check, the insert and the enqueue happen under the tenant's lock in one
 * transaction: when Redis is down nothing is stored and the caller may retry (503).
 */
export async function submitJob(deps: ServiceDeps, principal: Principal, request: JobRequest, idempotencyKey: string | null) {
  const spec = await prepareJob(deps, principal.tenantId, request);
  return withTransaction(deps.db, async (tx) => {
    await lockTenant(tx, principal.tenantId);
    const insert = () => jobsDb.insertJob(tx, { tenantId: principal.tenantId, model: spec.model, dataset: spec.dataset, spec, idempotencyKey });
    if (idempotencyKey && (await jobsDb.findByIdempotencyKey(tx, principal.tenantId, idempotencyKey))) return insert();
    await assertJobSlot(tx, principal.tenantId, deps.config.maxConcurrentJobsPerTenant);
    const out = await insert();
    if (out.created) {
      try {
        await deps.queues.enqueueExtract(out.job.id);
      } catch (e) {
        throw new UnavailableError('the job queue (Redis) is unavailable; nothing was stored, retry later', { cause: e });
      }
    }
    return out;
  });
}

export async function getJob(db: Queryable, tenantId: string, id: string): Promise<JobRow> {
  const row = isUuid(id) ? await jobsDb.getJob(db, tenantId, id) : null;
  if (!row) throw NotFoundError.of(`job ${id}`);
  return row;
}

export async function getJobWithHistory(db: Queryable, tenantId: string, id: string): Promise<{ job: JobRow; history: JobEvent[] }> {
  const job = await getJob(db, tenantId, id);
  return { job, history: await jobsDb.jobEvents(db, id) };
}

const encodeCursor = (row: JobRow) => Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
  if (rest.length || !createdAt || !iso.test(createdAt) || Number.isNaN(Date.parse(createdAt)) || !isUuid(id)) {
    throw new BadInputError('cursor is not valid (use next_cursor from a previous page)');
  }
  return { createdAt, id };
}

export async function listJobs(
  db: Queryable,
  tenantId: string,
  q: { limit?: number; cursor?: string; status?: string; model?: string; dataset?: string },
): Promise<{ jobs: JobRow[]; nextCursor: string | null }> {
  const limit = q.limit ?? 50;
  const rows = await jobsDb.listJobs(db, tenantId, {
    limit: limit + 1, cursor: q.cursor ? decodeCursor(q.cursor) : undefined, status: q.status, model: q.model, dataset: q.dataset,
  });
  const page = rows.slice(0, limit);
  return { jobs: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
}

/**
 * Cancels a job. Workers see the status: a running extraction is aborted, queued units
 * are dropped and late results are never written. The queued extract unit is removed now.
 */
export async function cancelJob(deps: ServiceDeps, tenantId: string, id: string): Promise<{ job: JobRow; history: JobEvent[] }> {
  await getJob(deps.db, tenantId, id);
  await jobsDb.setStatus(deps.db, id, 'cancelled', { detail: 'cancelled by the user' });
  await deps.queues.removeExtract(id).catch(() => {});
  return getJobWithHistory(deps.db, tenantId, id);
}

export async function jobResults(db: Queryable, tenantId: string, id: string) {
  const job = await getJob(db, tenantId, id);
  const results = await listResults(db, id);
  const summary = await bestLayers(db, [id]);
  const best = (await bestLayersByMetric(db, [id])).map(({ job_id: _j, ...b }) => b);
  return {
    job_id: id,
    status: job.status,
    results,
    summary: summary.map(({ job_id: _j, ...s }) => s),
    best_layers: best,
    agreements: await listAgreements(db, id),
    table: comparisonTable(results.filter((r) => r.template === null) as never, { best }),
  };
}

export async function getProbe(db: Queryable, tenantId: string, jobId: string, probeId: string) {
  await getJob(db, tenantId, jobId);
  const row = isUuid(probeId) ? await getStoredProbe(db, jobId, probeId) : null;
  if (!row) throw NotFoundError.of(`probe ${probeId} of job ${jobId}`);
  return row;
}

// Unembeddings are large and immutable per model directory: keep the last few in memory.
const lensCache = new Map<string, Promise<Unembedding>>();

function cachedUnembedding(dir: string): Promise<Unembedding> {
  if (!lensCache.has(dir)) {
    if (lensCache.size >= 4) lensCache.delete(lensCache.keys().next().value!);
    lensCache.set(dir, loadUnembedding(dir).catch((e) => { lensCache.delete(dir); throw e; }));
  }
  return lensCache.get(dir)!;
}

/** The tokens a probe direction writes toward (decoders with an unembedding). */
export async function probeLogitLens(deps: ServiceDeps, tenantId: string, jobId: string, probeId: string, k: number) {
  const job = await getJob(deps.db, tenantId, jobId);
  const row = await getProbe(deps.db, tenantId, jobId, probeId);
  if (job.model === 'byo') throw new BadInputError('this job probed uploaded activations: there is no model to read an unembedding from');
  const { dir } = await resolveModel(deps, tenantId, job.model);
  const u = await cachedUnembedding(dir);
  return { probe_id: probeId, model: job.model, layer: row.layer, method: row.method, ...logitLens(u, row.direction, k) };
}
