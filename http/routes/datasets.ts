/** /v1/datasets: upload (validated, hashed) and list. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { HttpProblem, badRequest } from '../problem.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../app.ts';
import { insertDataset, listDatasets, tenantStorageBytes } from '../../infra/db/datasets.ts';
import { builtinDatasets, parseDataset, DatasetError } from '../../lib/data/index.ts';

export default async function datasetRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db, config } = deps;

  app.route({
    ...routeSchema('uploadDataset'),
    bodyLimit: config.uploadLimit,
    handler: async (req, reply) => {
      const p = principalOf(req);
      const body = req.body as { name: string; kind: 'statements' | 'binary' | 'multiclass'; format: 'jsonl' | 'csv'; content: string; answers?: [string, string] };
      const bytes = Buffer.byteLength(body.content, 'utf8');
      let parsed;
      try {
        parsed = parseDataset(
          { filename: `${body.name}.${body.format}`, content: body.content, kind: body.kind, name: body.name, answers: body.answers },
          { maxRows: config.maxDatasetRows, maxBytes: config.uploadLimit },
        );
      } catch (e) {
        if (e instanceof DatasetError) throw badRequest(e.message);
        throw e;
      }
      const quota = await db.query('SELECT storage_quota_bytes FROM tenants WHERE id = $1', [p.tenantId]);
      const used = await tenantStorageBytes(db, p.tenantId);
      if (used + bytes > Number(quota.rows[0].storage_quota_bytes)) {
        throw new HttpProblem(413, 'Content Too Large', `storage quota exceeded (${used} of ${quota.rows[0].storage_quota_bytes} bytes used)`);
      }
      const row = await insertDataset(db, p.tenantId, {
        name: parsed.name,
        kind: parsed.kind,
        sha256: parsed.sha256,
        items: parsed.items,
        has_labels: parsed.has_labels,
        answers: parsed.answers ?? null,
        bytes,
      });
      reply.status(201);
      return { ...row, builtin: false, created_at: row.created_at.toISOString() };
    },
  });

  app.route({
    ...routeSchema('listDatasets'),
    handler: async (req) => {
      const p = principalOf(req);
      const builtins = builtinDatasets().map((d) => ({
        id: d.name,
        name: d.name,
        kind: d.kind,
        sha256: null,
        n_items: d.n_items,
        has_labels: d.has_labels,
        answers: d.answers ?? null,
        builtin: true,
        description: d.description ?? null,
        created_at: null,
      }));
      const uploads = (await listDatasets(db, p.tenantId)).map((d) => ({ ...d, builtin: false, created_at: d.created_at.toISOString() }));
      return { datasets: [...builtins, ...uploads] };
    },
  });
}
