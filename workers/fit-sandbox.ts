/**
 * BullMQ sandboxed processor for the fit queue: BullMQ forks this file in a child process
 * (reused between jobs), so CPU-bound fitting never blocks the parent's lock renewal.
 * The child reads the same environment as its parent (lib/config.ts).
 */
import type { Job as BullJob } from 'bullmq';
import { loadConfig } from '../infra/config.ts';
import type { FitPayload } from '../infra/queue.ts';
import { createPool } from '../infra/db/pool.ts';
import { processFit } from './fit-processor.ts';

const config = loadConfig();
const db = createPool(config.databaseUrl, 2);

export default async function fitSandbox(job: BullJob<FitPayload>) {
  return processFit(job, { config, db });
}
