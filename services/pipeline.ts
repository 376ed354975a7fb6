/**
 * A job's life on the worker side: the extract stage claims the job, stages its conditions
 * (where each condition's pairs are in the activation store, and their bookkeeping) and
 * fans out one fit unit per layer; a fit unit loads what it needs and commits its layer in
 * one transaction, the last one completing the job. Every state change goes through here;
 * workers/ holds only the processors that call it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db, Queryable } from '../infra/db/pool.ts';
import { withTransaction } from '../infra/db/pool.ts';
import * as jobsDb from '../infra/db/jobs.ts';
import { commitFitUnit } from '../infra/db/results.ts';
import { activeCacheKeys, deleteConditions, listConditions, replaceConditions, type ConditionRow } from '../infra/db/conditions.ts';
import type { Side } from '../infra/store/activation-store.ts';
import type { JobSpec } from '../lib/job-spec.ts';
import { isUuid } from '../lib/ids.ts';
import type { ServiceDeps } from './context.ts';

import type { LayerOutcome, PairsMeta } from '../lib/fit/types.ts';

export type { PairsMeta };

/** Where a condition's x⁺ and x⁻ are: rows of one activation-store entry (null rows: all, in order). */
export interface ConditionSource {
  store: 'cache' | 'uploads';
  key: string;
  posSide: Side;
  negSide: Side;
  posRows: number[] | null;
  negRows: number[] | null;
}

export interface StagedCondition {
  name: string;
  source: ConditionSource;
  meta: PairsMeta;
}

export interface FitUnit {
  jobId: string;
  spec: JobSpec;
  layer: number;
  conditions: StagedCondition[];
}

/** A job the extract stage may work on, marked running; null when it ended meanwhile (cancelled). */
export async function claimForExtract(db: Queryable, jobId: string): Promise<jobsDb.JobRow | null> {
  const row = await jobsDb.getJobForWorker(db, jobId);
  // Not visible yet (the API's transaction has not committed): a plain error, retried with backoff.
  if (!row) throw new Error(`job ${jobId} is not visible yet`);
  if (jobsDb.TERMINAL.has(row.status)) return null;
  await jobsDb.setStatus(db, jobId, 'running', { detail: 'extracting activations' });
  return row;
}

export async function isCancelled(db: Queryable, jobId: string): Promise<boolean> {
  const row = await jobsDb.getJobForWorker(db, jobId);
  return !row || row.status === 'cancelled';
}

export async function isRunning(db: Queryable, jobId: string): Promise<boolean> {
  return (await jobsDb.getJobForWorker(db, jobId))?.status === 'running';
}

/** Best effort: a Postgres blip must not fail (or crash) the stage that reports it. */
export function reportProgress(db: Queryable, jobId: string, stage: string, done: number, total: number): void {
  jobsDb.setProgress(db, jobId, stage, done, total).catch(() => {});
}

export const recordExtractStats = (db: Queryable, jobId: string, texts: number, seconds: number) => jobsDb.addExtractStats(db, jobId, texts, seconds);

const toRow = (c: StagedCondition): ConditionRow => ({
  name: c.name, store: c.source.store, store_key: c.source.key, pos_side: c.source.posSide, neg_side: c.source.negSide,
  pos_rows: c.source.posRows, neg_rows: c.source.negRows, meta: c.meta as unknown as Record<string, unknown>,
});

const fromRow = (r: ConditionRow): StagedCondition => ({
  name: r.name,
  source: { store: r.store, key: r.store_key, posSide: r.pos_side as Side, negSide: r.neg_side as Side, posRows: r.pos_rows, negRows: r.neg_rows },
  meta: r.meta as unknown as PairsMeta,
});

/**
 * The end of the extract stage: stores the conditions and enqueues one fit unit per layer,
 * unless the job was cancelled meanwhile.
 */
export async function stageAndFanOut(deps: Pick<ServiceDeps, 'db' | 'queues'>, jobId: string, conditions: StagedCondition[], layers: number[]): Promise<boolean> {
  const staged = await withTransaction(deps.db, async (tx) => {
    const row = await tx.query('SELECT status FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
    if (row.rows[0]?.status !== 'running') return false;
    await replaceConditions(tx, jobId, conditions.map(toRow));
    await jobsDb.setFitsTotal(tx, jobId, layers.length);
    await jobsDb.setProgress(tx, jobId, 'fit', 0, layers.length);
    return true;
  });
  if (staged) await deps.queues.enqueueFits(jobId, layers);
  return staged;
}

/** What a fit unit needs, or null when the job is no longer running (its unit is dropped). */
export async function loadFitUnit(db: Queryable, jobId: string, layer: number): Promise<FitUnit | null> {
  const row = await jobsDb.getJobForWorker(db, jobId);
  if (!row || row.status !== 'running') return null;
  const conditions = (await listConditions(db, jobId)).map(fromRow);
  return { jobId, spec: row.spec as unknown as JobSpec, layer, conditions };
}

/** Commits a layer; the job's bookkeeping goes once its last layer completes it. */
export async function commitFit(db: Db, jobId: string, layer: number, outcome: LayerOutcome) {
  const out = await commitFitUnit(db, jobId, layer, outcome);
  if (out.completed) await deleteConditions(db, jobId);
  return out;
}

/** Marks a job failed (unless it already ended) and drops its staged bookkeeping. */
export async function failJob(db: Queryable, jobId: string, error: { title: string; detail: string }): Promise<void> {
  await jobsDb.setStatus(db, jobId, 'failed', { error });
  await deleteConditions(db, jobId);
}

/**
 * What a job that ended without completing leaves behind: its staged conditions, and the
 * per-job copies older versions wrote under SONDE_DATA_DIR/jobs/<id>/ (before migration
 * 004). Activation store entries are shared by content and pruned by the cache, not here.
 */
export async function removeJobArtefacts(deps: { db: Queryable; config: { dataDir: string } }, jobId: string): Promise<void> {
  await deleteConditions(deps.db, jobId);
  if (isUuid(jobId)) await fs.rm(path.join(deps.config.dataDir, 'jobs', jobId), { recursive: true, force: true });
}

/** Cache entries running jobs still need (never pruned). */
export const pinnedCacheKeys = (db: Queryable) => activeCacheKeys(db);

