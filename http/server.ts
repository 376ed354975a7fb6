/** Starts the API: connects Postgres and Redis, listens, and closes cleanly on SIGTERM/SIGINT. */
import type { Config } from '../infra/config.ts';
import { openServices } from '../services/context.ts';
import { buildApp } from './app.ts';

export async function startApi(config: Config): Promise<{ url: string; close: () => Promise<void> }> {
  const services = openServices(config);
  const app = await buildApp({ config, db: services.db, queues: services.queues, services }, { logger: { level: config.logLevel } });
  const url = await app.listen({ port: config.port, host: config.host });
  return {
    url,
    close: async () => {
      await app.close();
      await services.close();
    },
  };
}
