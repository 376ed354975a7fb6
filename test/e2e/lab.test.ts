/**
 * The planted-feature lab through the service (API, workers, fit children, Postgres):
 * POST /v1/lab/planted stores a multi-layer set with its distractor label column and
 * settings; over-large and impossible requests are 413 / 400 problem+json naming the
 * limit; `sonde lab planted` does the same through the API; POST /v1/lab/phase runs the
 * phase-diagram job, and GET /v1/jobs/{id}/phase reads it back, equal to the SQL view
 * `evaluations`, with the known answers (LR on the truth everywhere, PCA on the stronger
 * feature at both ends of the sweep).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startApi } from '../../http/server.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';
import type { Db } from '../../infra/db/pool.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';

const config = testConfig({ port: 0, queuePrefix: `sonde-lab-${process.pid}`, fitConcurrency: 2 });
let api: { url: string; close: () => Promise<void> };
let workers: Workers;
let db: Db;
let key: string;
let tenantId: string;

async function call(method: string, route: string, body?: unknown) {
  const res = await fetch(new URL(route, api.url), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() };
}

async function finished(id: string) {
  for (const t0 = Date.now(); Date.now() - t0 < 240_000;) {
    const { body } = await call('GET', `/v1/jobs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`job ${id} did not finish`);
}

before(async () => {
  db = await testDb(config);
  ({ key, tenantId } = await newTenant(db));
  workers = await startWorkers(config);
  api = await startApi({ ...config, logLevel: 'warn' });
});
after(async () => {
  await api.close();
  await workers.close();
  await db.end();
});

test('POST /v1/lab/planted stores a planted set: layers, label columns, settings; limits are problem+json', { timeout: 60_000 }, async () => {
  const res = await call('POST', '/v1/lab/planted', {
    name: 'two distractors', layers: 3, d: 12, n: 100, truth_strength: [1, 1.5, 2], noise: 0.3, label_noise: 0.05,
    distractors: [{ strength: 2 }, { name: 'shed', strength: [0, 1, 2], overlap: 0.2 }], seed: 9,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assertMatchesSpec('createPlantedSet', 201, res.body);
  assert.equal(res.body.n_layers, 3);
  assert.deepEqual([res.body.n, res.body.dim, res.body.has_labels], [100, 12, true]);
  assert.deepEqual(res.body.meta.distractors, [{ name: 'distractor', overlap: 0 }, { name: 'shed', overlap: 0.2 }]);
  assert.deepEqual(res.body.meta.layers[1], { layer: 1, truth_strength: 1.5, distractor_strengths: [2, 1], noise: 0.3 });
  const { rows } = await db.query('SELECT labels, label_sets FROM activation_sets WHERE id = $1 AND tenant_id = $2', [res.body.id, tenantId]);
  assert.deepEqual(Object.keys(rows[0].label_sets).sort(), ['distractor', 'shed']);
  assert.equal(rows[0].labels.length, 100);
  assert.ok(res.body.meta.mislabelled.length === 5);

  const big = await call('POST', '/v1/lab/planted', { layers: 64, d: 4096, n: 100, truth_strength: 1 });
  assert.equal(big.status, 413);
  assert.match(big.type, /problem\+json/);
  assert.match(big.body.detail, /over the planted lab's limit of 4194304/);
  const n = await call('POST', '/v1/lab/planted', { layers: 1, d: 4, n: 50_000, truth_strength: 1 });
  assert.equal(n.status, 413);
  assert.match(n.body.detail, /limit of 20000/);
  const cramped = await call('POST', '/v1/lab/planted', { layers: 1, d: 2, n: 10, truth_strength: 1, distractors: [{ strength: 1 }, { strength: 1 }] });
  assert.equal(cramped.status, 400);
  assert.match(cramped.body.detail, /need d ≥ 3/);
  const unknown = await call('POST', '/v1/lab/planted', { layers: 1, d: 4, n: 10, truth_strength: 1, colour: 'red' });
  assert.equal(unknown.status, 400);
});

test('sonde lab planted writes a set through the API', { timeout: 60_000 }, async () => {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', 'lab', 'planted', '--layers', '2', '--d', '6', '--n', '40', '--truth', '1,2', '--distractor', '3', '--seed', '4', '--name', 'from the cli'], {
    env: { ...process.env, SONDE_URL: api.url, SONDE_API_KEY: key },
  });
  const id = stdout.split(' ')[0];
  const { rows } = await db.query('SELECT name, n, dim, n_layers, meta FROM activation_sets WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  assert.deepEqual([rows[0].name, rows[0].n, rows[0].dim, rows[0].n_layers], ['from the cli', 40, 6, 2]);
  assert.deepEqual(rows[0].meta.layers.map((l: { truth_strength: number }) => l.truth_strength), [1, 2]);
  assert.match(stdout, /label columns: label, distractor/);
});

test('the phase-diagram job: results read back as the diagram, equal to SQL, with the known answers', { timeout: 300_000 }, async () => {
  const ratios = [0, 0.5, 2, 3];
  const sub = await call('POST', '/v1/lab/phase', { ratios, n: 200, d: 8, seeds: 2, methods: ['pca', 'ccs', 'lr'], method_options: { ccs: { restarts: 3 } } });
  assert.equal(sub.status, 202, JSON.stringify(sub.body));
  assertMatchesSpec('submitPhaseJob', 202, sub.body);
  assert.deepEqual(sub.body.activation_set.meta.axis, { name: 'distractor / truth strength', values: ratios });
  const job = await finished(sub.body.job.id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));

  const res = await call('GET', `/v1/jobs/${job.id}/phase`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assertMatchesSpec('getPhaseDiagram', 200, res.body);
  assert.deepEqual(res.body.axis.values, ratios);
  assert.deepEqual(res.body.methods.map((m: { method: string }) => m.method), ['pca', 'ccs', 'lr']);
  const { rows } = await db.query(
    `SELECT method, layer, label_set, avg(accuracy) AS mean, count(*)::int AS n FROM evaluations
     WHERE job_id = $1 AND control = 'clean' AND subset = 'test' GROUP BY method, layer, label_set`, [job.id]);
  assert.equal(rows.length, 3 * ratios.length * 2);
  for (const r of rows) {
    const point = res.body.methods.find((m: { method: string }) => m.method === r.method).points[r.layer];
    const stat = r.label_set === 'label' ? point.truth : point.distractor;
    assert.ok(Math.abs(stat.mean - r.mean) < 1e-9, `${r.method} L${r.layer} ${r.label_set}: ${stat.mean} vs SQL ${r.mean}`);
    assert.equal(stat.n_seeds, 2);
  }
  const at = (method: string, layer: number) => res.body.methods.find((m: { method: string }) => m.method === method).points[layer];
  for (let l = 0; l < ratios.length; l++) assert.ok(at('lr', l).truth.mean >= 0.85, `lr truth at r=${ratios[l]}: ${at('lr', l).truth.mean}`);
  assert.ok(at('pca', 0).truth.mean >= 0.8, `pca truth at r=0: ${at('pca', 0).truth.mean}`);
  assert.ok(at('pca', 3).distractor.mean >= 0.9 && at('pca', 3).truth.mean < 0.7, `pca at r=3: ${JSON.stringify(at('pca', 3))}`);
  const pcaFlip = res.body.methods[0].flip;
  assert.ok(pcaFlip.at > 0.5 && pcaFlip.at < 2, `pca flips between the settings around 1: ${JSON.stringify(pcaFlip)}`);
  assert.equal(res.body.methods[2].flip.at, null, 'lr never flips');

  // A job on a set without an axis has no diagram, and says so.
  const flat = await call('POST', '/v1/lab/planted', { layers: 1, d: 4, n: 20, truth_strength: 1, distractors: [{ strength: 1 }] });
  const plain = await call('POST', '/v1/jobs', { activations: flat.body.id, methods: ['pca'], seeds: 1, bootstrap: 0 });
  assert.equal(plain.status, 202, JSON.stringify(plain.body));
  const none = await call('GET', `/v1/jobs/${plain.body.id}/phase`);
  assert.equal(none.status, 200);
  assert.deepEqual([none.body.axis, none.body.methods], [null, []]);
  await finished(plain.body.id);
  const missing = await call('GET', '/v1/jobs/00000000-0000-4000-8000-000000000000/phase');
  assert.equal(missing.status, 404);
});
