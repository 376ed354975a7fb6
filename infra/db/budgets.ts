/** Per-tenant overrides of the job budgets (migrations/007_admission.sql); NULL = the server default. */
import type { Queryable } from './pool.ts';

export interface BudgetOverrides {
  max_job_texts: number | null;
  max_job_activation_bytes: number | null;
  max_job_fits: number | null;
  max_job_cpu_seconds: number | null;
  max_concurrent_uploads: number | null;
}

export const BUDGET_COLUMNS = ['max_job_texts', 'max_job_activation_bytes', 'max_job_fits', 'max_job_cpu_seconds', 'max_concurrent_uploads'] as const;

export async function tenantBudgets(db: Queryable, tenantId: string): Promise<BudgetOverrides | null> {
  const { rows } = await db.query(`SELECT ${BUDGET_COLUMNS.join(', ')} FROM tenant_budgets WHERE tenant_id = $1`, [tenantId]);
  return rows[0] ?? null;
}

/** Sets the given overrides (null clears one back to the default); others are left as they are. */
export async function setTenantBudgets(db: Queryable, tenantId: string, set: Partial<BudgetOverrides>): Promise<BudgetOverrides> {
  const cols = BUDGET_COLUMNS.filter((c) => set[c] !== undefined);
  const values = cols.map((c) => set[c]);
  const { rows } = await db.query(
    `INSERT INTO tenant_budgets (tenant_id${cols.map((c) => `, ${c}`).join('')}) VALUES ($1${cols.map((_, i) => `, $${i + 2}`).join('')})
     ON CONFLICT (tenant_id) DO UPDATE SET updated_at = now()${cols.map((c) => `, ${c} = EXCLUDED.${c}`).join('')}
     RETURNING ${BUDGET_COLUMNS.join(', ')}`,
    [tenantId, ...values],
  );
  return rows[0];
}
