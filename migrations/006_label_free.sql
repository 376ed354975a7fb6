-- Discovery without labels, and the known-answer laboratory (issues 10 and 11).

-- Results on unlabelled data have no accuracy: it becomes nullable. New per-probe columns:
-- the own-sign AUROC, how many test rows carried a label, how the sign was fixed, and the
-- label-free diagnostics (coverage; stability across seeds, written on every seed's row).
ALTER TABLE results ALTER COLUMN accuracy DROP NOT NULL;
ALTER TABLE results
  ADD COLUMN auroc_signed        double precision,   -- AUROC with the probe's own sign (not max over signs)
  ADD COLUMN n_test_labelled     integer,            -- test rows with a label (metrics use only these)
  ADD COLUMN sign_rule           text CHECK (sign_rule IN ('labels', 'reference', 'as-fitted', 'model')),
  ADD COLUMN coverage            double precision,   -- fraction of rows with |p̃ − ½| > 0.25
  ADD COLUMN seed_cosine         double precision,   -- mean |cos| between the seeds' directions
  ADD COLUMN seed_sign_agreement double precision,   -- fraction of seeds agreeing with the seeds' mean credence
  ADD COLUMN seed_agreement      double precision,   -- this seed's mean prediction agreement with the others
  ADD COLUMN seed_bimodal        smallint;           -- 1: the seeds split into two disagreeing groups

-- Zero-shot reads the model's output and learns no direction: no probe, no cosine.
ALTER TABLE agreements ALTER COLUMN direction_cosine DROP NOT NULL;

-- Per-row credences of every probe, one row per (layer, method, seed, control): float32
-- little-endian p̃ per pair row, and a byte per pair row for its split (0 unused, 1 train,
-- 2 test). One row per probe keeps a 32-layer × 9-method × 10-seed job on 20,000 items at
-- 2,880 rows of 80 kB (230 MB) instead of 58 M rows; STORAGE EXTERNAL skips compressing
-- float noise that does not compress. docs/credences.md has the measurements.
CREATE TABLE credences (
  job_id     uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  layer      integer NOT NULL,
  method     text NOT NULL,
  seed       integer NOT NULL,
  control    text,
  sign_rule  text NOT NULL,
  n          integer NOT NULL,
  credences  bytea NOT NULL,
  split      bytea NOT NULL,
  UNIQUE NULLS NOT DISTINCT (job_id, layer, method, seed, control)
);
ALTER TABLE credences ALTER COLUMN credences SET STORAGE EXTERNAL;
ALTER TABLE credences ALTER COLUMN split SET STORAGE EXTERNAL;

-- What the pair rows of each condition are (the same for every layer): item and template
-- per row (int32 LE), the label (int8, −1 unknown), the dataset row of each item, the
-- extra label columns, the template ids. Credences and disagreements are read against it.
CREATE TABLE credence_rows (
  job_id        uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  control       text,
  n             integer NOT NULL,
  items         bytea NOT NULL,
  templates     bytea NOT NULL,
  labels        bytea,
  dataset_rows  bytea,
  label_sets    jsonb NOT NULL DEFAULT '{}',
  template_ids  jsonb NOT NULL,
  UNIQUE NULLS NOT DISTINCT (job_id, control)
);

-- Methods that could not run on a condition (a supervised method without labelled
-- training items, zero-shot on a model without an unembedding), with the reason.
CREATE TABLE job_skips (
  job_id   uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  method   text NOT NULL,
  control  text,
  reason   text NOT NULL,
  UNIQUE NULLS NOT DISTINCT (job_id, method, control)
);

-- Best layers for the new own-sign AUROC and coverage too (migrations/005's view, widened).
CREATE OR REPLACE VIEW layer_stats AS
SELECT r.job_id, j.tenant_id, r.method, COALESCE(r.control, 'clean') AS control, r.layer, m.metric,
       count(m.value)                        AS n_seeds,
       avg(m.value)                          AS mean,
       coalesce(stddev_samp(m.value), 0)     AS std,
       min(m.value)                          AS min,
       max(m.value)                          AS max
FROM results r
JOIN jobs j ON j.id = r.job_id
CROSS JOIN LATERAL (VALUES
  ('accuracy', r.accuracy), ('accuracy_signed', r.accuracy_signed), ('auroc', r.auroc),
  ('calibrated_accuracy', r.calibrated_accuracy), ('distractor_accuracy', r.distractor_accuracy),
  ('opinion_accuracy', r.opinion_accuracy), ('auroc_signed', r.auroc_signed), ('coverage', r.coverage)
) AS m(metric, value)
WHERE r.template IS NULL AND m.value IS NOT NULL
GROUP BY r.job_id, j.tenant_id, r.method, COALESCE(r.control, 'clean'), r.layer, m.metric;

-- Metrics against every label column on every evaluation subset, one row per
-- (result, subset, label column), from results.metrics->'evaluations'.
CREATE VIEW evaluations AS
SELECT r.job_id, j.tenant_id, r.layer, r.method, r.seed, COALESCE(r.control, 'clean') AS control,
       e->>'subset' AS subset, e->>'label_set' AS label_set, (e->>'n')::int AS n,
       (e->>'accuracy')::float8 AS accuracy, (e->>'accuracy_signed')::float8 AS accuracy_signed,
       (e->>'auroc')::float8 AS auroc, (e->>'auroc_signed')::float8 AS auroc_signed
FROM results r
JOIN jobs j ON j.id = r.job_id
CROSS JOIN LATERAL jsonb_array_elements(COALESCE(r.metrics->'evaluations', '[]'::jsonb)) AS e
WHERE r.template IS NULL;

-- Mallen et al. 2023's recovered AUROC gap, per (layer, method, seed, control, label column):
--   (AUROC of the probe vs the labels on the test contexts − AUROC of the model's own output there)
--   / (AUROC of the model's output on the truthful contexts − AUROC of the model's output on the test contexts)
-- AUROCs with each probe's own sign (a probe that tracks the untruthful answer scores below ½).
-- The model's output is the zero-shot row; the truthful contexts are the evaluation subset
-- the job names in spec.elk.truthful_subset.
CREATE VIEW elk_gaps AS
SELECT p.job_id, p.tenant_id, p.layer, p.method, p.seed, p.control, p.label_set,
       p.auroc_signed AS probe_auroc, z.auroc_signed AS model_auroc, zt.auroc_signed AS model_auroc_truthful,
       (p.auroc_signed - z.auroc_signed) / NULLIF(zt.auroc_signed - z.auroc_signed, 0) AS recovered_gap
FROM evaluations p
JOIN jobs j ON j.id = p.job_id AND j.spec->'elk'->>'truthful_subset' IS NOT NULL
JOIN evaluations z ON z.job_id = p.job_id AND z.layer = p.layer AND z.seed = p.seed AND z.control = p.control
  AND z.method = 'zero-shot' AND z.subset = 'test' AND z.label_set = p.label_set
JOIN evaluations zt ON zt.job_id = p.job_id AND zt.layer = p.layer AND zt.seed = p.seed AND zt.control = p.control
  AND zt.method = 'zero-shot' AND zt.subset = j.spec->'elk'->>'truthful_subset' AND zt.label_set = p.label_set
WHERE p.subset = 'test' AND p.method <> 'zero-shot';

-- Activation sets with several layers (the planted-feature lab writes one per setting of
-- a phase diagram), extra label columns (e.g. the planted distractor bit) and a free-form
-- description of how they were made (the lab's truth/distractor strengths per layer).
ALTER TABLE activation_sets
  ADD COLUMN n_layers   integer NOT NULL DEFAULT 1 CHECK (n_layers > 0),
  ADD COLUMN label_sets jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN meta       jsonb;
