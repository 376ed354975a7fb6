/**
 * Bring your own activations: .npy and .safetensors uploads (valid and malformed), the
 * tenant scope, and a job on them accepted by the API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../http/app.ts';
import { createQueues, type Queues } from '../../infra/queue.ts';
import type { Db } from '../../infra/db/pool.ts';
import { encodeMat, encodeNpy } from '../../lib/npy.ts';
import { encodeSafetensors, parseSafetensors } from '../../lib/safetensors.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';

const config = testConfig({ queuePrefix: `sonde-byo-test-${process.pid}` });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let alice: string;
let bob: string;

before(async () => {
  db = await testDb(config);
  queues = createQueues(config.redisUrl, config.queuePrefix);
  app = await buildApp({ config, db, queues });
  alice = (await newTenant(db)).key;
  bob = (await newTenant(db)).key;
});
after(async () => {
  await app.close();
  await queues.extract.obliterate({ force: true }).catch(() => {});
  await queues.close();
  await db.end();
});

const n = 12, d = 3;
const mat = (seed: number) => ({ rows: n, cols: d, data: Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * seed)) });
const labels = Int8Array.from({ length: n }, (_, i) => i % 2);

async function upload(key: string, parts: Record<string, Uint8Array | string>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    if (typeof v === 'string') form.append(k, v);
    else form.append(k, new Blob([Buffer.from(v)]), `${k}.bin`);
  }
  const req = new Response(form);
  return app.inject({
    method: 'POST', url: '/v1/activations',
    headers: { authorization: `Bearer ${key}`, 'content-type': req.headers.get('content-type')! },
    payload: Buffer.from(await req.arrayBuffer()),
  });
}

test('.npy uploads create an activation set a job can use', async () => {
  const res = await upload(alice, { name: 'mine', pos: encodeMat(mat(1)), neg: encodeMat(mat(2)), labels: encodeNpy([n], labels) });
  assert.equal(res.statusCode, 201, res.body);
  assertMatchesSpec('uploadActivations', 201, res.json());
  assert.equal(res.json().n, n);
  assert.equal(res.json().dim, d);
  const job = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { authorization: `Bearer ${alice}` }, payload: { activations: res.json().id, methods: ['lr', 'pca'], seeds: 1 } });
  assert.equal(job.statusCode, 202, job.body);
  assert.equal(job.json().model, 'byo');
  const other = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { authorization: `Bearer ${bob}` }, payload: { activations: res.json().id } });
  assert.equal(other.statusCode, 404, "another tenant's activations are invisible");
  const withModel = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { authorization: `Bearer ${alice}` }, payload: { activations: res.json().id, model: 'use-lite' } });
  assert.equal(withModel.statusCode, 400);
  const list = await app.inject({ method: 'GET', url: '/v1/activations', headers: { authorization: `Bearer ${alice}` } });
  assertMatchesSpec('listActivations', 200, list.json());
  assert.equal(list.json().activations.length, 1);
});

test('one .safetensors file with pos, neg and labels works too', async () => {
  const st = encodeSafetensors({ pos: { shape: [n, d], data: mat(3).data }, neg: { shape: [n, d], data: mat(4).data }, labels: { shape: [n], data: Float32Array.from(labels) } });
  assert.equal(parseSafetensors(st).get('pos')!.shape[1], d);
  const res = await upload(alice, { file: st });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().has_labels, true);
});

test('malformed or mismatched uploads get 4xx problem+json with a reason', async () => {
  const cases: [Record<string, Uint8Array | string>, RegExp][] = [
    [{ pos: encodeMat(mat(1)) }, /both pos and neg/],
    [{ pos: encodeMat(mat(1)), neg: encodeMat({ rows: n - 1, cols: d, data: new Float32Array((n - 1) * d) }) }, /must match/],
    [{ pos: encodeMat(mat(1)), neg: encodeMat(mat(2)), labels: encodeNpy([n - 2], labels.subarray(2)) }, /labels for/],
    [{ pos: encodeMat(mat(1)), neg: encodeMat(mat(2)), labels: encodeNpy([n], Int8Array.from(labels, (x) => x * 3)) }, /0\/1/],
    [{ pos: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), neg: encodeMat(mat(2)) }, /header length|not/],
    [{ pos: encodeMat(mat(1)).subarray(0, 100), neg: encodeMat(mat(2)) }, /bytes|truncated/],
    [{ pos: encodeNpy([n], new Float32Array(n)), neg: encodeMat(mat(2)) }, /2-D/],
    [{ bogus: encodeMat(mat(1)) }, /unexpected file field/],
  ];
  for (const [parts, detail] of cases) {
    const res = await upload(alice, parts);
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${Object.keys(parts)} → ${res.statusCode} ${res.body}`);
    assert.match(String(res.headers['content-type']), /problem\+json/);
    assert.match(res.json().detail, detail);
  }
  const json = await app.inject({ method: 'POST', url: '/v1/activations', headers: { authorization: `Bearer ${alice}` }, payload: { pos: [1] } });
  assert.equal(json.statusCode, 415);
});
