/** Comparisons across jobs: method × layer accuracy (mean ± std over seeds) and one table per job. */
import type { Queryable } from '../infra/db/pool.ts';
import { accuracyByLayer, bestLayersByMetric } from '../infra/db/views.ts';
import { listResults } from '../infra/db/results.ts';
import { comparisonTable } from '../lib/report/table.ts';
import { BadInputError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import { getJob } from './jobs.ts';

/** `jobs` as the API takes it: comma-separated ids, 1 to 20 of them. */
export function parseJobIds(list: string): string[] {
  const ids = [...new Set(list.split(',').map((s) => s.trim()).filter(Boolean))];
  if (ids.length === 0 || ids.length > 20) throw new BadInputError('jobs must list 1 to 20 job ids, comma-separated');
  for (const id of ids) if (!isUuid(id)) throw new BadInputError(`"${id}" is not a job id`);
  return ids;
}

export async function compareJobs(db: Queryable, tenantId: string, ids: string[]) {
  for (const id of ids) await getJob(db, tenantId, id);
  const rows = await accuracyByLayer(db, ids);
  const best = await bestLayersByMetric(db, ids);
  const tables: string[] = [];
  for (const id of ids) {
    const results = (await listResults(db, id)).filter((r) => r.template === null);
    tables.push(`job ${id}\n${comparisonTable(results as never, { controlColumns: true, best: best.filter((b) => b.job_id === id) })}`);
  }
  return { jobs: ids, rows, table: tables.join('\n\n') };
}
