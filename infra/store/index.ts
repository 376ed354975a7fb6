/**
 * The activation stores chosen by configuration: a local directory (default, under
 * SONDE_DATA_DIR) or S3-compatible object storage (SONDE_STORE=s3://bucket/prefix). Two
 * of them: `cache`, the content-addressed extraction cache (pruned least recently used
 * first), and `uploads`, bring-your-own activation sets (user data, never pruned). Every
 * caller sees only the ActivationStore interface.
 */
import path from 'node:path';
import type { Config } from '../config.ts';
import type { ActivationStore } from './activation-store.ts';
import { LocalActivationStore } from './local-store.ts';
import { S3ActivationStore, s3Client } from './s3-store.ts';

export interface Stores {
  cache: ActivationStore;
  uploads: ActivationStore;
}

export function createStores(config: Pick<Config, 'dataDir' | 's3'>): Stores {
  if (config.s3) {
    const client = s3Client(config.s3);
    return {
      cache: new S3ActivationStore(client, config.s3.bucket, `${config.s3.prefix}activations/`),
      uploads: new S3ActivationStore(client, config.s3.bucket, `${config.s3.prefix}uploads/activation-sets/`),
    };
  }
  return {
    cache: new LocalActivationStore(path.join(config.dataDir, 'activations')),
    uploads: new LocalActivationStore(path.join(config.dataDir, 'uploads', 'activation-sets')),
  };
}
