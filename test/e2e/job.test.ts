/**
 * End to end through HTTP: the API listening on a port, a separate worker process
 * (`sonde worker`), the real Postgres and Redis and the real default model. A job is
 * submitted, extracted, fitted, and its results are read back and checked against the
 * spec; a second job with a control and a cancellation follow.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startApi } from '../../http/server.ts';
import { upsertModel } from '../../infra/db/models.ts';
import type { Db } from '../../infra/db/pool.ts';
import { apiCaller } from '../support/http.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';

const config = testConfig({ port: 0, queuePrefix: `sonde-e2e-${process.pid}` });
let api: { url: string; close: () => Promise<void> };
let worker: ChildProcess;
let workerLog = '';
let db: Db;
let key: string;
let tenantId: string;

const call = apiCaller(() => api.url, () => key);

async function waitFor(id: string, statuses: string[], timeoutMs: number) {
  const t0 = Date.now();
  for (;;) {
    const { body } = await call('GET', `/v1/jobs/${id}`);
    if (statuses.includes(body.status)) return body;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} still ${body.status} (${JSON.stringify(body.progress)}) after ${timeoutMs} ms\nworker log:\n${workerLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

before(async () => {
  db = await testDb(config);
  ({ key, tenantId } = await newTenant(db));
  api = await startApi({ ...config, logLevel: 'warn' });
  worker = spawn(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      SONDE_QUEUE_PREFIX: config.queuePrefix,
      SONDE_DATA_DIR: config.dataDir,
      SONDE_EXTRACT_THREADS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (d) => { workerLog += d; });
  worker.stderr!.on('data', (d) => { workerLog += d; });
});

after(async () => {
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  await api.close();
  await db.end();
});

test('a default-model job runs end to end and its results match the spec', { timeout: 600_000 }, async () => {
  const submit = await call('POST', '/v1/jobs', { methods: ['ccs', 'pca', 'kmeans', 'lr'], seeds: 2, max_items: 120, controls: ['distractor', 'agreement'] });
  assert.equal(submit.status, 202, JSON.stringify(submit.body));
  const job = await waitFor(submit.body.id, ['completed', 'failed'], 540_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error) + workerLog.slice(-2000));
  assertMatchesSpec('getJob', 200, job);
  assert.deepEqual(job.history.map((h: { status: string }) => h.status), ['queued', 'running', 'completed']);

  const { status, body } = await call('GET', `/v1/jobs/${job.id}/results`);
  assert.equal(status, 200);
  assertMatchesSpec('getResults', 200, body);
  const layers = [...new Set(body.results.map((r: { layer: number }) => r.layer))];
  assert.deepEqual(layers, [0, 1], 'use-lite has two layers');
  // layers × methods × seeds × (clean + distractor), every seed kept.
  assert.equal(body.results.length, 2 * 4 * 2 * 2);
  for (const r of body.results) {
    assert.ok(r.accuracy >= 0.5 && r.accuracy <= 1, `oracle-sign accuracy in [0.5, 1]: ${r.accuracy}`);
    assert.equal(r.n_test + r.n_train <= 2 * 120, true);
    if (r.control === 'distractor') assert.equal(typeof r.distractor_accuracy, 'number');
  }
  const lr = body.summary.find((s: { method: string; control: string | null }) => s.method === 'lr' && s.control === null);
  assert.ok(lr.accuracy_mean > 0.6, `the supervised ceiling finds sentiment in use-lite: ${lr.accuracy_mean}`);
  assert.ok(body.agreements.length > 0, 'agreement control wrote method pairs');
  assert.match(body.table, /ccs/);

  const dupes = await db.query(
    'SELECT count(*)::int AS n FROM (SELECT 1 FROM results WHERE job_id = $1 GROUP BY layer, method, seed, control, template HAVING count(*) > 1) d',
    [job.id],
  );
  assert.equal(dupes.rows[0].n, 0);
  const stats = await db.query('SELECT extract_texts, extract_seconds FROM jobs WHERE id = $1', [job.id]);
  assert.ok(stats.rows[0].extract_seconds > 0 || stats.rows[0].extract_texts === 0, 'extraction throughput recorded (or all cache hits)');
  const probeId = body.results[0].probe_id;
  const probe = await call('GET', `/v1/jobs/${job.id}/probes/${probeId}`);
  assert.equal(probe.status, 200);
  assertMatchesSpec('getProbe', 200, probe.body);
});

test('a cancelled job stops and writes no results', { timeout: 300_000 }, async () => {
  const submit = await call('POST', '/v1/jobs', { methods: ['ccs'], seeds: 3 });
  assert.equal(submit.status, 202);
  await waitFor(submit.body.id, ['running', 'completed'], 120_000);
  const cancelled = await call('DELETE', `/v1/jobs/${submit.body.id}`);
  assert.equal(cancelled.body.status, 'cancelled');
  await new Promise((r) => setTimeout(r, 3_000));
  const after = await call('GET', `/v1/jobs/${submit.body.id}`);
  assert.equal(after.body.status, 'cancelled', 'a late worker never revives a cancelled job');
  const rows = await db.query('SELECT count(*)::int AS n FROM results WHERE job_id = $1', [submit.body.id]);
  assert.equal(rows.rows[0].n, 0);
});

test('a registered decoder model (HF GPT-2 export) runs through the same path, with a logit-lens readout', { timeout: 300_000 }, async () => {
  const dir = path.join(config.dataDir, 'models', 'tiny-gpt2');
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.cpSync('test/fixtures/tiny-decoder/hf-gpt2', dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'sonde.json'), 'utf8'));
  await upsertModel(db, tenantId, { name: 'tiny-gpt2', kind: 'decoder', sha256: null, path: dir, manifest, bytes: 0 });
  // A text longer than the model's context fails the job at once, as bad input (no retries).
  const long = await call('POST', '/v1/jobs', { model: 'tiny-gpt2', methods: ['pca'], seeds: 1, max_items: 200, bootstrap: 0 });
  const failed = await waitFor(long.body.id, ['completed', 'failed'], 60_000);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error.title, 'Invalid job input');
  assert.match(failed.error.detail, /tokens; model tiny-gpt2 takes at most 128/);

  const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `${['a fine', 'a dull', 'a great', 'an awful'][i % 4]} film number ${i}`, label: i % 4 === 0 || i % 4 === 2 ? 1 : 0 }));
  const ds = await call('POST', '/v1/datasets', { name: 'short', kind: 'binary', format: 'jsonl', content: lines.join('\n'), answers: ['bad', 'good'] });
  assert.equal(ds.status, 201, JSON.stringify(ds.body));
  const submit = await call('POST', '/v1/jobs', { model: 'tiny-gpt2', dataset: ds.body.id, methods: ['pca', 'lr'], seeds: 1, bootstrap: 50 });
  assert.equal(submit.status, 202, JSON.stringify(submit.body));
  const job = await waitFor(submit.body.id, ['completed', 'failed'], 240_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  const { body } = await call('GET', `/v1/jobs/${job.id}/results`);
  assert.deepEqual([...new Set(body.results.map((r: { layer: number }) => r.layer))], [0, 1, 2]);
  const probe = body.results.find((r: { method: string; layer: number }) => r.method === 'pca' && r.layer === 2);
  const lens = await call('GET', `/v1/jobs/${job.id}/probes/${probe.probe_id}/logit-lens?k=5`);
  assert.equal(lens.status, 200, JSON.stringify(lens.body));
  assertMatchesSpec('getLogitLens', 200, lens.body);
  assert.equal(lens.body.top.length, 5);
  assert.ok(lens.body.top[0].score >= lens.body.top[4].score && lens.body.top[4].score >= lens.body.bottom[0].score);

  // use-lite has no unembedding: a clear 400, not a crash.
  const other = await call('POST', '/v1/jobs', { methods: ['pca'], seeds: 1, max_items: 20, bootstrap: 0 });
  const done = await waitFor(other.body.id, ['completed', 'failed'], 120_000);
  const r2 = await call('GET', `/v1/jobs/${done.id}/results`);
  const noLens = await call('GET', `/v1/jobs/${done.id}/probes/${r2.body.results[0].probe_id}/logit-lens`);
  assert.equal(noLens.status, 400);
  assert.match(noLens.body.detail, /unembedding/);
});

test('transfer: a probe trained on one dataset is evaluated on another (eval_datasets)', { timeout: 300_000 }, async () => {
  const submit = await call('POST', '/v1/jobs', { methods: ['lr', 'pca'], seeds: 1, max_items: 80, bootstrap: 0, eval_datasets: ['sentiment-afinn'] });
  assert.equal(submit.status, 202, JSON.stringify(submit.body));
  const job = await waitFor(submit.body.id, ['completed', 'failed'], 240_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  const { body } = await call('GET', `/v1/jobs/${job.id}/results`);
  const transfer = body.results.filter((r: { control: string | null }) => r.control === 'transfer:sentiment-afinn');
  assert.equal(transfer.length, 2 * 2, 'layers × methods');
  for (const r of transfer) assert.equal(r.n_test, 80, 'every (sampled) item of the other dataset is a test pair');
  const lr = transfer.filter((r: { method: string; layer: number }) => r.method === 'lr' && r.layer === 1)[0];
  assert.ok(lr.accuracy > 0.6, `sentiment learnt on reviews transfers to AFINN sentences: ${lr.accuracy}`);
});
