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
  created_at: Date;
}

const COLUMNS = 'id, name, n, dim, has_labels, sha256, store_key, path, bytes, created_at';

export async function insertActivationSet(
  db: Queryable,
  tenantId: string,
  s: Omit<ActivationSet, 'created_at' | 'path'> & { labels: Int8Array | null },
): Promise<ActivationSet> {
  const { rows } = await db.query(
    `INSERT INTO activation_sets (id, tenant_id, name, n, dim, has_labels, sha256, store_key, labels, bytes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [s.id, tenantId, s.name, s.n, s.dim, s.has_labels, s.sha256, s.store_key, s.labels ? Array.from(s.labels) : null, s.bytes],
  );
  return rows[0];
}

export async function getActivationSet(db: Queryable, tenantId: string, id: string): Promise<ActivationSet | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM activation_sets WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
  return rows[0] ?? null;
}

export async function activationSetLabels(db: Queryable, id: string): Promise<number[] | null> {
  const { rows } = await db.query('SELECT labels FROM activation_sets WHERE id = $1', [id]);
  return rows[0]?.labels ?? null;
}

export async function listActivationSets(db: Queryable, tenantId: string): Promise<ActivationSet[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM activation_sets WHERE tenant_id = $1 ORDER BY created_at DESC`, [tenantId]);
  return rows;
}
