/**
 * Tidy exports of results (`format=csv|parquet`): a job's or a sweep's result rows in the
 * long schema of lib/report/results-export.ts (docs/exports.md), written by
 * lib/report/export.ts. The rows are /results' rows in /results' order, job after job.
 */
import type { Queryable } from '../infra/db/pool.ts';
import { listResults } from '../infra/db/results.ts';
import { bestLayersByMetric } from '../infra/db/views.ts';
import { exportTable, type ExportFile, type ExportFormat, type ExportRow } from '../lib/report/export.ts';
import { RESULT_EXPORT_COLUMNS, resultExportRows, type ExportJob } from '../lib/report/results-export.ts';
import { datasetNames } from './datasets.ts';
import { getJob } from './jobs.ts';

export interface NamedExport extends ExportFile {
  filename: string;
}

/** The tidy rows of several jobs' results (the jobs already checked to be the tenant's). */
export async function tidyResultRows(db: Queryable, tenantId: string, jobs: readonly ExportJob[], sweepId: string | null = null): Promise<ExportRow[]> {
  const ids = jobs.map((j) => j.id);
  const best = ids.length ? await bestLayersByMetric(db, ids) : [];
  const perJob = await Promise.all(jobs.map((j) => listResults(db, j.id)));
  const datasets = jobs.flatMap((j, i) => [j.dataset, ...perJob[i].flatMap((r) => (r.control?.startsWith('transfer:') ? [r.control.slice(9)] : []))]);
  const names = await datasetNames(db, tenantId, datasets);
  return jobs.flatMap((j, i) =>
    resultExportRows(j, perJob[i], best.filter((b) => b.job_id === j.id), { sweepId, datasetName: (d) => names.get(d) ?? d }));
}

export function exportFile(format: ExportFormat, rows: readonly ExportRow[], base: string, meta: Record<string, string>): NamedExport {
  const file = exportTable(format, rows, RESULT_EXPORT_COLUMNS, { 'sonde.export': 'results/1', ...meta });
  return { ...file, filename: `${base}.${file.extension}` };
}

export async function jobResultsExport(db: Queryable, tenantId: string, jobId: string, format: ExportFormat): Promise<NamedExport> {
  const job = await getJob(db, tenantId, jobId);
  const rows = await tidyResultRows(db, tenantId, [job]);
  return exportFile(format, rows, `results-${job.id}`, { 'sonde.job_id': job.id, 'sonde.job_status': job.status });
}
