-- Issue 15: uploads remember the preset that mapped them, and sweeps group jobs.
-- Plain SQL: `psql "$DATABASE_URL" -f migrations/008_sweeps.sql` works by hand.

-- Datasets: the preset (lib/data/presets) an upload was read with, so a job on it resolves
-- the preset's templates; and the counts and names the API shows without loading items.
ALTER TABLE datasets ADD COLUMN preset text;
ALTER TABLE datasets ADD COLUMN n_labelled integer;
ALTER TABLE datasets ADD COLUMN fields text[] NOT NULL DEFAULT '{}';
ALTER TABLE datasets ADD COLUMN label_sets text[] NOT NULL DEFAULT '{}';
-- Uploads from before this migration: the same values, read off their stored items.
UPDATE datasets d SET
  n_labelled = (SELECT count(*) FROM jsonb_array_elements(d.items) e WHERE e ? 'label'),
  fields = coalesce((SELECT array_agg(DISTINCT k ORDER BY k) FROM jsonb_array_elements(d.items) e,
                     jsonb_object_keys(CASE WHEN jsonb_typeof(e->'fields') = 'object' THEN e->'fields' ELSE '{}' END) k), '{}'),
  label_sets = coalesce((SELECT array_agg(DISTINCT k ORDER BY k) FROM jsonb_array_elements(d.items) e,
                         jsonb_object_keys(CASE WHEN jsonb_typeof(e->'labels') = 'object' THEN e->'labels' ELSE '{}' END) k), '{}');
ALTER TABLE datasets ALTER COLUMN n_labelled SET NOT NULL;

-- A sweep: models × datasets (× transfer pairs) expanded into ordinary jobs at submission.
-- The jobs are normal jobs in every way (own id, results, never overwritten); a sweep only
-- remembers which they are and the request that made them.
CREATE TABLE sweeps (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name             text,
  spec             jsonb NOT NULL,    -- the normalised sweep request
  idempotency_key  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX sweeps_tenant_created ON sweeps (tenant_id, created_at DESC, id DESC);

CREATE TABLE sweep_jobs (
  sweep_id  uuid NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  position  integer NOT NULL,        -- expansion order: model-major, then dataset
  job_id    uuid NOT NULL UNIQUE REFERENCES jobs(id) ON DELETE CASCADE,
  PRIMARY KEY (sweep_id, position)
);

-- Best layers of every job of a sweep, read off best_layers (migrations/005, the one place
-- they are decided), with the model and dataset each job ran: the sweep's comparison grid.
CREATE VIEW sweep_best_layers AS
SELECT sj.sweep_id, sj.position, b.job_id, b.tenant_id, j.model, j.dataset, b.method, b.control, b.metric,
       b.best_layer, b.n_seeds, b.mean, b.std, b.min, b.max
FROM sweep_jobs sj
JOIN jobs j ON j.id = sj.job_id
JOIN best_layers b ON b.job_id = sj.job_id;
