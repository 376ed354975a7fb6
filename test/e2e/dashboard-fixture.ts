/**
 * A finished job written straight into Postgres (jobs, job_events, probes, results), as
 * the fit worker would leave it: 4 methods × 4 layers × 3 seeds, clean and under the
 * distractor and explicit-opinion controls, so the dashboard tests need no worker or model.
 * The numbers are made up but shaped like the papers' (CCS rising with depth, random flat).
 */
import type { Db } from '../../infra/db/pool.ts';

export const METHODS = ['ccs', 'pca', 'kmeans', 'random'] as const;
export const LAYERS = [0, 1, 2, 3];
export const SEEDS = [0, 1, 2];
export const CONTROLS = [null, 'distractor', 'explicit-opinion'] as const;
const DIM = 8;

/** Deterministic accuracy in [0.5, 1] for a cell; seeds differ so the bands have width. */
export function fakeAccuracy(method: string, layer: number, seed: number, control: string | null): number {
  const base = { ccs: 0.62 + 0.08 * layer, pca: 0.58 + 0.07 * layer, kmeans: 0.55 + 0.05 * layer, random: 0.52 }[method] ?? 0.5;
  const jitter = (((seed * 7 + layer * 3 + method.length) % 5) - 2) * 0.015;
  const shift = control === null ? 0 : -0.05;
  return Math.min(1, Math.max(0.5, base + jitter + shift));
}

/** Agreement with the planted feature: high for CCS, as Farquhar et al. 2023 (§4.1) found. */
export function fakePlanted(method: string, layer: number, seed: number): number {
  return Math.min(1, 0.6 + (method === 'ccs' ? 0.08 : 0.02) * layer + 0.01 * seed);
}

/** Pairs that include the random baseline agree near chance; the others more with depth. */
export function fakeAgreement(a: string, b: string, layer: number, seed: number): number {
  return a === 'random' || b === 'random' ? 0.5 + 0.01 * seed : Math.min(1, 0.7 + 0.07 * layer + 0.01 * seed);
}

export async function insertFinishedJob(db: Db, tenantId: string): Promise<string> {
  const spec = { methods: [...METHODS], seeds: SEEDS.length, layers: LAYERS, controls: ['distractor', 'explicit-opinion'] };
  const job = await db.query(
    `INSERT INTO jobs (tenant_id, status, model, dataset, spec, progress_stage, progress_done, progress_total, fits_total,
                       created_at, started_at, finished_at)
     VALUES ($1, 'completed', 'use-lite', 'imdb-mini', $2, 'fit', $3, $3, $3, now() - interval '5 minutes', now() - interval '4 minutes', now())
     RETURNING id`,
    [tenantId, JSON.stringify(spec), LAYERS.length],
  );
  const jobId: string = job.rows[0].id;
  for (const status of ['queued', 'running', 'completed']) {
    await db.query('INSERT INTO job_events (job_id, status) VALUES ($1, $2)', [jobId, status]);
  }
  await insertResults(db, jobId, { methods: METHODS, layers: LAYERS, seeds: SEEDS, controls: CONTROLS });
  // The 'template-sensitivity' control: two templates, each fitted on its own.
  await insertResults(db, jobId, { methods: METHODS, layers: LAYERS, seeds: SEEDS, controls: ['template-sensitivity'], templates: [0, 1] });
  // The 'agreement' control, clean prompts: every pair of methods at every layer and seed.
  for (const [i, a] of METHODS.entries()) {
    for (const b of METHODS.slice(i + 1)) {
      for (const layer of LAYERS) {
        for (const seed of SEEDS) {
          await db.query(
            `INSERT INTO agreements (job_id, layer, seed, control, method_a, method_b, prediction_agreement, direction_cosine)
             VALUES ($1, $2, $3, NULL, $4, $5, $6, $7)`,
            [jobId, layer, seed, a, b, fakeAgreement(a, b, layer, seed), fakeAgreement(a, b, layer, seed) - 0.2],
          );
        }
      }
    }
  }
  return jobId;
}

/** Probe and result rows, one per condition × method × layer × seed, as a fit unit commits them. */
export async function insertResults(
  db: Db,
  jobId: string,
  grid: { methods: readonly string[]; layers: readonly number[]; seeds: readonly number[]; controls: readonly (string | null)[]; templates?: readonly number[]; shift?: number },
): Promise<void> {
  const cells = (grid.templates ?? [null]).flatMap((template) => grid.controls.flatMap((control) => grid.methods.flatMap((method) =>
    grid.layers.flatMap((layer) => grid.seeds.map((seed) => ({ template, control, method, layer, seed }))))));
  for (const { template, control, method, layer, seed } of cells) {
    const direction = Buffer.from(new Float32Array(DIM).map((_, i) => Math.sin(i + layer + seed)).buffer);
    const probe = await db.query(
      `INSERT INTO probes (job_id, layer, method, seed, control, template, dim, direction, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}') RETURNING id`,
      [jobId, layer, method, seed, control, template, DIM, direction],
    );
    // Templates differ by a few points: the spread the template-sensitivity control shows.
    // `shift` moves a whole job up or down (the comparisons page shows several).
    const accuracy = Math.min(1, Math.max(0.5, fakeAccuracy(method, layer, seed, control) - 0.04 * (template ?? 0) + (grid.shift ?? 0)));
    await db.query(
      `INSERT INTO results (job_id, probe_id, layer, method, seed, control, template, n_train, n_test, accuracy,
                            accuracy_signed, auroc, distractor_accuracy, opinion_accuracy, fit_seconds, metrics)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 80, 40, $8, $9, $10, $11, $12, 0.01, '{}')`,
      [jobId, probe.rows[0].id, layer, method, seed, control, template, accuracy, accuracy - 0.01, Math.min(1, accuracy + 0.02),
        control === 'distractor' ? fakePlanted(method, layer, seed) : null,
        control === 'explicit-opinion' ? fakePlanted(method, layer, seed) : null],
    );
  }
}

/** A job in the middle of extraction, for the live-status checks. */
export async function insertRunningJob(db: Db, tenantId: string): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO jobs (tenant_id, status, model, dataset, spec, progress_stage, progress_done, progress_total, started_at)
     VALUES ($1, 'running', 'use-lite', 'boolq-mini', $2, 'extract', 30, 120, now()) RETURNING id`,
    [tenantId, JSON.stringify({ methods: ['ccs', 'lr'], seeds: 2 })],
  );
  return rows[0].id;
}
