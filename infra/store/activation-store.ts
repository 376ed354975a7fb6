/**
 * Content-addressed activation store. An entry is keyed by what determines the
 * activations — model weights (sha256), the texts (sha256), prompt template, pooling and
 * storage dtype — and holds one `.npy` (n×d) per layer per side plus `manifest.json`.
 *
 * Layout under the root (SONDE_DATA_DIR/activations):
 *     <key[0..2]>/<key>/layer_<k>_<side>.npy
 *     <key[0..2]>/<key>/manifest.json      lists the files that are complete
 *
 * Several machines can share one root on a mounted volume (NFS, EFS…): every file is
 * written to a temporary name and renamed into place, and the manifest, renamed last, is
 * the commit record — a reader never sees a partial file as present. Two writers of the
 * same key write identical bytes (the key fixes the content), so racing is harmless.
 * The ActivationStore interface is all callers use, so an S3 backend can replace
 * LocalActivationStore (objects are immutable and keyed the same way).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { encodeMat, encodeNpy, floatToHalf, readMatRows } from '../../lib/npy.ts';
import type { Mat } from '../../lib/tensor.ts';
import type { Pooling } from '../../lib/models/types.ts';

/** 'pos'/'neg' for contrast pairs (Burns et al. 2022), 'texts' for plain extraction. */
export type Side = 'pos' | 'neg' | 'texts';

export interface ActivationKeyParts {
  modelSha256: string;
  /** sha256 of the texts (textsSha256) or of the dataset file. */
  dataSha256: string;
  /** Prompt template id ('' for raw texts). */
  template: string;
  pooling: Pooling;
  dtype?: 'float32' | 'float16';
}

export interface EntryManifest {
  key: string;
  parts: ActivationKeyParts;
  rows: number;
  /** "layer_side" → file name and width, for the complete files only. */
  files: Record<string, { file: string; cols: number }>;
  created_at: string;
}

export interface ActivationStore {
  has(key: string, layer: number, side: Side): Promise<boolean>;
  get(key: string, layer: number, side: Side): Promise<Mat | null>;
  /**
   * Some rows of a stored matrix (null: all), read without a float64 copy of the whole
   * file: a fit unit reads a job's pairs straight from the entry (no per-job copy).
   */
  getRows(key: string, layer: number, side: Side, rows: ArrayLike<number> | null): Promise<Mat | null>;
  put(key: string, parts: ActivationKeyParts, layer: number, side: Side, m: Mat): Promise<void>;
  manifest(key: string): Promise<EntryManifest | null>;
  /** Least-recently-used eviction down to `maxBytes`, never touching `keep` (entries of jobs still running). */
  prune(maxBytes: number, keep?: readonly string[]): Promise<{ removed: string[]; bytes: number }>;
  /** Removes an entry (its manifest first, so no reader sees it half gone). */
  remove(key: string): Promise<void>;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The entry key: sha256 of the canonical JSON of the parts (fixed field order). */
export function activationKey(parts: ActivationKeyParts): string {
  for (const f of ['modelSha256', 'dataSha256'] as const) {
    if (!HEX64.test(parts[f])) throw new Error(`activation key: ${f} must be a sha256 hex digest`);
  }
  const canonical = JSON.stringify([parts.modelSha256, parts.dataSha256, parts.template, parts.pooling, parts.dtype ?? 'float32']);
  return createHash('sha256').update(canonical).digest('hex');
}

/** sha256 of a list of texts; length-prefixed so ["ab"] and ["a", "b"] differ. */
export function textsSha256(texts: readonly string[]): string {
  const h = createHash('sha256');
  for (const t of texts) {
    const b = Buffer.from(t, 'utf8');
    h.update(`${b.length}:`);
    h.update(b);
  }
  return h.digest('hex');
}

const slot = (layer: number, side: Side) => `${layer}_${side}`;

/** Writes bytes under a unique temporary name in the same directory, then renames. */
async function writeAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

export class LocalActivationStore implements ActivationStore {
  constructor(readonly root: string) {}

  private dir(key: string): string {
    if (!HEX64.test(key)) throw new Error(`activation key must be a sha256 hex digest, got "${key}"`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  async manifest(key: string): Promise<EntryManifest | null> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir(key), 'manifest.json'), 'utf8')) as EntryManifest;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async has(key: string, layer: number, side: Side): Promise<boolean> {
    return Boolean((await this.manifest(key))?.files[slot(layer, side)]);
  }

  async get(key: string, layer: number, side: Side): Promise<Mat | null> {
    return this.getRows(key, layer, side, null);
  }

  async getRows(key: string, layer: number, side: Side, rows: ArrayLike<number> | null): Promise<Mat | null> {
    const entry = (await this.manifest(key))?.files[slot(layer, side)];
    if (!entry) return null;
    const file = path.join(this.dir(key), entry.file);
    const m = readMatRows(await fs.readFile(file), rows, file);
    // The manifest's mtime is the entry's last use, for least-recently-used eviction (prune).
    const now = new Date();
    await fs.utimes(path.join(this.dir(key), 'manifest.json'), now, now).catch(() => {});
    return m;
  }

  /**
   * Least-recently-used eviction: while the store holds more than `maxBytes`, remove whole
   * entries, oldest last use first (`keep` is never removed: the entry a running job just
   * wrote or read). A reader racing a removal only recomputes — never reads a partial entry,
   * since the manifest goes first. Returns what was removed.
   */
  async prune(maxBytes: number, keep: readonly string[] = []): Promise<{ removed: string[]; bytes: number }> {
    const entries: { key: string; dir: string; bytes: number; used: number }[] = [];
    let total = 0;
    for (const prefix of await fs.readdir(this.root).catch(() => [] as string[])) {
      const sub = path.join(this.root, prefix);
      for (const key of await fs.readdir(sub).catch(() => [] as string[])) {
        if (!HEX64.test(key)) continue;
        const dir = path.join(sub, key);
        let bytes = 0;
        for (const f of await fs.readdir(dir).catch(() => [] as string[])) bytes += (await fs.stat(path.join(dir, f)).catch(() => ({ size: 0 }))).size;
        const used = (await fs.stat(path.join(dir, 'manifest.json')).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
        entries.push({ key, dir, bytes, used });
        total += bytes;
      }
    }
    const removed: string[] = [];
    const pinned = new Set(keep);
    entries.sort((a, b) => a.used - b.used);
    for (const e of entries) {
      if (total <= maxBytes) break;
      if (pinned.has(e.key)) continue;
      await this.remove(e.key);
      total -= e.bytes;
      removed.push(e.key);
    }
    return { removed, bytes: total };
  }

  async remove(key: string): Promise<void> {
    const dir = this.dir(key);
    await fs.rm(path.join(dir, 'manifest.json'), { force: true });
    await fs.rm(dir, { recursive: true, force: true });
  }

  /**
   * Stores one layer/side. float16 entries are written as '<f2' (half the disk); `m`
   * must then hold float16-representable values (as ExtractionClient returns them).
   */
  async put(key: string, parts: ActivationKeyParts, layer: number, side: Side, m: Mat): Promise<void> {
    if (activationKey(parts) !== key) throw new Error('activation store: key does not match its parts');
    const dir = this.dir(key);
    await fs.mkdir(dir, { recursive: true });
    const file = `layer_${layer}_${side}.npy`;
    const bytes = parts.dtype === 'float16'
      ? encodeNpy([m.rows, m.cols], Uint16Array.from(m.data, floatToHalf), '<f2')
      : encodeMat(m);
    await writeAtomic(path.join(dir, file), bytes);
    // Re-read the manifest just before replacing it so entries written meanwhile by another
    // job survive (a lost race only costs a recomputation, never a wrong answer).
    const prev = await this.manifest(key);
    if (prev && prev.rows !== m.rows) throw new Error(`activation store: entry ${key} has ${prev.rows} rows, got ${m.rows}`);
    const next: EntryManifest = prev ?? { key, parts, rows: m.rows, files: {}, created_at: new Date().toISOString() };
    next.files[slot(layer, side)] = { file, cols: m.cols };
    await writeAtomic(path.join(dir, 'manifest.json'), `${JSON.stringify(next, null, 2)}\n`);
  }
}
