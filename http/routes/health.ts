/** Liveness and readiness (Postgres + Redis). */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import type { AppDeps } from '../app.ts';
import { problemBody } from '../plugins/errors.ts';

function timeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref();
    }),
  ]);
}

export default async function healthRoutes(app: FastifyInstance, deps: AppDeps) {
  app.route({ ...routeSchema('healthz'), handler: async () => ({ status: 'ok' }) });

  app.route({
    ...routeSchema('readyz'),
    handler: async (_req, reply) => {
      const checks: Record<string, string> = {};
      await Promise.all([
        timeout(deps.db.query('SELECT 1'), 2_000).then(() => { checks.postgres = 'ok'; }, (e: Error) => { checks.postgres = e.message; }),
        timeout(deps.queues.redis.ping(), 2_000).then(() => { checks.redis = 'ok'; }, (e: Error) => { checks.redis = e.message; }),
      ]);
      const down = Object.entries(checks).filter(([, v]) => v !== 'ok');
      if (down.length) {
        reply.status(503).type('application/problem+json');
        return problemBody(503, `not ready: ${down.map(([k, v]) => `${k} (${v})`).join(', ')}`, { checks });
      }
      return { status: 'ready', checks };
    },
  });
}
