/** Per-tenant storage and concurrency budgets, checked in one place for every upload and job. */
import type { Queryable } from '../infra/db/pool.ts';
import { tenantLimits, tenantStorageBytes } from '../infra/db/tenants.ts';
import { countActiveJobs } from '../infra/db/jobs.ts';
import { BadInputError, QuotaError, TooLargeError } from '../lib/errors.ts';

/** Refuses `bytes` more when they would take the tenant over its storage quota (413). */
export async function assertStorageQuota(db: Queryable, tenantId: string, bytes: number): Promise<void> {
  const { storageQuotaBytes } = await tenantLimits(db, tenantId);
  const used = await tenantStorageBytes(db, tenantId);
  if (used + bytes > storageQuotaBytes) {
    throw new TooLargeError(`storage quota exceeded (${used} of ${storageQuotaBytes} bytes used, this upload needs ${bytes})`, {
      extra: { used_bytes: used, quota_bytes: storageQuotaBytes, requested_bytes: bytes },
    });
  }
}

/**
 * Refuses `wanted` new jobs (one, or a sweep's) when they would take the tenant over its
 * quota of queued and running jobs (429); more than the quota itself can never be admitted
 * (400). Call inside the transaction that holds the tenant's submission lock, so
 * concurrent submissions cannot overshoot.
 */
export async function assertJobSlot(tx: Queryable, tenantId: string, serverMax: number, wanted = 1): Promise<void> {
  const { maxConcurrentJobs } = await tenantLimits(tx, tenantId);
  const active = await countActiveJobs(tx, tenantId);
  const max = Math.min(maxConcurrentJobs ?? serverMax, serverMax);
  if (wanted > max) {
    throw new BadInputError(`this submission needs ${wanted} jobs at once, more than the tenant's quota of ${max} queued or running jobs; split it`, {
      extra: { requested_jobs: wanted, quota_jobs: max },
    });
  }
  if (active + wanted > max) {
    const what = wanted === 1 ? '' : `; this submission needs ${wanted}`;
    throw new QuotaError(`tenant has ${active} queued or running jobs (quota ${max})${what}; wait for some to finish`, {
      extra: { active_jobs: active, quota_jobs: max, ...(wanted === 1 ? {} : { requested_jobs: wanted }) },
    });
  }
}
