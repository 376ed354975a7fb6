-- One implementation of "best layer by mean over seeds" (issue 13), for every metric:
-- the API, the CLI, the dashboard and SQL users all read these views; nothing recomputes
-- it elsewhere. Pooled templates only (template IS NULL), control NULL read as 'clean'.

-- Per (job, method, control, layer, metric): the spread over seeds. Long format, so a new
-- metric is one more row in the VALUES list below.
CREATE VIEW layer_stats AS
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
  ('opinion_accuracy', r.opinion_accuracy)
) AS m(metric, value)
WHERE r.template IS NULL AND m.value IS NOT NULL
GROUP BY r.job_id, j.tenant_id, r.method, COALESCE(r.control, 'clean'), r.layer, m.metric;

-- The best layer per (job, method, control, metric): highest mean, ties to the lower layer.
CREATE VIEW best_layers AS
SELECT DISTINCT ON (job_id, method, control, metric)
       job_id, tenant_id, method, control, metric, layer AS best_layer, n_seeds, mean, std, min, max
FROM layer_stats
ORDER BY job_id, method, control, metric, mean DESC, layer ASC;

-- method_best_layer (migration 001, used by Grafana and SQL users) is now read off
-- best_layers, with its columns unchanged.
CREATE OR REPLACE VIEW method_best_layer AS
SELECT job_id, tenant_id, method, control, best_layer, n_seeds,
       mean AS accuracy_mean, std AS accuracy_std, min AS accuracy_min, max AS accuracy_max
FROM best_layers WHERE metric = 'accuracy';
