/** Service-side commands: migrate, start/api/worker, keys, budgets. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../infra/config.ts';
import { startApi } from '../../http/server.ts';
import { startWorkers } from '../../workers/index.ts';
import { createKey, tenantKeys } from '../../services/keys.ts';
import { openDatabase } from '../../services/context.ts';
import { parseArgs, required, str, UsageError } from '../args.ts';
import { setBudgets } from '../../services/admission.ts';

export async function migrateMain(): Promise<number> {
  const { applied, close } = await openDatabase(loadConfig(), 1, (l) => console.log(l));
  await close();
  console.log(applied.length ? `migrated (${applied.length} applied)` : 'schema up to date');
  return 0;
}

const CLI = fileURLToPath(new URL('../sonde.ts', import.meta.url));

function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

/**
 * `sonde start` with SONDE_ROLE=all: the workers run as a child process (`sonde worker`,
 * the same environment), so nothing heavy ever runs on the API's event loop and a worker
 * that dies (out of memory, killed) takes no request down with it. Restarted when it exits
 * on its own, with a growing pause; stopped with SIGTERM (in-flight units finish).
 */
function superviseWorker(log: (m: string) => void): { stop(): Promise<void> } {
  let child: ChildProcess | null = null;
  let stopping = false;
  let pause = 1_000;
  let timer: NodeJS.Timeout | null = null;
  const start = () => {
    const startedAt = Date.now();
    const c = fork(CLI, ['worker'], { execArgv: ['--import', tsxLoader()], stdio: 'inherit' });
    child = c;
    c.on('exit', (code, signal) => {
      if (child === c) child = null;
      if (stopping) return;
      if (Date.now() - startedAt > 60_000) pause = 1_000;
      log(`[worker] exited (${signal ?? `code ${code}`}); restarting in ${pause / 1000} s`);
      timer = setTimeout(start, pause);
      pause = Math.min(pause * 2, 30_000);
    });
  };
  // Ctrl-C reaches the child too (same process group): its exit then is no crash.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { stopping = true; });
  start();
  return {
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), 120_000);
        c.once('exit', () => { clearTimeout(kill); resolve(); });
        c.kill('SIGTERM');
      });
    },
  };
}

/** Runs until SIGTERM/SIGINT, then shuts down gracefully (in-flight units finish). */
async function serve(roles: { api: boolean; worker: boolean }): Promise<number> {
  const config = loadConfig();
  await (await openDatabase(config)).close();
  const closers: (() => Promise<void>)[] = [];
  if (roles.worker && roles.api) {
    const w = superviseWorker((m) => console.log(m));
    closers.push(() => w.stop());
    console.log('[worker] started as a child process');
  } else if (roles.worker) {
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

const BUDGET_FLAGS = ['max-job-texts', 'max-job-activation-bytes', 'max-job-fits', 'max-job-cpu-seconds', 'max-concurrent-uploads'] as const;

/** `sonde budgets show|set --tenant NAME [--max-job-cpu-seconds N|default …]`: a tenant's overrides in tenant_budgets. */
export async function budgetsMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv);
  const usage = `usage: sonde budgets show --tenant NAME | sonde budgets set --tenant NAME [${BUDGET_FLAGS.map((f) => `--${f} N|default`).join(' ')}]`;
  if (positionals[0] !== 'show' && positionals[0] !== 'set') throw new UsageError(usage);
  const tenant = required(flags, 'tenant');
  const config = loadConfig();
  const { db, close } = await openDatabase(config);
  try {
    const set: Record<string, number | null> = {};
    if (positionals[0] === 'set') {
      for (const f of BUDGET_FLAGS) {
        const v = str(flags, f);
        if (v === undefined) continue;
        const n = Number(v);
        if (v !== 'default' && !(Number.isFinite(n) && n > 0)) throw new UsageError(`--${f} must be a positive number or "default", got "${v}"`);
        set[f.replace(/-/g, '_')] = v === 'default' ? null : n;
      }
      if (!Object.keys(set).length) throw new UsageError(usage);
    }
    const limits = await setBudgets({ config, db }, tenant, set);
    console.log(JSON.stringify(limits, null, 2));
  } finally {
    await close();
  }
  return 0;
}
