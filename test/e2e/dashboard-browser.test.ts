/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core, against
 * the API listening on 127.0.0.1 with the real Postgres. A finished job is written by SQL
 * (dashboard-fixture.ts); the test opens its page, checks the charts drew the right series
 * (names, pixels, heatmap values), downloads a probe, watches the jobs list pick up a status
 * change, and saves a screenshot to test-artifacts/dashboard-job.png.
 * Skips, saying why, where /usr/bin/chromium is absent (`apt-get install chromium`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../../http/app.ts';
import { createQueues, type Queues } from '../../infra/queue.ts';
import type { Db } from '../../infra/db/pool.ts';
import { parseNpy } from '../../lib/npy.ts';
import { testConfig, testDb, newTenant } from '../support/env.ts';
import { insertFinishedJob, insertRunningJob, insertResults, fakeAccuracy, METHODS, LAYERS, SEEDS } from './dashboard-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium)`;
const ARTIFACTS = path.resolve('test-artifacts');

const config = testConfig({ queuePrefix: `sonde-dash-browser-${process.pid}` });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let browser: Browser;
let url: string;
let tenant: { key: string; tenantId: string };
let jobId: string;
let runningId: string;

before(async () => {
  if (SKIP) return;
  db = await testDb(config);
  queues = createQueues(config.redisUrl, config.queuePrefix);
  app = await buildApp({ config, db, queues });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  tenant = await newTenant(db);
  jobId = await insertFinishedJob(db, tenant.tenantId);
  runningId = await insertRunningJob(db, tenant.tenantId);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (SKIP) return;
  await browser?.close();
  await app?.close();
  await queues?.close();
  await db?.end();
});

/** A page that fails the test on any console error or uncaught exception (a CSP violation is one). */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  return { page, problems };
}

/** Counts canvas pixels close to a colour: the line was drawn, not just the axes. */
async function pixelsOfColor(page: Page, selector: string, hex: string): Promise<number> {
  return page.$eval(selector, (canvas, hexColor) => {
    const c = canvas as HTMLCanvasElement;
    const n = parseInt(hexColor.slice(1), 16);
    const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12 && Math.abs(data[i + 2] - b) < 12 && data[i + 3] > 200) count++;
    }
    return count;
  }, hex);
}

test('the job page draws the curves, heatmap, controls and probe links of a finished job', { skip: SKIP, timeout: 120_000 }, async () => {
  const { page, problems } = await openPage();
  await page.goto(`${url}/dashboard/jobs/${jobId}?key=${encodeURIComponent(tenant.key)}`);
  await page.waitForSelector('#accuracy-by-layer[data-rendered="true"] canvas');
  await page.waitForSelector('#control-distractor-chart[data-rendered="true"] canvas');
  await page.waitForSelector('#control-explicit-opinion-chart[data-rendered="true"] canvas');
  await page.waitForSelector('#template-sensitivity-chart[data-rendered="true"] canvas');

  // The key went to localStorage and left the address bar.
  assert.equal(new URL(page.url()).searchParams.get('key'), null);
  assert.equal(await page.evaluate(() => localStorage.getItem('sonde.apiKey')), tenant.key);
  assert.equal(await page.getAttribute('#progress', 'data-status'), 'completed');

  // One line per method, in the job's order, named on the chart and in its legend.
  assert.equal(await page.getAttribute('#accuracy-by-layer', 'data-series'), METHODS.join(','));
  assert.deepEqual(await page.$$eval('#accuracy-by-layer .legend li', (lis) => lis.map((li) => li.textContent)), [...METHODS]);
  assert.equal(await page.getAttribute('#accuracy-by-layer', 'data-layers'), LAYERS.join(','));
  // Pixels in CCS's colour (first of the palette) and in PCA's: both lines were drawn.
  assert.ok(await pixelsOfColor(page, '#accuracy-by-layer canvas', '#4e79a7') > 200, 'CCS line drawn');
  assert.ok(await pixelsOfColor(page, '#accuracy-by-layer canvas', '#f28e2b') > 200, 'PCA line drawn');

  // Heatmap: method × layer, each cell the mean over seeds of the fixture's accuracies.
  const cells = await page.$$eval('#method-layer-heatmap tbody td', (tds) => tds.map((td) => ({
    method: td.parentElement!.getAttribute('data-method'), layer: Number(td.getAttribute('data-layer')), value: Number(td.getAttribute('data-value')),
  })));
  assert.equal(cells.length, METHODS.length * LAYERS.length);
  for (const c of cells) {
    const expected = SEEDS.reduce((s, seed) => s + fakeAccuracy(c.method!, c.layer, seed, null), 0) / SEEDS.length;
    assert.ok(Math.abs(c.value - expected) < 1e-6, `${c.method} L${c.layer}: ${c.value} vs ${expected}`);
  }

  // Controls: for each method a truth line and a planted-feature line.
  assert.equal(await page.getAttribute('#control-distractor-chart', 'data-series'),
    METHODS.flatMap((m) => [`${m} · truth`, `${m} · distractor`]).join(','));
  assert.equal(await page.getAttribute('#control-explicit-opinion-chart', 'data-series'),
    METHODS.flatMap((m) => [`${m} · truth`, `${m} · explicit-opinion`]).join(','));

  // Template sensitivity: one line per method, banded over templates × seeds.
  assert.equal(await page.getAttribute('#template-sensitivity-chart', 'data-series'), METHODS.join(','));

  // Agreement control: one row per unordered pair of methods, one cell per layer.
  assert.equal(await page.locator('#agreement tbody tr').count(), (METHODS.length * (METHODS.length - 1)) / 2);
  assert.equal(await page.locator('#agreement tbody td').count(), (LAYERS.length * METHODS.length * (METHODS.length - 1)) / 2);

  // Switching the band to ±std redraws the chart with the same series.
  await page.selectOption('#spread', 'std');
  await page.waitForSelector('#accuracy-by-layer[data-rendered="true"] canvas');
  assert.equal(await page.getAttribute('#accuracy-by-layer', 'data-series'), METHODS.join(','));

  // Probe links: three formats for every pooled probe; an .npy one downloads with the key.
  const nProbes = 3 * METHODS.length * LAYERS.length * SEEDS.length;
  assert.equal(await page.locator('a.probe-link').count(), 3 * nProbes);
  await page.click('#probes details[data-method="ccs"][data-control="clean"] summary');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#probes details[data-method="ccs"][data-control="clean"] a.probe-link[data-format="npy"] >> nth=0'),
  ]);
  assert.equal(download.suggestedFilename(), 'probe-ccs-L0-s0.npy');
  const file = fs.readFileSync((await download.path())!);
  const npy = parseNpy(new Uint8Array(file.buffer, file.byteOffset, file.byteLength));
  assert.deepEqual(npy.shape, [8]);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.selectOption('#spread', 'minmax');
  await page.waitForSelector('#accuracy-by-layer[data-rendered="true"] canvas');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-job.png'), fullPage: true });
  assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
  await page.context().close();
});

test('the jobs list shows live status and asks for a key when it has none', { skip: SKIP, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage();
  await page.goto(`${url}/dashboard`);
  await page.fill('#api-key', tenant.key);
  await page.click('#key-form button[type="submit"]');
  await page.waitForSelector(`#jobs tr[data-job-id="${runningId}"][data-status="running"]`);
  assert.equal(await page.getAttribute(`#jobs tr[data-job-id="${jobId}"]`, 'data-status'), 'completed');

  // The worker's writes, as SQL: the list picks the change up on its next poll.
  await db.query(`UPDATE jobs SET status = 'failed', finished_at = now(), error = '{"message": "boom"}' WHERE id = $1`, [runningId]);
  await page.waitForSelector(`#jobs tr[data-job-id="${runningId}"][data-status="failed"]`, { timeout: 15_000 });

  // A job link opens the job page in place.
  await page.click(`#jobs tr[data-job-id="${jobId}"] a`);
  await page.waitForSelector('#accuracy-by-layer[data-rendered="true"]');
  assert.equal(new URL(page.url()).pathname, `/dashboard/jobs/${jobId}`);

  // A job that is not this tenant's (or does not exist) says so.
  await page.goto(`${url}/dashboard/jobs/00000000-0000-4000-8000-000000000000`);
  await page.waitForSelector('#progress .error');
  assert.match((await page.textContent('#progress .error')) ?? '', /does not exist/);

  // A revoked or wrong key brings the key form back with the API's reason.
  await page.evaluate(() => localStorage.setItem('sonde.apiKey', 'sk_wrong_wrong_wrong_wrong_wrong'));
  await page.goto(`${url}/dashboard`);
  await page.waitForSelector('#key-form');
  assert.match((await page.textContent('#app .error')) ?? '', /invalid or revoked API key/);
  // The browser logs the refused requests (404 job, 401 key) itself; nothing else may be logged.
  assert.deepEqual(problems.filter((p) => !/\b(401|404)\b/.test(p)), []);
  await page.context().close();
});

test('a running job\'s page follows its progress and draws layers as they commit', { skip: SKIP, timeout: 60_000 }, async () => {
  const id = await insertRunningJob(db, tenant.tenantId);
  const { page, problems } = await openPage();
  await page.goto(`${url}/dashboard/jobs/${id}?key=${encodeURIComponent(tenant.key)}`);
  await page.waitForSelector('#progress .progress[aria-label="extract 30/120"]');
  assert.match((await page.textContent('#results')) ?? '', /Results appear here/);

  // The first layer's fit unit commits: the curves appear with that one layer.
  await insertResults(db, id, { methods: ['ccs', 'lr'], layers: [0], seeds: [0, 1], controls: [null] });
  await db.query(`UPDATE jobs SET progress_stage = 'fit', progress_done = 1, progress_total = 2, fits_total = 2 WHERE id = $1`, [id]);
  await page.waitForSelector('#accuracy-by-layer[data-layers="0"][data-rendered="true"]', { timeout: 15_000 });
  assert.equal(await page.getAttribute('#accuracy-by-layer', 'data-series'), 'ccs,lr');

  // The last one commits and the job completes: both layers, and the status follows.
  await insertResults(db, id, { methods: ['ccs', 'lr'], layers: [1], seeds: [0, 1], controls: [null] });
  await db.query(`UPDATE jobs SET status = 'completed', progress_done = 2, finished_at = now() WHERE id = $1`, [id]);
  await page.waitForSelector('#progress[data-status="completed"]', { timeout: 15_000 });
  await page.waitForSelector('#accuracy-by-layer[data-layers="0,1"][data-rendered="true"]');
  assert.equal(await page.locator('#method-layer-heatmap tbody td').count(), 4);
  assert.deepEqual(problems, []);
  await page.context().close();
});
