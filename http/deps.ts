/** What buildApp hands every route module: the service dependencies (and what they were built from). */
import type { Config } from '../infra/config.ts';
import type { Db } from '../infra/db/pool.ts';
import type { Queues } from '../infra/queue.ts';
import type { ServiceDeps } from '../services/context.ts';

export interface AppDeps {
  config: Config;
  db: Db;
  queues: Queues;
  /** Built by buildApp from the three above: what every route calls. */
  services: ServiceDeps;
}
