/**
 * Queue names and job payloads, defined once and imported by the producer (API) and the
 * workers. Extraction fans out one fit unit per layer to the fit queue, which any number
 * of machines may consume.
 */
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
