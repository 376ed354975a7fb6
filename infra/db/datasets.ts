/** Uploaded datasets (tenant-owned). Built-in datasets live in lib/data and are not stored here. */
import type { Queryable } from './pool.ts';
import { isUuid } from '../../lib/ids.ts';

export interface StoredDataset {
  id: string;
  name: string;
  kind: 'statements' | 'binary' | 'multiclass';
  sha256: string;
  n_items: number;
  has_labels: boolean;
  answers: [string, string] | null;
  bytes: number;
  created_at: Date;
}

export interface DatasetItems {
  items: { text: string; label?: 0 | 1; choices?: string[] }[];
}

const COLUMNS = 'id, name, kind, sha256, n_items, has_labels, answers, bytes, created_at';

export async function insertDataset(
  db: Queryable,
  tenantId: string,
  d: { name: string; kind: string; sha256: string; items: unknown[]; has_labels: boolean; answers?: unknown; bytes: number },
): Promise<StoredDataset> {
  const { rows } = await db.query(
    `INSERT INTO datasets (tenant_id, name, kind, sha256, n_items, has_labels, answers, items, bytes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
    [tenantId, d.name, d.kind, d.sha256, d.items.length, d.has_labels, JSON.stringify(d.answers ?? null), JSON.stringify(d.items), d.bytes],
  );
  return rows[0];
}

export async function listDatasets(db: Queryable, tenantId: string): Promise<StoredDataset[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM datasets WHERE tenant_id = $1 ORDER BY created_at DESC`, [tenantId]);
  return rows;
}

export async function getDataset(db: Queryable, tenantId: string, id: string): Promise<(StoredDataset & DatasetItems) | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS}, items FROM datasets WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
  return rows[0] ?? null;
}
