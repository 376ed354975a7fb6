/** Service-side commands: migrate, start/api/worker, keys. */
import { loadConfig } from '../../infra/config.ts';
import { migrate } from '../../infra/db/migrate.ts';
import { startApi } from '../../http/server.ts';
import { startWorkers } from '../../workers/index.ts';
import { createPool } from '../../infra/db/pool.ts';
import { createApiKey, createTenant } from '../../infra/db/tenants.ts';
import { parseArgs, required, UsageError } from '../args.ts';

export async function migrateMain(): Promise<number> {
  const config = loadConfig();
  const applied = await migrate(config.databaseUrl, (l) => console.log(l));
  console.log(applied.length ? `migrated (${applied.length} applied)` : 'schema up to date');
  return 0;
}

/** Runs until SIGTERM/SIGINT, then shuts down gracefully (in-flight units finish). */
async function serve(roles: { api: boolean; worker: boolean }): Promise<number> {
  const config = loadConfig();
  await migrate(config.databaseUrl);
  const closers: (() => Promise<void>)[] = [];
  if (roles.worker) {
    const w = await startWorkers(config, (m) => console.log(`[worker] ${m}`));
    closers.push(() => w.close());
    console.log('[worker] started');
  }
  if (roles.api) {
    const api = await startApi(config);
    closers.push(() => api.close());
    console.log(`[api] listening on ${api.url}`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  console.log('shutting down…');
  for (const close of closers.reverse()) await close();
  return 0;
}

export const startMain = async () => {
  const role = loadConfig().role;
  return serve({ api: role !== 'worker', worker: role !== 'api' });
};
export const apiMain = async () => serve({ api: true, worker: false });
export const workerMain = async () => serve({ api: false, worker: true });

export async function keysMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ['admin']);
  if (positionals[0] !== 'create') throw new UsageError('usage: sonde keys create --tenant NAME [--admin]');
  const tenantName = required(flags, 'tenant');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(tenantName)) throw new UsageError('--tenant must be 1-64 letters, digits, ., _ or -');
  const config = loadConfig();
  await migrate(config.databaseUrl);
  const db = createPool(config.databaseUrl, 1);
  try {
    const tenant = await createTenant(db, tenantName);
    const key = await createApiKey(db, tenant.id, flags.admin ? 'admin' : 'user');
    console.log(key.key);
  } finally {
    await db.end();
  }
  return 0;
}
