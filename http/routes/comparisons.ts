/** /v1/comparisons?jobs=a,b: method × layer (mean ± std over seeds) across jobs. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../deps.ts';
import { compareJobs, parseJobIds } from '../../services/comparisons.ts';

export default async function comparisonRoutes(app: FastifyInstance, deps: AppDeps) {
  app.route({
    ...routeSchema('compareJobs'),
    handler: async (req) => compareJobs(deps.services.db, principalOf(req).tenantId, parseJobIds(String((req.query as { jobs: string }).jobs))),
  });
}
