/** Uploaded datasets (tenant-owned). Built-in datasets live in lib/data and are not stored here. */
import type { Queryable } from './pool.ts';
import { isUuid } from '../../lib/ids.ts';
import type { DatasetItem } from '../../lib/data/index.ts';

export interface StoredDataset {
  id: string;
  name: string;
  kind: 'statements' | 'binary' | 'multiclass';
  sha256: string;
  n_items: number;
  has_labels: boolean;
  n_labelled: number;
  answers: [string, string] | null;
  /** The preset the upload was read with (lib/data/presets), or null (migration 008). */
  preset: string | null;
  fields: string[];
  label_sets: string[];
  bytes: number;
  created_at: Date;
}

export interface DatasetItems {
  items: DatasetItem[];
}

const COLUMNS = 'id, name, kind, sha256, n_items, has_labels, n_labelled, answers, preset, fields, label_sets, bytes, created_at';

export async function insertDataset(
  db: Queryable,
  tenantId: string,
  d: {
    name: string; kind: string; sha256: string; items: unknown[]; has_labels: boolean; n_labelled: number; answers?: unknown;
    preset: string | null; fields: string[]; label_sets: string[]; bytes: number; profile?: DatasetProfile;
  },
): Promise<StoredDataset> {
  const { rows } = await db.query(
    `INSERT INTO datasets (tenant_id, name, kind, sha256, n_items, has_labels, n_labelled, answers, preset, fields, label_sets, items, bytes, profile)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${COLUMNS}`,
    [tenantId, d.name, d.kind, d.sha256, d.items.length, d.has_labels, d.n_labelled, JSON.stringify(d.answers ?? null), d.preset,
      d.fields, d.label_sets, JSON.stringify(d.items), d.bytes, d.profile ? JSON.stringify(d.profile) : null],
  );
  return rows[0];
}

/** Field names and label counts of an uploaded dataset (migrations/007); null before it was computed. */
export interface DatasetProfile {
  fields: string[];
  /** Items per primary label ("0", "1"; "-1" unknown); multiclass: the right choice's index. */
  label_counts: Record<string, number>;
}

export async function getDatasetProfile(db: Queryable, tenantId: string, id: string): Promise<(StoredDataset & { profile: DatasetProfile | null }) | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS}, profile FROM datasets WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
  return rows[0] ?? null;
}

export async function setDatasetProfile(db: Queryable, id: string, profile: DatasetProfile): Promise<void> {
  await db.query('UPDATE datasets SET profile = $2 WHERE id = $1', [id, JSON.stringify(profile)]);
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

/** The tenant's datasets among `ids` (without items): what a summary or an export's names need. */
export async function getDatasetSummaries(db: Queryable, tenantId: string, ids: string[]): Promise<StoredDataset[]> {
  const uuids = ids.filter(isUuid);
  if (!uuids.length) return [];
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM datasets WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tenantId, uuids]);
  return rows;
}
