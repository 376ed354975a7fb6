/** /v1/jobs: submit, list, inspect, cancel, results, probes. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { HttpProblem, badRequest, notFound } from '../problem.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../app.ts';
import { withTransaction } from '../../infra/db/pool.ts';
import * as jobs from '../../infra/db/jobs.ts';
import { listAgreements, listResults, getProbe } from '../../infra/db/results.ts';
import { bestLayers } from '../../infra/db/views.ts';
import { normalizeJobRequest, JobSpecError, type JobRequest } from '../../lib/job-spec.ts';
import { METHODS } from '../../lib/probe/index.ts';
import { resolveDataset, resolveModel, DEFAULT_DATASET } from '../resolve.ts';
import { checkControlsForDataset, parseControls, DataInputError } from '../../lib/data/index.ts';
import { comparisonTable } from '../../lib/report/table.ts';
import { encodeNpy } from '../../lib/npy.ts';
import { encodeSafetensors } from '../../lib/safetensors.ts';
import { getActivationSet } from '../../infra/db/activations.ts';
import { loadUnembedding, logitLens, LogitLensError, type Unembedding } from '../../lib/models/logit-lens.ts';
import { resolveModelDir } from '../../workers/model-resolver.ts';

export function jobBody(row: jobs.JobRow, history?: { status: string; detail: string | null; at: Date }[]) {
  return {
    id: row.id,
    status: row.status,
    model: row.model,
    dataset: row.dataset,
    spec: row.spec,
    progress: { stage: row.progress_stage, done: row.progress_done, total: row.progress_total },
    error: row.error,
    created_at: row.created_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
    updated_at: row.updated_at.toISOString(),
    ...(history ? { history: history.map((h) => ({ status: h.status, detail: h.detail, at: h.at.toISOString() })) } : {}),
    links: { self: `/v1/jobs/${row.id}`, results: `/v1/jobs/${row.id}/results`, dashboard: `/dashboard/jobs/${row.id}` },
  };
}

const encodeCursor = (row: jobs.JobRow) => Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString('base64url');
function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/i.test(id)) throw badRequest('cursor is not valid');
  return { createdAt, id };
}

export default async function jobRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db, queues } = deps;

  const loadJob = async (tenantId: string, id: string) => {
    const row = await jobs.getJob(db, tenantId, id);
    if (!row) throw notFound(`job ${id}`);
    return row;
  };

  app.route({
    ...routeSchema('createJob'),
    handler: async (req, reply) => {
      const p = principalOf(req);
      let spec;
      try {
        spec = normalizeJobRequest(req.body as JobRequest, { methods: METHODS, defaultDataset: DEFAULT_DATASET });
      } catch (e) {
        if (e instanceof JobSpecError) throw badRequest(e.message);
        throw e;
      }
      if (spec.activations) {
        const set = await getActivationSet(db, p.tenantId, spec.activations);
        if (!set) throw notFound(`activation set ${spec.activations}`);
        if (!set.has_labels) throw badRequest(`activation set ${spec.activations} has no labels; evaluation needs them`);
      } else {
        await resolveModel(db, p.tenantId, spec.model);
        const dataset = await resolveDataset(db, p.tenantId, spec.dataset);
        for (const name of spec.eval_datasets) await resolveDataset(db, p.tenantId, name);
        if (!dataset.has_labels) throw badRequest(`dataset "${spec.dataset}" has no labels; evaluation needs labelled items`);
        try {
          checkControlsForDataset(parseControls(spec.controls), dataset);
        } catch (e) {
          if (e instanceof DataInputError) throw badRequest(e.message);
          throw e;
        }
      }
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
      const { job, created } = await withTransaction(db, async (tx) => {
        // Quota check and insert under one tenant-level lock, so concurrent submits cannot overshoot.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [p.tenantId]);
        if (key) {
          const existing = await tx.query('SELECT 1 FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2', [p.tenantId, key]);
          if (existing.rowCount) return jobs.insertJob(tx, { tenantId: p.tenantId, model: spec.model, dataset: spec.dataset, spec, idempotencyKey: key });
        }
        const limit = await tx.query('SELECT max_concurrent_jobs FROM tenants WHERE id = $1', [p.tenantId]);
        const active = await jobs.countActiveJobs(tx, p.tenantId);
        const max = Math.min(limit.rows[0]?.max_concurrent_jobs ?? deps.config.maxConcurrentJobsPerTenant, deps.config.maxConcurrentJobsPerTenant);
        if (active >= max) {
          throw new HttpProblem(429, 'Too Many Requests', `tenant has ${active} queued or running jobs (quota ${max}); wait for some to finish`);
        }
        const out = await jobs.insertJob(tx, { tenantId: p.tenantId, model: spec.model, dataset: spec.dataset, spec, idempotencyKey: key });
        // Enqueue inside the transaction: if Redis is down nothing is stored and the client may retry.
        if (out.created) {
          try {
            await queues.enqueueExtract(out.job.id);
          } catch {
            throw new HttpProblem(503, 'Service Unavailable', 'the job queue (Redis) is unavailable; nothing was stored, retry later');
          }
        }
        return out;
      });
      reply.status(created ? 202 : 200).header('location', `/v1/jobs/${job.id}`);
      return jobBody(job);
    },
  });

  app.route({
    ...routeSchema('listJobs'),
    handler: async (req) => {
      const p = principalOf(req);
      const q = req.query as { limit?: number; cursor?: string; status?: string; model?: string; dataset?: string };
      const limit = q.limit ?? 50;
      const rows = await jobs.listJobs(db, p.tenantId, {
        limit: limit + 1,
        cursor: q.cursor ? decodeCursor(q.cursor) : undefined,
        status: q.status,
        model: q.model,
        dataset: q.dataset,
      });
      const page = rows.slice(0, limit);
      return { jobs: page.map((r) => jobBody(r)), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
    },
  });

  app.route({
    ...routeSchema('getJob'),
    handler: async (req) => {
      const p = principalOf(req);
      const { id } = req.params as { id: string };
      const row = await loadJob(p.tenantId, id);
      return jobBody(row, await jobs.jobEvents(db, id));
    },
  });

  app.route({
    ...routeSchema('cancelJob'),
    handler: async (req) => {
      const p = principalOf(req);
      const { id } = req.params as { id: string };
      await loadJob(p.tenantId, id);
      await jobs.setStatus(db, id, 'cancelled', { detail: 'cancelled by the user' });
      // Queued units are dropped by the workers when they see the status; remove what we can now.
      await queues.extract.remove(`extract-${id}`).catch(() => {});
      return jobBody(await loadJob(p.tenantId, id), await jobs.jobEvents(db, id));
    },
  });

  app.route({
    ...routeSchema('getResults'),
    handler: async (req) => {
      const p = principalOf(req);
      const { id } = req.params as { id: string };
      const row = await loadJob(p.tenantId, id);
      const results = await listResults(db, id);
      const summary = await bestLayers(db, [id]);
      return {
        job_id: id,
        status: row.status,
        results,
        summary: summary.map(({ job_id: _j, ...s }) => s),
        agreements: await listAgreements(db, id),
        table: comparisonTable(results.filter((r) => r.template === null) as never),
      };
    },
  });

  app.route({
    ...routeSchema('getProbe'),
    handler: async (req, reply) => {
      const p = principalOf(req);
      const { id, probe } = req.params as { id: string; probe: string };
      const { format } = req.query as { format?: 'json' | 'npy' | 'safetensors' };
      await loadJob(p.tenantId, id);
      const row = await getProbe(db, id, probe);
      if (!row) throw notFound(`probe ${probe} of job ${id}`);
      if (format === 'npy') {
        reply.type('application/octet-stream').header('content-disposition', `attachment; filename="probe-${row.method}-L${row.layer}-s${row.seed}.npy"`);
        return Buffer.from(encodeNpy([row.dim], row.direction));
      }
      if (format === 'safetensors') {
        reply.type('application/octet-stream').header('content-disposition', `attachment; filename="probe-${row.method}-L${row.layer}-s${row.seed}.safetensors"`);
        const meta = { method: row.method, layer: String(row.layer), seed: String(row.seed), state: JSON.stringify(row.state) };
        return Buffer.from(encodeSafetensors({ direction: { shape: [row.dim], data: row.direction } }, meta));
      }
      return { ...row, direction: Array.from(row.direction) };
    },
  });

  // Unembeddings are large and immutable per model directory: keep the last few in memory.
  const lensCache = new Map<string, Promise<Unembedding>>();
  app.route({
    ...routeSchema('getLogitLens'),
    handler: async (req) => {
      const p = principalOf(req);
      const { id, probe } = req.params as { id: string; probe: string };
      const { k } = req.query as { k?: number };
      const job = await loadJob(p.tenantId, id);
      const row = await getProbe(db, id, probe);
      if (!row) throw notFound(`probe ${probe} of job ${id}`);
      if (job.model === 'byo') throw badRequest('this job probed uploaded activations: there is no model to read an unembedding from');
      try {
        const { dir } = await resolveModelDir(db, deps.config, p.tenantId, job.model);
        if (!lensCache.has(dir)) {
          if (lensCache.size >= 4) lensCache.delete(lensCache.keys().next().value!);
          lensCache.set(dir, loadUnembedding(dir));
        }
        const u = await lensCache.get(dir)!.catch((e) => { lensCache.delete(dir); throw e; });
        return { probe_id: probe, model: job.model, layer: row.layer, method: row.method, ...logitLens(u, row.direction, k ?? 20) };
      } catch (e) {
        if (e instanceof LogitLensError || (e as Error).name === 'UnrecoverableError') throw badRequest((e as Error).message);
        throw e;
      }
    },
  });
}
