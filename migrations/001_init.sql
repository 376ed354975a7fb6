-- Sonde schema, version 1. Plain SQL: `psql "$DATABASE_URL" -f migrations/001_init.sql`
-- works as well as `npm run migrate` (which records it in schema_migrations).
-- Every tenant-owned table carries tenant_id; every query in services/db scopes by it.

CREATE EXTENSION IF NOT EXISTS pgcrypto;  -- gen_random_uuid()

CREATE TABLE tenants (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                 text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
  max_concurrent_jobs  integer NOT NULL DEFAULT 20 CHECK (max_concurrent_jobs > 0),
  storage_quota_bytes  bigint  NOT NULL DEFAULT 10737418240,
  created_at           timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored as scrypt hashes; `prefix` (the first 12 characters) finds the row.
CREATE TABLE api_keys (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  prefix      text NOT NULL UNIQUE,
  hash        text NOT NULL,
  role        text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  label       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- tenant_id NULL = built-in (visible to every tenant).
CREATE TABLE models (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('encoder', 'decoder')),
  sha256      text,
  path        text NOT NULL,
  manifest    jsonb NOT NULL,
  bytes       bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (tenant_id, name)
);

CREATE TABLE datasets (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('statements', 'binary', 'multiclass')),
  sha256      text NOT NULL,
  n_items     integer NOT NULL,
  has_labels  boolean NOT NULL,
  answers     jsonb,
  items       jsonb NOT NULL,        -- [{text, label?, choices?}], validated on upload
  bytes       bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX datasets_tenant ON datasets (tenant_id, created_at DESC);

CREATE TABLE jobs (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  status           text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  model            text NOT NULL,
  dataset          text NOT NULL,
  spec             jsonb NOT NULL,    -- the normalised request (defaults filled in)
  idempotency_key  text,
  progress_stage   text,
  progress_done    integer NOT NULL DEFAULT 0,
  progress_total   integer NOT NULL DEFAULT 0,
  fits_total       integer NOT NULL DEFAULT 0,
  error            jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at DESC, id DESC);

-- Status history: one row per transition, written in the same statement as the change.
CREATE TABLE job_events (
  id      bigserial PRIMARY KEY,
  job_id  uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  status  text NOT NULL,
  detail  text,
  at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON job_events (job_id, id);

-- One row per finished fit unit (layer); the job completes when all are present.
-- The primary key makes a retried fit idempotent.
CREATE TABLE job_fits (
  job_id  uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  layer   integer NOT NULL,
  at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, layer)
);

-- Learned probes. The direction is float32 little-endian bytes (4·d bytes) in the
-- normalised activation space; `state` holds the normaliser and method-specific state.
CREATE TABLE probes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  layer       integer NOT NULL,
  method      text NOT NULL,
  seed        integer NOT NULL,
  control     text,
  template    integer,
  dim         integer NOT NULL,
  direction   bytea NOT NULL,
  state       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (job_id, layer, method, seed, control, template)
);

-- One row per (layer, method, seed, control, template): every metric a column.
-- control NULL = clean run; template NULL = all templates pooled.
CREATE TABLE results (
  id                   bigserial PRIMARY KEY,
  job_id               uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  probe_id             uuid REFERENCES probes(id) ON DELETE SET NULL,
  layer                integer NOT NULL,
  method               text NOT NULL,
  seed                 integer NOT NULL,
  control              text,
  template             integer,
  n_train              integer NOT NULL,
  n_test               integer NOT NULL,
  accuracy             double precision NOT NULL,   -- test accuracy, oracle sign max(acc, 1-acc)
  accuracy_signed      double precision,            -- sign chosen from sign_k labelled train examples
  sign_k               integer,
  auroc                double precision,
  calibrated_accuracy  double precision,
  ece                  double precision,
  ccs_loss             double precision,
  consistency_loss     double precision,
  confidence_loss      double precision,
  accuracy_ci_low      double precision,
  accuracy_ci_high     double precision,
  auroc_ci_low         double precision,
  auroc_ci_high        double precision,
  train_accuracy       double precision,
  distractor_accuracy  double precision,            -- control 'distractor': agreement with the appended-word bit
  opinion_accuracy     double precision,            -- control 'explicit-opinion': agreement with Alice's view
  fit_seconds          double precision NOT NULL,
  metrics              jsonb NOT NULL,              -- everything above plus restarts, train metrics
  created_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (job_id, layer, method, seed, control, template)
);
CREATE INDEX results_job ON results (job_id, layer, method);

-- Control 'agreement': method × method on the same layer, seed and control.
CREATE TABLE agreements (
  job_id                uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  layer                 integer NOT NULL,
  seed                  integer NOT NULL,
  control               text,
  method_a              text NOT NULL,
  method_b              text NOT NULL,
  prediction_agreement  double precision NOT NULL,
  direction_cosine      double precision NOT NULL,
  UNIQUE NULLS NOT DISTINCT (job_id, layer, seed, control, method_a, method_b)
);

-- Views for dashboards (Grafana, SQL users). Pooled templates only (template IS NULL).

-- Accuracy-by-layer curves: mean, spread and range over seeds.
CREATE VIEW accuracy_by_layer AS
SELECT r.job_id, j.tenant_id, r.method, COALESCE(r.control, 'clean') AS control, r.layer,
       count(*)                          AS n_seeds,
       avg(r.accuracy)                   AS accuracy_mean,
       coalesce(stddev_samp(r.accuracy), 0) AS accuracy_std,
       min(r.accuracy)                   AS accuracy_min,
       max(r.accuracy)                   AS accuracy_max,
       avg(r.auroc)                      AS auroc_mean,
       avg(r.distractor_accuracy)        AS distractor_accuracy_mean,
       avg(r.opinion_accuracy)           AS opinion_accuracy_mean
FROM results r JOIN jobs j ON j.id = r.job_id
WHERE r.template IS NULL
GROUP BY r.job_id, j.tenant_id, r.method, COALESCE(r.control, 'clean'), r.layer;

-- Best layer per method (by mean accuracy over seeds; ties go to the lower layer).
CREATE VIEW method_best_layer AS
SELECT DISTINCT ON (job_id, method, control)
       job_id, tenant_id, method, control, layer AS best_layer, n_seeds,
       accuracy_mean, accuracy_std, accuracy_min, accuracy_max
FROM accuracy_by_layer
ORDER BY job_id, method, control, accuracy_mean DESC, layer ASC;

-- Every seed, with its distance from the seed mean: the spread a best-of-N hides.
CREATE VIEW seed_spread AS
SELECT r.job_id, j.tenant_id, r.method, COALESCE(r.control, 'clean') AS control, r.layer, r.seed,
       r.accuracy,
       r.accuracy - avg(r.accuracy) OVER w AS accuracy_minus_mean,
       rank() OVER (PARTITION BY r.job_id, r.method, r.control, r.layer ORDER BY r.accuracy DESC) AS rank_in_layer
FROM results r JOIN jobs j ON j.id = r.job_id
WHERE r.template IS NULL
WINDOW w AS (PARTITION BY r.job_id, r.method, r.control, r.layer);

-- Template sensitivity: per-template accuracy spread for each method and layer.
CREATE VIEW template_spread AS
SELECT r.job_id, j.tenant_id, r.method, r.layer, count(DISTINCT r.template) AS n_templates,
       avg(r.accuracy) AS accuracy_mean, coalesce(stddev_samp(r.accuracy), 0) AS accuracy_std,
       min(r.accuracy) AS accuracy_min, max(r.accuracy) AS accuracy_max
FROM results r JOIN jobs j ON j.id = r.job_id
WHERE r.template IS NOT NULL
GROUP BY r.job_id, j.tenant_id, r.method, r.layer;
