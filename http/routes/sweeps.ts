/** /v1/sweeps: submit, list, inspect, cancel, results (JSON, CSV, Parquet). Parse → call services/sweeps.ts → serialise. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../deps.ts';
import * as sweeps from '../../services/sweeps.ts';
import type { SweepRequest, SweepSpec } from '../../lib/sweep-spec.ts';
import type { ExportFormat } from '../../lib/report/export.ts';
import { sendExport } from './jobs.ts';

function sweepJobBody(j: sweeps.SweepJobRow, names: Map<string, string>) {
  return {
    id: j.id,
    position: j.position,
    model: j.model,
    dataset: j.dataset,
    dataset_name: names.get(j.dataset) ?? j.dataset,
    eval_datasets: ((j.spec as { eval_datasets?: string[] }).eval_datasets ?? []),
    status: j.status,
    progress: { stage: j.progress_stage, done: j.progress_done, total: j.progress_total },
    error: j.error,
    links: { self: `/v1/jobs/${j.id}`, results: `/v1/jobs/${j.id}/results`, dashboard: `/dashboard/jobs/${j.id}` },
  };
}

export function sweepBody(v: sweeps.SweepView) {
  const spec = v.sweep.spec as unknown as SweepSpec;
  return {
    id: v.sweep.id,
    name: v.sweep.name,
    status: v.status,
    progress: v.progress,
    models: spec.models,
    datasets: spec.datasets.map((d) => ({ dataset: d.dataset, name: v.names.get(d.dataset) ?? d.dataset, templates: d.templates })),
    transfer: spec.transfer,
    spec: v.sweep.spec,
    jobs: v.jobs.map((j) => sweepJobBody(j, v.names)),
    created_at: v.sweep.created_at.toISOString(),
    links: {
      self: `/v1/sweeps/${v.sweep.id}`, results: `/v1/sweeps/${v.sweep.id}/results`, dashboard: `/dashboard/compare?sweep=${v.sweep.id}`,
    },
  };
}

export default async function sweepRoutes(app: FastifyInstance, deps: AppDeps) {
  const { services } = deps;
  const { db } = services;

  app.route({
    ...routeSchema('createSweep'),
    handler: async (req, reply) => {
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
      const p = principalOf(req);
      const { sweep, created } = await sweeps.submitSweep(services, p, req.body as SweepRequest, key);
      reply.status(created ? 202 : 200).header('location', `/v1/sweeps/${sweep.id}`);
      return sweepBody(await sweeps.sweepView(db, p.tenantId, sweep.id));
    },
  });

  app.route({
    ...routeSchema('listSweeps'),
    handler: async (req) => {
      const { limit } = req.query as { limit?: number };
      return { sweeps: (await sweeps.listSweeps(db, principalOf(req).tenantId, limit ?? 50)).map(sweepBody) };
    },
  });

  app.route({
    ...routeSchema('getSweep'),
    handler: async (req) => sweepBody(await sweeps.sweepView(db, principalOf(req).tenantId, (req.params as { id: string }).id)),
  });

  app.route({
    ...routeSchema('cancelSweep'),
    handler: async (req) => sweepBody(await sweeps.cancelSweep(services, principalOf(req).tenantId, (req.params as { id: string }).id)),
  });

  app.route({
    ...routeSchema('getSweepResults'),
    handler: async (req, reply) => {
      const { id } = req.params as { id: string };
      const { format } = req.query as { format?: 'json' | ExportFormat };
      const tenantId = principalOf(req).tenantId;
      if (format && format !== 'json') return sendExport(reply, await sweeps.sweepResultsExport(db, tenantId, id, format));
      const { view, results, best_layers, table } = await sweeps.sweepResults(db, tenantId, id);
      return { sweep_id: view.sweep.id, status: view.status, jobs: view.jobs.map((j) => sweepJobBody(j, view.names)), results, best_layers, table };
    },
  });
}
