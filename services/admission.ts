/**
 * Admission control: a job is estimated at submission (lib/job-cost.ts, from what
 * services/job-checks.ts found) and refused — 413 problem+json stating each estimate and
 * its limit — when it would go over the tenant's budgets (defaults in infra/config.ts,
 * per-tenant overrides in tenant_budgets) or over what one fit child may use (its memory
 * cap and time limit, which would kill it anyway, later). docs/limits.md explains each.
 */
import type { Config } from '../infra/config.ts';
import type { Queryable } from '../infra/db/pool.ts';
import { setTenantBudgets, tenantBudgets, type BudgetOverrides } from '../infra/db/budgets.ts';
import { findTenant } from '../infra/db/tenants.ts';
import { estimateJob, type JobEstimate } from '../lib/job-cost.ts';
import type { JobSpec } from '../lib/job-spec.ts';
import { BadInputError, NotFoundError, TooLargeError } from '../lib/errors.ts';
import type { ServiceDeps } from './context.ts';
import { checkJob } from './job-checks.ts';

/** A tenant's effective budgets: its overrides, else the server defaults. */
export interface Budgets {
  max_job_texts: number;
  max_job_activation_bytes: number;
  max_job_fits: number;
  max_job_cpu_seconds: number;
  max_concurrent_uploads: number;
}

/** Limits of the machine rather than of the tenant: a fit unit over them would be killed. */
export interface FitLimits {
  fit_unit_memory_bytes: number;
  fit_unit_seconds: number;
}

export interface Admission {
  estimate: JobEstimate;
  warnings: string[];
}

export function defaultBudgets(config: Config): Budgets {
  return {
    max_job_texts: config.budgets.maxJobTexts,
    max_job_activation_bytes: config.budgets.maxJobActivationBytes,
    max_job_fits: config.budgets.maxJobFits,
    max_job_cpu_seconds: config.budgets.maxJobCpuSeconds,
    max_concurrent_uploads: config.maxConcurrentUploads,
  };
}

export const fitLimits = (config: Config): FitLimits => ({
  fit_unit_memory_bytes: config.fitMemoryMb * 2 ** 20,
  fit_unit_seconds: config.fitTimeoutS,
});

export async function budgetsOf(deps: { config: Config; db: Queryable }, tenantId: string): Promise<Budgets> {
  const base = defaultBudgets(deps.config);
  const over = await tenantBudgets(deps.db, tenantId);
  if (!over) return base;
  const out = { ...base };
  for (const k of Object.keys(base) as (keyof Budgets)[]) if (over[k] !== null && over[k] !== undefined) out[k] = Number(over[k]);
  return out;
}

/** The checks, in the order a user would fix them: what each estimate is held against. */
const CHECKS: { estimate: keyof JobEstimate; limit: keyof Budgets | keyof FitLimits; what: string; hint: string }[] = [
  { estimate: 'texts', limit: 'max_job_texts', what: 'texts through the model', hint: 'fewer items (max_items), templates, controls or eval datasets' },
  { estimate: 'activation_bytes', limit: 'max_job_activation_bytes', what: 'activation bytes', hint: 'fewer texts or layers' },
  { estimate: 'fits', limit: 'max_job_fits', what: 'fits', hint: 'fewer seeds, methods, layers, templates (template-sensitivity) or eval datasets' },
  { estimate: 'cpu_seconds', limit: 'max_job_cpu_seconds', what: 'CPU seconds of fitting', hint: 'fewer seeds, methods, items, bootstrap resamples or smaller method options (restarts, epochs)' },
  { estimate: 'fit_unit_memory_bytes', limit: 'fit_unit_memory_bytes', what: "bytes of one layer's fit (SONDE_FIT_MEMORY_MB)", hint: 'fewer items, templates, controls or eval datasets' },
  { estimate: 'fit_unit_seconds', limit: 'fit_unit_seconds', what: "seconds of one layer's fit (SONDE_FIT_TIMEOUT_S)", hint: 'fewer seeds, methods, items or bootstrap resamples' },
];

/** Throws TooLargeError (413) naming every budget the estimate goes over, with both figures as RFC 9457 extension members. */
export function assertWithinBudgets(estimate: JobEstimate, budgets: Budgets, limits: FitLimits): void {
  const all = { ...budgets, ...limits } as Record<string, number>;
  const exceeded = CHECKS.filter((c) => estimate[c.estimate] > all[c.limit]).map((c) => ({
    budget: c.limit, estimate: estimate[c.estimate], limit: all[c.limit], what: c.what, hint: c.hint,
  }));
  if (!exceeded.length) return;
  const first = exceeded[0];
  const list = exceeded.map((x) => `${x.what}: estimated ${x.estimate}, limit ${x.limit}`).join('; ');
  throw new TooLargeError(`job over budget — ${list}. Reduce it (${first.hint}) or ask an admin for a larger budget`, {
    extra: { estimate, limits: all, exceeded: exceeded.map(({ hint: _h, ...x }) => x) },
  });
}

/** Validates a normalised job against what it names, estimates it and holds it against the tenant's budgets. */
export async function admitJob(deps: Pick<ServiceDeps, 'config' | 'db'>, tenantId: string, spec: JobSpec): Promise<Admission> {
  const facts = await checkJob(deps, tenantId, spec);
  const estimate = estimateJob(spec, facts.cost);
  assertWithinBudgets(estimate, await budgetsOf(deps, tenantId), fitLimits(deps.config));
  return { estimate, warnings: facts.warnings };
}

/** What a tenant may submit: for GET /v1/limits and `sonde budgets show`. */
export async function limitsOf(deps: { config: Config; db: Queryable }, tenantId: string) {
  return { budgets: await budgetsOf(deps, tenantId), fit: fitLimits(deps.config), max_concurrent_jobs: deps.config.maxConcurrentJobsPerTenant };
}

/** `sonde budgets show|set --tenant NAME --max-job-fits N …` (database access is the authority there); an empty `set` only shows. */
export async function setBudgets(deps: { config: Config; db: Queryable }, tenant: string, set: Partial<BudgetOverrides>) {
  const t = await findTenant(deps.db, tenant);
  if (!t) throw NotFoundError.of(`tenant "${tenant}"`);
  for (const [k, v] of Object.entries(set)) {
    if (v !== null && v !== undefined && !(Number.isFinite(v) && v > 0)) throw new BadInputError(`${k} must be a positive number (or "default")`);
  }
  if (Object.keys(set).length) await setTenantBudgets(deps.db, t.id, set);
  return { tenant: t.name, ...(await limitsOf(deps, t.id)) };
}
