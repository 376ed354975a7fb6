/**
 * The activation stores chosen by configuration: a local directory (default, under
 * SONDE_DATA_DIR) or S3-compatible object storage (SONDE_STORE=s3://bucket/prefix). Two
 * of them: `cache`, the content-addressed extraction cache (pruned least recently used
 * first), and `uploads`, bring-your-own activation sets (user data, never pruned). Every
 * caller sees only the ActivationStore interface.
 */
import path from 'node:path';
import type { Config } from '../config.ts';
import { LocalActivationStore, type ActivationStore } from './activation-store.ts';

export interface Stores {
  cache: ActivationStore;
  uploads: ActivationStore;
}

export function createStores(config: Pick<Config, 'dataDir'>): Stores {
  return {
    cache: new LocalActivationStore(path.join(config.dataDir, 'activations')),
    uploads: new LocalActivationStore(path.join(config.dataDir, 'uploads', 'activation-sets')),
  };
}
