/**
 * Input hardening and degraded dependencies (issue 7): a hand-written fuzz of malformed
 * requests must produce no 5xx and only problem+json errors; the rate limit answers 429;
 * readyz answers 503 while Redis or Postgres is unreachable.
 * Raw bodies and content types are its part; the schema-driven fuzz over every route is
 * test/integration/fuzz.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../http/app.ts';
import { createQueues, type Queues } from '../../infra/queue.ts';
import { createPool, type Db } from '../../infra/db/pool.ts';
import { testConfig, testDb, newTenant } from '../support/env.ts';
import { mulberry32 } from '../support/rng.ts';

const config = testConfig({ queuePrefix: `sonde-fuzz-${process.pid}`, rateLimitPerMinute: 100_000 });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let key: string;

before(async () => {
  db = await testDb(config);
  queues = createQueues(config.redisUrl, config.queuePrefix);
  app = await buildApp({ config, db, queues });
  key = (await newTenant(db)).key;
});
after(async () => {
  await app.close();
  await queues.extract.obliterate({ force: true }).catch(() => {});
  await queues.close();
  await db.end();
});

const rng = mulberry32;

const WEIRD: unknown[] = [null, true, -1, 0, 1e308, -0.5, NaN, '', ' ', 'x'.repeat(5000), '\u0000', '../../etc/passwd', '{{text}}', [], {}, [null], { $ref: '#/x' }, '💥', 2 ** 53, 'all', ['all']];
const FIELDS = ['model', 'dataset', 'templates', 'layers', 'pooling', 'methods', 'method_options', 'seeds', 'normalize', 'split', 'controls', 'eval_datasets', 'ensemble', 'sign_k', 'bootstrap', 'max_items', '__proto__', 'constructor'];

function fuzzBody(r: () => number): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const kind = r();
  if (kind < 0.1) return pick(WEIRD);
  const body: Record<string, unknown> = {};
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const f = pick(FIELDS);
    const v = r() < 0.7 ? pick(WEIRD) : f === 'controls' ? [pick(['distractor', 'explicit-opinion', 'x']), { name: pick(['distractor', 'explicit-opinion']), q: pick(WEIRD), words: pick(WEIRD) }] : f === 'templates' ? [pick(['{{text}}', '{{answer}}', '{{text}} {{answer}} {{nope}}', 'plain'])] : f === 'split' ? { train: pick(WEIRD), test: pick(WEIRD), seed: pick(WEIRD) } : pick(WEIRD);
    body[f] = v;
  }
  return body;
}

test('1,000+ generated malformed requests: no 5xx, every error problem+json', { timeout: 300_000 }, async () => {
  const r = rng(20261126);
  const auth = { authorization: `Bearer ${key}` };
  const counts: Record<string, number> = {};
  let n = 0;
  const check = async (opts: InjectOptions) => {
    const res = await app.inject(opts);
    n++;
    counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
    assert.ok(res.statusCode < 500, `5xx for ${JSON.stringify(opts).slice(0, 300)}: ${res.body.slice(0, 300)}`);
    if (res.statusCode >= 400) {
      assert.match(String(res.headers['content-type']), /application\/problem\+json/, res.body);
      const p = res.json();
      assert.equal(p.status, res.statusCode);
      assert.ok(typeof p.detail === 'string' && p.detail.length > 0);
    }
  };
  for (let i = 0; i < 700; i++) {
    await check({ method: 'POST', url: '/v1/jobs', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(fuzzBody(r)) ?? 'null' });
  }
  const rawBodies = ['', '{', '[', 'null', '"x"', '{"model": }', '\u0000\u0001', '{"a":'.repeat(200), 'x'.repeat(2_000_000)];
  for (const payload of rawBodies) await check({ method: 'POST', url: '/v1/jobs', headers: { ...auth, 'content-type': 'application/json' }, payload });
  const contentTypes = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin9'];
  for (const ct of contentTypes) await check({ method: 'POST', url: '/v1/jobs', headers: { ...auth, 'content-type': ct }, payload: '{}' });
  const ids = ['x', '00000000-0000-0000-0000-000000000000', '../../etc', '%00', "'; DROP TABLE jobs; --", 'a'.repeat(300)];
  for (const id of ids) {
    for (const suffix of ['', '/results', `/probes/${id}`, '/probes/00000000-0000-0000-0000-000000000000?format=npy']) {
      await check({ method: 'GET', url: `/v1/jobs/${encodeURIComponent(id)}${suffix}`, headers: auth });
    }
    await check({ method: 'DELETE', url: `/v1/jobs/${encodeURIComponent(id)}`, headers: auth });
    await check({ method: 'GET', url: `/v1/comparisons?jobs=${encodeURIComponent(id)}`, headers: auth });
  }
  for (let i = 0; i < 150; i++) {
    const q = ['limit', 'cursor', 'status', 'model', 'dataset', 'bogus'].map((k) => (r() < 0.4 ? `${k}=${encodeURIComponent(String(WEIRD[Math.floor(r() * WEIRD.length)]))}` : '')).filter(Boolean).join('&');
    await check({ method: 'GET', url: `/v1/jobs?${q}`, headers: auth });
  }
  const datasetBodies = () => ({
    name: r() < 0.2 ? '../../x' : 'fuzz',
    kind: ['binary', 'statements', 'multiclass', 'nope'][Math.floor(r() * 4)],
    format: ['jsonl', 'csv', 'xml'][Math.floor(r() * 3)],
    content: [
      '{"text": 1}', 'text,label\n"unterminated,1', '\ufeff{"text":"a","label":2}', 'text,label\na,1\nb', '{"text":"a","label":1,"choices":[1,2]}',
      'a\u0000b', '{"text":"' + 'y'.repeat(10_000) + '"}', 'label\n1\n0', '[1,2,3]', '{"text":"ok","label":"maybe"}',
    ][Math.floor(r() * 10)],
  });
  for (let i = 0; i < 150; i++) await check({ method: 'POST', url: '/v1/datasets', headers: auth, payload: datasetBodies() });
  for (const h of ['Bearer', 'Bearer ', 'Bearer sk_', `Bearer ${key}x`, `bearer ${key.slice(0, 10)}`, 'Bearer ' + 'A'.repeat(10_000), 'Token abc']) {
    await check({ method: 'GET', url: '/v1/jobs', headers: { authorization: h } });
  }
  assert.ok(n >= 1000, `sent ${n} requests`);
  assert.ok((counts[400] ?? 0) >= 600, 'most generated job bodies reach validation (not a content-type refusal)');
  console.log(`# fuzz: ${n} requests, status counts ${JSON.stringify(counts)}`);
});

test('the rate limit answers 429 problem+json per key', async () => {
  const limited = await buildApp({ config: { ...config, rateLimitPerMinute: 5 }, db, queues });
  try {
    const headers = { authorization: `Bearer ${key}` };
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await limited.inject({ method: 'GET', url: '/v1/models', headers })).statusCode);
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
    const res = await limited.inject({ method: 'GET', url: '/v1/models', headers });
    assert.match(String(res.headers['content-type']), /problem\+json/);
    const other = (await newTenant(db)).key;
    assert.equal((await limited.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${other}` } })).statusCode, 200, 'per key');
    assert.equal((await limited.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health is never limited');
  } finally {
    await limited.close();
  }
});

test('readyz is 503 while Redis or Postgres is unreachable', async () => {
  const deadRedis = createQueues('redis://127.0.0.1:6390', 'sonde-dead');
  const deadDb = createPool('postgres://postgres@127.0.0.1:5499/sonde', 1);
  try {
    for (const deps of [{ db, queues: deadRedis }, { db: deadDb, queues }]) {
      const a = await buildApp({ config, ...deps });
      const res = await a.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.match(res.json().detail, /not ready/);
      await a.close();
    }
  } finally {
    await deadRedis.close();
    await deadDb.end();
  }
});
