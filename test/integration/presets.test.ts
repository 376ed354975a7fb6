/**
 * Presets through HTTP (app.inject, real Postgres and Redis): GET /v1/presets, uploads of
 * the Hugging Face-shaped fixtures (test/fixtures/data/presets, made by
 * scripts/make-preset-fixtures.ts) as Parquet (base64) and as JSONL with the same dataset
 * hash, a 400 naming the missing column, and the CLI's upload body.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../http/app.ts';
import { createQueues, type Queues } from '../../infra/queue.ts';
import type { Db } from '../../infra/db/pool.ts';
import { PRESET_NAMES } from '../../lib/data/index.ts';
import { datasetUploadBody } from '../../cli/commands/client.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';

const FIXTURES = 'test/fixtures/data/presets';
const manifest = JSON.parse(fs.readFileSync(`${FIXTURES}/manifest.json`, 'utf8')) as {
  fixtures: { name: string; preset: string; rows: number; n_labelled: number; dataset_sha256: string }[];
};

const config = testConfig({ queuePrefix: `sonde-presets-test-${process.pid}` });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let tenant: { key: string; tenantId: string };

const auth = () => ({ authorization: `Bearer ${tenant.key}` });
const upload = (payload: object) => app.inject({ method: 'POST', url: '/v1/datasets', headers: auth(), payload });

before(async () => {
  db = await testDb(config);
  queues = createQueues(config.redisUrl, config.queuePrefix);
  app = await buildApp({ config, db, queues });
  tenant = await newTenant(db);
});

after(async () => {
  await app.close();
  await queues.extract.obliterate({ force: true }).catch(() => {});
  await queues.close();
  await db.end();
});

test('GET /v1/presets lists every preset with its columns and templates', async () => {
  const res = await app.inject({ method: 'GET', url: '/v1/presets', headers: auth() });
  assert.equal(res.statusCode, 200, res.body);
  assertMatchesSpec('listPresets', 200, res.json());
  const presets = res.json().presets as { name: string; templates: { id: string }[]; default_template: string }[];
  assert.deepEqual(presets.map((p) => p.name), [...PRESET_NAMES]);
  const boolq = presets.find((p) => p.name === 'boolq')!;
  assert.equal(boolq.default_template, 'boolq/farquhar-standard');
  assert.ok(boolq.templates.length >= 3);
  assert.equal((await app.inject({ method: 'GET', url: '/v1/presets' })).statusCode, 401);
});

test('each Parquet fixture uploads with its preset and hashes like its JSONL twin', async () => {
  for (const f of manifest.fixtures) {
    const parquet = fs.readFileSync(`${FIXTURES}/${f.name}.parquet`);
    const p = await upload({ name: `${f.name}-pq`, preset: f.preset, format: 'parquet', content: parquet.toString('base64'), content_encoding: 'base64' });
    assert.equal(p.statusCode, 201, p.body);
    assertMatchesSpec('uploadDataset', 201, p.json());
    const j = await upload({ name: `${f.name}-jsonl`, preset: f.preset, format: 'jsonl', content: fs.readFileSync(`${FIXTURES}/${f.name}.jsonl`, 'utf8') });
    assert.equal(j.statusCode, 201, j.body);
    for (const d of [p.json(), j.json()]) {
      assert.equal(d.sha256, f.dataset_sha256, `${f.name}: the manifest's hash`);
      assert.equal(d.preset, f.preset);
      assert.equal(d.n_items, f.rows);
      assert.equal(d.n_labelled, f.n_labelled);
    }
    assert.equal(p.json().templates[0], `${f.preset}/${p.json().templates[0].split('/')[1]}`);
    // Without a declared format the bytes say Parquet.
    const guessed = await upload({ preset: f.preset, content: parquet.toString('base64'), content_encoding: 'base64' });
    assert.equal(guessed.statusCode, 201, guessed.body);
    assert.equal(guessed.json().sha256, f.dataset_sha256);
    assert.equal(guessed.json().name, f.preset);
  }
  const list = await app.inject({ method: 'GET', url: '/v1/datasets', headers: auth() });
  assertMatchesSpec('listDatasets', 200, list.json());
  const boolq = list.json().datasets.find((d: { name: string }) => d.name === 'boolq-pq');
  assert.deepEqual(boolq.fields, ['passage', 'question']);
});

test('a job on a preset upload is accepted; wrong columns, bad base64 and text Parquet are 400s that say why', async () => {
  const ok = await upload({ name: 'boolq', preset: 'boolq', content: fs.readFileSync(`${FIXTURES}/boolq.jsonl`, 'utf8') });
  assert.equal(ok.statusCode, 201, ok.body);
  const job = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(), payload: { dataset: ok.json().id, seeds: 1, methods: ['lr'] } });
  assert.equal(job.statusCode, 202, job.body);

  const rows = fs.readFileSync(`${FIXTURES}/boolq.jsonl`, 'utf8').trim().split('\n').map((l) => {
    const { passage: _p, ...rest } = JSON.parse(l);
    return JSON.stringify(rest);
  });
  const missing = await upload({ name: 'nopassage', preset: 'boolq', content: rows.join('\n') });
  assert.equal(missing.statusCode, 400);
  assertMatchesSpec('uploadDataset', 400, missing.json());
  assert.match(missing.json().detail, /needs column "passage"/);
  assert.deepEqual(missing.json().missing_columns, ['passage']);
  assert.deepEqual(missing.json().expected_columns.map((c: { name: string }) => c.name), ['question', 'passage', 'answer']);
  assert.deepEqual(missing.json().found_columns, ['question', 'answer']);

  const unknown = await upload({ preset: 'squad', content: '{"text": "x"}' });
  assert.equal(unknown.statusCode, 400);
  assert.match(unknown.json().detail, /unknown preset "squad"; known: imdb/);
  const text = await upload({ preset: 'imdb', format: 'parquet', content: 'PAR1…' });
  assert.equal(text.statusCode, 400);
  assert.match(text.json().detail, /base64/);
  const b64 = await upload({ preset: 'imdb', content: 'not base64!', content_encoding: 'base64' });
  assert.equal(b64.statusCode, 400);
  assert.match(b64.json().detail, /not valid base64/);
  const noKind = await upload({ content: '{"text": "x"}' });
  assert.equal(noKind.statusCode, 400);
  assert.match(noKind.json().detail, /"kind".*or a "preset"/);
});

test('the CLI sends a Parquet file base64-encoded and a JSONL file as text', async () => {
  const pq = await datasetUploadBody(`${FIXTURES}/imdb.parquet`, { preset: 'imdb' });
  assert.equal(pq.format, 'parquet');
  assert.equal(pq.content_encoding, 'base64');
  assert.deepEqual(Buffer.from(pq.content as string, 'base64'), fs.readFileSync(`${FIXTURES}/imdb.parquet`));
  const res = await upload(pq);
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().name, 'imdb');
  const jl = await datasetUploadBody(`${FIXTURES}/imdb.jsonl`, { preset: 'imdb', name: 'x' });
  assert.deepEqual([jl.format, jl.content_encoding, jl.name], ['jsonl', undefined, 'x']);
  await assert.rejects(datasetUploadBody(`${FIXTURES}/imdb.jsonl`, {}), /--kind or --preset is required/);
});
