-- One activation copy (issue 13): fit units read a job's contrast pairs straight from the
-- content-addressed activation store, by entry key and row indices, instead of from
-- per-job copies under SONDE_DATA_DIR/jobs/<id>/. What the extract stage hands to the fit
-- stage is therefore small bookkeeping, kept here where every worker (on any machine)
-- can read it, and removed when the job ends.
CREATE TABLE job_conditions (
  job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  name        text NOT NULL,     -- 'clean', a text-changing control, or 'transfer:<dataset>'
  -- Where the pairs' activations are: store 'cache' (extraction) or 'uploads' (an
  -- activation set), the entry key, and which side/rows of the entry are x⁺ and x⁻.
  store       text NOT NULL CHECK (store IN ('cache', 'uploads')),
  store_key   text NOT NULL CHECK (store_key ~ '^[0-9a-f]{64}$'),
  pos_side    text NOT NULL,
  neg_side    text NOT NULL,
  pos_rows    integer[],         -- NULL: all rows of the entry, in order
  neg_rows    integer[],
  meta        jsonb NOT NULL,    -- labels, templates, items, control bits, layers, dims
  PRIMARY KEY (job_id, name)
);

-- Uploaded activation sets live in the activation store (the 'uploads' store, never
-- pruned) so workers on other machines read them too; labels are small and live here.
-- Sets uploaded before this migration keep their files under `path`.
ALTER TABLE activation_sets ADD COLUMN store_key text CHECK (store_key ~ '^[0-9a-f]{64}$');
ALTER TABLE activation_sets ADD COLUMN labels smallint[];
ALTER TABLE activation_sets ALTER COLUMN path DROP NOT NULL;
