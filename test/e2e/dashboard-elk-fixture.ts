/**
 * A finished context-shift job written straight into Postgres, as the fit worker would
 * leave it for a quirky-model job (Mallen et al. 2023): trained on Alice's contexts, tested
 * on Bob's, with the evaluation subset `alice` (the truthful contexts, spec.elk) and the
 * extra label column `bob`; methods lr, ccs and zero-shot (the model's own output, which
 * follows Bob on the test contexts). The AUROCs are made up but shaped like theirs: probes
 * keep the truth in the middle layers and follow Bob's label late.
 */
import type { Db } from '../../infra/db/pool.ts';

export const ELK_METHODS = ['lr', 'ccs', 'zero-shot'] as const;
export const ELK_LAYERS = [0, 1, 2, 3];
export const ELK_SEEDS = [0, 1, 2];

/** AUROC with the probe's own sign of a method on a subset against a label column. */
export function fakeAuroc(method: string, layer: number, seed: number, subset: 'test' | 'alice', labelSet: 'label' | 'bob'): number {
  const jitter = ((seed * 2 + layer * 3 + method.length) % 5 - 2) * 0.01;
  if (method === 'zero-shot') {
    // The model says the truth for Alice and Bob's answer for Bob, at every layer.
    const truthful = subset === 'alice';
    return (labelSet === 'label') === truthful ? 0.97 + jitter / 2 : 0.12 + jitter;
  }
  const depth = layer / 3;
  const truth = (method === 'lr' ? 0.95 : 0.85) - (subset === 'test' ? 0.35 * depth * depth : 0) + jitter;
  return labelSet === 'label' ? truth : 1.05 - truth + jitter;
}

export async function insertElkJob(db: Db, tenantId: string): Promise<string> {
  const spec = {
    methods: [...ELK_METHODS], seeds: ELK_SEEDS.length, layers: ELK_LAYERS, controls: [],
    split: { train_where: { character: 'Alice' }, test_where: { character: 'Bob' } },
    eval_subsets: [{ name: 'alice', where: { character: 'Alice' } }], elk: { truthful_subset: 'alice' },
  };
  const job = await db.query(
    `INSERT INTO jobs (tenant_id, status, model, dataset, spec, progress_stage, progress_done, progress_total, fits_total,
                       created_at, started_at, finished_at)
     VALUES ($1, 'completed', 'quirky-facts', 'quirky-facts', $2, 'fit', $3, $3, $3, now() - interval '3 minutes', now() - interval '2 minutes', now())
     RETURNING id`,
    [tenantId, JSON.stringify(spec), ELK_LAYERS.length],
  );
  const jobId: string = job.rows[0].id;
  for (const method of ELK_METHODS) {
    for (const layer of ELK_LAYERS) {
      for (const seed of ELK_SEEDS) {
        const evaluations = (['test', 'alice'] as const).flatMap((subset) => (['label', 'bob'] as const).map((labelSet) => {
          const a = fakeAuroc(method, layer, seed, subset, labelSet);
          return { subset, label_set: labelSet, n: 100, accuracy: Math.max(a, 1 - a), accuracy_signed: a, auroc: Math.max(a, 1 - a), auroc_signed: a };
        }));
        const truth = evaluations[0];
        await db.query(
          `INSERT INTO results (job_id, layer, method, seed, control, template, n_train, n_test, accuracy, auroc, auroc_signed,
                                n_test_labelled, sign_rule, coverage, ccs_loss, fit_seconds, metrics)
           VALUES ($1, $2, $3, $4, NULL, NULL, 200, 100, $5, $6, $7, 100, $8, 0.6, 0.2, 0.01, $9)`,
          [jobId, layer, method, seed, truth.accuracy, truth.auroc, truth.auroc_signed, method === 'zero-shot' ? 'model' : 'labels', JSON.stringify({ evaluations })],
        );
      }
    }
  }
  return jobId;
}
