/**
 * The one implementation of best layers (migrations/005: layer_stats, best_layers, and
 * method_best_layer read off them) against numbers numpy computed for the same per-seed
 * accuracies (test/fixtures/data/reference.json, made by test/fixtures/data/make_fixtures.py).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Db } from '../../infra/db/pool.ts';
import { bestLayersByMetric } from '../../infra/db/views.ts';
import { testDb, newTenant } from '../support/env.ts';

const ref = JSON.parse(readFileSync(new URL('../fixtures/data/reference.json', import.meta.url), 'utf8')).stats;
let db: Db;
let jobId: string;

before(async () => {
  db = await testDb();
  const t = await newTenant(db);
  jobId = (await db.query(`INSERT INTO jobs (tenant_id, model, dataset, spec, status) VALUES ($1, 'm', 'd', '{}', 'completed') RETURNING id`, [t.tenantId])).rows[0].id;
  for (const [m, method] of (ref.methods as string[]).entries()) {
    for (const [l, layer] of (ref.layers as number[]).entries()) {
      for (const [seed, acc] of (ref.accuracy[m][l] as number[]).entries()) {
        // auroc = 1 − accuracy: its best layer is the worst accuracy layer, a second metric to check.
        await db.query(
          `INSERT INTO results (job_id, layer, method, seed, n_train, n_test, accuracy, auroc, fit_seconds, metrics)
           VALUES ($1, $2, $3, $4, 10, 10, $5, $6, 0.1, '{}')`,
          [jobId, layer, method, seed, acc, 1 - acc],
        );
      }
    }
  }
});
after(async () => { await db.end(); });

test('best_layers: best layer, mean, sample std, min and max per metric match numpy', async () => {
  const rows = await bestLayersByMetric(db, [jobId]);
  for (const [m, method] of (ref.methods as string[]).entries()) {
    const acc = rows.find((r) => r.method === method && r.metric === 'accuracy')!;
    const best = ref.best_layer[m];
    assert.equal(acc.control, null);
    assert.equal(acc.best_layer, ref.layers[best]);
    assert.ok(Math.abs(acc.mean - ref.mean[m][best]) < 1e-12);
    assert.ok(Math.abs(acc.std - ref.std[m][best]) < 1e-12);
    assert.equal(acc.min, Math.min(...ref.accuracy[m][best]));
    assert.equal(acc.max, Math.max(...ref.accuracy[m][best]));
    assert.equal(acc.n_seeds, 5);
    const worst = (ref.mean[m] as number[]).indexOf(Math.min(...ref.mean[m]));
    const auroc = rows.find((r) => r.method === method && r.metric === 'auroc')!;
    assert.equal(auroc.best_layer, ref.layers[worst]);
  }
  assert.ok(!rows.some((r) => r.metric === 'distractor_accuracy'), 'a metric no row has gives no best layer');
});

test('method_best_layer keeps its columns and agrees with best_layers', async () => {
  const { rows } = await db.query('SELECT * FROM method_best_layer WHERE job_id = $1 ORDER BY method', [jobId]);
  assert.deepEqual(Object.keys(rows[0]), ['job_id', 'tenant_id', 'method', 'control', 'best_layer', 'n_seeds', 'accuracy_mean', 'accuracy_std', 'accuracy_min', 'accuracy_max']);
  const best = await bestLayersByMetric(db, [jobId]);
  for (const r of rows) {
    const b = best.find((x) => x.method === r.method && x.metric === 'accuracy')!;
    assert.equal(r.best_layer, b.best_layer);
    assert.equal(r.accuracy_mean, b.mean);
  }
});
