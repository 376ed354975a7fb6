/** /v1/keys: admins create tenants and keys; any tenant revokes its own keys. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { notFound } from '../problem.ts';
import { principalOf, requireAdmin } from '../plugins/auth.ts';
import type { AppDeps } from '../app.ts';
import { createApiKey, createTenant, revokeApiKey } from '../../infra/db/tenants.ts';

export default async function keyRoutes(app: FastifyInstance, deps: AppDeps) {
  app.route({
    ...routeSchema('createKey'),
    handler: async (req, reply) => {
      requireAdmin(req);
      const body = req.body as { tenant: string; role?: 'user' | 'admin'; label?: string };
      const tenant = await createTenant(deps.db, body.tenant);
      const key = await createApiKey(deps.db, tenant.id, body.role ?? 'user', body.label);
      reply.status(201);
      return { id: key.id, key: key.key, tenant: tenant.name };
    },
  });

  app.route({
    ...routeSchema('revokeKey'),
    handler: async (req, reply) => {
      const p = principalOf(req);
      const { id } = req.params as { id: string };
      if (!(await revokeApiKey(deps.db, p.tenantId, id))) throw notFound(`API key ${id}`);
      reply.status(204).send();
    },
  });
}
