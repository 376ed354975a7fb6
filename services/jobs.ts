/**
 * Jobs as their users see them: submit (validation, quota, idempotency and the enqueue in
 * one transaction), list, inspect, cancel, results, probes and their logit-lens readouts.
 * The worker side of a job's life is services/pipeline.ts.
 */
import type { Queryable } from '../infra/db/pool.ts';
import { withTransaction } from '../infra/db/pool.ts';
import * as jobsDb from '../infra/db/jobs.ts';
import { listAgreements, listResults, listSkips, getProbe as getStoredProbe } from '../infra/db/results.ts';
import { bestLayers, bestLayersByMetric, elkGaps, evaluations } from '../infra/db/views.ts';
import { stats } from '../lib/report/table.ts';
import { getActivationSet } from '../infra/db/activations.ts';
import { lockTenant } from '../infra/db/tenants.ts';
import { normalizeJobRequest, ZERO_SHOT, type JobRequest, type JobSpec } from '../lib/job-spec.ts';
import { METHODS } from '../lib/probe/index.ts';
import { checkControlsForDataset, parseControls, DEFAULT_BUILTIN_DATASET } from '../lib/data/index.ts';
import { comparisonTable } from '../lib/report/table.ts';
import { loadUnembedding, logitLens, type Unembedding } from '../lib/models/logit-lens.ts';
import { BadInputError, NotFoundError, UnavailableError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import type { ServiceDeps } from './context.ts';
import { datasetSummary, type DatasetSummary } from './datasets.ts';
import { matchItems, type ItemFilter } from '../lib/fit/index.ts';
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
    return;
  }
  await modelInfo(deps, tenantId, spec.model);
  // Unlabelled and partly labelled datasets are fine: unsupervised methods need no labels,
  // supervised ones are skipped (with the reason) where no labelled training items exist.
  const dataset = await datasetSummary(deps.db, tenantId, spec.dataset);
  for (const name of spec.eval_datasets) await datasetSummary(deps.db, tenantId, name);
  checkControlsForDataset(parseControls(spec.controls), dataset);
  checkItemFilters(spec, dataset);
}

/** Item filters must name the dataset's fields and select some items. */
function checkItemFilters(spec: JobSpec, dataset: DatasetSummary): void {
  const filters: [string, ItemFilter | null | undefined][] = [
    ['split.train_where', spec.split.train_where], ['split.test_where', spec.split.test_where],
    ...spec.eval_subsets.map((e): [string, ItemFilter] => [`eval_subsets "${e.name}"`, e.where]),
  ];
  for (const [what, f] of filters) {
    if (!f) continue;
    const unknown = Object.keys(f).filter((k) => !dataset.fields.includes(k));
    if (unknown.length) throw new BadInputError(`${what} names field(s) ${unknown.join(', ')} that dataset "${spec.dataset}" does not have (its fields: ${dataset.fields.join(', ') || 'none'})`);
    if (matchItems(dataset.itemFields, f).length === 0) throw new BadInputError(`${what} matches no item of dataset "${spec.dataset}"`);
  }
}

/** A request's normalised spec, checked against what it names: every check a submission makes before its transaction (sweeps make them too). */
export async function prepareJob(deps: ServiceDeps, tenantId: string, request: JobRequest): Promise<JobSpec> {
  const spec = normalizeJobRequest(request, { methods: [...METHODS, ZERO_SHOT], defaultDataset: DEFAULT_BUILTIN_DATASET });
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
    skipped: await listSkips(db, id),
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

/**
 * The context-shift figures of a job (Mallen et al. 2023): per probe, AUROC vs each label
 * column on each evaluation subset, and, when the job names its truthful subset (spec.elk)
 * and ran zero-shot, the recovered AUROC gap; both summarised over seeds per layer.
 */
export async function jobElk(db: Queryable, tenantId: string, id: string) {
  const job = await getJob(db, tenantId, id);
  const evals = await evaluations(db, id);
  const gaps = await elkGaps(db, id);
  /** Mean, sample std, min and max over seeds of `value`, per group of `keys`. */
  const overSeeds = <T extends object>(rows: T[], keys: (keyof T & string)[], value: (r: T) => number | null) => {
    const groups = new Map<string, { key: Partial<T>; values: number[] }>();
    for (const r of rows) {
      const k = keys.map((f) => String(r[f])).join('\u0000');
      const g = groups.get(k) ?? { key: Object.fromEntries(keys.map((f) => [f, r[f]])) as Partial<T>, values: [] };
      const v = value(r);
      if (v !== null && Number.isFinite(v)) g.values.push(v);
      groups.set(k, g);
    }
    return [...groups.values()].map(({ key, values }) => {
      const s = stats(values);
      return { ...key, n_seeds: s.n, mean: s.n ? s.mean : null, std: s.n ? s.std : null, min: s.n ? s.min : null, max: s.n ? s.max : null };
    });
  };
  return {
    job_id: id,
    truthful_subset: (job.spec as { elk?: { truthful_subset?: string } | null }).elk?.truthful_subset ?? null,
    /** AUROC with each probe's own sign, per (control, subset, label column, method, layer), over seeds. */
    auroc: overSeeds(evals, ['control', 'subset', 'label_set', 'method', 'layer'], (r) => r.auroc_signed),
    /** The recovered AUROC gap per (control, label column, method, layer), over seeds. */
    recovered_gap: overSeeds(gaps, ['control', 'label_set', 'method', 'layer'], (r) => r.recovered_gap),
    per_seed: { evaluations: evals, gaps },
  };
}
