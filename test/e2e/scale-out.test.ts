/**
 * Scale-out: two worker processes that share nothing but Postgres, Redis and an S3 store
 * (separate data directories, an S3-protocol server started here) complete jobs together,
 * each taking fit units; one is killed mid-job and the other finishes it, with no lost and
 * no duplicate rows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApi } from '../../http/server.ts';
import type { Db } from '../../infra/db/pool.ts';
import { apiCaller } from '../support/http.ts';
import { testConfig, testDb, newTenant } from '../support/env.ts';
import { startS3, type TestS3 } from '../support/s3.ts';

const config = testConfig({ port: 0, queuePrefix: `sonde-scale-${process.pid}` });
let s3: TestS3;
let api: { url: string; close: () => Promise<void> };
let db: Db;
let key: string;

interface WorkerProc { name: string; proc: ChildProcess; log: string; dataDir: string }
const workers: WorkerProc[] = [];

function startWorker(name: string): WorkerProc {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `sonde-${name}-`));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', 'worker'], {
    env: {
      ...process.env, ...s3.env,
      DATABASE_URL: config.databaseUrl, SONDE_QUEUE_PREFIX: config.queuePrefix, SONDE_DATA_DIR: dataDir,
      SONDE_FIT_CONCURRENCY: '1', SONDE_EXTRACT_THREADS: '1', SONDE_LOCK_MS: '4000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: a kill takes its children (extraction, fit) too
  });
  const w: WorkerProc = { name, proc, log: '', dataDir };
  proc.stdout!.on('data', (d) => { w.log += d; });
  proc.stderr!.on('data', (d) => { w.log += d; });
  workers.push(w);
  return w;
}

const call = apiCaller(() => api.url, () => key);

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not after ${timeoutMs} ms\n${workers.map((w) => `--- ${w.name}\n${w.log.slice(-2500)}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const fitUnitsDone = (w: WorkerProc, jobId: string) => [...w.log.matchAll(new RegExp(`fit unit fit-${jobId}-(\\d+) done`, 'g'))].map((m) => Number(m[1]));

before(async () => {
  s3 = await startS3('sonde-scale');
  db = await testDb(config);
  ({ key } = await newTenant(db));
  api = await startApi({ ...config, s3: s3.config, logLevel: 'warn' });
  startWorker('worker-a');
  startWorker('worker-b');
});

after(async () => {
  for (const w of workers) {
    if (w.proc.exitCode === null && w.proc.signalCode === null) {
      try { process.kill(-w.proc.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    fs.rmSync(w.dataDir, { recursive: true, force: true });
  }
  await api.close();
  await db.end();
  await s3.close();
});

const JOB = { methods: ['ccs', 'pca', 'lr'], seeds: 4, max_items: 160, bootstrap: 200, controls: ['distractor'] };
const ROWS = 2 * 3 * 4 * 2; // layers × methods × seeds × (clean + distractor)

async function rowCounts(jobId: string) {
  const all = await db.query('SELECT count(*)::int AS n FROM results WHERE job_id = $1', [jobId]);
  const dupes = await db.query(
    'SELECT count(*)::int AS n FROM (SELECT 1 FROM results WHERE job_id = $1 GROUP BY layer, method, seed, control, template HAVING count(*) > 1) d',
    [jobId],
  );
  return { rows: all.rows[0].n as number, duplicates: dupes.rows[0].n as number };
}

test('two workers with separate data directories share a job through S3: each takes fit units', { timeout: 600_000 }, async () => {
  const submit = await call('POST', '/v1/jobs', JOB);
  assert.equal(submit.status, 202, JSON.stringify(submit.body));
  const id = submit.body.id as string;
  const job = await until('job completed', async () => {
    const { body } = await call('GET', `/v1/jobs/${id}`);
    return ['completed', 'failed'].includes(body.status) && body;
  }, 480_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.deepEqual(await rowCounts(id), { rows: ROWS, duplicates: 0 });
  const [a, b] = workers.map((w) => fitUnitsDone(w, id));
  assert.deepEqual([...a, ...b].sort(), [0, 1], 'every layer fitted exactly once');
  assert.ok(a.length === 1 && b.length === 1, `each worker fitted a layer (a: ${a}, b: ${b})`);
  // Nothing under either data directory but the model cache: activations live in S3.
  for (const w of workers) {
    assert.deepEqual(fs.readdirSync(w.dataDir).filter((f) => f !== 'models'), [], `${w.name} wrote only its model cache locally`);
  }
});

test('a worker killed mid-job: the other finishes it, no lost or duplicate rows', { timeout: 600_000 }, async () => {
  const submit = await call('POST', '/v1/jobs', { ...JOB, seeds: 6 });
  const id = submit.body.id as string;
  // Kill whichever worker first starts a fit unit of this job, while it holds it.
  const victim = await until('a fit unit started', async () => workers.find((w) => new RegExp(`fit unit fit-${id}-\\d+ started`).test(w.log)), 300_000);
  process.kill(-victim.proc.pid!, 'SIGKILL');
  const survivor = workers.find((w) => w !== victim)!;
  const job = await until('job completed by the survivor', async () => {
    const { body } = await call('GET', `/v1/jobs/${id}`);
    return ['completed', 'failed'].includes(body.status) && body;
  }, 480_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error) + survivor.log.slice(-2000));
  assert.deepEqual(await rowCounts(id), { rows: 2 * 3 * 6 * 2, duplicates: 0 });
  assert.deepEqual(fitUnitsDone(survivor, id).sort(), [0, 1], 'the survivor fitted both layers, the killed one finished none');
});
