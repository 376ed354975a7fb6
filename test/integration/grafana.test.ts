/**
 * The Grafana dashboard's SQL runs against the real schema: every panel query and the
 * job variable query, with $job bound to a job that has result rows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Db } from '../../infra/db/pool.ts';
import { testDb, newTenant } from '../support/env.ts';

let db: Db;
let jobId: string;

before(async () => {
  db = await testDb();
  const t = await newTenant(db);
  const job = await db.query(`INSERT INTO jobs (tenant_id, model, dataset, spec, status) VALUES ($1, 'use-lite', 'x', '{}', 'completed') RETURNING id`, [t.tenantId]);
  jobId = job.rows[0].id;
  for (const [method, layer, seed, control, template, acc] of [
    ['ccs', 0, 0, null, null, 0.7], ['ccs', 0, 1, null, null, 0.8], ['ccs', 1, 0, null, null, 0.9], ['pca', 1, 0, 'distractor', null, 0.6], ['pca', 1, 0, 'template-sensitivity', 0, 0.65],
  ] as const) {
    await db.query(
      `INSERT INTO results (job_id, layer, method, seed, control, template, n_train, n_test, accuracy, distractor_accuracy, fit_seconds, metrics)
       VALUES ($1, $2, $3, $4, $5, $6, 10, 10, $7, $8, 0.1, '{}')`,
      [jobId, layer, method, seed, control, template, acc, control === 'distractor' ? 0.95 : null],
    );
  }
});
after(async () => { await db.end(); });

test('every Grafana panel query runs and returns rows for a job with results', async () => {
  const dash = JSON.parse(fs.readFileSync('grafana/dashboards/sonde.json', 'utf8'));
  const bind = (sql: string) => sql.replaceAll('$job', jobId);
  const variable = await db.query(dash.templating.list[0].query);
  assert.ok(variable.rows.some((r: { __value: string }) => r.__value === jobId));
  for (const panel of dash.panels) {
    const { rows } = await db.query(bind(panel.targets[0].rawSql));
    assert.ok(rows.length > 0, `panel "${panel.title}" returned no rows`);
  }
  const best = await db.query(bind(dash.panels[2].targets[0].rawSql));
  const ccs = best.rows.find((r: { method: string }) => r.method === 'ccs');
  assert.equal(ccs.best_layer, 1);
});

test('the datasource provisioning points at the compose Postgres', () => {
  const yml = fs.readFileSync('grafana/provisioning/datasources/postgres.yml', 'utf8');
  assert.match(yml, /uid: sonde-postgres/);
  assert.match(yml, /database: sonde/);
});
