/**
 * The comparisons page in a real browser (Debian's chromium via playwright-core) against
 * the API on 127.0.0.1 and the real Postgres. A finished sweep is written by SQL
 * (comparisons-fixture.ts); the test picks it, and checks every number the page prints in
 * the method × (model, dataset) grid and the transfer matrices against the sweep_best_layers
 * view queried directly, the control curves it draws, a selection of jobs instead of a
 * sweep, and saves a screenshot to test-artifacts/dashboard-comparisons.png.
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
import { testConfig, testDb, newTenant } from '../support/env.ts';
import { insertFinishedSweep, SWEEP_METHODS, type SweepFixture } from './comparisons-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium)`;
const ARTIFACTS = path.resolve('test-artifacts');

const config = testConfig({ queuePrefix: `sonde-dash-compare-${process.pid}` });
let app: FastifyInstance;
let db: Db;
let queues: Queues;
let browser: Browser;
let url: string;
let tenant: { key: string; tenantId: string };
let fx: SweepFixture;

before(async () => {
  if (SKIP) return;
  db = await testDb(config);
  queues = createQueues(config.redisUrl, config.queuePrefix);
  app = await buildApp({ config, db, queues });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  tenant = await newTenant(db);
  fx = await insertFinishedSweep(db, tenant.tenantId);
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

async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  return { page, problems };
}

interface Cell { job?: string | null; method?: string | null; train?: string | null; test?: string | null; value: number; std: number; layer: number; text: string }

const cellsOf = (page: Page, selector: string): Promise<Cell[]> => page.$$eval(selector, (tds) => tds.map((td) => ({
  job: td.getAttribute('data-job-id'), method: td.parentElement!.getAttribute('data-method'),
  train: td.getAttribute('data-train'), test: td.getAttribute('data-test'),
  value: Number(td.getAttribute('data-value')), std: Number(td.getAttribute('data-std')), layer: Number(td.getAttribute('data-layer')),
  text: (td as HTMLElement).innerText,
})));

/** The view, straight from SQL: the numbers the page must print. */
async function bestFromSql(metric: string, control: string) {
  const { rows } = await db.query(
    `SELECT job_id, method, best_layer, mean, std FROM sweep_best_layers WHERE sweep_id = $1 AND metric = $2 AND control = $3`,
    [fx.sweepId, metric, control],
  );
  return rows as { job_id: string; method: string; best_layer: number; mean: number; std: number }[];
}

function checkCell(c: Cell, want: { best_layer: number; mean: number; std: number } | undefined, what: string) {
  assert.ok(want, `${what}: SQL has a row`);
  assert.ok(Math.abs(c.value - want.mean) < 1e-6, `${what}: ${c.value} vs SQL ${want.mean}`);
  assert.ok(Math.abs(c.std - want.std) < 1e-6, `${what} std: ${c.std} vs SQL ${want.std}`);
  assert.equal(c.layer, want.best_layer, `${what} layer`);
  // Printed in the cell, not only on hover: mean, spread and layer.
  assert.ok(c.text.includes(want.mean.toFixed(3)) && c.text.includes(`± ${want.std.toFixed(3)}`) && c.text.includes(`L${want.best_layer}`), `${what} text "${c.text}"`);
}

test('the comparisons page shows a sweep\'s grid, transfer matrices and control curves with the view\'s numbers', { skip: SKIP, timeout: 120_000 }, async () => {
  const { page, problems } = await openPage();
  await page.goto(`${url}/dashboard/compare?key=${encodeURIComponent(tenant.key)}`);
  await page.click(`#sweep-picker li[data-sweep-id="${fx.sweepId}"] a`);
  await page.waitForSelector('#comparison-grid');
  assert.equal(new URL(page.url()).search, `?sweep=${fx.sweepId}`);
  assert.match((await page.textContent('#compare-head h1')) ?? '', /Sweep burns-mini\s*completed/);

  // Grid: one row per method, one column per (model, dataset), in the sweep's order.
  assert.deepEqual(await page.$$eval('#comparison-grid tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-method'))), [...SWEEP_METHODS]);
  assert.deepEqual(await page.$$eval('#comparison-grid thead tr:nth-child(2) th', (ths) => ths.map((th) => th.textContent)),
    ['imdb-reviews', 'sentiment-afinn', 'imdb-reviews', 'sentiment-afinn'], 'upload ids shown by name');
  const clean = await bestFromSql('accuracy', 'clean');
  const grid = await cellsOf(page, '#comparison-grid tbody td');
  assert.equal(grid.length, SWEEP_METHODS.length * 4);
  for (const c of grid) checkCell(c, clean.find((b) => b.job_id === c.job && b.method === c.method), `grid ${c.method} ${c.job}`);

  // Transfer: per model, train × test; diagonal the clean run, off it the transfer condition.
  assert.equal(await page.locator('#transfer-card figure.transfer').count(), 2);
  const transfer = await bestFromSql('accuracy', 'transfer:sentiment-afinn');
  for (const [m, model] of ['use-lite', 'tiny-gpt2'].entries()) {
    const cells = await cellsOf(page, `#transfer-card table[data-model="${model}"] tbody td`);
    const [imdbJob, afinnJob] = [fx.jobIds[2 * m], fx.jobIds[2 * m + 1]];
    const at = (train: string, testSet: string) => cells.find((c) => c.train === train && c.test === testSet)!;
    checkCell(at(fx.imdbId, fx.imdbId), clean.find((b) => b.job_id === imdbJob && b.method === 'ccs'), `${model} imdb → imdb`);
    checkCell(at(fx.imdbId, 'sentiment-afinn'), transfer.find((b) => b.job_id === imdbJob && b.method === 'ccs'), `${model} imdb → afinn`);
    checkCell(at('sentiment-afinn', 'sentiment-afinn'), clean.find((b) => b.job_id === afinnJob && b.method === 'ccs'), `${model} afinn → afinn`);
    assert.equal(at('sentiment-afinn', fx.imdbId).text, '–', 'not run');
  }
  // Another method redraws the matrices from that method's rows.
  await page.selectOption('#transfer-method', 'pca');
  await page.waitForSelector('#transfer-card figure.transfer[data-method="pca"]');
  const pcaCell = (await cellsOf(page, `#transfer-card table[data-model="use-lite"] tbody td[data-test="sentiment-afinn"][data-train="${fx.imdbId}"]`))[0];
  checkCell(pcaCell, transfer.find((b) => b.job_id === fx.jobIds[0] && b.method === 'pca'), 'use-lite pca imdb → afinn');

  // Control curves side by side: one chart per job, truth and planted line per method.
  await page.waitForFunction(() => document.querySelectorAll('#control-curves .chart[data-rendered="true"] canvas').length === 4);
  assert.equal(await page.getAttribute(`#control-distractor-${fx.jobIds[0]}`, 'data-series'),
    SWEEP_METHODS.flatMap((m) => [`${m} · truth`, `${m} · distractor`]).join(','));
  assert.equal(await page.textContent(`#control-distractor-${fx.jobIds[3]} figcaption`), 'tiny-gpt2 · sentiment-afinn');

  // The screenshot, with the grid on accuracy and the transfer matrices on CCS.
  await page.selectOption('#transfer-method', 'ccs');
  await page.waitForFunction(() => document.querySelectorAll('#control-curves .chart[data-rendered="true"] canvas').length === 4);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-comparisons.png'), fullPage: true });

  // AUROC instead: every cell is the view's AUROC row.
  await page.selectOption('#compare-metric', 'auroc');
  await page.waitForSelector('#comparison-grid[data-metric="auroc"]');
  const auroc = await bestFromSql('auroc', 'clean');
  for (const c of await cellsOf(page, '#comparison-grid tbody td')) checkCell(c, auroc.find((b) => b.job_id === c.job && b.method === c.method), `auroc ${c.method}`);
  assert.deepEqual(problems, [], 'no console errors (CSP violations included)');
  await page.context().close();
});

test('ticked jobs compare the same way, without a sweep', { skip: SKIP, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage();
  await page.goto(`${url}/dashboard/compare?key=${encodeURIComponent(tenant.key)}`);
  await page.check(`#job-picker tr[data-job-id="${fx.jobIds[0]}"] input`);
  await page.check(`#job-picker tr[data-job-id="${fx.jobIds[3]}"] input`);
  await page.click('#compare-selected');
  await page.waitForSelector('#comparison-grid');
  const ids = new URL(page.url()).searchParams.get('jobs')!.split(',');
  assert.deepEqual(ids.sort(), [fx.jobIds[0], fx.jobIds[3]].sort());
  const cells = await cellsOf(page, '#comparison-grid tbody td');
  assert.equal(cells.length, SWEEP_METHODS.length * 2);
  const clean = await bestFromSql('accuracy', 'clean');
  for (const c of cells) checkCell(c, clean.find((b) => b.job_id === c.job && b.method === c.method), `jobs grid ${c.method}`);
  // A bad id says so instead of drawing.
  await page.goto(`${url}/dashboard/compare?jobs=00000000-0000-4000-8000-000000000000`);
  await page.waitForSelector('#compare-error .error');
  assert.match((await page.textContent('#compare-error')) ?? '', /does not exist/);
  assert.deepEqual(problems.filter((p) => !/\b404\b/.test(p)), []);
  await page.context().close();
});
