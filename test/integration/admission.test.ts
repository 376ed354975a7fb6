/**
 * Issue 12's reproductions, one test each, through app.inject against the real Postgres
 * and Redis: every request that used to be accepted and fail later (or answer 500) now
 * answers a 4xx problem+json that says why, or behaves as the issue asks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../http/app.ts';
import { createQueues, type Queues } from '../../infra/queue.ts';
import type { Db } from '../../infra/db/pool.ts';
import { encodeMat, encodeNpy } from '../../lib/npy.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';

const config = testConfig({ queuePrefix: `sonde-adm-test-${process.pid}`, rateLimitPerMinute: 100_000, rateLimitAnonPerMinute: 100_000 });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let logLines = '';
let alice: { key: string; tenantId: string; name: string };

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const post = (url: string, key: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, headers: { ...auth(key), ...headers }, payload: payload as object });
const submit = (key: string, body: unknown, headers: Record<string, string> = {}) => post('/v1/jobs', key, body, headers);

before(async () => {
  db = await testDb(config);
  queues = createQueues(config.redisUrl, config.queuePrefix);
  const stream = new Writable({ write(chunk, _enc, cb) { logLines += chunk; cb(); } });
  app = await buildApp({ config, db, queues }, { logger: { level: 'info', stream } });
  alice = await newTenant(db);
});
after(async () => {
  await app.close();
  await queues.extract.obliterate({ force: true }).catch(() => {});
  await queues.close();
  await db.end();
});

async function uploadDataset(key: string, rows: object[] | string, extra: object = {}) {
  const content = typeof rows === 'string' ? rows : rows.map((r) => JSON.stringify(r)).join('\n');
  return post('/v1/datasets', key, { name: 'd', kind: 'binary', format: 'jsonl', content, ...extra });
}

const balanced = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `item number ${i} is ${i % 2 ? 'good' : 'bad'}`, label: i % 2 }));

async function jobCount(tenantId: string): Promise<number> {
  return (await db.query('SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1', [tenantId])).rows[0].n;
}

test('1. the job that killed the service is refused at submission with its estimate and the limits (413)', { timeout: 120_000 }, async () => {
  const t = await newTenant(db);
  // The issue's dataset: 200,000 rows.
  const big = await uploadDataset(t.key, balanced(200_000));
  assert.equal(big.statusCode, 201, big.body);
  const templates = Array.from({ length: 32 }, (_, k) => ({ id: `t${k}`, text: `{{text}} Variant ${k}: {{answer}}.` }));
  const body = {
    dataset: big.json().id, templates, controls: ['distractor', 'explicit-opinion', 'template-sensitivity', 'agreement'],
    seeds: 100, methods: ['ccs', 'crc', 'pca', 'kmeans', 'nmf', 'random', 'vinc', 'lr', 'mass-mean'], bootstrap: 10000,
  };
  const res = await submit(t.key, body);
  assert.equal(res.statusCode, 413, res.body);
  assertMatchesSpec('createJob', 413, res.json());
  const p = res.json();
  assert.match(p.detail, /over budget/);
  assert.equal(p.estimate.texts, 200_000 * 32 * 2 * 3);
  assert.ok(p.exceeded.length >= 4, JSON.stringify(p.exceeded));
  for (const x of p.exceeded) assert.ok(x.estimate > x.limit, JSON.stringify(x));
  assert.deepEqual(p.exceeded.map((x: { budget: string }) => x.budget).slice(0, 4), ['max_job_texts', 'max_job_activation_bytes', 'max_job_fits', 'max_job_cpu_seconds']);
  assert.equal(p.limits.max_job_texts, config.budgets.maxJobTexts);
  assert.equal(await jobCount(t.tenantId), 0, 'nothing was stored');

  // The same request through the estimate route: 200, within_budget false, nothing stored.
  const est = await post('/v1/jobs/estimate', t.key, body);
  assert.equal(est.statusCode, 200, est.body);
  assertMatchesSpec('estimateJob', 200, est.json());
  assert.equal(est.json().within_budget, false);
  assert.deepEqual(est.json().estimate, p.estimate);

  // A per-tenant override in Postgres raises (or lowers) a budget.
  const small = { methods: ['pca'], seeds: 1, max_items: 100 };
  assert.equal((await post('/v1/jobs/estimate', t.key, small)).json().within_budget, true);
  await db.query('INSERT INTO tenant_budgets (tenant_id, max_job_fits) VALUES ($1, 1)', [t.tenantId]);
  const refused = await submit(t.key, small);
  assert.equal(refused.statusCode, 413, refused.body);
  assert.deepEqual(refused.json().exceeded.map((x: { budget: string }) => x.budget), ['max_job_fits']);
  const limits = await app.inject({ method: 'GET', url: '/v1/limits', headers: auth(t.key) });
  assertMatchesSpec('getLimits', 200, limits.json());
  assert.equal(limits.json().budgets.max_job_fits, 1);
});

test('1. a fit unit over the fit child memory cap is refused before it is queued', async () => {
  const tight = await buildApp({ config: { ...config, fitMemoryMb: 150 }, db, queues });
  try {
    const res = await tight.inject({ method: 'POST', url: '/v1/jobs', headers: auth(alice.key), payload: { seeds: 1, methods: ['pca'], templates: ['binary/it-was', 'binary/review', 'binary/sentiment-is'] } });
    assert.equal(res.statusCode, 413, res.body);
    assert.ok(res.json().exceeded.some((x: { budget: string }) => x.budget === 'fit_unit_memory_bytes'));
  } finally {
    await tight.close();
  }
});

test('2. method options are bounded: epochs 1e12, restarts 0, lr.C -1, unknown options → 400', async () => {
  const cases: [unknown, RegExp][] = [
    [{ methods: ['ccs'], method_options: { ccs: { optimizer: 'adam', epochs: 1_000_000_000_000 } } }, /epochs/],
    [{ methods: ['ccs'], method_options: { ccs: { restarts: 0 } } }, /restarts/],
    [{ methods: ['lr'], method_options: { lr: { C: -1 } } }, /C/],
    [{ methods: ['ccs'], method_options: { ccs: { telepathy: 1 } } }, /telepathy/],
    [{ methods: ['kmeans'], method_options: { kmeans: { n_init: 1.5 } } }, /n_init/],
    [{ methods: ['pca'], method_options: { ccs: {} } }, /not among the job's methods/],
  ];
  for (const [body, detail] of cases) {
    const res = await submit(alice.key, body);
    assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`);
    assertMatchesSpec('createJob', 400, res.json());
    assert.match(res.json().detail, detail);
  }
});

test('3. requests without a key or with a bad key are rate-limited per address before authentication', async () => {
  const limited = await buildApp({ config: { ...config, rateLimitAnonPerMinute: 20, rateLimitPerMinute: 1000 }, db, queues });
  try {
    const codes: Record<number, number> = {};
    for (let i = 0; i < 650; i++) {
      const headers = i % 2 ? { authorization: `Bearer sk_${'x'.repeat(30)}${i}` } : {};
      const r = await limited.inject({ method: 'GET', url: '/v1/jobs', headers });
      codes[r.statusCode] = (codes[r.statusCode] ?? 0) + 1;
      if (r.statusCode === 429) {
        assert.match(String(r.headers['content-type']), /problem\+json/);
        assert.ok(Number(r.headers['retry-after']) >= 1);
      }
    }
    assert.equal(codes[401], 20, JSON.stringify(codes));
    assert.equal(codes[429], 630, JSON.stringify(codes));
    // A valid key from the same address is limited per key, not by the address's failures.
    const ok = await limited.inject({ method: 'GET', url: '/v1/jobs', headers: auth(alice.key) });
    assert.equal(ok.statusCode, 429, 'the address is over its limit: even a valid key is not looked up');
    const fresh = await buildApp({ config: { ...config, rateLimitAnonPerMinute: 3, rateLimitPerMinute: 1000 }, db, queues });
    try {
      for (let i = 0; i < 10; i++) assert.equal((await fresh.inject({ method: 'GET', url: '/v1/models', headers: auth(alice.key) })).statusCode, 200, 'authenticated requests do not count against the address');
      for (let i = 0; i < 3; i++) assert.equal((await fresh.inject({ method: 'GET', url: '/v1/models' })).statusCode, 401);
      assert.equal((await fresh.inject({ method: 'GET', url: '/v1/models' })).statusCode, 429);
      assert.equal((await fresh.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health is never limited');
    } finally {
      await fresh.close();
    }
  } finally {
    await limited.close();
  }
});

test('4. malformed ids, id lists and cursors are 400/404, never 500', async () => {
  const dashes = '-'.repeat(36);
  const letters = 'abcdefghijklmnopqrstuvwxyzabcdefghij';
  for (const body of [{ dataset: dashes }, { dataset: letters }, { eval_datasets: [dashes] }, { eval_datasets: [letters] }, { dataset: '00000000-0000-4000-8000-000000000000' }]) {
    const res = await submit(alice.key, body);
    assert.ok([400, 404].includes(res.statusCode), `${JSON.stringify(body)} → ${res.statusCode} ${res.body}`);
    assertMatchesSpec('createJob', res.statusCode, res.json());
  }
  const cmp = await app.inject({ method: 'GET', url: `/v1/comparisons?jobs=${dashes}`, headers: auth(alice.key) });
  assert.equal(cmp.statusCode, 400, cmp.body);
  const cursors = [
    Buffer.from(`${new Date().toISOString()}|${'a'.repeat(36)}`).toString('base64url'),
    Buffer.from(`yesterday|00000000-0000-4000-8000-000000000000`).toString('base64url'),
    Buffer.from(`2026-13-45T99:99:99Z|00000000-0000-4000-8000-000000000000`).toString('base64url'),
  ];
  for (const c of cursors) {
    const res = await app.inject({ method: 'GET', url: `/v1/jobs?cursor=${c}`, headers: auth(alice.key) });
    assert.equal(res.statusCode, 400, res.body);
    assertMatchesSpec('listJobs', 400, res.json());
  }
});

test('4. dataset text with U+0000 or a lone surrogate is a line-numbered 400, and no log line holds the text', async () => {
  const secret = 'TOPSECRETDATASETTEXT';
  for (const bad of [`${secret} a\\u0000b`, `${secret} \\ud800 x`, `${secret} \\udc00`]) {
    logLines = '';
    const content = `{"text": "fine row", "label": 1}\n{"text": "${bad}", "label": 0}\n{"text": "ok", "label": 0}`;
    const res = await uploadDataset(alice.key, content);
    assert.equal(res.statusCode, 400, res.body);
    assertMatchesSpec('uploadDataset', 400, res.json());
    assert.match(res.json().detail, /line 2: "text" contains (a NUL character|a lone surrogate)/);
    assert.ok(!res.json().detail.includes(secret), 'the message names the position, not the text');
    assert.ok(!logLines.includes(secret), `the log holds dataset text: ${logLines.slice(0, 300)}`);
    assert.ok(!/"level":50/.test(logLines), 'no error was logged');
  }
  // Raw (not JSON-escaped) in the uploaded text: refused before parsing, with the line.
  const raw = await uploadDataset(alice.key, `{"text": "fine", "label": 1}\n{"text": "${secret} \u0000", "label": 0}`);
  assert.equal(raw.statusCode, 400, raw.body);
  assert.match(raw.json().detail, /body\.content contains a NUL character .* at line 2;/);
  assert.ok(!raw.json().detail.includes(secret));
  // In a field column and in an answer word too.
  const field = await uploadDataset(alice.key, '{"text": "t", "label": 1, "topic": "a\\u0000"}\n{"text": "u", "label": 0}');
  assert.equal(field.statusCode, 400, field.body);
  assert.match(field.json().detail, /"topic" contains a NUL/);
  const answers = await uploadDataset(alice.key, balanced(4), { answers: ['no\u0000', 'yes'] });
  assert.equal(answers.statusCode, 400, answers.body);
});

test('4. POST /v1/keys validates the label before creating anything', async () => {
  const admin = await newTenant(db, 'admin');
  for (const label of ['a\u0000b', 'x\ud800', 'bell\u0007']) {
    const tenant = `t-label-${Math.random().toString(36).slice(2, 10)}`;
    const res = await post('/v1/keys', admin.key, { tenant, label });
    assert.equal(res.statusCode, 400, res.body);
    assertMatchesSpec('createKey', 400, res.json());
    assert.equal((await db.query('SELECT 1 FROM tenants WHERE name = $1', [tenant])).rowCount, 0, 'no tenant was created');
  }
});

test('5. errors that used to be found in the worker are 400s at submission, and nothing is queued', async () => {
  const one = await uploadDataset(alice.key, [{ text: 'only row', label: 1 }]);
  assert.equal(one.statusCode, 201, one.body);
  const before = await jobCount(alice.tenantId);
  const cases: [unknown, RegExp][] = [
    [{ templates: ['{{text}} no answer here'] }, /must contain \{\{answer\}\}/],
    [{ templates: ['{{text}} {{answr}}'] }, /unknown placeholder \{\{answr\}\}/],
    [{ templates: ['{{text}} {{answer}'] }, /unbalanced braces/],
    [{ templates: [{ id: 'a', text: '{{text}} {{answer}}' }, { id: 'a', text: '{{text}} is {{answer}}' }] }, /appears twice/],
    [{ templates: ['statements/this-is'] }, /for statements datasets/],
    [{ layers: [7] }, /has no layer\(s\) 7/],
    [{ split: { train: 1e-9, test: 0.999 } }, /leaves the train set empty/],
    [{ split: { train: 0.999, test: 0.0001 } }, /test set/],
    [{ dataset: one.json().id }, /1 item\(s\)/],
    [{ controls: [{ name: 'explicit-opinion', construction: 'farquhar' }] }, /\{\{opinion\}\}/],
    [{ controls: [{ name: 'distractor', words: ['bad', 'x'] }] }, /must not be the dataset's answers/],
  ];
  for (const [body, detail] of cases) {
    const res = await submit(alice.key, { seeds: 1, ...(body as object) });
    assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.statusCode} ${res.body}`);
    assertMatchesSpec('createJob', 400, res.json());
    assert.match(res.json().detail, detail);
  }
  assert.equal(await jobCount(alice.tenantId), before, 'no job was created');
});

test('5. labels: what labels lack is a warning the job carries, never a refusal (discovery without labels, issue 11)', async () => {
  const ones = await uploadDataset(alice.key, Array.from({ length: 40 }, (_, i) => ({ text: `row ${i}`, label: 1 })));
  const res = await submit(alice.key, { dataset: ones.json().id, seeds: 1, methods: ['ccs'] });
  assert.equal(res.statusCode, 202, res.body);
  assert.match(res.json().warnings.join(' '), /label 1: accuracy and AUROC against one class are not meaningful/);
  // 3 label-0 items of 40: a 0.6 split keeps 2 of them for training, 1 for testing; 0.95 leaves none to test.
  const skewed = await uploadDataset(alice.key, Array.from({ length: 40 }, (_, i) => ({ text: `row ${i}`, label: i < 3 ? 0 : 1 })));
  assert.equal((await submit(alice.key, { dataset: skewed.json().id, seeds: 1, methods: ['lr'] })).statusCode, 202);
  const noTest = await submit(alice.key, { dataset: skewed.json().id, seeds: 1, methods: ['pca'], split: { train: 0.95, test: 0.05 } });
  assert.equal(noTest.statusCode, 202, noTest.body);
  assert.match(noTest.json().warnings.join(' '), /no label-0 item in the test set/);
  const unlabelled = await uploadDataset(alice.key, Array.from({ length: 10 }, (_, i) => ({ text: `u ${i}` })));
  const transfer = await submit(alice.key, { eval_datasets: [unlabelled.json().id], seeds: 1, methods: ['pca'] });
  assert.equal(transfer.statusCode, 202, transfer.body);
  assert.match(transfer.json().warnings.join(' '), /eval dataset .* has no labels/);
  // A split that leaves a side empty can never run: that stays a 400.
  const tiny = await submit(alice.key, { dataset: skewed.json().id, seeds: 1, methods: ['pca'], split: { train: 0.01, test: 0.01 } });
  assert.equal(tiny.statusCode, 400, tiny.body);
  // A single-class eval dataset is accepted with a warning, shown with the job and its results.
  const warned = await submit(alice.key, { eval_datasets: [ones.json().id], seeds: 1, methods: ['pca'] });
  assert.equal(warned.statusCode, 202, warned.body);
  assert.match(warned.json().warnings.join(' '), /single-class/);
  const results = await app.inject({ method: 'GET', url: `/v1/jobs/${warned.json().id}/results`, headers: auth(alice.key) });
  assertMatchesSpec('getResults', 200, results.json());
  assert.match(results.json().warnings.join(' '), /single-class/);
});

/** multipart/form-data of raw parts, the way curl -F sends them. */
async function uploadActivations(key: string, parts: Record<string, Uint8Array>, a: FastifyInstance = app) {
  const form = new FormData();
  for (const [k, v] of Object.entries(parts)) form.append(k, new Blob([Buffer.from(v)]), `${k}.npy`);
  const req = new Response(form);
  return a.inject({ method: 'POST', url: '/v1/activations', headers: { ...auth(key), 'content-type': req.headers.get('content-type')! }, payload: Buffer.from(await req.arrayBuffer()) });
}

test('6. activation uploads: shapes checked from the headers, float64 beyond float32 refused, concurrent uploads capped', async () => {
  const n = 8, d = 4;
  const f32 = () => encodeMat({ rows: n, cols: d, data: Float32Array.from({ length: n * d }, (_, i) => Math.cos(i)) });
  const labels = encodeNpy([n], Int8Array.from({ length: n }, (_, i) => i % 2));
  // A labels header that disagrees is refused from the header: its (here: huge, absent) data is never read.
  const lying = encodeNpy([n + 1000], new Int8Array(n + 1000)).subarray(0, 128);
  const mismatch = await uploadActivations(alice.key, { pos: f32(), neg: f32(), labels: lying });
  assert.equal(mismatch.statusCode, 400, mismatch.body);
  assert.match(mismatch.json().detail, /1008 labels for 8 pairs/);
  // A pos header claiming more than the upload limit: 413 before reading.
  const huge = encodeNpy([1 << 20, 1 << 10], new Float32Array(0)).subarray(0, 128);
  const tooBig = await uploadActivations(alice.key, { pos: huge, neg: f32() });
  assert.equal(tooBig.statusCode, 413, tooBig.body);
  // float64 beyond float32's range would become ∞: refused with its position.
  const f64 = Float64Array.from({ length: n * d }, (_, i) => (i === 13 ? 1e39 : i / 10));
  const overflow = await uploadActivations(alice.key, { pos: encodeNpy([n, d], f64), neg: f32(), labels });
  assert.equal(overflow.statusCode, 400, overflow.body);
  assert.match(overflow.json().detail, /beyond float32 range/);
  assert.match(overflow.json().detail, /row 3, column 1/);
  const fine = await uploadActivations(alice.key, { pos: encodeNpy([n, d], Float64Array.from(f64, (v) => (v > 1e38 ? 1 : v))), neg: f32(), labels });
  assert.equal(fine.statusCode, 201, fine.body);

  // Concurrent uploads: with a limit of 1, a second upload while one is in flight is a 429.
  const t = await newTenant(db);
  await db.query('INSERT INTO tenant_budgets (tenant_id, max_concurrent_uploads) VALUES ($1, 1)', [t.tenantId]);
  const { takeUploadSlot } = await import('../../services/uploads.ts');
  const release = await takeUploadSlot({ config, db }, t.tenantId);
  const second = await uploadActivations(t.key, { pos: f32(), neg: f32() });
  assert.equal(second.statusCode, 429, second.body);
  assert.match(second.json().detail, /uploads in progress/);
  const ds = await uploadDataset(t.key, balanced(4));
  assert.equal(ds.statusCode, 429, 'dataset uploads share the slots');
  release();
  assert.equal((await uploadActivations(t.key, { pos: f32(), neg: f32() })).statusCode, 201, 'the slot is free again');
  assert.equal((await uploadActivations(t.key, { pos: f32(), neg: f32() })).statusCode, 201, 'finished uploads give their slot back');
});

test('6. cancelling a job removes what it staged', async () => {
  const job = (await submit(alice.key, { seeds: 1, methods: ['pca'] })).json();
  await db.query(
    `INSERT INTO job_conditions (job_id, name, store, store_key, pos_side, neg_side, meta) VALUES ($1, 'clean', 'cache', $2, 'texts', 'texts', '{}')`,
    [job.id, 'a'.repeat(64)],
  );
  const res = await app.inject({ method: 'DELETE', url: `/v1/jobs/${job.id}`, headers: auth(alice.key) });
  assert.equal(res.json().status, 'cancelled');
  assert.equal((await db.query('SELECT 1 FROM job_conditions WHERE job_id = $1', [job.id])).rowCount, 0);
  assert.equal(await queues.extract.getJob(`extract-${job.id}`), undefined, 'the queued unit is gone');
});

test('7. controls: "character" (not name_of_character) is the option; q: 2 is reported as q', async () => {
  const ok = await submit(alice.key, { seeds: 1, methods: ['pca'], controls: [{ name: 'explicit-opinion', q: 0.7, character: 'Bob' }] });
  assert.equal(ok.statusCode, 202, ok.body);
  const old = await submit(alice.key, { seeds: 1, controls: [{ name: 'explicit-opinion', name_of_character: 'Bob' }] });
  assert.equal(old.statusCode, 400);
  assert.match(old.json().detail, /name_of_character/);
  const q = await submit(alice.key, { seeds: 1, controls: [{ name: 'explicit-opinion', q: 2 }] });
  assert.equal(q.statusCode, 400);
  assert.match(q.json().detail, /body\.controls\.0\.q must be <= 1/);
});

test('7. keys: listed without secrets; a user key cannot revoke an admin key', async () => {
  const t = await newTenant(db, 'admin');
  const user = await post('/v1/keys', t.key, { tenant: t.name, role: 'user', label: 'ci runner' });
  assert.equal(user.statusCode, 201, user.body);
  const list = await app.inject({ method: 'GET', url: '/v1/keys', headers: auth(user.json().key) });
  assert.equal(list.statusCode, 200, list.body);
  assertMatchesSpec('listKeys', 200, list.json());
  assert.equal(list.json().keys.length, 2);
  assert.ok(list.json().keys.some((k: { label: string | null; role: string }) => k.label === 'ci runner' && k.role === 'user'));
  assert.ok(!list.body.includes('sk_') && !list.body.includes('scrypt'), 'no key, prefix or hash');
  const adminId = list.json().keys.find((k: { role: string }) => k.role === 'admin').id;
  const denied = await app.inject({ method: 'DELETE', url: `/v1/keys/${adminId}`, headers: auth(user.json().key) });
  assert.equal(denied.statusCode, 403, denied.body);
  assertMatchesSpec('revokeKey', 403, denied.json());
  const other = await app.inject({ method: 'GET', url: `/v1/keys?tenant=${alice.name}`, headers: auth(user.json().key) });
  assert.equal(other.statusCode, 403, "a user cannot list another tenant's keys");
  const asAdmin = await app.inject({ method: 'GET', url: `/v1/keys?tenant=${alice.name}`, headers: auth(t.key) });
  assert.equal(asAdmin.statusCode, 200);
  assert.equal(asAdmin.json().tenant, alice.name);
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/keys/${user.json().id}`, headers: auth(user.json().key) })).statusCode, 204, 'a user revokes user keys');
});

test('7. the same Idempotency-Key with a different body is a 422; with the same (normalised) body it returns the first job', async () => {
  const key = `idem-${process.pid}`;
  const first = await submit(alice.key, { seeds: 2, methods: ['pca'] }, { 'idempotency-key': key });
  assert.equal(first.statusCode, 202, first.body);
  const same = await submit(alice.key, { methods: ['pca'], seeds: 2, normalize: 'burns' }, { 'idempotency-key': key });
  assert.equal(same.statusCode, 200, 'defaults spelled out are the same request');
  assert.equal(same.json().id, first.json().id);
  const other = await submit(alice.key, { seeds: 3, methods: ['pca'] }, { 'idempotency-key': key });
  assert.equal(other.statusCode, 422, other.body);
  assertMatchesSpec('createJob', 422, other.json());
  assert.equal(other.json().job_id, first.json().id);
});

test('7. /results pages with limit and cursor; without them the response is as before', async () => {
  const job = (await submit(alice.key, { seeds: 1, methods: ['pca'] })).json();
  await db.query("UPDATE jobs SET status = 'running' WHERE id = $1", [job.id]);
  const { commitFitUnit } = await import('../../infra/db/results.ts');
  const rows = [];
  for (const layer of [0, 1]) for (const method of ['pca', 'lr', 'ccs']) for (const seed of [0, 1]) for (const control of [null, 'distractor']) {
    rows.push({ layer, method, seed, control, template: null, n_train: 6, n_test: 4, fit_seconds: 0.1, columns: { accuracy: 0.5 + seed / 10 }, metrics: {}, probe: { dim: 2, direction: new Float32Array([1, 0]), state: {} } });
  }
  await commitFitUnit(db, job.id, 0, { results: rows as never, agreements: [], credences: [], credenceIndex: [], skipped: [] });
  const all = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/results`, headers: auth(alice.key) });
  assertMatchesSpec('getResults', 200, all.json());
  assert.equal(all.json().results.length, 24);
  assert.equal(all.json().next_cursor, null);
  assert.ok(typeof all.json().table === 'string');
  const seen: unknown[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url: string = `/v1/jobs/${job.id}/results?limit=5${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await app.inject({ method: 'GET', url, headers: auth(alice.key) });
    assert.equal(page.statusCode, 200, page.body);
    assertMatchesSpec('getResults', 200, page.json());
    seen.push(...page.json().results);
    cursor = page.json().next_cursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 5);
  assert.deepEqual(seen, all.json().results, 'pages concatenate to the unpaginated rows, in the same order');
  for (const bad of ['x', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["a",null,"m",1e40,0]').toString('base64url')]) {
    const res = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/results?cursor=${bad}`, headers: auth(alice.key) });
    assert.equal(res.statusCode, 400, res.body);
  }
});
