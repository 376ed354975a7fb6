/**
 * `sonde demo` (README command 1): migrate, start API + workers in this process, create a
 * demo tenant key, submit the default job (use-lite on the built-in sentiment dataset,
 * default methods and seeds), watch it, print the method × layer table, shut down.
 */
import { loadConfig } from '../../infra/config.ts';
import { startApi } from '../../http/server.ts';
import { startWorkers } from '../../workers/index.ts';
import { openDatabase } from '../../services/context.ts';
import { createKey } from '../../services/keys.ts';
import { apiClient, watch } from './client.ts';
import { parseArgs, str, intFlag } from '../args.ts';

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['keep-running']);
  const config = loadConfig(undefined, { PORT: '0' });
  const t0 = Date.now();
  console.log(`sonde demo: Postgres ${config.databaseUrl.replace(/\/\/[^@]*@/, '//')}, Redis ${config.redisUrl}, data ${config.dataDir}`);
  const { db, close } = await openDatabase(config, 1, (l) => console.log(`  ${l}`));
  const { key } = await createKey(db, { tenant: 'demo', label: 'sonde demo' });
  await close();

  const workers = await startWorkers(config);
  const api = await startApi({ ...config, logLevel: 'warn' });
  console.log(`API at ${api.url} (docs: ${api.url}/docs, dashboard: ${api.url}/dashboard)`);
  try {
    const client = apiClient(api.url, key);
    const body: Record<string, unknown> = {};
    const dataset = str(flags, 'dataset');
    if (dataset) body.dataset = dataset;
    const seeds = intFlag(flags, 'seeds');
    if (seeds) body.seeds = seeds;
    const controls = str(flags, 'controls');
    if (controls) body.controls = controls.split(',');
    const job = await client.request('POST', '/v1/jobs', body);
    console.log(`submitted job ${job.id}: model ${job.spec.model}, dataset ${job.spec.dataset}, methods ${job.spec.methods.join(', ')}, ${job.spec.seeds} seeds`);
    const code = await watch(client, job.id);
    console.log(`\ndone in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
    console.log(`Results: curl -H "Authorization: Bearer ${key}" ${api.url}/v1/jobs/${job.id}/results`);
    if (flags['keep-running']) {
      console.log('service keeps running (Ctrl-C to stop)');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return code;
  } finally {
    await api.close();
    await workers.close();
  }
}
