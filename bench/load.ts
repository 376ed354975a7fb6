/**
 * `npm run bench:load` — one API process on loopback under autocannon (bounded in time):
 *   1. job submissions (POST /v1/jobs on an uploaded activation set, so a job is cheap to run)
 *      mixed with status polls (GET /v1/jobs/{id});
 *   2. then 1,000 queued small jobs drained by one worker process: none lost.
 * Prints requests/s and p50/p99 latency per phase, and the drain figures.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../infra/config.ts';
import { migrate } from '../infra/db/migrate.ts';
import { createPool } from '../infra/db/pool.ts';
import { createApiKey, createTenant } from '../infra/db/tenants.ts';
import { startApi } from '../http/server.ts';
import { createQueues } from '../infra/queue.ts';
import { encodeMat, encodeNpy } from '../lib/npy.ts';

const DURATION = Number(process.env.LOAD_SECONDS ?? 10);
const DRAIN_JOBS = Number(process.env.LOAD_DRAIN_JOBS ?? 1000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-load-'));
const env = { ...process.env, DATABASE_URL: process.env.LOAD_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sonde_load', SONDE_QUEUE_PREFIX: `sonde-load-${process.pid}`, SONDE_DATA_DIR: dataDir, SONDE_RATE_LIMIT: '100000000', PORT: '0' };

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))));
}

async function main() {
  const config = loadConfig(env);
  await migrate(config.databaseUrl);
  const db = createPool(config.databaseUrl, 2);
  const tenant = await createTenant(db, `load-${process.pid}`);
  await db.query('UPDATE tenants SET max_concurrent_jobs = 1000000 WHERE id = $1', [tenant.id]);
  const { key } = await createApiKey(db, tenant.id);
  const api = await startApi({ ...config, logLevel: 'error', maxConcurrentJobsPerTenant: 1_000_000 });
  const headers = { authorization: `Bearer ${key}` };

  // A small planted activation set: 64 pairs, d = 16.
  const n = 64, d = 16;
  const pos = new Float32Array(n * d), neg = new Float32Array(n * d), labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let j = 0; j < d; j++) {
      const noise = Math.sin(i * 31 + j * 7);
      pos[i * d + j] = noise + (j === 0 ? (labels[i] ? 1 : -1) : 0);
      neg[i * d + j] = noise - (j === 0 ? (labels[i] ? 1 : -1) : 0);
    }
  }
  const form = new FormData();
  form.append('name', 'load');
  form.append('pos', new Blob([Buffer.from(encodeMat({ rows: n, cols: d, data: pos }))]), 'pos.npy');
  form.append('neg', new Blob([Buffer.from(encodeMat({ rows: n, cols: d, data: neg }))]), 'neg.npy');
  form.append('labels', new Blob([Buffer.from(encodeNpy([n], labels))]), 'labels.npy');
  const set = await (await fetch(`${api.url}/v1/activations`, { method: 'POST', headers, body: form })).json();
  const jobBody = JSON.stringify({ activations: set.id, methods: ['mass-mean'], seeds: 1, bootstrap: 0 });
  const first = await (await fetch(`${api.url}/v1/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: jobBody })).json();

  console.log(`one API process, ${DURATION} s per phase, 10 connections, loopback`);
  const phases: [string, autocannon.Options][] = [
    ['submit  POST /v1/jobs', { url: `${api.url}/v1/jobs`, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: jobBody, connections: 10, duration: DURATION }],
    ['poll    GET /v1/jobs/{id}', { url: `${api.url}/v1/jobs/${first.id}`, headers, connections: 10, duration: DURATION }],
    ['mixed   1 submit : 4 polls', { url: api.url, connections: 10, duration: DURATION, requests: [
      { method: 'POST', path: '/v1/jobs', headers: { ...headers, 'content-type': 'application/json' }, body: jobBody },
      ...Array.from({ length: 4 }, () => ({ method: 'GET' as const, path: `/v1/jobs/${first.id}`, headers })),
    ] }],
  ];
  console.log('phase                          req/s    p50 ms   p99 ms   non-2xx');
  for (const [name, opts] of phases) {
    const r = await run(opts);
    console.log(`${name.padEnd(30)} ${r.requests.average.toFixed(0).padStart(6)} ${String(r.latency.p50).padStart(9)} ${String(r.latency.p99).padStart(8)} ${String(r.non2xx).padStart(9)}`);
  }

  // Drain: everything submitted so far plus enough to reach DRAIN_JOBS queued.
  await new Promise((res) => setTimeout(res, 2000)); // requests still in flight when autocannon stopped
  const queued = await db.query(`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1`, [tenant.id]);
  for (let i = queued.rows[0].n; i < DRAIN_JOBS; i++) {
    await fetch(`${api.url}/v1/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: jobBody });
  }
  const total = (await db.query(`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1`, [tenant.id])).rows[0].n;
  console.log(`\ndraining ${total} queued jobs with one worker process…`);
  const t0 = Date.now();
  const worker = spawn(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', 'worker'], { env: { ...env, SONDE_FIT_CONCURRENCY: '2' }, stdio: 'ignore' });
  let done = 0;
  const deadline = Date.now() + 20 * 60_000;
  while (Date.now() < deadline) {
    const r = await db.query(`SELECT status, count(*)::int AS n FROM jobs WHERE tenant_id = $1 GROUP BY status`, [tenant.id]);
    const by = Object.fromEntries(r.rows.map((x: { status: string; n: number }) => [x.status, x.n]));
    done = (by.completed ?? 0) + (by.failed ?? 0);
    if (done >= total) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  const secs = (Date.now() - t0) / 1000;
  const final = await db.query(`SELECT status, count(*)::int AS n FROM jobs WHERE tenant_id = $1 GROUP BY status`, [tenant.id]);
  const submitted = final.rows.reduce((n: number, x: { n: number }) => n + x.n, 0);
  const rows = await db.query(`SELECT count(*)::int AS n FROM results r JOIN jobs j ON j.id = r.job_id WHERE j.tenant_id = $1`, [tenant.id]);
  console.log(`jobs by status: ${JSON.stringify(Object.fromEntries(final.rows.map((x: { status: string; n: number }) => [x.status, x.n])))}`);
  const completed = final.rows.find((x: { status: string }) => x.status === 'completed')?.n ?? 0;
  console.log(`result rows ${rows.rows[0].n} (expected ${submitted}, one per job); drained in ${secs.toFixed(1)} s = ${(completed / secs).toFixed(1)} jobs/s; lost: ${submitted - completed}`);
  worker.kill('SIGTERM');
  const queues = createQueues(config.redisUrl, env.SONDE_QUEUE_PREFIX);
  await queues.extract.obliterate({ force: true }).catch(() => {});
  await queues.fit.obliterate({ force: true }).catch(() => {});
  await queues.close();
  await api.close();
  await db.end();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(`bench:load: ${(e as Error).message}`);
  process.exit(1);
});
