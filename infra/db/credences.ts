/**
 * Per-row credences (migrations/006): one row per probe with p̃ of every pair row as
 * float32 bytes and each row's split as a byte, read against the condition's row index
 * (credence_rows). Keyset pagination over (layer, method, seed, control).
 */
import type { Queryable } from './pool.ts';

export interface CredenceFilter {
  layer?: number;
  method?: string;
  seed?: number;
  /** 'clean' or null for the clean run. */
  control?: string | null;
}

export interface StoredCredences {
  layer: number;
  method: string;
  seed: number;
  control: string | null;
  sign_rule: string;
  n: number;
  credences: Float32Array;
  split: Uint8Array;
}

export interface StoredCredenceRows {
  control: string | null;
  n: number;
  items: Int32Array;
  templates: Int32Array;
  labels: Int8Array | null;
  dataset_rows: Int32Array | null;
  label_sets: Record<string, number[]>;
  template_ids: string[];
}

/** A view of bytea bytes as a typed array (copied so it is aligned). */
function typed<T>(buf: Buffer | null, make: (b: ArrayBuffer) => T): T | null {
  if (!buf) return null;
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return make(copy.buffer);
}

export interface CredenceCursor {
  layer: number;
  method: string;
  seed: number;
  control: string;
}

function where(jobId: string, f: CredenceFilter, after?: CredenceCursor): { sql: string; args: unknown[] } {
  const clauses = ['job_id = $1'];
  const args: unknown[] = [jobId];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    clauses.push(sql.replace('?', `$${args.length}`));
  };
  if (f.layer !== undefined) add('layer = ?', f.layer);
  if (f.method !== undefined) add('method = ?', f.method);
  if (f.seed !== undefined) add('seed = ?', f.seed);
  if (f.control !== undefined) add("COALESCE(control, 'clean') = ?", f.control ?? 'clean');
  if (after) {
    args.push(after.layer, after.method, after.seed, after.control);
    const n = args.length;
    clauses.push(`(layer, method, seed, COALESCE(control, 'clean')) > ($${n - 3}, $${n - 2}, $${n - 1}, $${n})`);
  }
  return { sql: clauses.join(' AND '), args };
}

export async function listCredences(db: Queryable, jobId: string, f: CredenceFilter, page: { limit: number; after?: CredenceCursor }): Promise<StoredCredences[]> {
  const w = where(jobId, f, page.after);
  w.args.push(page.limit);
  const { rows } = await db.query(
    `SELECT layer, method, seed, control, sign_rule, n, credences, split FROM credences WHERE ${w.sql}
     ORDER BY layer, method, seed, COALESCE(control, 'clean') LIMIT $${w.args.length}`,
    w.args,
  );
  return rows.map((r: { credences: Buffer; split: Buffer } & Omit<StoredCredences, 'credences' | 'split'>) => ({
    ...r,
    credences: typed(r.credences, (b) => new Float32Array(b))!,
    split: typed(r.split, (b) => new Uint8Array(b))!,
  }));
}

export async function credenceRows(db: Queryable, jobId: string): Promise<StoredCredenceRows[]> {
  const { rows } = await db.query(
    'SELECT control, n, items, templates, labels, dataset_rows, label_sets, template_ids FROM credence_rows WHERE job_id = $1 ORDER BY control NULLS FIRST',
    [jobId],
  );
  return rows.map((r: Record<string, unknown>) => ({
    control: r.control as string | null,
    n: r.n as number,
    items: typed(r.items as Buffer, (b) => new Int32Array(b))!,
    templates: typed(r.templates as Buffer, (b) => new Int32Array(b))!,
    labels: typed(r.labels as Buffer | null, (b) => new Int8Array(b)),
    dataset_rows: typed(r.dataset_rows as Buffer | null, (b) => new Int32Array(b)),
    label_sets: r.label_sets as Record<string, number[]>,
    template_ids: r.template_ids as string[],
  }));
}
