/** Starts the API: connects Postgres and Redis, listens, and closes cleanly on SIGTERM/SIGINT. */
import type { Config } from '../infra/config.ts';
import { createPool } from '../infra/db/pool.ts';
import { createQueues } from '../infra/queue.ts';
import { buildApp } from './app.ts';

export async function startApi(config: Config): Promise<{ url: string; close: () => Promise<void> }> {
  const db = createPool(config.databaseUrl);
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  const app = await buildApp({ config, db, queues }, { logger: { level: config.logLevel } });
  const url = await app.listen({ port: config.port, host: config.host });
  return {
    url,
    close: async () => {
      await app.close();
      await queues.close();
      await db.end();
    },
  };
}
