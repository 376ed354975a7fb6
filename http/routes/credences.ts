/** /v1/jobs/{id}/credences, /disagreements, /elk: what the model appears to believe, per item. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../deps.ts';
import { credencePage, credencesCsv, credencesNpy, disagreements, type CredenceQuery } from '../../services/credences.ts';
import { jobElk } from '../../services/jobs.ts';

export default async function credenceRoutes(app: FastifyInstance, deps: AppDeps) {
  const { db } = deps.services;

  app.route({
    ...routeSchema('getCredences'),
    handler: async (req, reply) => {
      const { id } = req.params as { id: string };
      const { format, ...q } = req.query as CredenceQuery & { format?: 'json' | 'csv' | 'npy' };
      const tenant = principalOf(req).tenantId;
      if (format === 'csv') {
        reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="credences-${id}.csv"`);
        return reply.send(await credencesCsv(db, tenant, id, q));
      }
      if (format === 'npy') {
        const { bytes, probes } = await credencesNpy(db, tenant, id, q);
        reply.type('application/octet-stream').header('content-disposition', `attachment; filename="credences-${id}.npy"`).header('x-sonde-probes', probes.join(','));
        return Buffer.from(bytes);
      }
      return credencePage(db, tenant, id, q);
    },
  });

  app.route({
    ...routeSchema('getDisagreements'),
    handler: async (req) => disagreements(db, principalOf(req).tenantId, (req.params as { id: string }).id, req.query as Parameters<typeof disagreements>[3]),
  });

  app.route({
    ...routeSchema('getElk'),
    handler: async (req) => jobElk(db, principalOf(req).tenantId, (req.params as { id: string }).id),
  });
}
