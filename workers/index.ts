/**
 * Starts the queue workers: extraction (model inference in the ExtractionClient's child
 * process) and fitting (a BullMQ sandboxed child process). A job whose BullMQ unit fails
 * for good is marked failed in Postgres with the reason. SIGTERM: close() lets in-flight
 * units finish; anything unfinished is picked up again by another worker (stalled-job
 * detection) since units are idempotent.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, UnrecoverableError, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../lib/config.ts';
import { QUEUES, type ExtractPayload, type FitPayload } from '../lib/queue.ts';
import { createPool } from '../services/db/pool.ts';
import { createQueues } from '../services/queue.ts';
import * as jobs from '../services/db/jobs.ts';
import { ExtractionClient } from '../lib/extract/index.ts';
import { processExtract } from './extract-processor.ts';
import { LocalActivationStore } from '../lib/store/activation-store.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Workers {
  close(): Promise<void>;
}

function isFinalFailure(job: BullJob | undefined, err: Error): boolean {
  if (!job) return false;
  return err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

export async function startWorkers(config: Config, log: (msg: string, extra?: object) => void = () => {}): Promise<Workers> {
  const db = createPool(config.databaseUrl, 5);
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  const connection = () => new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const client = new ExtractionClient({ threads: config.extractThreads, provider: config.executionProvider });
  const store = new LocalActivationStore(path.join(config.dataDir, 'activations-cache'));

  const extractWorker = new Worker<ExtractPayload>(
    QUEUES.extract,
    (job) => processExtract(job, { config, db, queues, client, store, log }),
    { connection: connection(), prefix: config.queuePrefix, concurrency: 1, lockDuration: config.lockMs, stalledInterval: config.lockMs, maxStalledCount: config.maxStalledCount },
  );
  const execArgv = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : [...process.execArgv, '--import', 'tsx'];
  const fitWorker = new Worker<FitPayload>(QUEUES.fit, path.join(here, 'fit-sandbox.ts'), {
    connection: connection(),
    prefix: config.queuePrefix,
    concurrency: config.fitConcurrency,
    lockDuration: config.lockMs,
    stalledInterval: config.lockMs,
    maxStalledCount: config.maxStalledCount,
    useWorkerThreads: false,
    workerForkOptions: { execArgv },
  });

  for (const w of [extractWorker, fitWorker]) {
    w.on('failed', (job, err) => {
      log(`${w.name} unit ${job?.id} failed: ${err.message}`);
      if (job && isFinalFailure(job, err)) {
        const title = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' ? 'Invalid job input' : 'Worker failure';
        void jobs.setStatus(db, (job.data as { jobId: string }).jobId, 'failed', { error: { title, detail: err.message } }).catch(() => {});
      }
    });
    w.on('error', (err) => log(`${w.name} worker error: ${err.message}`));
  }

  return {
    async close() {
      await Promise.allSettled([extractWorker.close(), fitWorker.close()]);
      await client.close();
      await queues.close();
      await db.end();
    },
  };
}
