/**
 * Bounded work with real worker processes (issue 12), on uploaded activations (no model):
 *   - a job cancelled while queued is never started;
 *   - cancelling a job whose fit child is spinning kills that child within seconds, and
 *     the next job runs (no tenant is starved);
 *   - a fit child killed for memory (SONDE_FIT_MEMORY_MB) ends its job `failed` with the
 *     reason, at once (no retries), and the worker and the API keep serving.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { startApi } from '../../http/server.ts';
import type { Db } from '../../infra/db/pool.ts';
import { encodeMat, encodeNpy } from '../../lib/npy.ts';
import { testConfig, testDb, newTenant } from '../support/env.ts';
import { mulberry32 } from '../support/rng.ts';

const config = testConfig({ port: 0, queuePrefix: `sonde-bounded-${process.pid}` });
let api: { url: string; close: () => Promise<void> };
let db: Db;
let key: string;
let worker: ChildProcess | null = null;
let workerLog = '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(method: string, route: string, body?: unknown) {
  const res = await fetch(new URL(route, api.url), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

function startWorker(env: Record<string, string> = {}) {
  workerLog = '';
  const w = spawn(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', 'worker'], {
    env: { ...process.env, DATABASE_URL: config.databaseUrl, SONDE_QUEUE_PREFIX: config.queuePrefix, SONDE_DATA_DIR: config.dataDir, SONDE_FIT_CONCURRENCY: '1', SONDE_LOCK_MS: '5000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  w.stdout!.on('data', (d) => { workerLog += d; });
  w.stderr!.on('data', (d) => { workerLog += d; });
  worker = w;
  return w;
}

async function stopWorker() {
  const w = worker;
  worker = null;
  if (!w || w.exitCode !== null) return;
  const exited = new Promise((r) => w.once('exit', r));
  w.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000).then(() => w.kill('SIGKILL'))]);
}

/** Fit children of the worker (workers/fit-child.ts), by pid. */
function fitChildren(): number[] {
  if (!worker?.pid) return [];
  try {
    return execFileSync('ps', ['--ppid', String(worker.pid), '-o', 'pid=,args='], { encoding: 'utf8' })
      .split('\n').filter((l) => l.includes('fit-child')).map((l) => Number(l.trim().split(/\s+/)[0]));
  } catch {
    return [];
  }
}

async function waitFor(id: string, statuses: string[], ms: number) {
  const t0 = Date.now();
  for (;;) {
    const { body } = await call('GET', `/v1/jobs/${id}`);
    if (statuses.includes(body.status)) return body;
    if (Date.now() - t0 > ms) throw new Error(`job ${id} still ${body.status} after ${ms} ms\n${workerLog.slice(-2000)}`);
    await sleep(200);
  }
}

async function uploadSet(n: number, d: number): Promise<string> {
  const r = mulberry32(n * 31 + d);
  const y = Int8Array.from({ length: n }, (_, i) => i % 2);
  const side = (sign: number) => {
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = r() - 0.5 + (j === 0 ? sign * (y[i] ? 0.4 : -0.4) : 0);
    return encodeMat({ rows: n, cols: d, data });
  };
  const form = new FormData();
  form.append('pos', new Blob([Buffer.from(side(1))]), 'pos.npy');
  form.append('neg', new Blob([Buffer.from(side(-1))]), 'neg.npy');
  form.append('labels', new Blob([Buffer.from(encodeNpy([n], y))]), 'labels.npy');
  const res = await fetch(new URL('/v1/activations', api.url), { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  return body.id;
}

before(async () => {
  db = await testDb(config);
  ({ key } = await newTenant(db));
  // The API admits more than the second worker's fit children may use: the memory cap is the backstop.
  api = await startApi({ ...config, logLevel: 'warn' });
});

after(async () => {
  await stopWorker();
  await api.close();
  await db.end();
});

test('a job cancelled while queued is never started', { timeout: 120_000 }, async () => {
  const set = await uploadSet(64, 8);
  const job = await call('POST', '/v1/jobs', { activations: set, methods: ['pca'], seeds: 1 });
  assert.equal(job.status, 202, JSON.stringify(job.body));
  assert.equal((await call('DELETE', `/v1/jobs/${job.body.id}`)).body.status, 'cancelled');
  startWorker();
  // A second job shows the worker is up and has passed the cancelled one in the queue.
  const next = await call('POST', '/v1/jobs', { activations: set, methods: ['pca'], seeds: 1 });
  await waitFor(next.body.id, ['completed'], 90_000);
  const got = await call('GET', `/v1/jobs/${job.body.id}`);
  assert.deepEqual(got.body.history.map((h: { status: string }) => h.status), ['queued', 'cancelled']);
  assert.equal(got.body.started_at, null);
});

test('cancel kills a running fit child within seconds, and the next job runs', { timeout: 180_000 }, async () => {
  const set = await uploadSet(400, 64);
  const spin = await call('POST', '/v1/jobs', { activations: set, methods: ['ccs'], seeds: 5, method_options: { ccs: { optimizer: 'adam', epochs: 10_000, restarts: 100 } } });
  assert.equal(spin.status, 202, JSON.stringify(spin.body));
  // Wait until the fit stage has a child on it.
  const t0 = Date.now();
  let pids: number[] = [];
  for (;;) {
    const { body } = await call('GET', `/v1/jobs/${spin.body.id}`);
    pids = fitChildren();
    if (body.progress.stage === 'fit' && pids.length) break;
    if (Date.now() - t0 > 90_000) throw new Error(`no fit child: ${JSON.stringify(body.progress)}\n${workerLog.slice(-2000)}`);
    await sleep(200);
  }
  await sleep(1500); // well into the fit
  const cancelledAt = Date.now();
  assert.equal((await call('DELETE', `/v1/jobs/${spin.body.id}`)).body.status, 'cancelled');
  while (fitChildren().some((p) => pids.includes(p))) {
    if (Date.now() - cancelledAt > 10_000) throw new Error('the fit child still runs 10 s after cancel');
    await sleep(100);
  }
  const killedIn = Date.now() - cancelledAt;
  console.log(`# fit child of the cancelled job gone ${killedIn} ms after DELETE`);
  assert.ok(killedIn < 5_000, `${killedIn} ms`);
  const next = await call('POST', '/v1/jobs', { activations: set, methods: ['pca', 'lr'], seeds: 1 });
  const done = await waitFor(next.body.id, ['completed', 'failed'], 60_000);
  assert.equal(done.status, 'completed', JSON.stringify(done.error));
  assert.equal((await call('GET', `/v1/jobs/${spin.body.id}/results`)).body.results.length, 0, 'no late results');
});

test('a fit child killed for memory fails its job at once with the reason; the service keeps serving', { timeout: 240_000 }, async () => {
  await stopWorker();
  startWorker({ SONDE_FIT_MEMORY_MB: '260' });
  const big = await uploadSet(16_000, 512);
  const heavy = await call('POST', '/v1/jobs', { activations: big, methods: ['pca', 'lr'], seeds: 2, bootstrap: 0 });
  assert.equal(heavy.status, 202, JSON.stringify(heavy.body));
  const t0 = Date.now();
  const failed = await waitFor(heavy.body.id, ['failed', 'completed'], 180_000);
  assert.equal(failed.status, 'failed', 'the fit went over its 260 MiB cap');
  assert.match(failed.error.detail, /memory limit of 260 MiB|JavaScript heap/);
  assert.match(failed.error.title, /Invalid job input/, 'not retried as a worker failure');
  console.log(`# memory-killed job failed ${Date.now() - t0} ms after submission: ${failed.error.detail}`);
  assert.equal(worker!.exitCode, null, 'the worker itself survived');
  const health = await fetch(new URL('/healthz', api.url));
  assert.equal(health.status, 200);
  const small = await uploadSet(200, 16);
  const next = await call('POST', '/v1/jobs', { activations: small, methods: ['pca', 'lr'], seeds: 1 });
  const done = await waitFor(next.body.id, ['completed', 'failed'], 60_000);
  assert.equal(done.status, 'completed', JSON.stringify(done.error));
});
