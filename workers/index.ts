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
import type { Config } from '../infra/config.ts';
import { QUEUES, type ExtractPayload, type FitPayload } from '../infra/queue.ts';
import { createPool } from '../infra/db/pool.ts';
import { createQueues } from '../infra/queue.ts';
import * as jobs from '../infra/db/jobs.ts';
import { ExtractionClient } from '../lib/extract/index.ts';
import { processExtract } from './extract-processor.ts';
import { LocalActivationStore } from '../infra/store/activation-store.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Workers {
  close(): Promise<void>;
}

/** Marking a job failed must survive a Postgres restart: retry for up to a minute. */
async function retry(fn: () => Promise<unknown>, log: (m: string) => void): Promise<void> {
  for (let attempt = 1; attempt <= 30; attempt++) {
    try {
      await fn();
      return;
    } catch (e) {
      if (attempt === 30) log(`giving up after 30 attempts: ${(e as Error).message}`);
      else await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

function isFinalFailure(job: BullJob | undefined, err: Error): boolean {
  if (!job) return false;
  return err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

export async function startWorkers(config: Config, log: (msg: string, extra?: object) => void = () => {}): Promise<Workers> {
  const db = createPool(config.databaseUrl, 5);
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  // BullMQ does not close connections it is given: keep them to close on shutdown.
  const connections: Redis[] = [];
  const connection = () => {
    const c = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    c.on('error', () => {}); // reconnects on its own; failures surface through the workers
    connections.push(c);
    return c;
  };
  const client = new ExtractionClient({ threads: config.extractThreads, provider: config.executionProvider });
  const store = new LocalActivationStore(path.join(config.dataDir, 'activations')) // shared with `sonde extract`;

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
    // The sandbox child rebuilds its Config from env: hand it this process's config, which
    // may differ from process.env (tests, `sonde demo`).
    workerForkOptions: {
      execArgv,
      env: {
        ...process.env,
        DATABASE_URL: config.databaseUrl,
        REDIS_URL: config.redisUrl,
        SONDE_DATA_DIR: config.dataDir,
        SONDE_QUEUE_PREFIX: config.queuePrefix,
      },
    },
  });

  for (const w of [extractWorker, fitWorker]) {
    w.on('failed', (job, err) => {
      log(`${w.name} unit ${job?.id} failed: ${err.message}`);
      if (job && isFinalFailure(job, err)) {
        const title = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' ? 'Invalid job input' : 'Worker failure';
        void retry(() => jobs.setStatus(db, (job.data as { jobId: string }).jobId, 'failed', { error: { title, detail: err.message } }), log);
      }
    });
    w.on('error', (err) => log(`${w.name} worker error: ${err.message}`));
  }

  return {
    async close() {
      await Promise.allSettled([extractWorker.close(), fitWorker.close()]);
      await client.close();
      await queues.close();
      for (const c of connections) c.disconnect();
      await db.end();
    },
  };
}
