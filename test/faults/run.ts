/**
 * `npm run test:faults` — reliability under faults, against a real Postgres, a dedicated
 * Redis with AOF (started here on its own port, so the shared one is untouched) and real
 * worker processes:
 *   1. kill -9 of the worker (with its extraction and fit children) mid-job, ≥ 10 times;
 *   2. a Redis restart mid-queue (AOF) — no job lost;
 *   3. a Postgres restart mid-run — writes are retried, no job completed with partial
 *      results (opt-in with --pg-restart: it restarts the machine's shared Postgres);
 *   4. admission and bounded work (issue 12): an over-budget job is refused; the largest
 *      job within the budget runs under `sonde start` (SONDE_ROLE=all) while /healthz is
 *      polled (p50/p99 printed); a fit child killed for memory fails its job and the
 *      service keeps serving.
 * then every job must be completed with exactly the expected rows and no duplicates.
 * Prints the figures; exit code 0 only when every check holds. `--only admission` runs
 * part 4 alone; `--no-admission` skips it. FAULT_DATABASE_URL and FAULT_REDIS_PORT keep
 * concurrent runs apart.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config.ts';
import { migrate } from '../../infra/db/migrate.ts';
import { createPool } from '../../infra/db/pool.ts';
import { createApiKey, createTenant } from '../../infra/db/tenants.ts';
import { startApi } from '../../http/server.ts';
import { createQueues } from '../../infra/queue.ts';
import { admissionFaults } from './admission.ts';

const args = new Set(process.argv.slice(2));
const KILLS = Number(process.env.FAULT_KILLS ?? 10);
const JOBS = Number(process.env.FAULT_JOBS ?? 6);
const REDIS_PORT = Number(process.env.FAULT_REDIS_PORT ?? 6391);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (a: number, b: number) => a + Math.random() * (b - a);
const log = (s: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${s}`);

const redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-faults-redis-'));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-faults-data-'));
function startRedis() {
  execFileSync('redis-server', ['--daemonize', 'yes', '--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--dir', redisDir,
    '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--save', '', '--pidfile', path.join(redisDir, 'redis.pid')]);
}
async function stopRedis() {
  try { execFileSync('redis-cli', ['-p', String(REDIS_PORT), 'shutdown', 'nosave']); } catch { /* already down */ }
  await sleep(500);
}

const env = {
  ...process.env,
  DATABASE_URL: process.env.FAULT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sonde_faults',
  REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
  SONDE_QUEUE_PREFIX: 'sonde-faults',
  SONDE_DATA_DIR: dataDir,
  SONDE_LOCK_MS: '5000',
  SONDE_EXTRACT_THREADS: '1',
  PORT: '0',
};

let worker: ChildProcess | null = null;
let workerStartedAt = 0;
let unexpectedExits = 0;
let stderrTail = '';
/**
 * Like a process manager (compose's `restart: unless-stopped`): a worker that exits on its
 * own is restarted — and counted, since only our kill -9s should ever stop one.
 */
function startWorker() {
  const w = spawn(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  w.stderr!.on('data', (d) => { stderrTail = (stderrTail + d).slice(-2000); });
  w.on('exit', (code, signal) => {
    if (worker !== w) return; // killed by us
    unexpectedExits++;
    log(`worker exited by itself (${signal ?? `code ${code}`}); restarting. stderr: ${stderrTail.slice(-300)}`);
    startWorker();
  });
  worker = w;
  workerStartedAt = Date.now();
}
/** SIGKILL the worker's whole process group: the worker, its ONNX child and its fit sandboxes. */
function killWorker() {
  const w = worker;
  worker = null;
  if (w?.pid) {
    try { process.kill(-w.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

async function main(): Promise<number> {
  startRedis();
  await sleep(300);
  const config = loadConfig(env);
  await migrate(config.databaseUrl);
  const db = createPool(config.databaseUrl, 2);
  const tenant = await createTenant(db, `faults-${process.pid}`);
  await db.query('UPDATE tenants SET max_concurrent_jobs = 1000 WHERE id = $1', [tenant.id]);
  const { key } = await createApiKey(db, tenant.id);
  if (args.has('--only')) {
    const out = await admissionFaults({ env, config, db, key, log });
    await db.end();
    await stopRedis();
    fs.rmSync(dataDir, { recursive: true, force: true });
    return out.pass ? 0 : 1;
  }
  const api = await startApi({ ...config, logLevel: 'error' });
  const call = async (method: string, route: string, body?: unknown) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(new URL(route, api.url), { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
        const data = await res.json();
        if (res.status >= 500 && attempt < 20) { await sleep(500); continue; }
        return { status: res.status, body: data };
      } catch (e) {
        if (attempt >= 20) throw e;
        await sleep(500);
      }
    }
  };
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  /**
   * Units the *current* worker took and holds right now (extract + fit): a fault only
   * counts when it hits work in flight. Units a killed worker left active (their lock not
   * yet expired) were taken before this worker started and do not count.
   */
  const active = async () => {
    const held = [
      ...(await queues.extract.getJobs(['active']).catch(() => [])),
      ...(await queues.fit.getJobs(['active']).catch(() => [])),
    ];
    return held.filter((j) => j && (j.processedOn ?? 0) >= workerStartedAt).length;
  };
  const waitActive = async (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) { if ((await active()) > 0) return true; await sleep(100); }
    return false;
  };
  let hitInFlight = 0;
  let readyzChecks = 0;
  const readyzRecovery: number[] = [];
  /** Seconds until /readyz answers 200 again, with nobody restarting the API. */
  const untilReady = async () => {
    const t = Date.now();
    while (Date.now() - t < 60_000) {
      if ((await fetch(new URL('/readyz', api.url)).then((r) => r.status, () => 0)) === 200) return (Date.now() - t) / 1000;
      await sleep(200);
    }
    throw new Error('readyz did not recover within 60 s');
  };
  const spec = { methods: ['pca', 'lr', 'kmeans'], seeds: 2, max_items: 80, bootstrap: 100 };
  const expectedRows = 2 /* layers */ * 3 /* methods */ * 2 /* seeds */;
  const t0 = Date.now();
  const ids: string[] = [];
  startWorker();
  for (let i = 0; i < JOBS; i++) {
    const r = await call('POST', '/v1/jobs', { ...spec, split: { seed: i } });
    if (r.status !== 202) throw new Error(`submit failed: ${JSON.stringify(r.body)}`);
    ids.push(r.body.id);
  }
  log(`submitted ${ids.length} jobs`);

  for (let k = 0; k < KILLS; k++) {
    const busy = await waitActive(20_000);
    await sleep(rand(0, 1500));
    const n = await active();
    if (busy && n > 0) hitInFlight++;
    killWorker();
    log(`kill -9 #${k + 1} (${n} unit(s) in flight)`);
    await sleep(rand(200, 1000));
    startWorker();
  }
  // Graceful stops: SIGTERM mid-job; the worker must exit on its own (in-flight units finish
  // or are picked up again) within the lock time plus a margin.
  let slowestStop = 0;
  for (let k = 0; k < 2; k++) {
    ids.push((await call('POST', '/v1/jobs', { ...spec, split: { seed: 200 + k } })).body.id);
    await waitActive(20_000);
    await sleep(rand(0, 800));
    const inFlight = await active();
    const w = worker!;
    worker = null; // our stop, not a crash
    const t = Date.now();
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.kill('SIGTERM');
    const inTime = await Promise.race([exited.then(() => true), sleep(60_000).then(() => false)]);
    if (!inTime) { try { process.kill(-w.pid!, 'SIGKILL'); } catch { /* gone */ } throw new Error('worker did not stop within 60 s of SIGTERM'); }
    slowestStop = Math.max(slowestStop, Date.now() - t);
    log(`SIGTERM #${k + 1} (${inFlight} unit(s) in flight): worker stopped in ${Date.now() - t} ms`);
    startWorker();
  }
  if (!args.has('--no-redis-restart')) {
    // A few more jobs, then Redis goes down and comes back from its AOF.
    for (let i = 0; i < 2; i++) ids.push((await call('POST', '/v1/jobs', { ...spec, split: { seed: 100 + i } })).body.id);
    await sleep(1500);
    log('restarting Redis (AOF)');
    await stopRedis();
    const down = await fetch(new URL('/readyz', api.url)).then((r) => r.status, () => 0);
    if (down !== 503) throw new Error(`readyz answered ${down} while Redis was down, expected 503`);
    readyzChecks++;
    await sleep(1000);
    startRedis();
    readyzRecovery.push(await untilReady());
  }
  if (args.has('--pg-restart')) {
    await sleep(2000);
    log('restarting Postgres');
    execFileSync('bash', ['-c', 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -1) main restart']);
    readyzRecovery.push(await untilReady());
  }

  const deadline = Date.now() + 15 * 60_000;
  let pending = ids;
  while (pending.length && Date.now() < deadline) {
    await sleep(2000);
    const states = await Promise.all(pending.map((id) => call('GET', `/v1/jobs/${id}`)));
    const failed = states.filter((s) => s.body.status === 'failed');
    if (failed.length) throw new Error(`job failed: ${JSON.stringify(failed[0].body.error)}`);
    log(`${ids.length - pending.length}/${ids.length} completed`);
    pending = pending.filter((_, i) => states[i].body.status !== 'completed');
  }
  const drainSeconds = (Date.now() - t0) / 1000;
  let ok = pending.length === 0;
  let rows = 0;
  let dupes = 0;
  for (const id of ids) {
    const r = await db.query('SELECT count(*)::int AS n FROM results WHERE job_id = $1', [id]);
    const d = await db.query('SELECT count(*)::int AS n FROM (SELECT 1 FROM results WHERE job_id = $1 GROUP BY layer, method, seed, control, template HAVING count(*) > 1) x', [id]);
    rows += r.rows[0].n;
    dupes += d.rows[0].n;
    if (r.rows[0].n !== expectedRows) { ok = false; log(`job ${id}: ${r.rows[0].n} rows, expected ${expectedRows}`); }
  }
  console.log('\n=== fault-injection results');
  console.log(`jobs submitted            ${ids.length}`);
  console.log(`worker kill -9            ${KILLS} (${hitInFlight} with units in flight)`);
  console.log(`worker SIGTERM            2 (slowest stop ${(slowestStop / 1000).toFixed(1)} s)`);
  console.log(`Redis restarts (AOF)      ${args.has('--no-redis-restart') ? 0 : 1}`);
  console.log(`Postgres restarts         ${args.has('--pg-restart') ? 1 : 0}${args.has('--pg-restart') ? '' : ' (opt-in: --pg-restart)'}`);
  console.log(`readyz                    503 while Redis was down (${readyzChecks} check); back to 200 in ${readyzRecovery.map((s) => `${s.toFixed(1)} s`).join(' / ')} (Redis${args.has('--pg-restart') ? ' / Postgres' : ''})`);
  console.log(`jobs completed            ${ids.length - pending.length} / ${ids.length}`);
  console.log(`result rows               ${rows} (expected ${ids.length * expectedRows})`);
  console.log(`duplicate result keys     ${dupes}`);
  console.log(`time to drain             ${drainSeconds.toFixed(1)} s`);
  console.log(`worker crashes (not ours) ${unexpectedExits}`);
  killWorker();
  await queues.close();
  await api.close();
  const admission = args.has('--no-admission') ? { pass: true } : await admissionFaults({ env, config, db, key, log });
  const pass = ok && dupes === 0 && unexpectedExits === 0 && admission.pass;
  console.log(pass ? 'PASS' : 'FAIL');
  await db.end();
  await stopRedis();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return pass ? 0 : 1;
}

main().then((code) => process.exit(code), async (e) => {
  console.error(`faults: ${(e as Error).message}`);
  killWorker();
  await stopRedis();
  process.exit(1);
});
