/**
 * Fit stage: one BullMQ unit = one layer of one Sonde job. The unit runs in a FitPool
 * child (CPU-bound, memory-capped, killable); this process polls the job's status and
 * aborts the child when the job is cancelled, then commits the layer's rows in one
 * transaction, which also completes the job when this was its last layer.
 */
import type { Job as BullJob } from 'bullmq';
import type { FitPayload } from '../infra/queue.ts';
import type { Db } from '../infra/db/pool.ts';
import * as pipeline from '../services/pipeline.ts';
import { FitAbortError, type FitPool } from './fit-pool.ts';

export async function processFit(bull: BullJob<FitPayload>, deps: { db: Db; pool: FitPool }): Promise<{ completed: boolean }> {
  const { db, pool } = deps;
  const { jobId, layer } = bull.data;
  const unit = await pipeline.loadFitUnit(db, jobId, layer);
  if (!unit) return { completed: false };
  const abort = new AbortController();
  const poll = setInterval(() => {
    pipeline.isRunning(db, jobId).then((running) => { if (!running) abort.abort(); }, () => {});
  }, 1_000);
  try {
    const outcome = await pool.run(unit, abort.signal);
    return { completed: (await pipeline.commitFit(db, jobId, layer, outcome)).completed };
  } catch (e) {
    if (e instanceof FitAbortError) return { completed: false }; // the job ended meanwhile
    throw e;
  } finally {
    clearInterval(poll);
  }
}
