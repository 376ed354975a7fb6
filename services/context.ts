/**
 * What every use case needs, built once per process and handed to the service functions:
 * the configuration, the Postgres pool, the queues' producer side and the activation stores.
 * HTTP routes, CLI commands and workers all call services/ with one of these; none of them
 * reaches into infra/ itself.
 */
import type { Config } from '../infra/config.ts';
import type { Db } from '../infra/db/pool.ts';
import { createPool } from '../infra/db/pool.ts';
import { migrate } from '../infra/db/migrate.ts';
import type { Queues } from '../infra/queue.ts';
import { createQueues } from '../infra/queue.ts';
import { createStores, type Stores } from '../infra/store/index.ts';

export interface ServiceDeps {
  config: Config;
  db: Db;
  queues: Queues;
  stores: Stores;
}

/** The parts a use case that never enqueues needs (CLI commands, the fit child). */
export type StoreDeps = Pick<ServiceDeps, 'config' | 'stores'>;
export type DbDeps = Pick<ServiceDeps, 'config' | 'db'>;

export function withStore(deps: { config: Config; db: Db; queues: Queues }): ServiceDeps {
  return { ...deps, stores: createStores(deps.config) };
}

/** A full set of dependencies from the configuration, and how to close them. */
export function openServices(config: Config, poolSize = 10): ServiceDeps & { close(): Promise<void> } {
  const db = createPool(config.databaseUrl, poolSize);
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  return {
    config, db, queues, stores: createStores(config),
    async close() {
      await queues.close();
      await db.end();
    },
  };
}

/** Migrates the schema (creating the database if needed) and opens a pool: CLI commands that only need Postgres. */
export async function openDatabase(config: Config, poolSize = 1, log?: (line: string) => void): Promise<{ db: Db; applied: string[]; close(): Promise<void> }> {
  const applied = await migrate(config.databaseUrl, log);
  const db = createPool(config.databaseUrl, poolSize);
  return { db, applied, close: () => db.end() };
}
