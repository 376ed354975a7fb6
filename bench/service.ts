/**
 * The whole service in this process for a benchmark: migrate the bench database, create a
 * tenant and key, start workers and the API on a free port, and a JSON client that throws
 * the problem's detail on an error. BENCH_DATABASE_URL (default sonde_bench) and
 * SONDE_DATA_DIR (default ./data, so model and activation caches are shared with the demo).
 */
import path from 'node:path';
import { loadConfig } from '../infra/config.ts';
import { migrate } from '../infra/db/migrate.ts';
import { createPool } from '../infra/db/pool.ts';
import { createApiKey, createTenant } from '../infra/db/tenants.ts';
import { startApi } from '../http/server.ts';
import { startWorkers } from '../workers/index.ts';

export interface BenchService {
  /** A JSON request to the API with the bench tenant's key. */
  call: (method: string, route: string, body?: unknown) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close: () => Promise<void>;
}

export async function startBenchService(tenantName: string): Promise<BenchService> {
  const dataDir = path.resolve(process.env.SONDE_DATA_DIR ?? 'data');
  const env = { ...process.env, DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sonde_bench', SONDE_QUEUE_PREFIX: `sonde-bench-${process.pid}`, SONDE_DATA_DIR: dataDir };
  const config = { ...loadConfig(env), port: 0, logLevel: 'error' };
  await migrate(config.databaseUrl);
  const db = createPool(config.databaseUrl, 1);
  const tenant = await createTenant(db, tenantName);
  const { key } = await createApiKey(db, tenant.id);
  await db.end();
  const workers = await startWorkers(config);
  const api = await startApi(config);
  return {
    async call(method, route, body) {
      const res = await fetch(new URL(route, api.url), { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
      const data = await res.json();
      if (!res.ok) throw new Error(`${method} ${route}: ${data.detail}`);
      return data;
    },
    async close() {
      await api.close();
      await workers.close();
    },
  };
}
