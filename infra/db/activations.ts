/** Uploaded activation sets (bring your own activations). Files live under SONDE_DATA_DIR/uploads/activations/<id>/. */
import type { Queryable } from './pool.ts';

export interface ActivationSet {
  id: string;
  name: string;
  n: number;
  dim: number;
  has_labels: boolean;
  sha256: string;
  path: string;
  bytes: number;
  created_at: Date;
}

const COLUMNS = 'id, name, n, dim, has_labels, sha256, path, bytes, created_at';

export async function insertActivationSet(db: Queryable, tenantId: string, s: Omit<ActivationSet, 'created_at'>): Promise<ActivationSet> {
  const { rows } = await db.query(
    `INSERT INTO activation_sets (id, tenant_id, name, n, dim, has_labels, sha256, path, bytes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
    [s.id, tenantId, s.name, s.n, s.dim, s.has_labels, s.sha256, s.path, s.bytes],
  );
  return rows[0];
}

export async function getActivationSet(db: Queryable, tenantId: string, id: string): Promise<ActivationSet | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM activation_sets WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
  return rows[0] ?? null;
}

export async function listActivationSets(db: Queryable, tenantId: string): Promise<ActivationSet[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM activation_sets WHERE tenant_id = $1 ORDER BY created_at DESC`, [tenantId]);
  return rows;
}
