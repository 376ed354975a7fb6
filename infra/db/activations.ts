/**
 * Uploaded activation sets (bring your own activations). The arrays live in the 'uploads'
 * activation store under `store_key` (sets from before migration 004: files under `path`);
 * labels, small, live in the row.
 */
import type { Queryable } from './pool.ts';
import { isUuid } from '../../lib/ids.ts';

export interface ActivationSet {
  id: string;
  name: string;
  n: number;
  dim: number;
  has_labels: boolean;
  sha256: string;
  store_key: string | null;
  /** Legacy file location (sets uploaded before the store held them). */
  path: string | null;
  bytes: number;
  /** Layers 0..n_layers−1 in the store entry (uploads have one; the planted lab may write many). */
  n_layers: number;
  /** How the set was made (the planted lab's settings per layer), or null. */
  meta: Record<string, unknown> | null;
  created_at: Date;
}

const COLUMNS = 'id, name, n, dim, has_labels, sha256, store_key, path, bytes, n_layers, meta, created_at';

export async function insertActivationSet(
  db: Queryable,
  tenantId: string,
  s: Omit<ActivationSet, 'created_at' | 'path' | 'n_layers' | 'meta'> & { labels: Int8Array | null; n_layers?: number; label_sets?: Record<string, Int8Array>; meta?: object | null },
): Promise<ActivationSet> {
  const labelSets = Object.fromEntries(Object.entries(s.label_sets ?? {}).map(([k, v]) => [k, Array.from(v)]));
  const { rows } = await db.query(
    `INSERT INTO activation_sets (id, tenant_id, name, n, dim, has_labels, sha256, store_key, labels, bytes, n_layers, label_sets, meta)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
    [s.id, tenantId, s.name, s.n, s.dim, s.has_labels, s.sha256, s.store_key, s.labels ? Array.from(s.labels) : null, s.bytes,
      s.n_layers ?? 1, JSON.stringify(labelSets), s.meta ? JSON.stringify(s.meta) : null],
  );
  return rows[0];
}

export async function getActivationSet(db: Queryable, tenantId: string, id: string): Promise<ActivationSet | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM activation_sets WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
  return rows[0] ?? null;
}

export async function activationSetLabels(db: Queryable, id: string): Promise<{ labels: number[] | null; label_sets: Record<string, number[]> }> {
  const { rows } = await db.query('SELECT labels, label_sets FROM activation_sets WHERE id = $1', [id]);
  return { labels: rows[0]?.labels ?? null, label_sets: rows[0]?.label_sets ?? {} };
}

export async function listActivationSets(db: Queryable, tenantId: string): Promise<ActivationSet[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM activation_sets WHERE tenant_id = $1 ORDER BY created_at DESC`, [tenantId]);
  return rows;
}
