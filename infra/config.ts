/**
 * The one place Sonde reads its environment. Every other module takes a Config (or
 * the part of it it needs) as an argument, so tests can build one without touching env.
 */
import path from 'node:path';
import os from 'node:os';

export type Role = 'api' | 'worker' | 'all';

export interface Config {
  databaseUrl: string;
  redisUrl: string;
  port: number;
  host: string;
  /** Root for activations, the model cache and uploads; shared by all workers (a mounted volume when there are several machines). */
  dataDir: string;
  role: Role;
  /** Prefix of BullMQ queue names, so tests can run beside a live service. */
  queuePrefix: string;
  /** ONNX Runtime intra-op threads for extraction (0 = ORT default). */
  extractThreads: number;
  executionProvider: 'auto' | 'cpu' | 'cuda';
  fitConcurrency: number;
  /** Request body limit for JSON (bytes); uploads have their own limit. */
  bodyLimit: number;
  uploadLimit: number;
  maxDatasetRows: number;
  logLevel: string;
  rateLimitPerMinute: number;
  /** BullMQ lock duration: a killed worker's unit is retried after about this long. */
  lockMs: number;
  /** How often a unit may stall (its worker died) before it counts as failed. */
  maxStalledCount: number;
  /** Size the activation cache is pruned to (least recently used first) after each extraction. */
  activationCacheMaxBytes: number;
  maxConcurrentJobsPerTenant: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const role = (env.SONDE_ROLE ?? 'all') as Role;
  if (!['api', 'worker', 'all'].includes(role)) throw new Error(`SONDE_ROLE must be api, worker or all, got "${role}"`);
  const ep = (env.SONDE_EXECUTION_PROVIDER ?? 'auto') as Config['executionProvider'];
  if (!['auto', 'cpu', 'cuda'].includes(ep)) throw new Error(`SONDE_EXECUTION_PROVIDER must be auto, cpu or cuda, got "${ep}"`);
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sonde',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    port: int(env, 'PORT', 8080),
    host: env.HOST ?? '127.0.0.1',
    dataDir: path.resolve(env.SONDE_DATA_DIR ?? 'data'),
    role,
    queuePrefix: env.SONDE_QUEUE_PREFIX ?? 'sonde',
    extractThreads: int(env, 'SONDE_EXTRACT_THREADS', Math.max(1, os.availableParallelism())),
    executionProvider: ep,
    fitConcurrency: int(env, 'SONDE_FIT_CONCURRENCY', 1),
    bodyLimit: int(env, 'SONDE_BODY_LIMIT', 1 << 20),
    uploadLimit: int(env, 'SONDE_UPLOAD_LIMIT', 64 << 20),
    maxDatasetRows: int(env, 'SONDE_MAX_DATASET_ROWS', 200_000),
    logLevel: env.LOG_LEVEL ?? 'info',
    rateLimitPerMinute: int(env, 'SONDE_RATE_LIMIT', 600),
    lockMs: int(env, 'SONDE_LOCK_MS', 30_000),
    maxStalledCount: int(env, 'SONDE_MAX_STALLED', 10),
    activationCacheMaxBytes: int(env, 'SONDE_ACTIVATION_CACHE_MAX_BYTES', 20 * 2 ** 30),
    maxConcurrentJobsPerTenant: int(env, 'SONDE_MAX_CONCURRENT_JOBS', 20),
  };
}
