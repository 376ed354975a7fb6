/** Liveness and readiness (Postgres + Redis). */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import type { AppDeps } from '../deps.ts';
import { problemBody } from '../plugins/errors.ts';
import { readiness } from '../../services/health.ts';

export default async function healthRoutes(app: FastifyInstance, deps: AppDeps) {
  app.route({ ...routeSchema('healthz'), handler: async () => ({ status: 'ok' }) });

  app.route({
    ...routeSchema('readyz'),
    handler: async (_req, reply) => {
      const { ready, checks } = await readiness(deps.services);
      if (!ready) {
        const down = Object.entries(checks).filter(([, v]) => v !== 'ok');
        reply.status(503).type('application/problem+json');
        return problemBody(503, `not ready: ${down.map(([k, v]) => `${k} (${v})`).join(', ')}`, { checks });
      }
      return { status: 'ready', checks };
    },
  });
}
