/**
 * What the extract stage hands to the fit stage (migrations/004): per job and condition,
 * where its pairs' activations are in the activation store and their bookkeeping.
 */
import type { Queryable } from './pool.ts';

export interface ConditionRow {
  name: string;
  store: 'cache' | 'uploads';
  store_key: string;
  pos_side: string;
  neg_side: string;
  pos_rows: number[] | null;
  neg_rows: number[] | null;
  meta: Record<string, unknown>;
}

/** Replaces the job's conditions (a retried extract unit writes the same rows again). */
export async function replaceConditions(tx: Queryable, jobId: string, conditions: ConditionRow[]): Promise<void> {
  await tx.query('DELETE FROM job_conditions WHERE job_id = $1', [jobId]);
  for (const c of conditions) {
    await tx.query(
      `INSERT INTO job_conditions (job_id, name, store, store_key, pos_side, neg_side, pos_rows, neg_rows, meta)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [jobId, c.name, c.store, c.store_key, c.pos_side, c.neg_side, c.pos_rows, c.neg_rows, JSON.stringify(c.meta)],
    );
  }
}

export async function listConditions(db: Queryable, jobId: string): Promise<ConditionRow[]> {
  const { rows } = await db.query(
    `SELECT name, store, store_key, pos_side, neg_side, pos_rows, neg_rows, meta FROM job_conditions
     WHERE job_id = $1 ORDER BY name = 'clean' DESC, name`,
    [jobId],
  );
  return rows;
}

export async function deleteConditions(db: Queryable, jobId: string): Promise<void> {
  await db.query('DELETE FROM job_conditions WHERE job_id = $1', [jobId]);
}

/** Cache entries that jobs not yet finished still read: never evicted. */
export async function activeCacheKeys(db: Queryable): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT DISTINCT c.store_key FROM job_conditions c JOIN jobs j ON j.id = c.job_id
     WHERE c.store = 'cache' AND j.status IN ('queued', 'running')`,
  );
  return rows.map((r: { store_key: string }) => r.store_key);
}
