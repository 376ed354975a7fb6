/**
 * Sweeps through HTTP (app.inject, the real Postgres and Redis, no worker: a job's results
 * are written as a fit unit would write them, test/e2e/dashboard-fixture.ts). Expansion,
 * all-or-nothing admission against the quota, idempotency, aggregation of status and
 * progress, cancellation, and the results as JSON, CSV and Parquet, read back with DuckDB.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildApp } from '../../http/app.ts';
import { createQueues, type Queues } from '../../infra/queue.ts';
import type { Db } from '../../infra/db/pool.ts';
import { RESULT_EXPORT_COLUMNS } from '../../lib/report/results-export.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';
import { insertResults } from '../e2e/dashboard-fixture.ts';

const config = testConfig({ queuePrefix: `sonde-sweeps-test-${process.pid}` });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let alice: { key: string; tenantId: string };
let bob: { key: string; tenantId: string };

const call = (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, ...(payload ? { payload } : {}) });

const SWEEP = {
  name: 'reviews-afinn',
  datasets: ['sentiment-reviews', 'sentiment-afinn'],
  transfer: [{ train: 'sentiment-reviews', test: 'sentiment-afinn' }],
  methods: ['ccs', 'lr'],
  seeds: 2,
  max_items: 40,
};

before(async () => {
  db = await testDb(config);
  queues = createQueues(config.redisUrl, config.queuePrefix);
  app = await buildApp({ config, db, queues });
  alice = await newTenant(db);
  bob = await newTenant(db);
});

after(async () => {
  await app.close();
  await queues.extract.obliterate({ force: true }).catch(() => {});
  await queues.close();
  await db.end();
});

async function countJobs(tenantId: string): Promise<number> {
  return (await db.query('SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1', [tenantId])).rows[0].n;
}

/** As the fit worker leaves a finished job: result rows for every layer, then completed. */
async function finish(jobId: string, controls: (string | null)[]) {
  await insertResults(db, jobId, { methods: ['ccs', 'lr'], layers: [0, 1], seeds: [0, 1], controls });
  await db.query(`UPDATE jobs SET status = 'completed', started_at = now(), finished_at = now(), progress_stage = 'fit', progress_done = 2, progress_total = 2 WHERE id = $1`, [jobId]);
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjects().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    c.closeSync();
  }
}

let sweepId: string;
let jobIds: string[];

test('a sweep expands into ordinary queued jobs; a retry with the same key returns it', async () => {
  const res = await call(alice.key, 'POST', '/v1/sweeps', SWEEP, { 'idempotency-key': 'sweep-1' });
  assert.equal(res.statusCode, 202, res.body);
  assertMatchesSpec('createSweep', 202, res.json());
  const s = res.json();
  sweepId = s.id;
  assert.equal(res.headers.location, `/v1/sweeps/${s.id}`);
  assert.equal(s.status, 'queued');
  assert.deepEqual(s.progress, { done: 0, total: 2, fraction: 0, by_status: { queued: 2, running: 0, completed: 0, failed: 0, cancelled: 0 } });
  assert.deepEqual(s.jobs.map((j: { model: string; dataset: string; eval_datasets: string[] }) => [j.model, j.dataset, j.eval_datasets]),
    [['use-lite', 'sentiment-reviews', ['sentiment-afinn']], ['use-lite', 'sentiment-afinn', []]]);
  jobIds = s.jobs.map((j: { id: string }) => j.id);
  for (const id of jobIds) {
    const job = await call(alice.key, 'GET', `/v1/jobs/${id}`);
    assert.equal(job.statusCode, 200);
    assert.equal(job.json().status, 'queued');
    assert.deepEqual(job.json().spec.methods, ['ccs', 'lr']);
    assert.equal(job.json().spec.seeds, 2);
  }
  const queued = (await queues.extract.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.data.jobId);
  for (const id of jobIds) assert.ok(queued.includes(id), 'each job is on the extract queue');
  const again = await call(alice.key, 'POST', '/v1/sweeps', SWEEP, { 'idempotency-key': 'sweep-1' });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().id, sweepId);
  assert.equal(await countJobs(alice.tenantId), 2, 'the retry made no jobs');
  assert.equal((await call(bob.key, 'GET', `/v1/sweeps/${sweepId}`)).statusCode, 404, 'sweeps are per tenant');
});

test('one bad job refuses the whole sweep and says which; nothing is stored', async () => {
  const before = await countJobs(alice.tenantId);
  const missing = await call(alice.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-reviews', '00000000-0000-4000-8000-000000000000'] });
  assert.equal(missing.statusCode, 404);
  assertMatchesSpec('createSweep', 404, missing.json());
  assert.match(missing.json().detail, /^sweep job 1 \(model use-lite, dataset 00000000-0000-4000-8000-000000000000\): dataset .* does not exist/);
  const tmpl = await call(alice.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-reviews', 'facts-us-capitals'], templates: ['binary/it-was'] });
  assert.equal(tmpl.statusCode, 400);
  assert.match(tmpl.json().detail, /^sweep job 1 .*facts-us-capitals.*template "binary\/it-was" is for binary datasets, not statements/);
  const model = await call(alice.key, 'POST', '/v1/sweeps', { models: ['use-lite', 'gpt-17'], datasets: ['sentiment-reviews'] });
  assert.equal(model.statusCode, 404);
  assert.match(model.json().detail, /^sweep job 1 \(model gpt-17/);
  const shape = await call(alice.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-reviews'], eval_datasets: ['x'] });
  assert.equal(shape.statusCode, 400, 'eval_datasets is what transfer makes; not a sweep option');
  const pair = await call(alice.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-reviews'], transfer: [{ train: 'sentiment-afinn', test: 'sentiment-reviews' }] });
  assert.equal(pair.statusCode, 400);
  assert.match(pair.json().detail, /not among the sweep's datasets/);
  assert.equal(await countJobs(alice.tenantId), before);
});

test('a sweep needs as many free job slots as it has jobs: 429 when they are taken, 400 when it can never fit', async () => {
  const carol = await newTenant(db);
  await db.query('UPDATE tenants SET max_concurrent_jobs = 3 WHERE id = $1', [carol.tenantId]);
  const first = await call(carol.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-reviews', 'sentiment-afinn'] });
  assert.equal(first.statusCode, 202, first.body);
  const second = await call(carol.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-reviews', 'sentiment-afinn'] });
  assert.equal(second.statusCode, 429);
  assertMatchesSpec('createSweep', 429, second.json());
  assert.match(second.json().detail, /2 queued or running jobs \(quota 3\); this submission needs 2/);
  assert.deepEqual([second.json().active_jobs, second.json().quota_jobs, second.json().requested_jobs], [2, 3, 2]);
  const huge = await call(carol.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-reviews', 'sentiment-afinn', 'facts-us-capitals'], models: ['use-lite'], templates: [] });
  assert.equal(huge.statusCode, 429, 'three jobs would fit an empty quota of 3: not now, later');
  await db.query(`UPDATE jobs SET status = 'cancelled' WHERE tenant_id = $1`, [carol.tenantId]);
  const four = await call(carol.key, 'POST', '/v1/sweeps', {
    models: ['use-lite'], datasets: [{ dataset: 'sentiment-reviews' }, 'sentiment-afinn', 'facts-us-capitals', { dataset: 'sentiment-reviews-x' }],
  });
  assert.equal(four.statusCode, 400, 'an unknown dataset is refused before the quota');
  await db.query('UPDATE tenants SET max_concurrent_jobs = 1 WHERE id = $1', [carol.tenantId]);
  const never = await call(carol.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-reviews', 'sentiment-afinn'] });
  assert.equal(never.statusCode, 400);
  assert.match(never.json().detail, /needs 2 jobs at once, more than the tenant's quota of 1 .*split it/);
  assert.equal(await countJobs(carol.tenantId), 2);
});

test('status, progress and results aggregate the jobs; CSV and Parquet exports match the JSON row for row', async () => {
  await db.query(`UPDATE jobs SET status = 'running', progress_stage = 'extract', progress_done = 10, progress_total = 20 WHERE id = $1`, [jobIds[0]]);
  const running = (await call(alice.key, 'GET', `/v1/sweeps/${sweepId}`)).json();
  assertMatchesSpec('getSweep', 200, running);
  assert.equal(running.status, 'running');
  assert.equal(running.progress.fraction, 0.25 / 2);

  await finish(jobIds[0], [null, 'transfer:sentiment-afinn']);
  await finish(jobIds[1], [null]);
  const done = (await call(alice.key, 'GET', `/v1/sweeps/${sweepId}`)).json();
  assert.equal(done.status, 'completed');
  assert.deepEqual([done.progress.done, done.progress.fraction], [2, 1]);

  const res = await call(alice.key, 'GET', `/v1/sweeps/${sweepId}/results`);
  assert.equal(res.statusCode, 200);
  assertMatchesSpec('getSweepResults', 200, res.json());
  const body = res.json();
  // The sweep's rows are each job's /results rows, in order, with the sweep's context.
  const perJob = await Promise.all(jobIds.map(async (id) => (await call(alice.key, 'GET', `/v1/jobs/${id}/results`)).json()));
  const expected = perJob.flatMap((r, i) => r.results.map((x: Record<string, unknown>) => ({ ...x, job_id: jobIds[i] })));
  assert.equal(body.results.length, expected.length);
  assert.equal(expected.length, 2 * 2 * 2 * 2 + 2 * 2 * 2);
  body.results.forEach((row: Record<string, unknown>, i: number) => {
    for (const k of ['job_id', 'layer', 'method', 'seed', 'control', 'template', 'accuracy', 'auroc', 'probe_id']) assert.equal(row[k], expected[i][k], `row ${i} ${k}`);
    assert.equal(row.sweep_id, sweepId);
  });
  const transfer = body.results.filter((r: { condition: string }) => r.condition === 'transfer');
  assert.equal(transfer.length, 8);
  assert.ok(transfer.every((r: { dataset: string; eval_dataset: string }) => r.dataset === 'sentiment-reviews' && r.eval_dataset === 'sentiment-afinn'));
  // Best layers come from the view, the same as each job's /results says.
  for (const [i, r] of perJob.entries()) {
    const mine = body.best_layers.filter((b: { job_id: string }) => b.job_id === jobIds[i]).map(({ method, control, metric, best_layer, mean }: Record<string, unknown>) => ({ method, control, metric, best_layer, mean }));
    assert.deepEqual(mine, r.best_layers.map(({ method, control, metric, best_layer, mean }: Record<string, unknown>) => ({ method, control, metric, best_layer, mean })));
    for (const row of body.results.filter((x: { job_id: string; template: number | null }) => x.job_id === jobIds[i])) {
      const b = r.best_layers.find((x: { method: string; control: string | null; metric: string }) => x.method === row.method && x.control === row.control && x.metric === 'accuracy');
      assert.equal(row.is_best_layer, b.best_layer === row.layer);
    }
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-sweep-'));
  const pq = await call(alice.key, 'GET', `/v1/sweeps/${sweepId}/results?format=parquet`);
  assert.equal(pq.statusCode, 200);
  assert.equal(pq.headers['content-type'], 'application/vnd.apache.parquet');
  assert.equal(pq.headers['content-disposition'], `attachment; filename="sweep-${sweepId}.parquet"`);
  fs.writeFileSync(path.join(dir, 's.parquet'), pq.rawPayload);
  const fromParquet = await duck(`SELECT * FROM '${path.join(dir, 's.parquet')}'`);
  assert.deepEqual(fromParquet, body.results, 'DuckDB reads back exactly the JSON rows');
  const csv = await call(alice.key, 'GET', `/v1/sweeps/${sweepId}/results?format=csv`);
  assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
  assert.equal(csv.body.split('\n')[0], RESULT_EXPORT_COLUMNS.map((c) => c.name).join(','));
  fs.writeFileSync(path.join(dir, 's.csv'), csv.rawPayload);
  const types = Object.fromEntries(RESULT_EXPORT_COLUMNS.map((c) => [c.name, { string: 'VARCHAR', int32: 'INTEGER', double: 'DOUBLE', boolean: 'BOOLEAN' }[c.type]]));
  const fromCsv = await duck(`SELECT * FROM read_csv('${path.join(dir, 's.csv')}', header = true, columns = ${JSON.stringify(types).replace(/"/g, "'")})`);
  assert.deepEqual(fromCsv, body.results);

  // One job's export has the same rows (sweep_id null: a job stands on its own).
  const one = await call(alice.key, 'GET', `/v1/jobs/${jobIds[0]}/results?format=parquet`);
  assert.equal(one.statusCode, 200);
  fs.writeFileSync(path.join(dir, 'j.parquet'), one.rawPayload);
  const jobRows = await duck(`SELECT * FROM '${path.join(dir, 'j.parquet')}'`);
  assert.deepEqual(jobRows, body.results.filter((r: { job_id: string }) => r.job_id === jobIds[0]).map((r: object) => ({ ...r, sweep_id: null })));
  const bad = await call(alice.key, 'GET', `/v1/jobs/${jobIds[0]}/results?format=xlsx`);
  assert.equal(bad.statusCode, 400);
});

test('cancelling a sweep cancels its jobs that have not ended; sweeps are listed newest first', async () => {
  const res = await call(alice.key, 'POST', '/v1/sweeps', { datasets: ['sentiment-afinn'], models: ['use-lite'], seeds: 1 });
  assert.equal(res.statusCode, 202, res.body);
  const cancelled = await call(alice.key, 'DELETE', `/v1/sweeps/${res.json().id}`);
  assert.equal(cancelled.statusCode, 200);
  assertMatchesSpec('cancelSweep', 200, cancelled.json());
  assert.equal(cancelled.json().status, 'cancelled');
  assert.equal(cancelled.json().jobs[0].status, 'cancelled');
  // The completed sweep keeps its completed jobs.
  assert.equal((await call(alice.key, 'DELETE', `/v1/sweeps/${sweepId}`)).json().status, 'completed');
  const list = await call(alice.key, 'GET', '/v1/sweeps?limit=10');
  assertMatchesSpec('listSweeps', 200, list.json());
  assert.deepEqual(list.json().sweeps.map((s: { id: string }) => s.id), [res.json().id, sweepId]);
});

test('300 generated malformed sweep and upload bodies: no 5xx, every error problem+json', async () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const junk = [null, 0, -1, 1.5, '', 'x', 'all', true, [], {}, [null], [''], ['sentiment-reviews', 3], { dataset: 3 }, 'a'.repeat(300), '00000000-0000-4000-8000-000000000000'];
  const fields = ['name', 'models', 'datasets', 'transfer', 'methods', 'seeds', 'layers', 'controls', 'templates', 'max_items', 'split', 'model', 'eval_datasets', 'surprise'];
  const dataset = () => pick<unknown>(['sentiment-reviews', 'facts-us-capitals', { dataset: 'sentiment-afinn', templates: pick(junk) }, { dataset: 'x', extra: 1 }, pick(junk)]);
  const base = { datasets: ['sentiment-reviews'], models: ['use-lite'], seeds: 1 };
  for (let i = 0; i < 200; i++) {
    const body: Record<string, unknown> = { ...base };
    for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
      const f = pick(fields);
      body[f] = f === 'datasets' ? Array.from({ length: Math.floor(rnd() * 4) }, dataset)
        : f === 'transfer' ? [pick<unknown>([{ train: 'sentiment-reviews', test: pick(junk) }, { train: pick(junk), test: 'sentiment-afinn' }, pick(junk)])]
          : pick(junk);
    }
    const res = await call(alice.key, 'POST', '/v1/sweeps', body);
    assert.ok(res.statusCode < 500, `${JSON.stringify(body)} → ${res.statusCode} ${res.body}`);
    if (res.statusCode >= 400) assert.match(res.headers['content-type'] as string, /problem\+json/);
    else await call(alice.key, 'DELETE', `/v1/sweeps/${res.json().id}`);
  }
  const contents = ['', 'PAR1', 'UEFSMQ==', '////', Buffer.from('PAR1garbagePAR1').toString('base64'), Buffer.from([0xff, 0xfe, 0x00]).toString('base64'), '{"text": "x", "label": 1}'];
  for (let i = 0; i < 100; i++) {
    const body: Record<string, unknown> = { content: pick(contents) };
    if (rnd() < 0.7) body.preset = pick(['boolq', 'imdb', 'dbpedia_14', 'nope', '', 3]);
    if (rnd() < 0.5) body.content_encoding = pick(['base64', 'utf8', 'hex']);
    if (rnd() < 0.5) body.format = pick(['parquet', 'csv', 'jsonl', 'xml']);
    if (rnd() < 0.3) body.kind = pick(['binary', 'statements', 'multiclass', 'x']);
    if (rnd() < 0.2) body.answers = pick<unknown>([['a', 'b'], ['a'], 'ab']);
    const res = await call(alice.key, 'POST', '/v1/datasets', body);
    assert.ok(res.statusCode < 500, `${JSON.stringify(body)} → ${res.statusCode} ${res.body}`);
    if (res.statusCode >= 400) assert.match(res.headers['content-type'] as string, /problem\+json/);
  }
  for (const url of ['/v1/sweeps/not-a-uuid', '/v1/sweeps/00000000-0000-4000-8000-000000000000/results?format=csv', '/v1/sweeps?limit=0', `/v1/sweeps/${sweepId}/results?format=xml`]) {
    const res = await call(alice.key, 'GET', url);
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url} → ${res.statusCode}`);
  }
});
