/**
 * Tenants and API keys: creation (admins over HTTP, anyone with database access through
 * `sonde keys create`), listing (ids, labels, roles, dates — never secrets), verification
 * for the auth plugin, revocation (a user key cannot revoke an admin key).
 */
import type { Db, Queryable } from '../infra/db/pool.ts';
import { withTransaction } from '../infra/db/pool.ts';
import { createApiKey, createTenant, findTenant, getApiKey, listApiKeys, revokeApiKey, verifyApiKey, type ApiKeyInfo, type Principal } from '../infra/db/tenants.ts';
import { BadInputError, ForbiddenError, NotFoundError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import { labelProblem } from '../lib/text.ts';

export type { Principal };

const TENANT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export interface KeyRequest {
  tenant: string;
  role?: 'user' | 'admin';
  label?: string;
}

/** Everything checked before anything is written: a refused request creates no tenant. */
function checkKeyRequest(opts: KeyRequest): void {
  if (typeof opts.tenant !== 'string' || !TENANT_NAME.test(opts.tenant)) throw new BadInputError('tenant must be 1-64 letters, digits, ., _ or -');
  if (opts.role !== undefined && opts.role !== 'user' && opts.role !== 'admin') throw new BadInputError('role must be "user" or "admin"');
  if (opts.label !== undefined) {
    const why = typeof opts.label === 'string' ? labelProblem(opts.label) : 'must be a string';
    if (why) throw new BadInputError(`label ${why}`);
  }
}

/** A new key for `tenant` (created when missing), in one transaction. The key is returned once; only its scrypt hash is stored. */
export async function createKey(db: Db, opts: KeyRequest) {
  checkKeyRequest(opts);
  return withTransaction(db, async (tx) => {
    const tenant = await createTenant(tx, opts.tenant);
    const key = await createApiKey(tx, tenant.id, opts.role ?? 'user', opts.label);
    return { id: key.id, key: key.key, tenant: tenant.name, tenantId: tenant.id };
  });
}

/** HTTP: only admins create keys. */
export async function createKeyAs(db: Db, principal: Principal, opts: KeyRequest) {
  if (principal.role !== 'admin') throw new ForbiddenError('this operation needs an admin key');
  const { tenantId: _t, ...out } = await createKey(db, opts);
  return out;
}

const publicKey = (k: ApiKeyInfo) => ({
  id: k.id, label: k.label, role: k.role, created_at: k.created_at.toISOString(), revoked_at: k.revoked_at?.toISOString() ?? null,
});

/**
 * The keys of the caller's tenant, or (admins only) of the tenant named `tenant`, revoked
 * ones included. Ids, labels, roles and dates; never a key, a hash or a prefix.
 */
export async function listKeys(db: Queryable, principal: Principal, tenant?: string) {
  let tenantId = principal.tenantId;
  let tenantName = principal.tenantName;
  if (tenant !== undefined && tenant !== principal.tenantName) {
    if (principal.role !== 'admin') throw new ForbiddenError("listing another tenant's keys needs an admin key");
    const t = TENANT_NAME.test(tenant) ? await findTenant(db, tenant) : null;
    if (!t) throw NotFoundError.of(`tenant "${tenant}"`);
    ({ id: tenantId, name: tenantName } = t);
  }
  return { tenant: tenantName, keys: (await listApiKeys(db, tenantId)).map(publicKey) };
}

/** `sonde keys list --tenant NAME` (database access is the authority there). */
export async function tenantKeys(db: Queryable, tenant: string) {
  const t = TENANT_NAME.test(tenant) ? await findTenant(db, tenant) : null;
  if (!t) throw NotFoundError.of(`tenant "${tenant}"`);
  return { tenant: t.name, keys: (await listApiKeys(db, t.id)).map(publicKey) };
}

/** Revokes one of the tenant's keys. A user key may revoke user keys only; admin keys need an admin. */
export async function revokeKey(db: Queryable, principal: Principal, keyId: string): Promise<void> {
  const key = isUuid(keyId) ? await getApiKey(db, principal.tenantId, keyId) : null;
  if (!key || key.revoked_at) throw NotFoundError.of(`API key ${keyId}`);
  if (key.role === 'admin' && principal.role !== 'admin') throw new ForbiddenError('revoking an admin key needs an admin key');
  if (!(await revokeApiKey(db, principal.tenantId, keyId))) throw NotFoundError.of(`API key ${keyId}`);
}

export const authenticate = (db: Queryable, key: string): Promise<Principal | null> => verifyApiKey(db, key);
