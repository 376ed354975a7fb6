/**
 * Part 4 of the fault suite (test/faults/run.ts): admission control and bounded work
 * against real processes.
 *   a. `sonde start` (SONDE_ROLE=all: the API here, the workers in its child) with a small
 *      CPU budget (FAULT_CPU_BUDGET, default 60 s): the job is refused (413); the
 *      largest job of the same shape within the budget (found with /v1/jobs/estimate) runs
 *      to completion while /healthz is polled every 20 ms; p50/p95/p99/max printed, p99
 *      held to 100 ms; estimated versus measured time printed.
 *   b. `sonde api` + `sonde worker` with SONDE_FIT_MEMORY_MB=260 (the API admits what the
 *      worker's children may not hold, as when an estimate is wrong): the fit child is
 *      killed for memory, the job ends `failed` at once with the reason, /healthz keeps
 *      answering and the next job completes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '../../infra/config.ts';
import type { Db } from '../../infra/db/pool.ts';
import { encodeMat, encodeNpy } from '../../lib/npy.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CPU_BUDGET = Number(process.env.FAULT_CPU_BUDGET ?? 120);
const P99_TARGET_MS = 100;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

interface Proc { child: ChildProcess; tail: () => string }

function spawnSonde(args: string[], env: NodeJS.ProcessEnv): Proc {
  let tail = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/sonde.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const keep = (d: Buffer) => { tail = (tail + d).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, tail: () => tail };
}

/** SIGTERM the process group we started, SIGKILL after a grace period. */
async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || !p.child.pid) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  try { process.kill(-p.child.pid, 'SIGTERM'); } catch { /* gone */ }
  if (!(await Promise.race([exited.then(() => true), sleep(60_000).then(() => false)]))) {
    try { process.kill(-p.child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

async function waitHealthy(url: string, ms = 90_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if ((await fetch(new URL('/healthz', url)).then((r) => r.status, () => 0)) === 200) return;
    await sleep(250);
  }
  throw new Error(`${url} did not answer /healthz within ${ms / 1000} s`);
}

/** Polls /healthz every `everyMs` until stopped; returns the latencies (ms) and failures. */
function sampleHealth(url: string, everyMs = 20) {
  const latencies: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      const ok = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(5_000) }).then((r) => r.status === 200, () => false);
      const ms = performance.now() - t;
      if (ok) latencies.push(ms);
      else failures++;
      await sleep(Math.max(0, everyMs - ms));
    }
  })();
  return { async stop() { running = false; await loop; return { latencies, failures }; } };
}

function client(url: string, key: string) {
  return async (method: string, route: string, body?: unknown) => {
    const res = await fetch(new URL(route, url), { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: await res.json() };
  };
}

async function waitJob(call: ReturnType<typeof client>, id: string, ms: number) {
  const t0 = Date.now();
  for (;;) {
    const { body } = await call('GET', `/v1/jobs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() - t0 > ms) throw new Error(`job ${id} still ${body.status} after ${ms / 1000} s (${JSON.stringify(body.progress)})`);
    await sleep(500);
  }
}

const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p95 ${quantile(xs, 0.95).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length} requests)`;

const ALL_METHODS = ['ccs', 'crc', 'pca', 'kmeans', 'nmf', 'random', 'vinc', 'lr', 'mass-mean'];

export async function admissionFaults(ctx: { env: NodeJS.ProcessEnv; config: Config; db: Db; key: string; log: (s: string) => void }): Promise<{ pass: boolean }> {
  const { log } = ctx;
  const lines: string[] = [];
  let pass = true;
  const check = (ok: boolean, what: string) => { if (!ok) { pass = false; log(`FAIL: ${what}`); } };
  // The converted default model, if a test run left one, saves its conversion here.
  const cachedModels = path.resolve('.sonde/test-data/models/use-lite');
  const models = path.join(ctx.config.dataDir, 'models', 'use-lite');
  if (fs.existsSync(cachedModels) && !fs.existsSync(models)) fs.cpSync(cachedModels, models, { recursive: true });

  // a. SONDE_ROLE=all under the largest job the budget admits.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const all = spawnSonde(['start'], { ...ctx.env, SONDE_ROLE: 'all', PORT: String(port), LOG_LEVEL: 'warn', SONDE_MAX_JOB_CPU_SECONDS: String(CPU_BUDGET) });
  try {
    await waitHealthy(url);
    const call = client(url, ctx.key);
    const idle = sampleHealth(url);
    await sleep(3_000);
    const idleLat = (await idle.stop()).latencies;

    const templates = Array.from({ length: 32 }, (_, k) => ({ id: `t${k}`, text: `{{text}} Variant ${k}: {{answer}}.` }));
    const huge = await call('POST', '/v1/jobs', { templates, controls: ['distractor', 'explicit-opinion', 'template-sensitivity', 'agreement'], seeds: 100, methods: ALL_METHODS, bootstrap: 10000 });
    check(huge.status === 413, `the issue's job answered ${huge.status}, expected 413`);
    lines.push(`over-budget job               ${huge.status}: ${(huge.body.exceeded ?? []).map((x: { budget: string; estimate: number; limit: number }) => `${x.budget} ${x.estimate} > ${x.limit}`).join('; ')}`);

    const base = { templates: ['binary/it-was', 'binary/review', 'binary/sentiment-is'], controls: ['distractor', 'explicit-opinion', 'agreement'], methods: ALL_METHODS, bootstrap: 1000 };
    let lo = 0, hi = 101;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const e = await call('POST', '/v1/jobs/estimate', { ...base, seeds: mid });
      if (e.status === 200 && e.body.within_budget) lo = mid; else hi = mid;
    }
    check(lo >= 1, 'no seed count fits the budget');
    const worst = { ...base, seeds: Math.max(1, lo) };
    const est = (await call('POST', '/v1/jobs/estimate', worst)).body;
    const over = (await call('POST', '/v1/jobs/estimate', { ...base, seeds: lo + 1 })).body;
    lines.push(`worst accepted job            ${worst.seeds} seeds × 9 methods × 3 templates × 3 conditions × 2 layers, bootstrap 1000: estimate ${est.estimate.cpu_seconds} CPU s of ${CPU_BUDGET} (one seed more: ${over.estimate.cpu_seconds}, refused); ${est.estimate.texts} texts, one fit unit ${(est.estimate.fit_unit_memory_bytes / 2 ** 20).toFixed(0)} MiB`);
    const sub = await call('POST', '/v1/jobs', worst);
    check(sub.status === 202, `the worst accepted job answered ${sub.status}: ${JSON.stringify(sub.body).slice(0, 300)}`);
    const busy = sampleHealth(url);
    const t0 = Date.now();
    const done = sub.status === 202 ? await waitJob(call, sub.body.id, 30 * 60_000) : null;
    const seconds = (Date.now() - t0) / 1000;
    const { latencies, failures } = await busy.stop();
    check(done?.status === 'completed', `the worst accepted job ended ${done?.status}: ${JSON.stringify(done?.error)}`);
    check(failures === 0, `${failures} /healthz requests failed`);
    const p99 = quantile(latencies, 0.99);
    check(p99 < P99_TARGET_MS, `/healthz p99 ${p99.toFixed(1)} ms ≥ ${P99_TARGET_MS} ms`);
    const row = (await ctx.db.query('SELECT extract_seconds, extract_texts, extract(epoch FROM finished_at - started_at) AS run FROM jobs WHERE id = $1', [sub.body.id])).rows[0];
    const fitWall = Number(row.run) - Number(row.extract_seconds);
    const fitCpu = (await ctx.db.query('SELECT coalesce(sum(fit_seconds), 0) AS s FROM results WHERE job_id = $1', [sub.body.id])).rows[0].s;
    lines.push(`worst accepted job ran        ${done?.status} in ${seconds.toFixed(0)} s: extraction ${Number(row.extract_seconds).toFixed(0)} s (${row.extract_texts} texts), fit stage ${fitWall.toFixed(0)} s wall on ${ctx.env.SONDE_FIT_CONCURRENCY ?? 'all'} core(s) (${Number(fitCpu).toFixed(0)} s in the methods' own fits); estimated ${est.estimate.cpu_seconds} CPU s`);
    lines.push(`/healthz idle (role all)      ${fmt(idleLat)}`);
    lines.push(`/healthz during the job       ${fmt(latencies)}, ${failures} failed — target p99 < ${P99_TARGET_MS} ms: ${p99 < P99_TARGET_MS ? 'met' : 'NOT met'}`);
  } catch (e) {
    check(false, `role all: ${(e as Error).message}\n${all.tail()}`);
  } finally {
    await stop(all);
  }

  // b. A fit child over its memory cap.
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = spawnSonde(['api'], { ...ctx.env, PORT: String(apiPort), LOG_LEVEL: 'warn' });
  const worker = spawnSonde(['worker'], { ...ctx.env, SONDE_FIT_MEMORY_MB: '260', SONDE_FIT_CONCURRENCY: '1' });
  try {
    await waitHealthy(apiUrl);
    const call = client(apiUrl, ctx.key);
    const upload = async (n: number, d: number) => {
      const y = Int8Array.from({ length: n }, (_, i) => i % 2);
      const side = (s: number) => encodeMat({ rows: n, cols: d, data: Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 0.37) + (i % d === 0 ? s * (y[Math.floor(i / d)] ? 0.5 : -0.5) : 0)) });
      const form = new FormData();
      form.append('pos', new Blob([Buffer.from(side(1))]), 'pos.npy');
      form.append('neg', new Blob([Buffer.from(side(-1))]), 'neg.npy');
      form.append('labels', new Blob([Buffer.from(encodeNpy([n], y))]), 'labels.npy');
      const res = await fetch(new URL('/v1/activations', apiUrl), { method: 'POST', headers: { authorization: `Bearer ${ctx.key}` }, body: form });
      return (await res.json()).id as string;
    };
    // The upload: two 66 MB float16 arrays and a 67 MB label file of the wrong length.
    const mem = (field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${api.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const rssBefore = mem('VmRSS');
    const hwmBefore = mem('VmHWM');
    const half = encodeNpy([33_000_000 / 1024 | 0, 1024], new Uint16Array((33_000_000 / 1024 | 0) * 1024).fill(0x3c00), '<f2');
    const wrong = encodeNpy([67_000_000], new Int8Array(67_000_000));
    const form = new FormData();
    form.append('pos', new Blob([Buffer.from(half)]), 'pos.npy');
    form.append('neg', new Blob([Buffer.from(half)]), 'neg.npy');
    form.append('labels', new Blob([Buffer.from(wrong)]), 'labels.npy');
    const lying = await fetch(new URL('/v1/activations', apiUrl), { method: 'POST', headers: { authorization: `Bearer ${ctx.key}` }, body: form });
    const lyingBody = await lying.json();
    await sleep(2_000);
    check(lying.status === 400, `the mismatched upload answered ${lying.status}`);
    lines.push(`66 MB + 66 MB f16, 67 MB labels ${lying.status} "${lyingBody.detail}"; API resident ${rssBefore.toFixed(0)} MiB before, peak ${Math.max(hwmBefore, mem('VmHWM')).toFixed(0)} MiB, ${mem('VmRSS').toFixed(0)} MiB 2 s after (issue: 295 → 1,860 → 1,470)`);
    const big = await upload(16_000, 512);
    const health = sampleHealth(apiUrl);
    const sub = await call('POST', '/v1/jobs', { activations: big, methods: ['pca', 'lr'], seeds: 2, bootstrap: 0 });
    check(sub.status === 202, `memory job answered ${sub.status}`);
    const t0 = Date.now();
    const failed = await waitJob(call, sub.body.id, 5 * 60_000);
    const secs = (Date.now() - t0) / 1000;
    check(failed.status === 'failed' && /memory limit|JavaScript heap/.test(failed.error?.detail ?? ''), `memory job ended ${failed.status}: ${JSON.stringify(failed.error)}`);
    check(worker.child.exitCode === null, 'the worker process died');
    const small = await upload(200, 16);
    const next = await call('POST', '/v1/jobs', { activations: small, methods: ['pca', 'lr'], seeds: 1 });
    const after = await waitJob(call, next.body.id, 5 * 60_000);
    check(after.status === 'completed', `the next job ended ${after.status}`);
    const { latencies, failures } = await health.stop();
    check(failures === 0, `${failures} /healthz requests failed during the memory kill`);
    lines.push(`fit child over 260 MiB        job ${failed.status} after ${secs.toFixed(1)} s ("${failed.error?.title}": ${failed.error?.detail}); worker alive; next job ${after.status}`);
    lines.push(`/healthz meanwhile (api role) ${fmt(latencies)}, ${failures} failed`);
  } catch (e) {
    check(false, `memory kill: ${(e as Error).message}\n${worker.tail()}`);
  } finally {
    await stop(worker);
    await stop(api);
  }

  console.log('\n=== admission and bounded work');
  for (const l of lines) console.log(l);
  console.log(pass ? 'admission PASS' : 'admission FAIL');
  return { pass };
}
