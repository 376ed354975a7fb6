/**
 * A real S3-protocol server for tests: s3rver (npm), in-process, on a free port, storing
 * under a temporary directory, with one bucket. It speaks the S3 wire protocol the AWS SDK
 * uses (signed requests, path-style addressing, ranged GETs, listing, copy, delete); it does
 * not model S3's consistency, multipart limits, or anything beyond one-second LastModified.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { S3Config } from '../../infra/config.ts';

export interface TestS3 {
  config: S3Config;
  /** Environment for a child process to use the same store (SONDE_STORE and the AWS variables). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(bucket = 'sonde-test'): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = (await server.run()) as unknown as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const config: S3Config = { bucket, prefix: '', region: 'us-east-1', endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    config,
    env: { SONDE_STORE: `s3://${bucket}/`, AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
    async close() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
