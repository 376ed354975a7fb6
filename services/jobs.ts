/**
 * Jobs as their users see them: submit (validation, quota, idempotency and the enqueue in
 * one transaction), list, inspect, cancel, results, probes and their logit-lens readouts.
 * The worker side of a job's life is services/pipeline.ts.
 */
import crypto from 'node:crypto';
import type { Queryable } from '../infra/db/pool.ts';
import { withTransaction } from '../infra/db/pool.ts';
import * as jobsDb from '../infra/db/jobs.ts';
import { listAgreements, listResults, listSkips, getProbe as getStoredProbe, type ResultKey, type ResultRowOut } from '../infra/db/results.ts';
import { bestLayers, bestLayersByMetric, elkGaps, evaluations } from '../infra/db/views.ts';
import { stats } from '../lib/report/table.ts';
import { lockTenant } from '../infra/db/tenants.ts';
import { normalizeJobRequest, ZERO_SHOT, type JobRequest, type JobSpec } from '../lib/job-spec.ts';
import { METHODS } from '../lib/probe/index.ts';
import { DEFAULT_BUILTIN_DATASET } from '../lib/data/index.ts';
import { estimateJob } from '../lib/job-cost.ts';
import { comparisonTable } from '../lib/report/table.ts';
import { loadUnembedding, logitLens, type Unembedding } from '../lib/models/logit-lens.ts';
import { BadInputError, NotFoundError, TooLargeError, UnavailableError, UnprocessableError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import type { ServiceDeps } from './context.ts';
import { resolveModel } from './models.ts';
import { removeJobArtefacts } from './pipeline.ts';
import { admitJob, assertWithinBudgets, limitsOf, type Admission } from './admission.ts';
import { checkJob } from './job-checks.ts';
import { assertJobSlot } from './quota.ts';
import type { Principal } from './keys.ts';

export type JobRow = jobsDb.JobRow;
export type JobEvent = { status: string; detail: string | null; at: Date };

/** A stable JSON of a value (object keys sorted), so the same request always hashes the same. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const normalize = (request: JobRequest) => normalizeJobRequest(request, { methods: [...METHODS, ZERO_SHOT], defaultDataset: DEFAULT_BUILTIN_DATASET });

/**
 * A request's normalised spec, checked against everything it names (services/job-checks.ts),
 * estimated and held against the tenant's budgets (services/admission.ts): all a submission
 * does before its transaction. Each job of a sweep goes through it too.
 */
export async function prepareJob(deps: ServiceDeps, tenantId: string, request: JobRequest): Promise<{ spec: JobSpec; admission: Admission }> {
  const spec = normalize(request);
  return { spec, admission: await admitJob(deps, tenantId, spec) };
}

/** Sha256 of the normalised request: two bodies that mean the same job (defaults spelled out or not) hash the same. */
export const requestSha256 = (spec: JobSpec) => crypto.createHash('sha256').update(canonicalJson(spec)).digest('hex');


/**
 * Submits a job. Everything that can be checked against what the job names is checked
 * first, and the job's cost is held against the tenant's budgets (services/admission.ts).
 * An `idempotencyKey` seen before returns the first job (created: false) when the request
 * is the same, and is a 422 when it is not. The quota check, the insert and the enqueue
 * happen under the tenant's lock in one transaction: when Redis is down nothing is stored
 * and the caller may retry (503).
 */
export async function submitJob(deps: ServiceDeps, principal: Principal, request: JobRequest, idempotencyKey: string | null) {
  const { spec, admission } = await prepareJob(deps, principal.tenantId, request);
  const hash = requestSha256(spec);
  return withTransaction(deps.db, async (tx) => {
    await lockTenant(tx, principal.tenantId);
    const insert = () => jobsDb.insertJob(tx, {
      tenantId: principal.tenantId, model: spec.model, dataset: spec.dataset, spec, idempotencyKey, requestSha256: hash, admission,
    });
    const earlier = idempotencyKey ? await jobsDb.findByIdempotencyKey(tx, principal.tenantId, idempotencyKey) : null;
    if (earlier) {
      if (earlier.request_sha256 && earlier.request_sha256 !== hash) {
        throw new UnprocessableError(`Idempotency-Key "${idempotencyKey}" was used for job ${earlier.id} with a different request; use a new key for a new job`, {
          extra: { job_id: earlier.id },
        });
      }
      return insert();
    }
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

/** The caller's budgets and the fit limits (GET /v1/limits). */
export const tenantLimits = (deps: ServiceDeps, tenantId: string) => limitsOf(deps, tenantId);

/** What a job would cost and whether it fits the tenant's budgets, without submitting it (POST /v1/jobs/estimate). */
export async function estimateJobRequest(deps: ServiceDeps, principal: Principal, request: JobRequest) {
  const spec = normalize(request);
  const facts = await checkJob(deps, principal.tenantId, spec);
  const estimate = estimateJob(spec, facts.cost);
  const { budgets, fit } = await limitsOf(deps, principal.tenantId);
  let exceeded: unknown[] = [];
  try {
    assertWithinBudgets(estimate, budgets, fit);
  } catch (e) {
    if (!(e instanceof TooLargeError)) throw e;
    exceeded = (e.extra.exceeded as unknown[]) ?? [];
  }
  return { estimate, limits: { ...budgets, ...fit }, within_budget: exceeded.length === 0, exceeded, warnings: facts.warnings };
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
 * Cancels a job. Workers see the status: a running extraction or fit child is killed
 * within about a second, queued units are dropped (a queued job is never started) and
 * late results are never written. The queued extract unit and the job's staged
 * conditions are removed now.
 */
export async function cancelJob(deps: ServiceDeps, tenantId: string, id: string): Promise<{ job: JobRow; history: JobEvent[] }> {
  await getJob(deps.db, tenantId, id);
  if (await jobsDb.setStatus(deps.db, id, 'cancelled', { detail: 'cancelled by the user' })) {
    await removeJobArtefacts(deps, id);
  }
  await deps.queues.removeExtract(id).catch(() => {});
  return getJobWithHistory(deps.db, tenantId, id);
}

const encodeResultCursor = (r: ResultRowOut) => Buffer.from(JSON.stringify([r.control, r.template, r.method, r.layer, r.seed])).toString('base64url');

function decodeResultCursor(cursor: string): ResultKey {
  let k: unknown;
  try {
    k = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    k = null;
  }
  const ok = Array.isArray(k) && k.length === 5
    && (k[0] === null || (typeof k[0] === 'string' && k[0].length <= 200))
    && (k[1] === null || Number.isInteger(k[1]))
    && typeof k[2] === 'string' && k[2].length <= 50 && Number.isInteger(k[3]) && Number.isInteger(k[4])
    && [k[1], k[3], k[4]].every((n) => n === null || Math.abs(n as number) < 2 ** 31);
  if (!ok) throw new BadInputError('cursor is not valid (use next_cursor from a previous page)');
  return k as ResultKey;
}

/**
 * A job's results. Without `limit`, every row (as before pagination; next_cursor null).
 * With `limit`, a page of rows in a fixed order and the cursor of the next page; the
 * summary, best layers and warnings come with every page, the agreements and the text
 * table with the first page only.
 */
export async function jobResults(db: Queryable, tenantId: string, id: string, page: { limit?: number; cursor?: string } = {}) {
  const job = await getJob(db, tenantId, id);
  const after = page.cursor ? decodeResultCursor(page.cursor) : undefined;
  const paged = page.limit !== undefined || after !== undefined;
  const limit = page.limit ?? 500;
  const rows = paged ? await listResults(db, id, { limit: limit + 1, after }) : await listResults(db, id);
  const results = paged ? rows.slice(0, limit) : rows;
  const nextCursor = paged && rows.length > limit ? encodeResultCursor(results[results.length - 1]) : null;
  const summary = await bestLayers(db, [id]);
  const best = (await bestLayersByMetric(db, [id])).map(({ job_id: _j, ...b }) => b);
  const firstPage = !after;
  const all = firstPage && paged ? await listResults(db, id) : rows;
  return {
    job_id: id,
    status: job.status,
    results,
    summary: summary.map(({ job_id: _j, ...s }) => s),
    best_layers: best,
    skipped: await listSkips(db, id),
    ...(firstPage ? {
      agreements: await listAgreements(db, id),
      table: comparisonTable(all.filter((r) => r.template === null) as never, { best }),
    } : {}),
    warnings: job.admission?.warnings ?? [],
    next_cursor: nextCursor,
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
