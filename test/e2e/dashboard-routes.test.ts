/**
 * The dashboard's server side (app.inject, real Postgres and Redis): the page and its
 * assets, their headers and errors; and the dashboard's aggregation (dashboard/src/
 * aggregate.ts, what the browser draws) checked against Postgres' own aggregates, the
 * accuracy_by_layer and method_best_layer views, over the real /v1 results response.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../http/app.ts';
import { createQueues, type Queues } from '../../infra/queue.ts';
import type { Db } from '../../infra/db/pool.ts';
import { testConfig, testDb, newTenant } from '../support/env.ts';
import { layerCurves, controlCurves, controlsPresent, probeIndex, agreementGrid, templateCurves, type ResultRow } from '../../dashboard/src/aggregate.ts';
import { insertFinishedJob, METHODS, LAYERS, SEEDS } from './dashboard-fixture.ts';

const config = testConfig({ queuePrefix: `sonde-dash-test-${process.pid}` });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let tenant: { key: string; tenantId: string };
let jobId: string;

before(async () => {
  db = await testDb(config);
  queues = createQueues(config.redisUrl, config.queuePrefix);
  app = await buildApp({ config, db, queues });
  await app.ready();
  tenant = await newTenant(db);
  jobId = await insertFinishedJob(db, tenant.tenantId);
});

after(async () => {
  await app.close();
  await queues.close();
  await db.end();
});

test('the page is served without a key at every dashboard path, with a strict CSP', async () => {
  for (const url of ['/dashboard', '/dashboard/', `/dashboard/jobs/${jobId}`, '/dashboard/compare', '/dashboard/compare?sweep=00000000-0000-4000-8000-000000000000']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200, url);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.match(res.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.match(res.body, /<script type="module" src="\/dashboard\/assets\/app\.js">/);
    // No third-party origin anywhere in the page (no CDN).
    assert.doesNotMatch(res.body, /https?:\/\//);
  }
});

test('assets come from memory with content types and ETag revalidation', async () => {
  const js = await app.inject({ method: 'GET', url: '/dashboard/assets/app.js' });
  assert.equal(js.statusCode, 200);
  assert.match(js.headers['content-type'] as string, /^text\/javascript/);
  // uPlot's root class name survives minification: the chart library is inside the bundle.
  assert.ok(js.body.includes('"uplot"'), 'the bundle carries uPlot from node_modules');
  const again = await app.inject({ method: 'GET', url: '/dashboard/assets/app.js', headers: { 'if-none-match': js.headers.etag as string } });
  assert.equal(again.statusCode, 304);
  const css = await app.inject({ method: 'GET', url: '/dashboard/assets/app.css' });
  assert.equal(css.statusCode, 200);
  assert.match(css.headers['content-type'] as string, /^text\/css/);
  assert.match(css.body, /\.uplot/, "uPlot's stylesheet comes first");
  assert.match(css.body, /\.heatmap/);
});

test('unknown assets, traversal and malformed job ids are 404 problem+json', async () => {
  for (const url of ['/dashboard/assets/nope.js', '/dashboard/assets/..%2Fbuild.ts', '/dashboard/assets/..%2F..%2Fpackage.json', '/dashboard/jobs/not-a-uuid']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/, url);
  }
});

test('the data behind the page still needs a key', async () => {
  const res = await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/results` });
  assert.equal(res.statusCode, 401);
});

async function results(): Promise<ResultRow[]> {
  const res = await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/results`, headers: { authorization: `Bearer ${tenant.key}` } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().results;
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('curves and bands equal the accuracy_by_layer view (mean, stddev_samp, min, max over seeds)', async () => {
  const rows = await results();
  const view = await db.query(
    `SELECT method, control, layer, n_seeds::int AS n, accuracy_mean, accuracy_std, accuracy_min, accuracy_max,
            distractor_accuracy_mean, opinion_accuracy_mean
     FROM accuracy_by_layer WHERE job_id = $1`,
    [jobId],
  );
  assert.equal(view.rows.length, METHODS.length * LAYERS.length * 3);
  for (const control of [null, 'distractor', 'explicit-opinion']) {
    const curves = layerCurves(rows, { control, methodOrder: METHODS });
    assert.deepEqual(curves.layers, LAYERS);
    assert.deepEqual(curves.curves.map((c) => c.method), [...METHODS], 'methods in the job spec order');
    for (const c of curves.curves) {
      c.stats.forEach((s, i) => {
        const v = view.rows.find((r) => r.method === c.method && r.control === (control ?? 'clean') && r.layer === curves.layers[i]);
        assert.ok(s && v, `${c.method} ${control} layer ${curves.layers[i]}`);
        assert.equal(s.n, v.n);
        assert.equal(s.n, SEEDS.length);
        close(s.mean, v.accuracy_mean, 'mean');
        close(s.std, v.accuracy_std, 'std');
        close(s.min, v.accuracy_min, 'min');
        close(s.max, v.accuracy_max, 'max');
      });
    }
  }
  assert.deepEqual(controlsPresent(rows), ['distractor', 'explicit-opinion']);
  for (const [control, column] of [['distractor', 'distractor_accuracy_mean'], ['explicit-opinion', 'opinion_accuracy_mean']] as const) {
    const cc = controlCurves(rows, control, METHODS);
    for (const c of cc.planted) {
      c.stats.forEach((s, i) => {
        const v = view.rows.find((r) => r.method === c.method && r.control === control && r.layer === cc.layers[i]);
        close(s!.mean, v[column], `${control} planted mean`);
      });
    }
  }
});

test('the best layers the dashboard shows are the best_layers view served by /results, for every metric; every pooled probe gets a link', async () => {
  const rows = await results();
  const served = (await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/results`, headers: { authorization: `Bearer ${tenant.key}` } })).json().best_layers;
  const view = await db.query(`SELECT method, metric, best_layer, mean FROM best_layers WHERE job_id = $1 AND control = 'clean'`, [jobId]);
  assert.ok(view.rows.length >= METHODS.length * 2);
  for (const v of view.rows) {
    const s = served.find((b: { method: string; metric: string; control: string | null }) => b.method === v.method && b.metric === v.metric && b.control === null);
    assert.equal(s.best_layer, v.best_layer, `${v.method} ${v.metric}`);
    close(s.mean, v.mean, `${v.method} ${v.metric} best mean`);
    // …and it is the layer whose curve mean is highest (the curve the dashboard draws).
    const curve = layerCurves(rows, { metric: v.metric, methodOrder: METHODS }).curves.find((c) => c.method === v.method);
    if (curve) close(Math.max(...curve.stats.map((st) => st?.mean ?? -1)), v.mean, `${v.method} ${v.metric} curve max`);
  }
  const probes = probeIndex(rows, METHODS);
  // Pooled-template probes only: clean and the two prompt controls, not the per-template fits.
  assert.equal(probes.length, 3 * METHODS.length * LAYERS.length * SEEDS.length);
  assert.deepEqual(probes.slice(0, 2).map((p) => [p.control, p.method, p.layer, p.seed]), [[null, 'ccs', 0, 0], [null, 'ccs', 0, 1]]);
});

test('the agreement grid equals SQL averages over seeds, one row per unordered pair', async () => {
  const res = await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/results`, headers: { authorization: `Bearer ${tenant.key}` } });
  const grid = agreementGrid(res.json().agreements, null, METHODS);
  assert.deepEqual(grid.layers, LAYERS);
  assert.deepEqual(grid.pairs.map((p) => `${p.a}|${p.b}`), ['ccs|pca', 'ccs|kmeans', 'ccs|random', 'pca|kmeans', 'pca|random', 'kmeans|random']);
  const sql = await db.query(
    `SELECT method_a, method_b, layer, avg(prediction_agreement) AS agreement, avg(abs(direction_cosine)) AS cosine
     FROM agreements WHERE job_id = $1 AND control IS NULL GROUP BY method_a, method_b, layer`,
    [jobId],
  );
  for (const p of grid.pairs) {
    p.agreement.forEach((s, i) => {
      const v = sql.rows.find((r) => r.layer === grid.layers[i] && ((r.method_a === p.a && r.method_b === p.b) || (r.method_a === p.b && r.method_b === p.a)));
      close(s!.mean, v.agreement, `${p.a}|${p.b} L${grid.layers[i]} agreement`);
      close(p.cosine[i]!.mean, v.cosine, `${p.a}|${p.b} L${grid.layers[i]} cosine`);
    });
  }
});

test('template curves equal the template_spread view (over templates × seeds)', async () => {
  const rows = await results();
  const tc = templateCurves(rows, METHODS);
  assert.equal(tc.nTemplates, 2);
  const view = await db.query(
    `SELECT method, layer, n_templates::int AS n_templates, accuracy_mean, accuracy_std, accuracy_min, accuracy_max
     FROM template_spread WHERE job_id = $1`,
    [jobId],
  );
  assert.equal(view.rows.length, METHODS.length * LAYERS.length);
  for (const c of tc.curves) {
    c.stats.forEach((s, i) => {
      const v = view.rows.find((r) => r.method === c.method && r.layer === tc.layers[i]);
      assert.equal(s!.n, 2 * SEEDS.length);
      close(s!.mean, v.accuracy_mean, 'template mean');
      close(s!.std, v.accuracy_std, 'template std');
      close(s!.min, v.accuracy_min, 'template min');
      close(s!.max, v.accuracy_max, 'template max');
    });
  }
});
