/**
 * A job's model name → a validated model directory on this worker, converting use-lite on
 * first use. Registered models must still lie inside SONDE_DATA_DIR/models (checked again
 * here: the directory or a symlink in it may have changed since registration).
 */
import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import type { Config } from '../infra/config.ts';
import type { ModelManifest } from '../lib/models/types.ts';
import { loadModelDir } from '../lib/models/model-dir.ts';
import type { Queryable } from '../infra/db/pool.ts';
import { findModel } from '../infra/db/models.ts';
import { ensureUseLite } from '../lib/models/use-lite/index.ts';

export async function resolveModelDir(db: Queryable, config: Config, tenantId: string, name: string): Promise<{ dir: string; manifest: ModelManifest }> {
  if (name === 'use-lite') return loadModelDir(await ensureUseLite(config.dataDir));
  const row = await findModel(db, tenantId, name);
  if (!row) throw new UnrecoverableError(`model "${name}" is not registered`);
  try {
    return await loadModelDir(row.path, { root: path.join(config.dataDir, 'models') });
  } catch (e) {
    throw new UnrecoverableError(`model "${name}": ${(e as Error).message}`);
  }
}
