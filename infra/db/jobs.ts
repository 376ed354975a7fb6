/** Jobs, their status history and progress. Every read is scoped by tenant. */
import type { Queryable } from './pool.ts';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const TERMINAL: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

export interface JobRow {
  id: string;
  tenant_id: string;
  status: JobStatus;
  model: string;
  dataset: string;
  spec: Record<string, unknown>;
  idempotency_key: string | null;
  progress_stage: string | null;
  progress_done: number;
  progress_total: number;
  fits_total: number;
  error: { title: string; detail: string } | null;
  /** Sha256 of the normalised request (idempotency), and what admission estimated (migrations/007). */
  request_sha256?: string | null;
  admission?: { estimate: Record<string, number>; warnings: string[] } | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export async function insertJob(
  db: Queryable,
  job: { tenantId: string; model: string; dataset: string; spec: object; idempotencyKey?: string | null; requestSha256?: string | null; admission?: object | null },
): Promise<{ job: JobRow; created: boolean }> {
  const { rows } = await db.query(
    `INSERT INTO jobs (tenant_id, model, dataset, spec, idempotency_key, request_sha256, admission)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
     RETURNING *`,
    [job.tenantId, job.model, job.dataset, JSON.stringify(job.spec), job.idempotencyKey ?? null, job.requestSha256 ?? null, job.admission ? JSON.stringify(job.admission) : null],
  );
  if (rows[0]) {
    await db.query(`INSERT INTO job_events (job_id, status) VALUES ($1, 'queued')`, [rows[0].id]);
    return { job: rows[0], created: true };
  }
  const existing = await db.query('SELECT * FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2', [
    job.tenantId,
    job.idempotencyKey,
  ]);
  return { job: existing.rows[0], created: false };
}

export async function findByIdempotencyKey(db: Queryable, tenantId: string, key: string): Promise<JobRow | null> {
  const { rows } = await db.query('SELECT * FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2', [tenantId, key]);
  return rows[0] ?? null;
}

export async function getJob(db: Queryable, tenantId: string, id: string): Promise<JobRow | null> {
  const { rows } = await db.query('SELECT * FROM jobs WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  return rows[0] ?? null;
}

/** For workers: no tenant scope (the queue payload carries a job id the API created). */
export async function getJobForWorker(db: Queryable, id: string): Promise<JobRow | null> {
  const { rows } = await db.query('SELECT * FROM jobs WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export async function listJobs(
  db: Queryable,
  tenantId: string,
  opts: { limit: number; cursor?: { createdAt: string; id: string }; status?: string; model?: string; dataset?: string },
): Promise<JobRow[]> {
  const where = ['tenant_id = $1'];
  const args: unknown[] = [tenantId];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replace('?', `$${args.length}`));
  };
  if (opts.status) add('status = ?', opts.status);
  if (opts.model) add('model = ?', opts.model);
  if (opts.dataset) add('dataset = ?', opts.dataset);
  if (opts.cursor) {
    args.push(opts.cursor.createdAt, opts.cursor.id);
    where.push(`(created_at, id) < ($${args.length - 1}::timestamptz, $${args.length}::uuid)`);
  }
  args.push(opts.limit);
  const { rows } = await db.query(
    `SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`,
    args,
  );
  return rows;
}

export async function countActiveJobs(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND status IN ('queued', 'running')`,
    [tenantId],
  );
  return rows[0].n;
}

/**
 * Moves a job to `status` unless it is already terminal; returns false when it was.
 * Cancelled or completed jobs are never revived by a late worker.
 */
export async function setStatus(
  db: Queryable,
  id: string,
  status: JobStatus,
  extra: { error?: { title: string; detail: string }; detail?: string } = {},
): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH changed AS (
       UPDATE jobs SET status = $2, updated_at = now(),
         started_at = CASE WHEN $2 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
         finished_at = CASE WHEN $2 IN ('completed', 'failed', 'cancelled') THEN now() ELSE finished_at END,
         error = coalesce($3::jsonb, error)
       WHERE id = $1 AND status NOT IN ('completed', 'failed', 'cancelled') AND status <> $2
       RETURNING id)
     INSERT INTO job_events (job_id, status, detail) SELECT id, $2, $4 FROM changed`,
    [id, status, extra.error ? JSON.stringify(extra.error) : null, extra.detail ?? extra.error?.detail ?? null],
  );
  return (rowCount ?? 0) > 0;
}

export async function setProgress(db: Queryable, id: string, stage: string, done: number, total: number): Promise<void> {
  await db.query(
    `UPDATE jobs SET progress_stage = $2, progress_done = $3, progress_total = $4, updated_at = now()
     WHERE id = $1 AND status = 'running'`,
    [id, stage, done, total],
  );
}

export async function setFitsTotal(db: Queryable, id: string, total: number): Promise<void> {
  await db.query('UPDATE jobs SET fits_total = $2 WHERE id = $1', [id, total]);
}

export async function jobEvents(db: Queryable, id: string): Promise<{ status: string; detail: string | null; at: Date }[]> {
  const { rows } = await db.query('SELECT status, detail, at FROM job_events WHERE job_id = $1 ORDER BY id', [id]);
  return rows;
}

export async function addExtractStats(db: Queryable, id: string, texts: number, seconds: number): Promise<void> {
  await db.query('UPDATE jobs SET extract_texts = extract_texts + $2, extract_seconds = extract_seconds + $3 WHERE id = $1', [id, texts, seconds]);
}
