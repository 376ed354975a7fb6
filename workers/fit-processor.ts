/**
 * Fit stage: one BullMQ job = one layer of one Sonde job. Runs in a sandboxed child
 * process (workers/fit-sandbox.ts) because fitting is CPU-bound JavaScript that would
 * otherwise block lock renewal. Writes all of the layer's rows in one transaction, which
 * also completes the job when this was its last layer.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job as BullJob } from 'bullmq';
import type { Config } from '../infra/config.ts';
import type { FitPayload } from '../infra/queue.ts';
import type { JobSpec } from '../lib/job-spec.ts';
import type { Db } from '../infra/db/pool.ts';
import * as jobs from '../infra/db/jobs.ts';
import { commitFitUnit } from '../infra/db/results.ts';
import { readLayer, readPairsMeta, removeJobArtifacts } from './job-artifacts.ts';
import { fitLayer, type ConditionData } from './fit-layer.ts';

export async function processFit(bull: BullJob<FitPayload>, deps: { config: Config; db: Db }): Promise<{ completed: boolean }> {
  const { db, config } = deps;
  const { jobId, layer } = bull.data;
  const row = await jobs.getJobForWorker(db, jobId);
  if (!row || row.status !== 'running') return { completed: false };
  const spec = row.spec as unknown as JobSpec;
  const root = path.join(config.dataDir, 'jobs', jobId);
  const conditions: ConditionData[] = [];
  for (const name of (await fs.readdir(root)).sort()) {
    const dir = path.join(root, name);
    const meta = await readPairsMeta(dir);
    conditions.push({ name: meta.condition, meta, pos: await readLayer(dir, layer, 'pos'), neg: await readLayer(dir, layer, 'neg') });
  }
  conditions.sort((a, b) => (a.name === 'clean' ? -1 : b.name === 'clean' ? 1 : a.name.localeCompare(b.name)));
  const { results, agreements } = fitLayer(spec, layer, conditions);
  const out = await commitFitUnit(db, jobId, layer, results, agreements);
  if (out.completed) await removeJobArtifacts(config.dataDir, jobId);
  return { completed: out.completed };
}
