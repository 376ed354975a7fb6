/**
 * A finished sweep written straight into Postgres, as the API and the fit worker would
 * leave it: 2 models × 2 datasets (an upload read with the imdb preset, and the built-in
 * sentiment-afinn), the imdb jobs also scored on sentiment-afinn (transfer), every job under
 * the distractor control too; 4 methods × 4 layers × 3 seeds. For the comparisons page's
 * browser test; the numbers are dashboard-fixture.ts's, shifted per model and dataset.
 */
import type { Db } from '../../infra/db/pool.ts';
import { insertResults } from './dashboard-fixture.ts';

export const SWEEP_METHODS = ['ccs', 'pca', 'kmeans', 'random'] as const;
export const SWEEP_MODELS = ['use-lite', 'tiny-gpt2'];
const LAYERS = [0, 1, 2, 3];
const SEEDS = [0, 1, 2];

export interface SweepFixture {
  sweepId: string;
  imdbId: string;
  /** position order: use-lite × imdb, use-lite × afinn, tiny-gpt2 × imdb, tiny-gpt2 × afinn */
  jobIds: string[];
}

export async function insertFinishedSweep(db: Db, tenantId: string): Promise<SweepFixture> {
  const ds = await db.query(
    `INSERT INTO datasets (tenant_id, name, kind, sha256, n_items, has_labels, n_labelled, answers, items, preset)
     VALUES ($1, 'imdb-reviews', 'binary', repeat('a', 64), 40, true, 40, '["negative", "positive"]', '[]', 'imdb') RETURNING id`,
    [tenantId],
  );
  const imdbId: string = ds.rows[0].id;
  const datasets = [imdbId, 'sentiment-afinn'];
  const spec = {
    models: SWEEP_MODELS, datasets: datasets.map((d) => ({ dataset: d, templates: null })), transfer: [{ train: imdbId, test: 'sentiment-afinn' }],
    job: { methods: [...SWEEP_METHODS], seeds: SEEDS.length, controls: ['distractor'] }, name: 'burns-mini',
  };
  const sweep = await db.query(`INSERT INTO sweeps (tenant_id, name, spec) VALUES ($1, 'burns-mini', $2) RETURNING id`, [tenantId, JSON.stringify(spec)]);
  const sweepId: string = sweep.rows[0].id;
  const jobIds: string[] = [];
  for (const [mi, model] of SWEEP_MODELS.entries()) {
    for (const [di, dataset] of datasets.entries()) {
      const transfer = di === 0 ? ['sentiment-afinn'] : [];
      const jobSpec = { model, dataset, methods: [...SWEEP_METHODS], seeds: SEEDS.length, layers: LAYERS, controls: ['distractor'], eval_datasets: transfer };
      const job = await db.query(
        `INSERT INTO jobs (tenant_id, status, model, dataset, spec, progress_stage, progress_done, progress_total, fits_total, started_at, finished_at)
         VALUES ($1, 'completed', $2, $3, $4, 'fit', 4, 4, 4, now() - interval '2 minutes', now()) RETURNING id`,
        [tenantId, model, dataset, JSON.stringify(jobSpec)],
      );
      const jobId: string = job.rows[0].id;
      await db.query(`INSERT INTO job_events (job_id, status) VALUES ($1, 'queued'), ($1, 'running'), ($1, 'completed')`, [jobId]);
      // The bigger model a little worse, the easier dataset a little better; transfer lower still.
      const shift = -0.04 * mi + 0.03 * di;
      await insertResults(db, jobId, { methods: SWEEP_METHODS, layers: LAYERS, seeds: SEEDS, controls: [null, 'distractor'], shift });
      for (const t of transfer) await insertResults(db, jobId, { methods: SWEEP_METHODS, layers: LAYERS, seeds: SEEDS, controls: [`transfer:${t}`], shift: shift - 0.03 });
      await db.query('INSERT INTO sweep_jobs (sweep_id, position, job_id) VALUES ($1, $2, $3)', [sweepId, jobIds.length, jobId]);
      jobIds.push(jobId);
    }
  }
  return { sweepId, imdbId, jobIds };
}
