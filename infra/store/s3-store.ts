/**
 * The activation store in S3-compatible object storage (AWS S3, MinIO, Ceph RGW, R2), via
 * the AWS SDK v3. Same layout and entry logic as the local store (activation-store.ts);
 * an object is visible only once fully uploaded, so "written whole, manifest last" holds
 * without temporary names. Last use (for eviction) is the LastModified of a tiny
 * `last-used` object beside the manifest, rewritten on every read (never the manifest
 * itself, which a concurrent writer may be replacing).
 */
import {
  DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../config.ts';
import { EntryStore, type BlobBackend } from './activation-store.ts';

const ENTRY = /(?:^|\/)([0-9a-f]{2})\/([0-9a-f]{64})\/([^/]+)$/;

export function s3Client(c: S3Config): S3Client {
  return new S3Client({
    region: c.region,
    endpoint: c.endpoint ?? undefined,
    forcePathStyle: c.forcePathStyle,
    // Given credentials win; otherwise the SDK's default chain (instance role, profile, …).
    credentials: c.accessKeyId && c.secretAccessKey ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } : undefined,
  });
}

class S3Blobs implements BlobBackend {
  readonly where: string;

  constructor(private readonly client: S3Client, private readonly bucket: string, private readonly prefix: string) {
    this.where = `s3://${bucket}/${prefix}`;
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  async read(name: string): Promise<Uint8Array | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return await out.Body!.transformToByteArray();
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) return null;
      throw e;
    }
  }

  async write(name: string, bytes: Uint8Array | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(name), Body: typeof bytes === 'string' ? Buffer.from(bytes) : bytes }));
  }

  private async *list(prefix: string): AsyncGenerator<{ Key?: string; Size?: number; LastModified?: Date }> {
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(prefix), ContinuationToken: token }));
      yield* page.Contents ?? [];
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async remove(name: string): Promise<void> {
    if (!name.endsWith('/')) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return;
    }
    for await (const o of this.list(name)) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key! }));
  }

  async touch(name: string): Promise<void> {
    await this.write(`${name.slice(0, name.lastIndexOf('/') + 1)}last-used`, '');
  }

  async entries(): Promise<{ key: string; bytes: number; used: number }[]> {
    const byKey = new Map<string, { key: string; bytes: number; used: number }>();
    for await (const o of this.list('')) {
      const m = ENTRY.exec(o.Key!.slice(this.prefix.length));
      if (!m) continue;
      const e = byKey.get(m[2]) ?? { key: m[2], bytes: 0, used: 0 };
      e.bytes += o.Size ?? 0;
      // Last use: the later of the manifest's write and the last read (`last-used`).
      if (m[3] === 'manifest.json' || m[3] === 'last-used') e.used = Math.max(e.used, o.LastModified?.getTime() ?? 0);
      byKey.set(m[2], e);
    }
    return [...byKey.values()];
  }
}

export class S3ActivationStore extends EntryStore {
  constructor(client: S3Client, bucket: string, prefix: string) {
    super(new S3Blobs(client, bucket, prefix.replace(/^\/+/, '').replace(/\/?$/, '/').replace(/^\/$/, '')));
  }
}
