/** /v1/datasets: upload (JSONL, CSV or base64 Parquet; a kind or a preset) and list. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import { uploadSlotHooks } from '../upload-slot.ts';
import type { AppDeps } from '../deps.ts';
import { listDatasets, uploadBodyLimit, uploadDataset, type DatasetUpload } from '../../services/datasets.ts';

export default async function datasetRoutes(app: FastifyInstance, deps: AppDeps) {
  const { services } = deps;
  app.route({
    ...routeSchema('uploadDataset'),
    bodyLimit: uploadBodyLimit(services.config),
    ...uploadSlotHooks(services),
    handler: async (req, reply) => {
      const row = await uploadDataset(services, principalOf(req).tenantId, req.body as DatasetUpload);
      reply.status(201);
      return row;
    },
  });

  app.route({
    ...routeSchema('listDatasets'),
    handler: async (req) => ({ datasets: await listDatasets(services.db, principalOf(req).tenantId) }),
  });
}
