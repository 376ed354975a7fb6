/**
 * Starts the queue workers: extraction (model inference in the ExtractionClient's child
 * process) and fitting (up to SONDE_FIT_CONCURRENCY units at once, each in a FitPool child
 * process). A unit that fails for good marks its job failed in Postgres with the reason:
 * bad input (BadInputError anywhere below, a fit over its memory or time limit) fails at
 * once, since no retry can fix it; anything else is retried with backoff first. SIGTERM:
 * close() lets in-flight units finish; anything unfinished is picked up again by another
 * worker (stalled-unit detection), since units are idempotent.
 */
import { Worker, UnrecoverableError, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../infra/config.ts';
import { QUEUES, type ExtractPayload, type FitPayload } from '../infra/queue.ts';
import { ExtractionClient } from '../lib/extract/index.ts';
import { errorKind } from '../lib/errors.ts';
import { openServices } from '../services/context.ts';
import { failJob, removeJobArtefacts } from '../services/pipeline.ts';
import { processExtract } from './extract-processor.ts';
import { processFit } from './fit-processor.ts';
import { FitPool } from './fit-pool.ts';

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

/**
 * The processor's errors as BullMQ should see them: input errors (and not-found: a job's
 * dataset or model was deleted) are unrecoverable, so BullMQ does not retry them.
 */
function unrecoverableIfInput<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((e: unknown) => {
    const kind = errorKind(e);
    if (kind === 'bad-input' || kind === 'not-found') throw new UnrecoverableError((e as Error).message);
    throw e;
  });
}

function isFinalFailure(job: BullJob | undefined, err: Error): boolean {
  if (!job) return false;
  return err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
}

export async function startWorkers(config: Config, log: (msg: string, extra?: object) => void = () => {}): Promise<Workers> {
  const services = openServices(config, 5);
  // BullMQ does not close connections it is given: keep them to close on shutdown.
  const connections: Redis[] = [];
  const connection = () => {
    const c = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    c.on('error', () => {}); // reconnects on its own; failures surface through the workers
    connections.push(c);
    return c;
  };
  const client = new ExtractionClient({ threads: config.extractThreads, provider: config.executionProvider, maxRssMb: config.extractMemoryMb });
  const pool = new FitPool(config);
  const common = { prefix: config.queuePrefix, lockDuration: config.lockMs, stalledInterval: config.lockMs, maxStalledCount: config.maxStalledCount };

  const extractWorker = new Worker<ExtractPayload>(
    QUEUES.extract,
    (job) => unrecoverableIfInput(() => processExtract(job, { ...services, client, log })),
    { ...common, connection: connection(), concurrency: 1 },
  );
  const fitWorker = new Worker<FitPayload>(
    QUEUES.fit,
    (job) => unrecoverableIfInput(() => processFit(job, { db: services.db, pool })),
    { ...common, connection: connection(), concurrency: config.fitConcurrency },
  );

  for (const w of [extractWorker, fitWorker]) {
    w.on('active', (job) => log(`${w.name} unit ${job.id} started`));
    w.on('completed', (job) => log(`${w.name} unit ${job.id} done`));
    w.on('failed', (job, err) => {
      log(`${w.name} unit ${job?.id} failed: ${err.message}`);
      if (job && isFinalFailure(job, err)) {
        const title = err instanceof UnrecoverableError ? 'Invalid job input' : 'Worker failure';
        const jobId = (job.data as { jobId: string }).jobId;
        void retry(async () => {
          await failJob(services.db, jobId, { title, detail: err.message });
          await removeJobArtefacts(services, jobId);
        }, log);
      }
    });
    w.on('error', (err) => log(`${w.name} worker error: ${err.message}`));
  }

  return {
    async close() {
      await Promise.allSettled([extractWorker.close(), fitWorker.close()]);
      await pool.close();
      await client.close();
      for (const c of connections) c.disconnect();
      await services.close();
    },
  };
}
