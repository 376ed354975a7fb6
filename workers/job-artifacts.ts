/**
 * What the extract stage hands to the fit stage, per job and condition (clean, each
 * text-changing control, each transfer dataset): the contrast pairs' bookkeeping and,
 * per layer, the pooled activations of the pairs' two sides. Files live under
 * SONDE_DATA_DIR/jobs/<job>/<condition>/ (a shared volume when workers run on several
 * machines) and are written atomically: temp file, then rename.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Mat } from '../lib/tensor.ts';
import { encodeMat, npyToMat, parseNpy } from '../lib/npy.ts';

export interface PairsMeta {
  condition: string;
  n_pairs: number;
  labels: number[] | null;
  templates: number[];
  template_ids: string[];
  items: number[];
  control_bits: number[] | null;
  layers: number[];
  dim: Record<string, number>;
}

export function conditionDir(dataDir: string, jobId: string, condition: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(jobId)) throw new Error(`bad job id ${jobId}`);
  const safe = condition.replace(/[^A-Za-z0-9._-]/g, '_');
  return path.join(dataDir, 'jobs', jobId, safe);
}

export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

export async function writeLayer(dir: string, layer: number, side: 'pos' | 'neg', m: Mat): Promise<void> {
  await writeAtomic(path.join(dir, `layer_${layer}_${side}.npy`), encodeMat(m));
}

export async function readLayer(dir: string, layer: number, side: 'pos' | 'neg'): Promise<Mat> {
  const file = path.join(dir, `layer_${layer}_${side}.npy`);
  return npyToMat(parseNpy(new Uint8Array(await fs.readFile(file)), file), file);
}

/** pairs.json is written last: its presence means the condition is complete. */
export async function writePairsMeta(dir: string, meta: PairsMeta): Promise<void> {
  await writeAtomic(path.join(dir, 'pairs.json'), JSON.stringify(meta));
}

export async function readPairsMeta(dir: string): Promise<PairsMeta> {
  return JSON.parse(await fs.readFile(path.join(dir, 'pairs.json'), 'utf8')) as PairsMeta;
}

export async function removeJobArtifacts(dataDir: string, jobId: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(jobId)) return;
  await fs.rm(path.join(dataDir, 'jobs', jobId), { recursive: true, force: true });
}
