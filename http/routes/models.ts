/** /v1/models: built-in models and the tenant's registered model directories. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../app.ts';
import { listModels } from '../../infra/db/models.ts';
import { BUILTIN_MODELS } from '../../lib/models/builtin.ts';

export default async function modelRoutes(app: FastifyInstance, deps: AppDeps) {
  app.route({
    ...routeSchema('listModels'),
    handler: async (req) => {
      const p = principalOf(req);
      const builtins = BUILTIN_MODELS.map((m) => ({
        id: null, name: m.name, kind: m.kind, sha256: null, layers: m.layers, hidden_size: m.hidden_size,
        builtin: true, license: m.license, source: m.source,
      }));
      const registered = (await listModels(deps.db, p.tenantId)).map((m) => {
        const manifest = m.manifest as { layers?: unknown[]; hidden_size?: number; license?: string; source?: string };
        return {
          id: m.id, name: m.name, kind: m.kind, sha256: m.sha256, layers: manifest.layers?.length ?? null,
          hidden_size: manifest.hidden_size ?? null, builtin: m.builtin, license: manifest.license ?? null, source: manifest.source ?? null,
        };
      });
      return { models: [...builtins, ...registered] };
    },
  });
}
