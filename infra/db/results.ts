/**
 * Probes and results. One fit unit (a layer of a job) is written in a single transaction
 * together with its job_fits row; when that row is the last one, the same transaction
 * marks the job completed — a job is never `completed` with partial results. Unique keys
 * make a retried unit a no-op (no duplicate rows).
 */
import type { Db, Queryable, Tx } from './pool.ts';
import { withTransaction } from './pool.ts';
import { METRIC_COLUMNS, type AgreementInput, type LayerOutcome, type ResultInput } from '../../lib/fit/types.ts';

export { METRIC_COLUMNS, type MetricColumn, type ResultInput, type AgreementInput } from '../../lib/fit/types.ts';

const int32Bytes = (a: Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const f32Bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const u8Bytes = (a: Uint8Array | Int8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

async function insertResult(tx: Tx, jobId: string, r: ResultInput): Promise<void> {
  let probeId: string | null = null;
  if (r.probe) {
    const probe = await tx.query(
      `INSERT INTO probes (job_id, layer, method, seed, control, template, dim, direction, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (job_id, layer, method, seed, control, template) DO UPDATE SET state = EXCLUDED.state
       RETURNING id`,
      [jobId, r.layer, r.method, r.seed, r.control, r.template, r.probe.dim, f32Bytes(r.probe.direction), JSON.stringify(r.probe.state)],
    );
    probeId = probe.rows[0].id;
  }
  const cols = METRIC_COLUMNS.filter((c) => r.columns[c] !== undefined);
  const values = cols.map((c) => {
    const v = r.columns[c];
    return v === null || v === undefined || !Number.isFinite(v) ? null : v;
  });
  const base = ['job_id', 'probe_id', 'layer', 'method', 'seed', 'control', 'template', 'n_train', 'n_test', 'fit_seconds', 'sign_rule', 'metrics'];
  const all = [...base, ...cols];
  const args = [jobId, probeId, r.layer, r.method, r.seed, r.control, r.template, r.n_train, r.n_test, r.fit_seconds, r.sign_rule, JSON.stringify(r.metrics), ...values];
  await tx.query(
    `INSERT INTO results (${all.join(', ')}) VALUES (${all.map((_, i) => `$${i + 1}`).join(', ')})
     ON CONFLICT (job_id, layer, method, seed, control, template) DO NOTHING`,
    args,
  );
}

/**
 * Commits one layer's results. Returns whether this commit completed the job.
 * Results of a job that was cancelled meanwhile are dropped (nothing to show for it).
 */
async function insertCredences(tx: Tx, jobId: string, out: LayerOutcome): Promise<void> {
  for (const c of out.credenceIndex) {
    await tx.query(
      `INSERT INTO credence_rows (job_id, control, n, items, templates, labels, dataset_rows, label_sets, template_ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (job_id, control) DO NOTHING`,
      [jobId, c.control, c.items.length, int32Bytes(c.items), int32Bytes(c.templates), c.labels ? u8Bytes(c.labels) : null,
        c.dataset_rows ? int32Bytes(c.dataset_rows) : null,
        JSON.stringify(Object.fromEntries(Object.entries(c.label_sets).map(([k, v]) => [k, Array.from(v)]))), JSON.stringify(c.template_ids)],
    );
  }
  for (const c of out.credences) {
    await tx.query(
      `INSERT INTO credences (job_id, layer, method, seed, control, sign_rule, n, credences, split)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (job_id, layer, method, seed, control) DO NOTHING`,
      [jobId, c.layer, c.method, c.seed, c.control, c.sign_rule, c.credences.length, f32Bytes(c.credences), u8Bytes(c.split)],
    );
  }
  for (const s of out.skipped) {
    await tx.query('INSERT INTO job_skips (job_id, method, control, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [jobId, s.method, s.control, s.reason]);
  }
}

export async function commitFitUnit(db: Db, jobId: string, layer: number, outcome: LayerOutcome): Promise<{ completed: boolean; skipped: boolean }> {
  const { results, agreements } = outcome;
  return withTransaction(db, async (tx) => {
    const job = await tx.query('SELECT status, fits_total FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
    if (!job.rows[0] || job.rows[0].status !== 'running') return { completed: false, skipped: true };
    for (const r of results) await insertResult(tx, jobId, r);
    await insertCredences(tx, jobId, outcome);
    for (const a of agreements) {
      await tx.query(
        `INSERT INTO agreements (job_id, layer, seed, control, method_a, method_b, prediction_agreement, direction_cosine)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (job_id, layer, seed, control, method_a, method_b) DO NOTHING`,
        [jobId, a.layer, a.seed, a.control, a.method_a, a.method_b, a.prediction_agreement, a.direction_cosine],
      );
    }
    await tx.query('INSERT INTO job_fits (job_id, layer) VALUES ($1, $2) ON CONFLICT DO NOTHING', [jobId, layer]);
    const done = await tx.query('SELECT count(*)::int AS n FROM job_fits WHERE job_id = $1', [jobId]);
    const total = job.rows[0].fits_total as number;
    await tx.query(
      `UPDATE jobs SET progress_stage = 'fit', progress_done = $2, progress_total = $3, updated_at = now() WHERE id = $1`,
      [jobId, done.rows[0].n, total],
    );
    if (total > 0 && done.rows[0].n >= total) {
      await tx.query(`UPDATE jobs SET status = 'completed', finished_at = now(), updated_at = now() WHERE id = $1`, [jobId]);
      await tx.query(`INSERT INTO job_events (job_id, status) VALUES ($1, 'completed')`, [jobId]);
      return { completed: true, skipped: false };
    }
    return { completed: false, skipped: false };
  });
}

export interface ResultRowOut {
  layer: number;
  method: string;
  seed: number;
  control: string | null;
  template: number | null;
  probe_id: string | null;
  n_train: number;
  n_test: number;
  fit_seconds: number;
  accuracy: number | null;
  auroc: number | null;
  metrics: Record<string, unknown>;
  [column: string]: unknown;
}

export async function listSkips(db: Queryable, jobId: string): Promise<{ method: string; control: string | null; reason: string }[]> {
  const { rows } = await db.query('SELECT method, control, reason FROM job_skips WHERE job_id = $1 ORDER BY control NULLS FIRST, method', [jobId]);
  return rows;
}

/** A position in a job's result rows: the order key of the last row of a page (unique per job). */
export type ResultKey = [control: string | null, template: number | null, method: string, layer: number, seed: number];

// The clean run (control NULL) and pooled templates (template NULL) first, as before pagination;
// coalesce makes the order a row value that keyset pagination can compare.
const RESULT_ORDER = "(coalesce(control, ''), coalesce(template, -1), method, layer, seed)";

export async function listResults(db: Queryable, jobId: string, page?: { limit: number; after?: ResultKey }): Promise<ResultRowOut[]> {
  const args: unknown[] = [jobId];
  let where = 'job_id = $1';
  if (page?.after) {
    const [control, template, method, layer, seed] = page.after;
    args.push(control ?? '', template ?? -1, method, layer, seed);
    where += ` AND ${RESULT_ORDER} > ($2::text, $3::int, $4::text, $5::int, $6::int)`;
  }
  const limit = page ? ` LIMIT ${Math.max(1, Math.floor(page.limit))}` : '';
  const { rows } = await db.query(
    `SELECT layer, method, seed, control, template, probe_id, n_train, n_test, fit_seconds, sign_rule, metrics, ${METRIC_COLUMNS.join(', ')}
     FROM results WHERE ${where} ORDER BY ${RESULT_ORDER}${limit}`,
    args,
  );
  return rows;
}

export async function listAgreements(db: Queryable, jobId: string): Promise<AgreementInput[]> {
  const { rows } = await db.query(
    `SELECT layer, seed, control, method_a, method_b, prediction_agreement, direction_cosine
     FROM agreements WHERE job_id = $1 ORDER BY layer, seed, method_a, method_b`,
    [jobId],
  );
  return rows;
}

export async function getProbe(db: Queryable, jobId: string, probeId: string) {
  const { rows } = await db.query(
    'SELECT id, layer, method, seed, control, template, dim, direction, state FROM probes WHERE job_id = $1 AND id = $2',
    [jobId, probeId],
  );
  const row = rows[0];
  if (!row) return null;
  const buf: Buffer = row.direction;
  const direction = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { ...row, direction } as {
    id: string; layer: number; method: string; seed: number; control: string | null; template: number | null;
    dim: number; direction: Float32Array; state: Record<string, unknown>;
  };
}
