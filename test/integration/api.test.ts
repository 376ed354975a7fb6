/**
 * The REST API against the real Postgres and Redis (app.inject, no listening socket):
 * validation against openapi.yaml, problem+json errors, auth, tenancy, idempotency,
 * pagination, cancellation, uploads. Every response is checked against the spec.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../http/app.ts';
import { createQueues, type Queues } from '../../infra/queue.ts';
import type { Db } from '../../infra/db/pool.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';

const config = testConfig({ queuePrefix: `sonde-api-test-${process.pid}` });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let alice: { key: string; tenantId: string };
let bob: { key: string; tenantId: string };

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

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
  await queues.fit.obliterate({ force: true }).catch(() => {});
  await queues.close();
  await db.end();
});

test('healthz and readyz answer per the spec', async () => {
  const h = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(h.statusCode, 200);
  assertMatchesSpec('healthz', 200, h.json());
  const r = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(r.statusCode, 200, r.body);
  assertMatchesSpec('readyz', 200, r.json());
  assert.deepEqual(r.json().checks, { postgres: 'ok', redis: 'ok' });
});

test('requests without a valid key get 401 problem+json', async () => {
  for (const headers of [{}, { authorization: 'Bearer sk_nope_nope_nope_nope_nope_nope' }, { authorization: 'Basic abc' }]) {
    const res = await app.inject({ method: 'GET', url: '/v1/jobs', headers });
    assert.equal(res.statusCode, 401);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    assertMatchesSpec('listJobs', 401, res.json());
  }
});

test('job requests are validated against openapi.yaml with clear details', async () => {
  const cases: [unknown, RegExp][] = [
    [{ methods: ['ccs', 'telepathy'] }, /methods/],
    [{ seeds: 0 }, /seeds/],
    [{ seeds: '5' }, /seeds/],
    [{ surprise: true }, /surprise/],
    [{ layers: [0, 0] }, /layers must not repeat/],
    [{ split: { train: 0.8, test: 0.5 } }, /sum to at most 1/],
    [{ dataset: 'no-such-dataset' }, /neither a built-in/],
    [{ controls: ['banana'] }, /controls/],
  ];
  for (const [body, detail] of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(alice.key), payload: body as object });
    assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`);
    assertMatchesSpec('createJob', 400, res.json());
    assert.match(res.json().detail, detail);
  }
  const malformed = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...auth(alice.key), 'content-type': 'application/json' }, payload: '{"model": ' });
  assert.equal(malformed.statusCode, 400);
  assert.match(malformed.headers['content-type'] as string, /problem\+json/);
  const missingModel = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(alice.key), payload: { model: 'gpt-17' } });
  assert.equal(missingModel.statusCode, 404);
});

test('a job is created, queued, readable, idempotent, listed and cancellable — only by its tenant', async () => {
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...auth(alice.key), 'idempotency-key': 'k-1' }, payload: { seeds: 2 } });
  assert.equal(res.statusCode, 202, res.body);
  const job = res.json();
  assertMatchesSpec('createJob', 202, job);
  assert.equal(job.status, 'queued');
  assert.equal(job.spec.model, 'use-lite');
  assert.deepEqual(job.spec.methods, ['ccs', 'pca', 'nmf', 'kmeans', 'random', 'lr']);
  assert.ok(await queues.extract.getJob(`extract-${job.id}`), 'extract unit is in Redis');

  const again = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...auth(alice.key), 'idempotency-key': 'k-1' }, payload: { seeds: 2 } });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().id, job.id);
  assertMatchesSpec('createJob', 200, again.json());

  const got = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: auth(alice.key) });
  assert.equal(got.statusCode, 200);
  assertMatchesSpec('getJob', 200, got.json());
  assert.equal(got.json().history[0].status, 'queued');

  // Tenancy: Bob sees none of it, on every resource route that names the job.
  const probeId = '00000000-0000-4000-8000-000000000000';
  for (const [method, url, op] of [
    ['GET', `/v1/jobs/${job.id}`, 'getJob'], ['GET', `/v1/jobs/${job.id}/results`, 'getResults'], ['DELETE', `/v1/jobs/${job.id}`, 'cancelJob'],
    ['GET', `/v1/jobs/${job.id}/probes/${probeId}`, 'getProbe'], ['GET', `/v1/comparisons?jobs=${job.id}`, 'compareJobs'],
  ] as const) {
    const r = await app.inject({ method, url, headers: auth(bob.key) });
    assert.equal(r.statusCode, 404, `${method} ${url}`);
    assertMatchesSpec(op, 404, r.json());
  }
  const bobList = await app.inject({ method: 'GET', url: '/v1/jobs', headers: auth(bob.key) });
  assert.equal(bobList.json().jobs.length, 0);

  const results = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/results`, headers: auth(alice.key) });
  assert.equal(results.statusCode, 200);
  assertMatchesSpec('getResults', 200, results.json());
  assert.deepEqual(results.json().results, []);

  const cancelled = await app.inject({ method: 'DELETE', url: `/v1/jobs/${job.id}`, headers: auth(alice.key) });
  assert.equal(cancelled.statusCode, 200);
  assertMatchesSpec('cancelJob', 200, cancelled.json());
  assert.equal(cancelled.json().status, 'cancelled');
});

test('job listing pages with a cursor and filters', async () => {
  const carol = await newTenant(db);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(carol.key), payload: { seeds: 1 } });
    ids.push(r.json().id);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await app.inject({ method: 'GET', url, headers: auth(carol.key) });
    assert.equal(page.statusCode, 200);
    assertMatchesSpec('listJobs', 200, page.json());
    seen.push(...page.json().jobs.map((j: { id: string }) => j.id));
    cursor = page.json().next_cursor;
  } while (cursor);
  assert.deepEqual(seen, [...ids].reverse());
  const filtered = await app.inject({ method: 'GET', url: '/v1/jobs?status=completed', headers: auth(carol.key) });
  assert.equal(filtered.json().jobs.length, 0);
  const bad = await app.inject({ method: 'GET', url: '/v1/jobs?cursor=garbage', headers: auth(carol.key) });
  assert.equal(bad.statusCode, 400);
  const badLimit = await app.inject({ method: 'GET', url: '/v1/jobs?limit=100000', headers: auth(carol.key) });
  assert.equal(badLimit.statusCode, 400);
});

test('datasets upload with validation and list with built-ins', async () => {
  const content = ['{"text": "a fine film", "label": 1}', '{"text": "a dull film", "label": 0}', '{"text": "great fun", "label": 1}', '{"text": "boring", "label": 0}'].join('\n');
  const ok = await app.inject({ method: 'POST', url: '/v1/datasets', headers: auth(alice.key), payload: { name: 'tiny', kind: 'binary', format: 'jsonl', content, answers: ['negative', 'positive'] } });
  assert.equal(ok.statusCode, 201, ok.body);
  assertMatchesSpec('uploadDataset', 201, ok.json());
  assert.equal(ok.json().n_items, 4);
  const broken = await app.inject({ method: 'POST', url: '/v1/datasets', headers: auth(alice.key), payload: { name: 'broken', kind: 'binary', format: 'jsonl', content: '{"text": "fine", "label": 1}\n{"text": 3}\n{"text": "ok", "label": 0}' } });
  assert.equal(broken.statusCode, 400);
  assertMatchesSpec('uploadDataset', 400, broken.json());
  assert.match(broken.json().detail, /line 2/);
  const list = await app.inject({ method: 'GET', url: '/v1/datasets', headers: auth(alice.key) });
  assertMatchesSpec('listDatasets', 200, list.json());
  const names = list.json().datasets.map((d: { name: string }) => d.name);
  assert.ok(names.includes('tiny'));
  assert.ok(list.json().datasets.some((d: { builtin: boolean }) => d.builtin));
  const bobs = await app.inject({ method: 'GET', url: '/v1/datasets', headers: auth(bob.key) });
  assert.ok(!bobs.json().datasets.some((d: { name: string }) => d.name === 'tiny'), 'uploads are per tenant');
  // A job on the uploaded dataset is accepted by its owner only.
  const id = ok.json().id;
  assert.equal((await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(alice.key), payload: { dataset: id, seeds: 1 } })).statusCode, 202);
  assert.equal((await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(bob.key), payload: { dataset: id, seeds: 1 } })).statusCode, 404);
});

test('models list the built-in default', async () => {
  const res = await app.inject({ method: 'GET', url: '/v1/models', headers: auth(alice.key) });
  assert.equal(res.statusCode, 200);
  assertMatchesSpec('listModels', 200, res.json());
  assert.ok(res.json().models.some((m: { name: string; builtin: boolean }) => m.name === 'use-lite' && m.builtin));
});

test('only admins create keys; tenants revoke their own', async () => {
  const denied = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth(alice.key), payload: { tenant: 'x' } });
  assert.equal(denied.statusCode, 403);
  assertMatchesSpec('createKey', 403, denied.json());
  const admin = await newTenant(db, 'admin');
  const created = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth(admin.key), payload: { tenant: `t-new-${process.pid}` } });
  assert.equal(created.statusCode, 201);
  assertMatchesSpec('createKey', 201, created.json());
  const newKey = created.json().key as string;
  assert.equal((await app.inject({ method: 'GET', url: '/v1/jobs', headers: auth(newKey) })).statusCode, 200);
  const revoked = await app.inject({ method: 'DELETE', url: `/v1/keys/${created.json().id}`, headers: auth(admin.key) });
  assert.equal(revoked.statusCode, 404, "another tenant's key cannot be revoked");
  const own = await app.inject({ method: 'DELETE', url: `/v1/keys/${created.json().id}`, headers: auth(newKey) });
  assert.equal(own.statusCode, 204);
  const raw = await db.query('SELECT hash FROM api_keys WHERE id = $1', [created.json().id]);
  assert.ok(String(raw.rows[0].hash).startsWith('scrypt$') && !String(raw.rows[0].hash).includes(newKey), 'stored hashed');
});

test('unknown routes and methods are problem+json 404', async () => {
  const res = await app.inject({ method: 'GET', url: '/v1/nothing-here', headers: auth(alice.key) });
  assert.equal(res.statusCode, 404);
  assert.match(res.headers['content-type'] as string, /problem\+json/);
  assert.equal(res.json().status, 404);
});

test('Prometheus metrics are exposed with the sonde_ prefix', async () => {
  await app.inject({ method: 'GET', url: '/healthz' });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  for (const name of ['sonde_http_request_duration_seconds', 'sonde_queue_jobs', 'sonde_jobs', 'sonde_job_duration_seconds_avg', 'sonde_extract_texts_per_second', 'sonde_fit_seconds_avg', 'sonde_http_errors_total']) {
    assert.match(res.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(res.body, /sonde_queue_jobs\{queue="extract",state="waiting"\} \d+/);
});

test('the spec is served rendered at /docs', async () => {
  const docs = await app.inject({ method: 'GET', url: '/docs' });
  assert.ok([200, 302].includes(docs.statusCode));
  const page = await app.inject({ method: 'GET', url: docs.statusCode === 302 ? new URL(String(docs.headers.location), 'http://x/docs/').pathname : '/docs' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  const json = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(json.statusCode, 200);
  assert.equal(json.json().info.title, 'Sonde API');
  assert.ok(json.json().paths['/v1/jobs']);
});
