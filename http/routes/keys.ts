/** /v1/keys: admins create tenants and keys; any tenant revokes its own keys. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../app.ts';
import { createKeyAs, revokeKey } from '../../services/keys.ts';

export default async function keyRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps.services;
  app.route({
    ...routeSchema('createKey'),
    handler: async (req, reply) => {
      const key = await createKeyAs(db, principalOf(req), req.body as { tenant: string; role?: 'user' | 'admin'; label?: string });
      reply.status(201);
      return key;
    },
  });

  app.route({
    ...routeSchema('revokeKey'),
    handler: async (req, reply) => {
      await revokeKey(db, principalOf(req), (req.params as { id: string }).id);
      reply.status(204).send();
    },
  });
}
