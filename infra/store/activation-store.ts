/**
 * Content-addressed activation store. An entry is keyed by what determines the
 * activations — model weights (sha256), the texts (sha256), prompt template, pooling and
 * storage dtype — and holds one `.npy` (n×d) per layer per side plus `manifest.json`.
 *
 * Layout under the root (a directory, or an S3 prefix):
 *     <key[0..2]>/<key>/layer_<k>_<side>.npy
 *     <key[0..2]>/<key>/manifest.json      lists the files that are complete
 *
 * Nothing half written is ever visible as complete: every file is written whole before
 * the manifest that lists it (a temporary name renamed into place on disk; on S3 an object
 * becomes visible only once fully uploaded), and the manifest, written last, is the commit
 * record. Two writers of the same key write identical bytes (the key fixes the content),
 * so racing is harmless. The entry logic lives once, in EntryStore; a backend
 * (local-store.ts, s3-store.ts) only moves blobs.
 */
import { createHash } from 'node:crypto';
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

/** What a backend does: whole blobs under names relative to its root ("ab/abcd…/manifest.json"). */
export interface BlobBackend {
  /** The blob's bytes, or null when it does not exist. */
  read(name: string): Promise<Uint8Array | null>;
  /** Writes a blob so that readers see either nothing or all of it. */
  write(name: string, bytes: Uint8Array | string): Promise<void>;
  /** Removes a blob or (name ending in "/") everything under a prefix; missing is fine. */
  remove(name: string): Promise<void>;
  /** Marks a blob as just used (least-recently-used eviction reads it back in `entries`). */
  touch(name: string): Promise<void>;
  /** Every entry directory: its key, total bytes and its manifest's last use (ms). */
  entries(): Promise<{ key: string; bytes: number; used: number }[]>;
  /** Human-readable location, for messages. */
  readonly where: string;
}

/** The entry logic over any blob backend. */
export class EntryStore implements ActivationStore {
  constructor(protected readonly blobs: BlobBackend) {}

  private dir(key: string): string {
    if (!HEX64.test(key)) throw new Error(`activation key must be a sha256 hex digest, got "${key}"`);
    return `${key.slice(0, 2)}/${key}`;
  }

  async manifest(key: string): Promise<EntryManifest | null> {
    const bytes = await this.blobs.read(`${this.dir(key)}/manifest.json`);
    return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as EntryManifest) : null;
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
    const name = `${this.dir(key)}/${entry.file}`;
    const bytes = await this.blobs.read(name);
    if (!bytes) return null; // removed between the manifest read and now: the caller recomputes
    const m = readMatRows(bytes, rows, `${this.blobs.where}/${name}`);
    // The manifest's last-modified time is the entry's last use, for eviction (prune).
    await this.blobs.touch(`${this.dir(key)}/manifest.json`).catch(() => {});
    return m;
  }

  /**
   * Least-recently-used eviction: while the store holds more than `maxBytes`, remove whole
   * entries, oldest last use first (`keep` is never removed: the entry a running job just
   * wrote or read). A reader racing a removal only recomputes — never reads a partial entry,
   * since the manifest goes first. Returns what was removed.
   */
  async prune(maxBytes: number, keep: readonly string[] = []): Promise<{ removed: string[]; bytes: number }> {
    const entries = await this.blobs.entries();
    let total = entries.reduce((n, e) => n + e.bytes, 0);
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
    await this.blobs.remove(`${this.dir(key)}/manifest.json`);
    await this.blobs.remove(`${this.dir(key)}/`);
  }

  /**
   * Stores one layer/side. float16 entries are written as '<f2' (half the disk); `m`
   * must then hold float16-representable values (as ExtractionClient returns them).
   */
  async put(key: string, parts: ActivationKeyParts, layer: number, side: Side, m: Mat): Promise<void> {
    if (activationKey(parts) !== key) throw new Error('activation store: key does not match its parts');
    const file = `layer_${layer}_${side}.npy`;
    const bytes = parts.dtype === 'float16'
      ? encodeNpy([m.rows, m.cols], Uint16Array.from(m.data, floatToHalf), '<f2')
      : encodeMat(m);
    await this.blobs.write(`${this.dir(key)}/${file}`, bytes);
    // Re-read the manifest just before replacing it so entries written meanwhile by another
    // job survive (a lost race only costs a recomputation, never a wrong answer).
    const prev = await this.manifest(key);
    if (prev && prev.rows !== m.rows) throw new Error(`activation store: entry ${key} has ${prev.rows} rows, got ${m.rows}`);
    const next: EntryManifest = prev ?? { key, parts, rows: m.rows, files: {}, created_at: new Date().toISOString() };
    next.files[slot(layer, side)] = { file, cols: m.cols };
    await this.blobs.write(`${this.dir(key)}/manifest.json`, `${JSON.stringify(next, null, 2)}\n`);
  }
}
