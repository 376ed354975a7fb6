/**
 * Discovery without labels, through the service (API, workers, fit children, Postgres):
 * an unlabelled upload runs every unsupervised method, stores a credence for every row and
 * the label-free diagnostics, and lists the supervised method as skipped; the same data
 * with labels gives identical unsupervised credences; a 10 %-labelled upload is evaluated
 * on its labelled test rows only; the disagreement list ranks a planted mislabelled item
 * first; bad label files and other tenants' jobs get clear 4xx.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi } from '../../http/server.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';
import type { Db } from '../../infra/db/pool.ts';
import { encodeMat, encodeNpy } from '../../lib/npy.ts';
import { apiCaller } from '../support/http.ts';
import { testConfig, testDb, newTenant, assertMatchesSpec } from '../support/env.ts';
import { mulberry32 } from '../support/rng.ts';

const config = testConfig({ port: 0, queuePrefix: `sonde-nolabels-${process.pid}`, fitConcurrency: 2 });
let api: { url: string; close: () => Promise<void> };
let workers: Workers;
let db: Db;
let key: string;
let other: string;

const call = apiCaller(() => api.url, () => key);

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
  key = (await newTenant(db)).key;
  other = (await newTenant(db)).key;
  workers = await startWorkers(config);
  api = await startApi({ ...config, logLevel: 'warn' });
});
after(async () => {
  await api.close();
  await workers.close();
  await db.end();
});

const POSITIVE = ['a wonderful film', 'a delight from start to finish', 'the cast is superb', 'I loved every minute', 'a moving, funny story', 'beautifully shot and acted'];
const NEGATIVE = ['a tedious mess', 'dull and overlong', 'the plot makes no sense', 'I hated every minute', 'a boring, lifeless story', 'badly shot and acted'];
const statements = Array.from({ length: 48 }, (_, i) => ({ text: `${(i % 2 ? POSITIVE : NEGATIVE)[Math.floor(i / 2) % 6]} (review ${i})`, label: i % 2 }));
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const JOB = { methods: ['ccs', 'pca', 'kmeans', 'random', 'lr'], seeds: 3, bootstrap: 0, method_options: { ccs: { restarts: 2 } } };

async function uploadDataset(name: string, rows: object[]) {
  const res = await call('POST', '/v1/datasets', { name, kind: 'binary', format: 'jsonl', content: jsonl(rows), answers: ['bad', 'good'] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

async function allCredences(jobId: string) {
  const out: { layer: number; method: string; seed: number; control: string | null; credences: number[]; split: string[]; sign_rule: string }[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: { probes: typeof out; next_cursor: string | null; rows: unknown[] } } = await call('GET', `/v1/jobs/${jobId}/credences?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assertMatchesSpec('getCredences', 200, page.body);
    out.push(...page.body.probes);
    cursor = page.body.next_cursor;
  } while (cursor);
  return out;
}

test('an unlabelled upload runs to completed: every unsupervised method, a credence per row, diagnostics, lr skipped; labels do not change unsupervised credences', { timeout: 600_000 }, async () => {
  const unlabelled = await uploadDataset('reviews-unlabelled', statements.map(({ text }) => ({ text })));
  const labelled = await uploadDataset('reviews-labelled', statements);
  const a = await call('POST', '/v1/jobs', { ...JOB, dataset: unlabelled });
  assert.equal(a.status, 202, JSON.stringify(a.body));
  const b = await call('POST', '/v1/jobs', { ...JOB, dataset: labelled });
  const [ja, jb] = [await finished(a.body.id), await finished(b.body.id)];
  assert.equal(ja.status, 'completed', JSON.stringify(ja.error));
  assert.equal(jb.status, 'completed', JSON.stringify(jb.error));

  const res = await call('GET', `/v1/jobs/${ja.id}/results`);
  assertMatchesSpec('getResults', 200, res.body);
  assert.deepEqual(res.body.skipped.map((s: { method: string }) => s.method), ['lr']);
  assert.match(res.body.skipped[0].reason, /no labelled/);
  const methods = new Set(res.body.results.map((r: { method: string }) => r.method));
  assert.deepEqual([...methods].sort(), ['ccs', 'kmeans', 'pca', 'random']);
  for (const r of res.body.results) {
    assert.equal(r.accuracy, null, 'no labels, no accuracy');
    assert.equal(r.n_test_labelled, 0);
    assert.equal(typeof r.ccs_loss, 'number');
    assert.equal(typeof r.coverage, 'number');
    assert.equal(typeof r.seed_cosine, 'number');
    assert.equal(typeof r.seed_sign_agreement, 'number');
    assert.ok(r.seed_bimodal === 0 || r.seed_bimodal === 1);
    assert.ok(['reference', 'as-fitted'].includes(r.sign_rule), r.sign_rule);
    assert.equal(r.sign_rule === 'as-fitted', r.method === 'ccs', 'ccs is the reference; the others follow it');
  }
  assert.ok(res.body.agreements.length > 0, 'method agreements need no labels');

  const ca = await allCredences(ja.id);
  const cb = await allCredences(jb.id);
  assert.equal(ca.length, 2 * 4 * 3, 'layers × unsupervised methods × seeds');
  for (const p of ca) {
    assert.equal(p.credences.length, statements.length, 'a credence for every item (one template)');
    assert.equal(p.split.filter((s) => s === 'test').length, Math.round(0.4 * statements.length));
  }
  const probeKey = (p: { layer: number; method: string; seed: number }) => `${p.layer}/${p.method}/${p.seed}`;
  const withLabels = new Map(cb.map((p) => [probeKey(p), p]));
  for (const p of ca) {
    const q = withLabels.get(probeKey(p))!;
    assert.deepEqual(q.split, p.split, 'the split reads no labels');
    // Same fit; only the sign rule may differ (labels vs reference), which flips p̃ ↦ 1 − p̃.
    const same = q.credences.reduce((e, c, i) => e + Math.abs(c - p.credences[i]), 0);
    const flipped = q.credences.reduce((e, c, i) => e + Math.abs(1 - c - p.credences[i]), 0);
    const flip = q.sign_rule === 'labels' && flipped < same;
    q.credences.forEach((c, i) => assert.ok(Math.abs((flip ? 1 - c : c) - p.credences[i]) < 1e-6, `${probeKey(p)} row ${i}: ${c} vs ${p.credences[i]}`));
  }

  const csv = await call('GET', `/v1/jobs/${ja.id}/credences?format=csv&method=pca&layer=1`);
  assert.equal(csv.status, 200);
  assert.match(csv.type, /text\/csv/);
  const lines = (csv.body as string).trim().split('\n');
  assert.equal(lines[0], 'layer,method,seed,control,sign_rule,row,item,template,dataset_row,split,label,credence');
  assert.equal(lines.length, 1 + 3 * statements.length);
  const npy = await fetch(new URL(`/v1/jobs/${ja.id}/credences?format=npy&control=clean&method=ccs`, api.url), { headers: { authorization: `Bearer ${key}` } });
  assert.equal(npy.status, 200);
  assert.equal(npy.headers.get('x-sonde-probes'), '0/ccs/0,0/ccs/1,0/ccs/2,1/ccs/0,1/ccs/1,1/ccs/2');
});

test('a 10 %-labelled upload is evaluated on its labelled test rows only, and says how many', { timeout: 300_000 }, async () => {
  const partial = statements.map((s, i) => (i % 10 === 0 || i % 10 === 5 ? s : { text: s.text }));
  const id = await uploadDataset('reviews-partial', partial);
  const sub = await call('POST', '/v1/jobs', { ...JOB, dataset: id, seeds: 2 });
  const job = await finished(sub.body.id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  const res = await call('GET', `/v1/jobs/${job.id}/results`);
  const cred = await allCredences(job.id);
  const labelledItems = new Set(partial.flatMap((s, i) => ('label' in s ? [i] : [])));
  for (const r of res.body.results) {
    const c = cred.find((p) => p.layer === r.layer && p.method === r.method && p.seed === r.seed)!;
    const expected = c.split.filter((s, i) => s === 'test' && labelledItems.has(i)).length;
    assert.equal(r.n_test_labelled, expected, `${r.method} L${r.layer} s${r.seed}`);
    assert.equal(r.n_test, c.split.filter((s) => s === 'test').length);
    if (expected > 0) assert.equal(typeof r.accuracy, 'number');
  }
});

test('disagreements: a planted mislabelled item ranks first', { timeout: 300_000 }, async () => {
  const n = 60, d = 6;
  const r = mulberry32(11);
  const g = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const pos = new Float32Array(n * d), neg = new Float32Array(n * d);
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const s = labels[i] ? 1 : -1;
    const strength = i === 7 ? 4 : 1.5; // item 7: the most confident of all…
    for (let k = 0; k < d; k++) { const c = g(); pos[i * d + k] = c + 0.3 * g(); neg[i * d + k] = c + 0.3 * g(); }
    pos[i * d] += strength * s; neg[i * d] -= strength * s;
  }
  labels[7] = 1 - labels[7]; // …and mislabelled
  const form = new FormData();
  form.append('pos', new Blob([Buffer.from(encodeMat({ rows: n, cols: d, data: pos }))]), 'pos.npy');
  form.append('neg', new Blob([Buffer.from(encodeMat({ rows: n, cols: d, data: neg }))]), 'neg.npy');
  form.append('labels', new Blob([Buffer.from(encodeNpy([n], labels))]), 'labels.npy');
  const up = await fetch(new URL('/v1/activations', api.url), { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  assert.equal(up.status, 201, await up.clone().text());
  const set = await up.json();
  const sub = await call('POST', '/v1/jobs', { activations: set.id, methods: ['pca', 'lr'], seeds: 3, bootstrap: 0, split: { train: 0.5, test: 0.5 } });
  const job = await finished(sub.body.id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  const res = await call('GET', `/v1/jobs/${job.id}/disagreements?min_confidence=0.1`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assertMatchesSpec('getDisagreements', 200, res.body);
  for (const group of res.body.groups) {
    assert.equal(group.items[0]?.item, 7, `${group.method}: ${JSON.stringify(group.items.slice(0, 3))}`);
    assert.equal(group.items[0].label, labels[7]);
  }
  assert.deepEqual(res.body.groups.map((g: { method: string }) => g.method).sort(), ['lr', 'pca']);
});

test('bad label files and other tenants\' jobs: clear 4xx problem+json, nothing stored', { timeout: 120_000 }, async () => {
  const n = 8, d = 2;
  const m = encodeMat({ rows: n, cols: d, data: Float32Array.from({ length: n * d }, (_, i) => Math.sin(i)) });
  const before = await db.query('SELECT count(*)::int AS n FROM activation_sets');
  for (const [labels, detail] of [
    [encodeNpy([n - 1], new Int8Array(n - 1)), /7 labels for 8 pairs/],
    [encodeNpy([n], Int8Array.from({ length: n }, (_, i) => (i === 3 ? 2 : 0))), /index 3 is 2; labels must be 0\/1 or boolean, or −1 for unknown/],
  ] as const) {
    const form = new FormData();
    form.append('pos', new Blob([Buffer.from(m)]), 'pos.npy');
    form.append('neg', new Blob([Buffer.from(m)]), 'neg.npy');
    form.append('labels', new Blob([Buffer.from(labels)]), 'labels.npy');
    const res = await fetch(new URL('/v1/activations', api.url), { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type')!, /problem\+json/);
    assert.match((await res.json()).detail, detail);
  }
  const after = await db.query('SELECT count(*)::int AS n FROM activation_sets');
  assert.equal(after.rows[0].n, before.rows[0].n, 'nothing stored');
  const mine = (await call('GET', '/v1/jobs?limit=1')).body.jobs[0].id;
  for (const route of ['credences', 'disagreements', 'elk']) {
    const res = await call('GET', `/v1/jobs/${mine}/${route}`, undefined, other);
    assert.equal(res.status, 404, route);
    assert.match(res.type, /problem\+json/);
  }
});
