-- Admission control and bounded work (issue 12).

-- Per-tenant overrides of the job budgets (defaults: SONDE_MAX_JOB_* in infra/config.ts;
-- docs/limits.md). A NULL column means "the server default"; a tenant without a row has
-- every default. Set one by hand:
--   INSERT INTO tenant_budgets (tenant_id, max_job_cpu_seconds)
--   SELECT id, 36000 FROM tenants WHERE name = 'lab-b'
--   ON CONFLICT (tenant_id) DO UPDATE SET max_job_cpu_seconds = EXCLUDED.max_job_cpu_seconds;
-- or with `sonde budgets set --tenant lab-b --max-job-cpu-seconds 36000`.
CREATE TABLE tenant_budgets (
  tenant_id                 uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  max_job_texts             bigint CHECK (max_job_texts > 0),
  max_job_activation_bytes  bigint CHECK (max_job_activation_bytes > 0),
  max_job_fits              bigint CHECK (max_job_fits > 0),
  max_job_cpu_seconds       double precision CHECK (max_job_cpu_seconds > 0),
  max_concurrent_uploads    integer CHECK (max_concurrent_uploads > 0),
  updated_at                timestamptz NOT NULL DEFAULT now()
);

-- The sha256 of the normalised request a job was created from: the same Idempotency-Key
-- with a different body is refused (422) instead of silently answering with the first job.
-- NULL for jobs created before this migration (any body matches them).
ALTER TABLE jobs ADD COLUMN request_sha256 text CHECK (request_sha256 ~ '^[0-9a-f]{64}$');

-- What admission control estimated for the job (lib/job-cost.ts) and the warnings it gave
-- (e.g. an eval dataset whose labels are single-class), shown with the job and its results.
ALTER TABLE jobs ADD COLUMN admission jsonb;

-- What a submission needs to know of an uploaded dataset without reading its items:
-- field names, label counts per class (-1: unknown). Filled on upload; older rows get it
-- on first use.
ALTER TABLE datasets ADD COLUMN profile jsonb;
