/**
 * The activation store in a local directory (default: SONDE_DATA_DIR/activations). Several
 * machines may share one on a mounted volume (NFS, EFS…): blobs are written under a unique
 * temporary name and renamed into place, so a reader never sees a partial file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EntryStore, type BlobBackend } from './activation-store.ts';

const HEX64 = /^[0-9a-f]{64}$/;

class LocalBlobs implements BlobBackend {
  constructor(readonly where: string) {}

  async read(name: string): Promise<Uint8Array | null> {
    try {
      return await fs.readFile(path.join(this.where, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async write(name: string, bytes: Uint8Array | string): Promise<void> {
    const file = path.join(this.where, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  }

  async remove(name: string): Promise<void> {
    await fs.rm(path.join(this.where, name), { recursive: name.endsWith('/'), force: true });
  }

  async touch(name: string): Promise<void> {
    const now = new Date();
    await fs.utimes(path.join(this.where, name), now, now);
  }

  async entries(): Promise<{ key: string; bytes: number; used: number }[]> {
    const out: { key: string; bytes: number; used: number }[] = [];
    for (const prefix of await fs.readdir(this.where).catch(() => [] as string[])) {
      const sub = path.join(this.where, prefix);
      for (const key of await fs.readdir(sub).catch(() => [] as string[])) {
        if (!HEX64.test(key)) continue;
        const dir = path.join(sub, key);
        let bytes = 0;
        for (const f of await fs.readdir(dir).catch(() => [] as string[])) bytes += (await fs.stat(path.join(dir, f)).catch(() => ({ size: 0 }))).size;
        const used = (await fs.stat(path.join(dir, 'manifest.json')).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
        out.push({ key, bytes, used });
      }
    }
    return out;
  }
}

export class LocalActivationStore extends EntryStore {
  constructor(readonly root: string) {
    super(new LocalBlobs(root));
  }
}
