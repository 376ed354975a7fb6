/** Aggregates over jobs and results for /metrics: one scrape of the API sees the whole fleet. */
import type { Queryable } from './pool.ts';

export async function jobsByStatus(db: Queryable): Promise<{ status: string; n: number }[]> {
  const { rows } = await db.query('SELECT status, count(*)::int AS n FROM jobs GROUP BY status');
  return rows;
}

/** Mean duration of jobs completed in the last hour, seconds. */
export async function jobDurationAvg(db: Queryable): Promise<number> {
  const { rows } = await db.query(
    `SELECT coalesce(avg(extract(epoch FROM finished_at - started_at)), 0) AS s FROM jobs
     WHERE status = 'completed' AND finished_at > now() - interval '1 hour'`,
  );
  return Number(rows[0].s);
}

/** Texts through the model per second over jobs updated in the last hour. */
export async function extractTextsPerSecond(db: Queryable): Promise<number> {
  const { rows } = await db.query(
    `SELECT coalesce(sum(extract_texts) / nullif(sum(extract_seconds), 0), 0) AS r FROM jobs
     WHERE updated_at > now() - interval '1 hour'`,
  );
  return Number(rows[0].r);
}

/** Mean fit time per method over result rows of the last hour. */
export async function fitSecondsByMethod(db: Queryable): Promise<{ method: string; s: number }[]> {
  const { rows } = await db.query(
    `SELECT method, avg(fit_seconds) AS s FROM results WHERE created_at > now() - interval '1 hour' GROUP BY method`,
  );
  return rows.map((r: { method: string; s: unknown }) => ({ method: r.method, s: Number(r.s) }));
}
