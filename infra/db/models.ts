/** Registered model directories. tenant_id NULL rows are visible to every tenant. */
import type { Queryable } from './pool.ts';

export interface StoredModel {
  id: string;
  name: string;
  kind: 'encoder' | 'decoder';
  sha256: string | null;
  path: string;
  manifest: Record<string, unknown>;
  bytes: number;
  builtin: boolean;
  created_at: Date;
}

const COLUMNS = 'id, name, kind, sha256, path, manifest, bytes, tenant_id IS NULL AS builtin, created_at';

export async function upsertModel(
  db: Queryable,
  tenantId: string | null,
  m: { name: string; kind: string; sha256: string | null; path: string; manifest: object; bytes: number },
): Promise<StoredModel> {
  const { rows } = await db.query(
    `INSERT INTO models (tenant_id, name, kind, sha256, path, manifest, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, name) DO UPDATE SET kind = EXCLUDED.kind, sha256 = EXCLUDED.sha256,
       path = EXCLUDED.path, manifest = EXCLUDED.manifest, bytes = EXCLUDED.bytes
     RETURNING ${COLUMNS}`,
    [tenantId, m.name, m.kind, m.sha256, m.path, JSON.stringify(m.manifest), m.bytes],
  );
  return rows[0];
}

export async function listModels(db: Queryable, tenantId: string): Promise<StoredModel[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM models WHERE tenant_id = $1 OR tenant_id IS NULL ORDER BY tenant_id NULLS FIRST, name`,
    [tenantId],
  );
  return rows;
}

/** The tenant's own model of that name wins over a built-in one. */
export async function findModel(db: Queryable, tenantId: string, name: string): Promise<StoredModel | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM models WHERE name = $2 AND (tenant_id = $1 OR tenant_id IS NULL)
     ORDER BY tenant_id NULLS LAST LIMIT 1`,
    [tenantId, name],
  );
  return rows[0] ?? null;
}
