/** A job's model name → a model directory on this worker, converting use-lite on first use. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import type { Config } from '../lib/config.ts';
import type { ModelManifest } from '../lib/models/types.ts';
import type { Queryable } from '../services/db/pool.ts';
import { findModel } from '../services/db/models.ts';
import { ensureUseLite } from '../lib/models/use-lite/index.ts';

export async function resolveModelDir(db: Queryable, config: Config, tenantId: string, name: string): Promise<{ dir: string; manifest: ModelManifest }> {
  let dir: string;
  if (name === 'use-lite') {
    dir = await ensureUseLite(config.dataDir);
  } else {
    const row = await findModel(db, tenantId, name);
    if (!row) throw new UnrecoverableError(`model "${name}" is not registered`);
    dir = row.path;
  }
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'sonde.json'), 'utf8')) as ModelManifest;
  return { dir, manifest };
}
