/** /v1/comparisons?jobs=a,b: method × layer (mean ± std over seeds) across jobs. */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { badRequest, notFound } from '../problem.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../app.ts';
import { getJob } from '../../infra/db/jobs.ts';
import { accuracyByLayer } from '../../infra/db/views.ts';
import { listResults } from '../../infra/db/results.ts';
import { comparisonTable } from '../../lib/report/table.ts';

export default async function comparisonRoutes(app: FastifyInstance, deps: AppDeps) {
  app.route({
    ...routeSchema('compareJobs'),
    handler: async (req) => {
      const p = principalOf(req);
      const ids = [...new Set(String((req.query as { jobs: string }).jobs).split(',').map((s) => s.trim()).filter(Boolean))];
      if (ids.length === 0 || ids.length > 20) throw badRequest('jobs must list 1 to 20 job ids, comma-separated');
      for (const id of ids) {
        if (!/^[0-9a-f-]{36}$/i.test(id)) throw badRequest(`"${id}" is not a job id`);
        if (!(await getJob(deps.db, p.tenantId, id))) throw notFound(`job ${id}`);
      }
      const rows = await accuracyByLayer(deps.db, ids);
      const tables: string[] = [];
      for (const id of ids) {
        const results = (await listResults(deps.db, id)).filter((r) => r.template === null);
        tables.push(`job ${id}\n${comparisonTable(results as never, { controlColumns: true })}`);
      }
      return { jobs: ids, rows, table: tables.join('\n\n') };
    },
  });
}
