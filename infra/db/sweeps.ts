/** Sweeps and which jobs they expanded into (migration 008). Every read is scoped by tenant. */
import type { Queryable } from './pool.ts';
import type { JobRow } from './jobs.ts';
import type { MetricBestLayerRow } from '../../lib/report/rows.ts';

export interface SweepRow {
  id: string;
  tenant_id: string;
  name: string | null;
  spec: Record<string, unknown>;
  idempotency_key: string | null;
  created_at: Date;
}

export async function insertSweep(
  db: Queryable,
  s: { tenantId: string; name: string | null; spec: object; idempotencyKey: string | null },
): Promise<SweepRow> {
  const { rows } = await db.query(
    'INSERT INTO sweeps (tenant_id, name, spec, idempotency_key) VALUES ($1, $2, $3, $4) RETURNING *',
    [s.tenantId, s.name, JSON.stringify(s.spec), s.idempotencyKey],
  );
  return rows[0];
}

export async function linkSweepJob(db: Queryable, sweepId: string, position: number, jobId: string): Promise<void> {
  await db.query('INSERT INTO sweep_jobs (sweep_id, position, job_id) VALUES ($1, $2, $3)', [sweepId, position, jobId]);
}

export async function findSweepByIdempotencyKey(db: Queryable, tenantId: string, key: string): Promise<SweepRow | null> {
  const { rows } = await db.query('SELECT * FROM sweeps WHERE tenant_id = $1 AND idempotency_key = $2', [tenantId, key]);
  return rows[0] ?? null;
}

export async function getSweep(db: Queryable, tenantId: string, id: string): Promise<SweepRow | null> {
  const { rows } = await db.query('SELECT * FROM sweeps WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  return rows[0] ?? null;
}

export async function listSweeps(db: Queryable, tenantId: string, limit: number): Promise<SweepRow[]> {
  const { rows } = await db.query('SELECT * FROM sweeps WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [tenantId, limit]);
  return rows;
}

/** A sweep's jobs in expansion order. */
export async function sweepJobs(db: Queryable, sweepId: string): Promise<(JobRow & { position: number })[]> {
  const { rows } = await db.query(
    'SELECT j.*, sj.position FROM sweep_jobs sj JOIN jobs j ON j.id = sj.job_id WHERE sj.sweep_id = $1 ORDER BY sj.position',
    [sweepId],
  );
  return rows;
}

/** The jobs of several sweeps at once (listing). */
export async function jobsOfSweeps(db: Queryable, sweepIds: string[]): Promise<(JobRow & { sweep_id: string; position: number })[]> {
  if (!sweepIds.length) return [];
  const { rows } = await db.query(
    `SELECT j.*, sj.sweep_id, sj.position FROM sweep_jobs sj JOIN jobs j ON j.id = sj.job_id
     WHERE sj.sweep_id = ANY($1::uuid[]) ORDER BY sj.sweep_id, sj.position`,
    [sweepIds],
  );
  return rows;
}

/** A best_layers row (lib/report/rows.ts) with the job it belongs to and its place in the sweep. */
export interface SweepBestLayerRow extends MetricBestLayerRow {
  position: number;
  job_id: string;
  model: string;
  dataset: string;
}

/** Best layers of every job of the sweep, from the sweep_best_layers view (read off best_layers). */
export async function sweepBestLayers(db: Queryable, sweepId: string): Promise<SweepBestLayerRow[]> {
  const { rows } = await db.query(
    `SELECT position, job_id, model, dataset, method, NULLIF(control, 'clean') AS control, metric, best_layer, n_seeds::int AS n_seeds,
            mean, std, min, max
     FROM sweep_best_layers WHERE sweep_id = $1 ORDER BY position, control NULLS FIRST, method, metric`,
    [sweepId],
  );
  return rows;
}
