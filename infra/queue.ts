/**
 * The queues, defined once: names, payload types, retry policy and the producer side (the
 * API enqueues, the extract worker fans out fits; any number of machines consume). Producers
 * fail fast when Redis is down (no offline queue), so the API answers 503 instead of
 * hanging; workers use their own blocking connections (workers/).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

export const QUEUES = {
  extract: 'extract',
  fit: 'fit',
} as const;

export interface ExtractPayload {
  jobId: string;
}

export interface FitPayload {
  jobId: string;
  layer: number;
}

/** Retries with exponential backoff for transient faults (Postgres/Redis restarts, a killed worker). */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential' as const, delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** BullMQ job ids are derived from our ids so a re-enqueue of the same unit is a no-op. */
export const extractJobId = (jobId: string) => `extract-${jobId}`;
export const fitJobId = (jobId: string, layer: number) => `fit-${jobId}-${layer}`;

export interface Queues {
  extract: Queue<ExtractPayload>;
  fit: Queue<FitPayload>;
  redis: Redis;
  enqueueExtract(jobId: string): Promise<void>;
  enqueueFits(jobId: string, layers: number[]): Promise<void>;
  /** Drops a job's extract unit if it has not started (cancellation). */
  removeExtract(jobId: string): Promise<void>;
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
    async removeExtract(jobId) {
      await extract.remove(extractJobId(jobId));
    },
    async close() {
      await Promise.allSettled([extract.close(), fit.close()]);
      redis.disconnect();
    },
  };
}
