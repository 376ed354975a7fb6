/**
 * Tenants and API keys: creation (admins over HTTP, anyone with database access through
 * `sonde keys create`), verification for the auth plugin, revocation.
 */
import type { Queryable } from '../infra/db/pool.ts';
import { createApiKey, createTenant, revokeApiKey, verifyApiKey, type Principal } from '../infra/db/tenants.ts';
import { BadInputError, ForbiddenError, NotFoundError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';

export type { Principal };

const TENANT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** A new key for `tenant` (created when missing). The key is returned once; only its scrypt hash is stored. */
export async function createKey(db: Queryable, opts: { tenant: string; role?: 'user' | 'admin'; label?: string }) {
  if (!TENANT_NAME.test(opts.tenant)) throw new BadInputError('tenant must be 1-64 letters, digits, ., _ or -');
  const tenant = await createTenant(db, opts.tenant);
  const key = await createApiKey(db, tenant.id, opts.role ?? 'user', opts.label);
  return { id: key.id, key: key.key, tenant: tenant.name, tenantId: tenant.id };
}

/** HTTP: only admins create keys. */
export async function createKeyAs(db: Queryable, principal: Principal, opts: { tenant: string; role?: 'user' | 'admin'; label?: string }) {
  if (principal.role !== 'admin') throw new ForbiddenError('this operation needs an admin key');
  const { tenantId: _t, ...out } = await createKey(db, opts);
  return out;
}

export async function revokeKey(db: Queryable, principal: Principal, keyId: string): Promise<void> {
  if (!isUuid(keyId) || !(await revokeApiKey(db, principal.tenantId, keyId))) throw NotFoundError.of(`API key ${keyId}`);
}

export const authenticate = (db: Queryable, key: string): Promise<Principal | null> => verifyApiKey(db, key);
