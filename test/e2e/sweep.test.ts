/**
 * The papers' benchmarks in, tidy data out, end to end: the API on a port, a `sonde worker`
 * process, the real Postgres, Redis and models. A Hugging Face-shaped BoolQ Parquet file
 * (test/fixtures/data/presets, scripts/make-preset-fixtures.ts) uploads with its preset and
 * runs a job on the preset's default prompt; a sweep of 2 models × 2 datasets with one
 * transfer pair runs through `sonde sweep submit --watch`, and its Parquet export, written
 * by `sonde sweep results --format parquet --out`, reads back in DuckDB row for row as the
 * jobs' /results.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startApi } from '../../http/server.ts';
import { upsertModel } from '../../infra/db/models.ts';
import type { Db } from '../../infra/db/pool.ts';
import { createStores } from '../../infra/store/index.ts';
import { activationKey, textsSha256 } from '../../infra/store/activation-store.ts';
import { hashModelDir } from '../../lib/models/model-dir.ts';
import { parseUpload, presetTemplates, renderContrastPairs } from '../../lib/data/index.ts';
import { resolveModelOffline } from '../../services/models.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';

const FIXTURES = 'test/fixtures/data/presets';
const config = testConfig({ port: 0, queuePrefix: `sonde-e2e-sweep-${process.pid}` });
let api: { url: string; close: () => Promise<void> };
let worker: ChildProcess;
let workerLog = '';
let db: Db;
let key: string;
let tenantId: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-e2e-sweep-'));

async function call(method: string, route: string, body?: unknown) {
  const res = await fetch(new URL(route, api.url), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

async function waitFor(id: string, timeoutMs: number) {
  const t0 = Date.now();
  for (;;) {
    const { body } = await call('GET', `/v1/jobs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} still ${body.status} after ${timeoutMs} ms\nworker log:\n${workerLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** `sonde ARGS` against the test API; resolves with the exit code and output. */
function sonde(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', ...args], {
      env: { ...process.env, SONDE_URL: api.url, SONDE_API_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

async function upload(file: string, preset: string) {
  const res = await call('POST', '/v1/datasets', {
    name: path.basename(file), preset, format: 'parquet', content: fs.readFileSync(file).toString('base64'), content_encoding: 'base64',
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

before(async () => {
  db = await testDb(config);
  ({ key, tenantId } = await newTenant(db));
  api = await startApi({ ...config, logLevel: 'warn' });
  worker = spawn(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', 'worker'], {
    env: { ...process.env, DATABASE_URL: config.databaseUrl, SONDE_QUEUE_PREFIX: config.queuePrefix, SONDE_DATA_DIR: config.dataDir, SONDE_EXTRACT_THREADS: '2' },
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

test('a BoolQ Parquet export uploads with its preset and a job runs on the preset\'s default prompt', { timeout: 300_000 }, async () => {
  const file = `${FIXTURES}/boolq.parquet`;
  const ds = await upload(file, 'boolq');
  assert.equal(ds.preset, 'boolq');
  assert.equal(ds.templates[0], 'boolq/farquhar-standard');
  const submit = await call('POST', '/v1/jobs', { dataset: ds.id, methods: ['lr', 'pca'], seeds: 1, bootstrap: 0 });
  assert.equal(submit.status, 202, JSON.stringify(submit.body));
  const job = await waitFor(submit.body.id, 240_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error) + workerLog.slice(-2000));
  const { body } = await call('GET', `/v1/jobs/${job.id}/results`);
  assertMatchesSpec('getResults', 200, body);
  assert.equal(body.results.length, 2 * 2, 'use-lite layers × methods');

  // The activations the job read are those of the preset's Farquhar et al. prompt: the
  // store entry for exactly those texts exists.
  const { dataset } = await parseUpload({ filename: 'boolq.parquet', content: new Uint8Array(fs.readFileSync(file)), preset: 'boolq' });
  const pairs = renderContrastPairs(dataset, [presetTemplates('boolq')[0]], { seed: 0 });
  assert.match(pairs.pos[0], /^Passage: .*\nAfter reading this passage, I have a question: .*\? True or False\? True$/s);
  const model = await resolveModelOffline(config, 'use-lite');
  const entry = activationKey({
    modelSha256: (await hashModelDir(model.dir, model.manifest)).sha256, dataSha256: textsSha256([...new Set([...pairs.pos, ...pairs.neg])]),
    template: '', pooling: model.manifest.default_pooling, dtype: 'float32',
  });
  assert.ok(await createStores(config).cache.has(entry, 0, 'texts'), 'the store holds the preset prompt\'s activations');
});

test('a sweep of 2 models × 2 datasets with a transfer pair completes; its Parquet export matches /results row for row', { timeout: 420_000 }, async () => {
  const dir = path.join(config.dataDir, 'models', 'tiny-gpt2');
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.cpSync('test/fixtures/tiny-decoder/hf-gpt2', dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'sonde.json'), 'utf8'));
  await upsertModel(db, tenantId, { name: 'tiny-gpt2', kind: 'decoder', sha256: null, path: dir, manifest, bytes: 0 });
  // The IMDb fixture is partly labelled (36 of 42), as an export of its unsupervised split would be.
  const imdb = await upload(`${FIXTURES}/imdb.parquet`, 'imdb');

  // One short prompt for every dataset: the tiny decoder's context is 128 tokens, and the
  // transfer set is then prompted exactly as its own job prompts it (one shared store entry).
  const spec = {
    name: 'e2e', models: ['use-lite', 'tiny-gpt2'], datasets: [imdb.id, 'sentiment-afinn'],
    transfer: [{ train: imdb.id, test: 'sentiment-afinn' }],
    templates: ['{{text}} The answer is {{answer}}.'], methods: ['ccs', 'lr'], seeds: 2, bootstrap: 0, max_items: 40,
  };
  fs.writeFileSync(path.join(tmp, 'sweep.json'), JSON.stringify(spec));
  const t0 = Date.now();
  const submitted = await sonde(['sweep', 'submit', '--file', path.join(tmp, 'sweep.json'), '--watch']);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(submitted.code, 0, `${submitted.out}\n${submitted.err}\n${workerLog.slice(-3000)}`);
  const sweepId = submitted.out.split('\n')[0].trim();
  assert.match(submitted.out, /best-layer accuracy/, 'the watch ends with the comparison table');
  assert.match(submitted.out, /transfer: fitted on one dataset/);
  console.log(`# sweep of 4 jobs: ${seconds.toFixed(1)} s from submission to the table (CLI start-up included)`);

  const sweep = await call('GET', `/v1/sweeps/${sweepId}`);
  assertMatchesSpec('getSweep', 200, sweep.body);
  assert.equal(sweep.body.status, 'completed');
  assert.deepEqual(sweep.body.jobs.map((j: { model: string; dataset: string; status: string }) => [j.model, j.dataset, j.status]), [
    ['use-lite', imdb.id, 'completed'], ['use-lite', 'sentiment-afinn', 'completed'],
    ['tiny-gpt2', imdb.id, 'completed'], ['tiny-gpt2', 'sentiment-afinn', 'completed'],
  ]);
  const ids: string[] = sweep.body.jobs.map((j: { id: string }) => j.id);
  assert.equal(new Set(ids).size, 4, 'four distinct jobs, none overwritten');
  // Sharing: sentiment-afinn under the shared prompt is one store entry per model, read by
  // two jobs (one as its clean set, one as its transfer set).
  assert.match(workerLog, new RegExp(`job (${ids.join('|')}) (clean|transfer:sentiment-afinn): layers .* from the activation store`));

  const file = path.join(tmp, 'sweep.parquet');
  const exported = await sonde(['sweep', 'results', sweepId, '--format', 'parquet', '--out', file]);
  assert.equal(exported.code, 0, exported.err);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const rows = (await conn.runAndReadAll(`SELECT * FROM '${file}'`)).getRowObjects().map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  conn.closeSync();

  const perJob = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/jobs/${id}/results`)).body));
  const expected = perJob.flatMap((r, i) => r.results.map((x: Record<string, unknown>) => ({ ...x, job_id: ids[i], model: sweep.body.jobs[i].model })));
  assert.equal(rows.length, expected.length);
  // Per model (use-lite 2 layers, tiny-gpt2 3) × 2 methods × 2 seeds: imdb clean, imdb → afinn, afinn clean.
  assert.equal(expected.length, 3 * (2 + 3) * 2 * 2);
  rows.forEach((row, i) => {
    const want = expected[i];
    for (const k of ['job_id', 'model', 'layer', 'method', 'seed', 'control', 'template', 'n_train', 'n_test', 'accuracy', 'accuracy_signed', 'auroc', 'ccs_loss', 'fit_seconds', 'probe_id']) {
      assert.equal(row[k], want[k] ?? null, `row ${i} ${k}`);
    }
    assert.equal(row.sweep_id, sweepId);
    assert.equal(row.condition, want.control === null ? 'clean' : 'transfer');
    assert.equal(row.eval_dataset, want.control === null ? row.dataset : 'sentiment-afinn');
  });
  const transfer = rows.filter((r) => r.condition === 'transfer');
  assert.equal(transfer.length, (2 + 3) * 2 * 2, 'imdb → afinn for both models: layers × methods × seeds');
  assert.ok(transfer.every((r) => r.dataset === imdb.id && r.dataset_name === 'imdb.parquet'));
  // The sweep's JSON results are the same rows.
  const json = await call('GET', `/v1/sweeps/${sweepId}/results`);
  assertMatchesSpec('getSweepResults', 200, json.body);
  assert.deepEqual(rows, json.body.results);
});
