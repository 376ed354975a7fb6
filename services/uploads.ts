/**
 * Concurrent uploads per tenant (datasets and activation sets), counted in this API
 * process: an upload holds a slot from before its body is read until its response, and a
 * tenant over its `max_concurrent_uploads` budget gets 429 — a few large uploads at a
 * time, not a flood of them decoding at once.
 */
import type { Config } from '../infra/config.ts';
import type { Queryable } from '../infra/db/pool.ts';
import { QuotaError } from '../lib/errors.ts';
import { budgetsOf } from './admission.ts';

const inFlight = new Map<string, number>();

/** Takes one of the tenant's upload slots; the returned function gives it back (calling it again is harmless). */
export async function takeUploadSlot(deps: { config: Config; db: Queryable }, tenantId: string): Promise<() => void> {
  const { max_concurrent_uploads: max } = await budgetsOf(deps, tenantId);
  const n = inFlight.get(tenantId) ?? 0;
  if (n >= max) {
    throw new QuotaError(`the tenant has ${n} uploads in progress (limit ${max}); wait for one to finish`, { extra: { uploads_in_progress: n, limit: max } });
  }
  inFlight.set(tenantId, n + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (inFlight.get(tenantId) ?? 1) - 1;
    if (left > 0) inFlight.set(tenantId, left);
    else inFlight.delete(tenantId);
  };
}
