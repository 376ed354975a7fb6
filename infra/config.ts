/**
 * The one place Sonde reads its environment. Every other module takes a Config (or
 * the part of it it needs) as an argument, so tests can build one without touching env.
 */
import { BadInputError } from '../lib/errors.ts';
import path from 'node:path';
import os from 'node:os';

export type Role = 'api' | 'worker' | 'all';

/** S3-compatible object storage for the activation stores (SONDE_STORE=s3://bucket/prefix). */
export interface S3Config {
  bucket: string;
  /** Key prefix, "" or ending in "/". */
  prefix: string;
  region: string;
  /** Non-AWS endpoints (MinIO, Ceph RGW, R2): AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. */
  endpoint: string | null;
  forcePathStyle: boolean;
  accessKeyId: string | null;
  secretAccessKey: string | null;
}

export interface Config {
  databaseUrl: string;
  redisUrl: string;
  port: number;
  host: string;
  /** Root for the model cache, and for the activation stores unless `s3` is set. */
  dataDir: string;
  /** Where the activation stores live: null = under dataDir; else S3-compatible object storage. */
  s3: S3Config | null;
  role: Role;
  /** Prefix of BullMQ queue names, so tests can run beside a live service. */
  queuePrefix: string;
  /** ONNX Runtime intra-op threads for extraction (0 = ORT default). */
  extractThreads: number;
  executionProvider: 'auto' | 'cpu' | 'cuda';
  /** Fit units a worker process runs at once, each in its own child process (default: one per core). */
  fitConcurrency: number;
  /** Memory cap of each fit child, MiB: its V8 heap limit and the resident size at which it is killed. */
  fitMemoryMb: number;
  /** A fit unit running longer than this (seconds) is killed and fails its job. */
  fitTimeoutS: number;
  /** Memory cap of the extraction child, MiB (resident size at which it is killed). */
  extractMemoryMb: number;
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
  /** Requests per minute per client address that carry no valid API key (checked before authentication). */
  rateLimitAnonPerMinute: number;
  /** Uploads (datasets, activation sets) one tenant may have in flight at once, per API process. */
  maxConcurrentUploads: number;
  /** Per-job budgets (admission control); a tenant's row in tenant_budgets overrides each (migrations/007). */
  budgets: JobBudgets;
  /** The API the CLI's client commands talk to, and the key they send. */
  apiUrl: string;
  apiKey: string;
}

/** What one job may cost (lib/job-cost.ts estimates it at submission; docs/limits.md). */
export interface JobBudgets {
  /** Texts through the model (two per contrast pair, over every condition). */
  maxJobTexts: number;
  /** Activation bytes the extraction writes (texts × hidden size × 4 × layers). */
  maxJobActivationBytes: number;
  /** Fits (methods × seeds × conditions × layers, templates and transfers included). */
  maxJobFits: number;
  /** Estimated CPU seconds of the fit stage. */
  maxJobCpuSeconds: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new BadInputError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function s3Config(env: NodeJS.ProcessEnv): S3Config | null {
  const store = env.SONDE_STORE ?? 'local';
  if (store === 'local' || store === '') return null;
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(store);
  if (!m) throw new BadInputError(`SONDE_STORE must be "local" or s3://bucket/prefix, got "${store}"`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || null;
  return {
    bucket: m[1],
    prefix: prefix ? `${prefix}/` : '',
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint,
    forcePathStyle: (env.SONDE_S3_FORCE_PATH_STYLE ?? (endpoint ? '1' : '0')) !== '0',
    accessKeyId: env.AWS_ACCESS_KEY_ID || null,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY || null,
  };
}

/**
 * `defaults` fill variables the environment leaves unset (e.g. `sonde demo` listens on a
 * free port unless PORT is given).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaults: Record<string, string> = {}): Config {
  env = { ...defaults, ...env };
  const role = (env.SONDE_ROLE ?? 'all') as Role;
  if (!['api', 'worker', 'all'].includes(role)) throw new BadInputError(`SONDE_ROLE must be api, worker or all, got "${role}"`);
  const ep = (env.SONDE_EXECUTION_PROVIDER ?? 'auto') as Config['executionProvider'];
  if (!['auto', 'cpu', 'cuda'].includes(ep)) throw new BadInputError(`SONDE_EXECUTION_PROVIDER must be auto, cpu or cuda, got "${ep}"`);
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/sonde',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    port: int(env, 'PORT', 8080),
    host: env.HOST ?? '127.0.0.1',
    dataDir: path.resolve(env.SONDE_DATA_DIR ?? 'data'),
    s3: s3Config(env),
    role,
    queuePrefix: env.SONDE_QUEUE_PREFIX ?? 'sonde',
    extractThreads: int(env, 'SONDE_EXTRACT_THREADS', Math.max(1, os.availableParallelism())),
    executionProvider: ep,
    fitConcurrency: Math.max(1, int(env, 'SONDE_FIT_CONCURRENCY', os.availableParallelism())),
    fitMemoryMb: int(env, 'SONDE_FIT_MEMORY_MB', 4096),
    fitTimeoutS: int(env, 'SONDE_FIT_TIMEOUT_S', 3600),
    extractMemoryMb: int(env, 'SONDE_EXTRACT_MEMORY_MB', 8192),
    bodyLimit: int(env, 'SONDE_BODY_LIMIT', 1 << 20),
    uploadLimit: int(env, 'SONDE_UPLOAD_LIMIT', 64 << 20),
    maxDatasetRows: int(env, 'SONDE_MAX_DATASET_ROWS', 200_000),
    logLevel: env.LOG_LEVEL ?? 'info',
    rateLimitPerMinute: int(env, 'SONDE_RATE_LIMIT', 600),
    lockMs: int(env, 'SONDE_LOCK_MS', 30_000),
    maxStalledCount: int(env, 'SONDE_MAX_STALLED', 10),
    activationCacheMaxBytes: int(env, 'SONDE_ACTIVATION_CACHE_MAX_BYTES', 20 * 2 ** 30),
    maxConcurrentJobsPerTenant: int(env, 'SONDE_MAX_CONCURRENT_JOBS', 20),
    rateLimitAnonPerMinute: int(env, 'SONDE_RATE_LIMIT_ANON', 60),
    maxConcurrentUploads: int(env, 'SONDE_MAX_CONCURRENT_UPLOADS', 2),
    budgets: {
      maxJobTexts: int(env, 'SONDE_MAX_JOB_TEXTS', 1_000_000),
      maxJobActivationBytes: int(env, 'SONDE_MAX_JOB_ACTIVATION_BYTES', 2 * 2 ** 30),
      maxJobFits: int(env, 'SONDE_MAX_JOB_FITS', 20_000),
      maxJobCpuSeconds: int(env, 'SONDE_MAX_JOB_CPU_SECONDS', 4 * 3600),
    },
    apiUrl: env.SONDE_URL ?? 'http://127.0.0.1:8080',
    apiKey: env.SONDE_API_KEY ?? '',
  };
}
