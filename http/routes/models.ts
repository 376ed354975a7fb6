/** /v1/models: built-in models and the tenant's registered model directories. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../deps.ts';
import { listModels } from '../../services/models.ts';

export default async function modelRoutes(app: FastifyInstance, deps: AppDeps) {
  app.route({
    ...routeSchema('listModels'),
    handler: async (req) => ({ models: await listModels(deps.services, principalOf(req).tenantId) }),
  });
}
