/**
 * The producer side of the queues (the API enqueues, the extract worker fans out fits).
 * Producers fail fast when Redis is down (no offline queue), so the API answers 503
 * instead of hanging; workers use their own blocking connections (workers/).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_JOB_OPTIONS, QUEUES, extractJobId, fitJobId, type ExtractPayload, type FitPayload } from '../lib/queue.ts';

export interface Queues {
  extract: Queue<ExtractPayload>;
  fit: Queue<FitPayload>;
  redis: Redis;
  enqueueExtract(jobId: string): Promise<void>;
  enqueueFits(jobId: string, layers: number[]): Promise<void>;
  close(): Promise<void>;
}

export function createQueues(redisUrl: string, prefix: string): Queues {
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => {}); // surfaced by readyz and by failing enqueues
  const extract = new Queue<ExtractPayload>(QUEUES.extract, { connection: redis, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const fit = new Queue<FitPayload>(QUEUES.fit, { connection: redis, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  extract.on('error', () => {});
  fit.on('error', () => {});
  return {
    extract,
    fit,
    redis,
    async enqueueExtract(jobId) {
      await extract.add('extract', { jobId }, { jobId: extractJobId(jobId) });
    },
    async enqueueFits(jobId, layers) {
      await fit.addBulk(layers.map((layer) => ({ name: 'fit', data: { jobId, layer }, opts: { ...DEFAULT_JOB_OPTIONS, jobId: fitJobId(jobId, layer) } })));
    },
    async close() {
      await Promise.allSettled([extract.close(), fit.close()]);
      redis.disconnect();
    },
  };
}
