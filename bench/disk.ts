/**
 * `npm run bench:disk`: bytes a job writes to local disk, measured as the growth of this
 * process's `write_bytes` (/proc/self/io; it counts bytes written to files, also those of
 * files deleted before they reach the disk) while the job runs through in-process workers:
 * the extract stage writes from this process, the extraction and fit children write no
 * files. The model is converted and the activation cache cleared before measuring.
 *
 *   --scenario default   the default job (use-lite, sentiment-reviews, default methods, 5 seeds)
 *   --scenario planted   a job on a 32-layer planted activation set (--layers 32 --d 4096 --n 2000)
 *
 * The same file runs against the code before one-activation-copy (commit 00fa712, which also
 * wrote per-job copies under SONDE_DATA_DIR/jobs/): check that commit out in another
 * directory, copy this file into its bench/, and run it there (`--scenario default`; the
 * planted scenario needs multi-layer activation sets, which that code did not have: its
 * per-job copy would have been layers × 2 × n × d × 4 bytes, printed as the reference).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const scenario = flag('scenario', 'default');
const here = path.dirname(new URL(import.meta.url).pathname);
const exists = (rel: string) => fs.existsSync(path.join(here, rel));
const load = (rel: string) => import(pathToFileURL(path.join(here, rel)).href);
const layoutAfter = exists('../http/server.ts');

function writeBytes(): number {
  const m = /write_bytes:\s*(\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'));
  return Number(m?.[1] ?? 0);
}
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

async function main() {
  const { loadConfig } = await load(layoutAfter ? '../infra/config.ts' : '../lib/config.ts');
  const { startApi } = await load(layoutAfter ? '../http/server.ts' : '../services/api/server.ts');
  const { startWorkers } = await load('../workers/index.ts');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-disk-'));
  const env = { ...process.env, DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sonde_bench', SONDE_QUEUE_PREFIX: `sonde-disk-${process.pid}`, SONDE_DATA_DIR: dataDir };
  const config = { ...loadConfig(env), port: 0, logLevel: 'error' };
  let key: string;
  if (layoutAfter) {
    const { openDatabase } = await load('../services/context.ts');
    const { createKey } = await load('../services/keys.ts');
    const { db, close } = await openDatabase(config);
    key = (await createKey(db, { tenant: 'bench-disk' })).key;
    await close();
  } else {
    const { migrate } = await load('../services/db/migrate.ts');
    const { createPool } = await load('../services/db/pool.ts');
    const { createApiKey, createTenant } = await load('../services/db/tenants.ts');
    await migrate(config.databaseUrl);
    const db = createPool(config.databaseUrl, 1);
    key = (await createApiKey(db, (await createTenant(db, 'bench-disk')).id)).key;
    await db.end();
  }
  const { ensureUseLite } = await load('../lib/models/use-lite/index.ts');
  await ensureUseLite(dataDir); // conversion is not the job's writing
  const workers = await startWorkers(config);
  const api = await startApi(config);
  const call = async (method: string, route: string, body?: unknown, form?: FormData) => {
    const res = await fetch(new URL(route, api.url), {
      method, headers: { authorization: `Bearer ${key}`, ...(form ? {} : { 'content-type': 'application/json' }) }, body: form ?? (body ? JSON.stringify(body) : undefined),
    });
    const data = await res.json();
    if (!res.ok) throw new Error(`${method} ${route}: ${data.detail}`);
    return data;
  };
  const run = async (body: object) => {
    const w0 = writeBytes();
    const job = await call('POST', '/v1/jobs', body);
    for (;;) {
      const j = await call('GET', `/v1/jobs/${job.id}`);
      if (['completed', 'failed', 'cancelled'].includes(j.status)) {
        if (j.status !== 'completed') throw new Error(`job ${j.status}: ${JSON.stringify(j.error)}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return writeBytes() - w0;
  };
  try {
    console.log(`layout: ${layoutAfter ? 'one activation copy (store entries only)' : 'before: store entries + per-job copies under jobs/'}`);
    if (scenario === 'default') {
      const written = await run({});
      const store = fs.existsSync(path.join(dataDir, 'activations')) ? du(path.join(dataDir, 'activations')) : 0;
      console.log(`default job: ${mib(written)} written (activation cache entry ${mib(store)}; the rest is per-job copies and manifests)`);
      const again = await run({});
      console.log(`the same job again (a cache hit): ${mib(again)} written`);
    } else {
      const layers = Number(flag('layers', '32')), d = Number(flag('d', '4096')), n = Number(flag('n', '2000'));
      const set = await call('POST', '/v1/lab/planted', { layers, d, n, seed: 0, name: 'disk-bench' }).catch(() => null);
      if (!set) {
        console.log('planted scenario: this code has no planted lab (POST /v1/lab/planted); per-job copy it would write:');
      } else {
        const written = await run({ activations: set.id, methods: ['random'], seeds: 1, bootstrap: 0 });
        console.log(`job on a ${layers}-layer planted set (d = ${d}, n = ${n}): ${mib(written)} written`);
      }
      console.log(`  reference, the per-job copy of the old layout: ${layers} layers × 2 sides × ${n} × ${d} × 4 B = ${mib(layers * 2 * n * d * 4)}`);
    }
  } finally {
    await api.close();
    await workers.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function du(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? du(p) : fs.statSync(p).size;
  }
  return total;
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
