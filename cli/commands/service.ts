/** Service-side commands: migrate, start/api/worker, keys. */
import { loadConfig } from '../../infra/config.ts';
import { startApi } from '../../http/server.ts';
import { startWorkers } from '../../workers/index.ts';
import { createKey, tenantKeys } from '../../services/keys.ts';
import { openDatabase } from '../../services/context.ts';
import { parseArgs, required, UsageError } from '../args.ts';

export async function migrateMain(): Promise<number> {
  const { applied, close } = await openDatabase(loadConfig(), 1, (l) => console.log(l));
  await close();
  console.log(applied.length ? `migrated (${applied.length} applied)` : 'schema up to date');
  return 0;
}

/** Runs until SIGTERM/SIGINT, then shuts down gracefully (in-flight units finish). */
async function serve(roles: { api: boolean; worker: boolean }): Promise<number> {
  const config = loadConfig();
  await (await openDatabase(config)).close();
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
  if (positionals[0] !== 'create' && positionals[0] !== 'list') throw new UsageError('usage: sonde keys create --tenant NAME [--admin] [--label TEXT] | sonde keys list --tenant NAME');
  const tenant = required(flags, 'tenant');
  const { db, close } = await openDatabase(loadConfig());
  try {
    if (positionals[0] === 'list') {
      const { keys } = await tenantKeys(db, tenant);
      console.log('id\trole\tcreated\trevoked\tlabel');
      for (const k of keys) console.log(`${k.id}\t${k.role}\t${k.created_at}\t${k.revoked_at ?? '-'}\t${k.label ?? ''}`);
      return 0;
    }
    const key = await createKey(db, { tenant, role: flags.admin ? 'admin' : 'user', label: typeof flags.label === 'string' ? flags.label : undefined });
    console.log(key.key);
    console.error(`key id ${key.id} for tenant ${key.tenant} (revoke: DELETE /v1/keys/${key.id})`);
  } finally {
    await close();
  }
  return 0;
}
