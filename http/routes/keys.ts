/** /v1/keys: admins create tenants and keys; any tenant lists its keys and revokes its own (user keys cannot revoke admin keys). */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../deps.ts';
import { createKeyAs, listKeys, revokeKey, type KeyRequest } from '../../services/keys.ts';

export default async function keyRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps.services;
  app.route({
    ...routeSchema('createKey'),
    handler: async (req, reply) => {
      const key = await createKeyAs(db, principalOf(req), req.body as KeyRequest);
      reply.status(201);
      return key;
    },
  });

  app.route({
    ...routeSchema('listKeys'),
    handler: async (req) => listKeys(db, principalOf(req), (req.query as { tenant?: string }).tenant),
  });

  app.route({
    ...routeSchema('revokeKey'),
    handler: async (req, reply) => {
      await revokeKey(db, principalOf(req), (req.params as { id: string }).id);
      reply.status(204).send();
    },
  });
}
