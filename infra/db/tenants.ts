/**
 * Tenants and API keys. Keys are shown once and stored as scrypt hashes (RFC 7914);
 * the first characters (`prefix`) index the row so verification hashes exactly one candidate.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Queryable } from './pool.ts';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;
const PREFIX_LEN = 14; // 'sk_' + 11 random chars

export interface Principal {
  tenantId: string;
  tenantName: string;
  role: 'user' | 'admin';
  keyId: string;
}

export async function createTenant(db: Queryable, name: string): Promise<{ id: string; name: string }> {
  const { rows } = await db.query(
    `INSERT INTO tenants (name) VALUES ($1)
     ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id, name`,
    [name],
  );
  return rows[0];
}

async function hashKey(key: string, salt: Buffer): Promise<string> {
  const derived = await scrypt(key, salt, 32);
  return `scrypt$${salt.toString('base64')}$${derived.toString('base64')}`;
}

export async function createApiKey(
  db: Queryable,
  tenantId: string,
  role: 'user' | 'admin' = 'user',
  label?: string,
): Promise<{ id: string; key: string }> {
  const key = `sk_${crypto.randomBytes(24).toString('base64url')}`;
  const hash = await hashKey(key, crypto.randomBytes(16));
  const { rows } = await db.query(
    'INSERT INTO api_keys (tenant_id, prefix, hash, role, label) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [tenantId, key.slice(0, PREFIX_LEN), hash, role, label ?? null],
  );
  return { id: rows[0].id, key };
}

export async function verifyApiKey(db: Queryable, key: string): Promise<Principal | null> {
  if (!/^sk_[A-Za-z0-9_-]{20,64}$/.test(key)) return null;
  const { rows } = await db.query(
    `SELECT k.id, k.hash, k.role, t.id AS tenant_id, t.name AS tenant_name
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
     WHERE k.prefix = $1 AND k.revoked_at IS NULL`,
    [key.slice(0, PREFIX_LEN)],
  );
  const row = rows[0];
  if (!row) return null;
  const [, salt, expected] = String(row.hash).split('$');
  const actual = (await hashKey(key, Buffer.from(salt, 'base64'))).split('$')[2];
  const a = Buffer.from(actual, 'base64');
  const b = Buffer.from(expected, 'base64');
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return null;
  return { tenantId: row.tenant_id, tenantName: row.tenant_name, role: row.role, keyId: row.id };
}

export async function revokeApiKey(db: Queryable, tenantId: string, keyId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL',
    [keyId, tenantId],
  );
  return (rowCount ?? 0) > 0;
}

/** A tenant's keys as they may be shown: never the hash, nor the prefix (part of the secret). */
export interface ApiKeyInfo {
  id: string;
  label: string | null;
  role: 'user' | 'admin';
  created_at: Date;
  revoked_at: Date | null;
}

export async function listApiKeys(db: Queryable, tenantId: string): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query(
    'SELECT id, label, role, created_at, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id',
    [tenantId],
  );
  return rows;
}

export async function getApiKey(db: Queryable, tenantId: string, keyId: string): Promise<ApiKeyInfo | null> {
  const { rows } = await db.query('SELECT id, label, role, created_at, revoked_at FROM api_keys WHERE id = $1 AND tenant_id = $2', [keyId, tenantId]);
  return rows[0] ?? null;
}

export async function findTenant(db: Queryable, name: string): Promise<{ id: string; name: string } | null> {
  const { rows } = await db.query('SELECT id, name FROM tenants WHERE name = $1', [name]);
  return rows[0] ?? null;
}

/** A tenant's budgets (migrations/001_init.sql defaults). */
export async function tenantLimits(db: Queryable, tenantId: string): Promise<{ maxConcurrentJobs: number | null; storageQuotaBytes: number }> {
  const { rows } = await db.query('SELECT max_concurrent_jobs, storage_quota_bytes FROM tenants WHERE id = $1', [tenantId]);
  return { maxConcurrentJobs: rows[0]?.max_concurrent_jobs ?? null, storageQuotaBytes: Number(rows[0]?.storage_quota_bytes ?? 0) };
}

/** Bytes a tenant stores: uploaded datasets, registered models and activation sets. */
export async function tenantStorageBytes(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await db.query(
    `SELECT coalesce(sum(bytes), 0)::bigint AS b FROM (
       SELECT bytes FROM datasets WHERE tenant_id = $1 UNION ALL SELECT bytes FROM models WHERE tenant_id = $1
       UNION ALL SELECT bytes FROM activation_sets WHERE tenant_id = $1) s`,
    [tenantId],
  );
  return Number(rows[0].b);
}

/** Serialises a tenant's submissions for the rest of the transaction (quota checks cannot race). */
export async function lockTenant(tx: Queryable, tenantId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [tenantId]);
}
