/** /v1/jobs: submit, list, inspect, cancel, results, probes. Parse → call services/jobs.ts → serialise. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../deps.ts';
import * as jobs from '../../services/jobs.ts';
import type { JobRequest } from '../../lib/job-spec.ts';
import { encodeNpy } from '../../lib/npy.ts';
import { encodeSafetensors } from '../../lib/safetensors.ts';
import type { ExportFormat } from '../../lib/report/export.ts';
import { jobResultsExport, type NamedExport } from '../../services/exports.ts';

/** A CSV or Parquet export as a download. */
export function sendExport(reply: FastifyReply, file: NamedExport) {
  reply.type(file.contentType).header('content-disposition', `attachment; filename="${file.filename}"`);
  return Buffer.from(file.body.buffer, file.body.byteOffset, file.body.byteLength);
}

export function jobBody(row: jobs.JobRow, history?: jobs.JobEvent[]) {
  return {
    id: row.id,
    status: row.status,
    model: row.model,
    dataset: row.dataset,
    spec: row.spec,
    progress: { stage: row.progress_stage, done: row.progress_done, total: row.progress_total },
    error: row.error,
    ...(row.admission ? { estimate: row.admission.estimate, warnings: row.admission.warnings } : {}),
    created_at: row.created_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
    updated_at: row.updated_at.toISOString(),
    ...(history ? { history: history.map((h) => ({ status: h.status, detail: h.detail, at: h.at.toISOString() })) } : {}),
    links: { self: `/v1/jobs/${row.id}`, results: `/v1/jobs/${row.id}/results`, dashboard: `/dashboard/jobs/${row.id}` },
  };
}

export default async function jobRoutes(app: FastifyInstance, deps: AppDeps) {
  const { services } = deps;
  const { db } = services;

  app.route({
    ...routeSchema('createJob'),
    handler: async (req, reply) => {
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
      const { job, created } = await jobs.submitJob(services, principalOf(req), req.body as JobRequest, key);
      reply.status(created ? 202 : 200).header('location', `/v1/jobs/${job.id}`);
      return jobBody(job);
    },
  });

  app.route({
    ...routeSchema('estimateJob'),
    handler: async (req) => jobs.estimateJobRequest(services, principalOf(req), req.body as JobRequest),
  });

  app.route({
    ...routeSchema('getLimits'),
    handler: async (req) => jobs.tenantLimits(services, principalOf(req).tenantId),
  });

  app.route({
    ...routeSchema('listJobs'),
    handler: async (req) => {
      const page = await jobs.listJobs(db, principalOf(req).tenantId, req.query as Parameters<typeof jobs.listJobs>[2]);
      return { jobs: page.jobs.map((r) => jobBody(r)), next_cursor: page.nextCursor };
    },
  });

  app.route({
    ...routeSchema('getJob'),
    handler: async (req) => {
      const { job, history } = await jobs.getJobWithHistory(db, principalOf(req).tenantId, (req.params as { id: string }).id);
      return jobBody(job, history);
    },
  });

  app.route({
    ...routeSchema('cancelJob'),
    handler: async (req) => {
      const { job, history } = await jobs.cancelJob(services, principalOf(req).tenantId, (req.params as { id: string }).id);
      return jobBody(job, history);
    },
  });

  app.route({
    ...routeSchema('getResults'),
    handler: async (req, reply) => {
      const { id } = req.params as { id: string };
      const { format, ...page } = req.query as { format?: 'json' | ExportFormat; limit?: number; cursor?: string };
      if (format && format !== 'json') return sendExport(reply, await jobResultsExport(db, principalOf(req).tenantId, id, format));
      return jobs.jobResults(db, principalOf(req).tenantId, id, page);
    },
  });

  app.route({
    ...routeSchema('getProbe'),
    handler: async (req, reply) => {
      const { id, probe } = req.params as { id: string; probe: string };
      const { format } = req.query as { format?: 'json' | 'npy' | 'safetensors' };
      const row = await jobs.getProbe(db, principalOf(req).tenantId, id, probe);
      const file = `probe-${row.method}-L${row.layer}-s${row.seed}`;
      if (format === 'npy') {
        reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${file}.npy"`);
        return Buffer.from(encodeNpy([row.dim], row.direction));
      }
      if (format === 'safetensors') {
        reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${file}.safetensors"`);
        const meta = { method: row.method, layer: String(row.layer), seed: String(row.seed), state: JSON.stringify(row.state) };
        return Buffer.from(encodeSafetensors({ direction: { shape: [row.dim], data: row.direction } }, meta));
      }
      return { ...row, direction: Array.from(row.direction) };
    },
  });

  app.route({
    ...routeSchema('getLogitLens'),
    handler: async (req) => {
      const { id, probe } = req.params as { id: string; probe: string };
      const { k } = req.query as { k?: number };
      return jobs.probeLogitLens(services, principalOf(req).tenantId, id, probe, k ?? 20);
    },
  });
}
