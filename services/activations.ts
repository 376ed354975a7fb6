/**
 * Bring your own activations: an uploaded set of contrast-pair activations (x⁺ and x⁻ as
 * n×d, optional labels), decoded from .npy or .safetensors, checked, stored in the
 * 'uploads' activation store under a content key (so every worker, on any machine, reads
 * it), and registered in Postgres. A job with `activations: <id>` probes it without a model.
 */
import crypto from 'node:crypto';
import type { Queryable } from '../infra/db/pool.ts';
import { activationSetLabels, getActivationSet, insertActivationSet, listActivationSets as listStored, type ActivationSet } from '../infra/db/activations.ts';
import { activationKey, type ActivationKeyParts } from '../infra/store/activation-store.ts';
import type { Stores } from '../infra/store/index.ts';
import { BadInputError, TooLargeError } from '../lib/errors.ts';
import { NpyError, encodeNpyHeader, npyHeaderSize, readNpyHeader } from '../lib/npy.ts';
import { SafetensorsError, readSafetensorsHeader, safetensorsHeaderSize, type TensorInfo } from '../lib/safetensors.ts';
import { decodeFloat32, decodeLabels, isFloatDtype } from '../lib/array-decode.ts';
import type { Mat } from '../lib/tensor.ts';
import { assertStorageQuota } from './quota.ts';

/** One array of an upload as its header describes it, with its data bytes once read. */
interface ArrayPart {
  dtype: string;
  shape: number[];
  filename: string;
  /** The data section, exactly as many bytes as the header says. */
  data: Uint8Array;
}

type Field = 'pos' | 'neg' | 'labels';
const FIELDS = ['pos', 'neg', 'labels', 'file'] as const;
/** Longest header accepted before the data (a safetensors header of three tensors is a few hundred bytes). */
const MAX_HEADER_BYTES = 1 << 20;

/**
 * An activation upload read part by part from a stream: each file's header (the .npy or
 * safetensors header gives dtype and shape) is read and checked against the parts seen so
 * far — pos and neg n×d floats of the same shape, labels n values, the size limit and the
 * tenant's storage quota — before its data is read, and nothing is decoded until every
 * part has arrived. A mismatch costs the bytes of the headers, not of the bodies.
 */
export class ActivationUpload {
  private arrays = new Map<Field, ArrayPart>();
  private shapes = new Map<Field, { shape: number[]; dtype: string; filename: string }>();
  private quotaChecked = false;

  constructor(private readonly deps: { db: Queryable }, private readonly tenantId: string, private readonly maxBytes: number) {}

  /** Reads one file part (`field` pos, neg, labels, or file: one safetensors with those tensors). */
  async addFile(field: string, filename: string, stream: AsyncIterable<Uint8Array>): Promise<void> {
    if (!(FIELDS as readonly string[]).includes(field)) throw new BadInputError(`unexpected file field "${field}" (use pos, neg, labels or file)`);
    const name = filename || field;
    const reader = new ChunkReader(stream);
    const head = await reader.readAtLeast(12);
    const npy = head[0] === 0x93 && head[1] === 0x4e;
    if (field !== 'file' && npy) {
      const size = npyHeaderSize(await reader.readAtLeast(Math.min(MAX_HEADER_BYTES, npyHeaderSize(head, name) ?? 12)), name);
      if (size === null || size > MAX_HEADER_BYTES) throw new NpyError(`${name}: truncated or oversized header`);
      const h = readNpyHeader(await reader.readAtLeast(size), name);
      await this.expect(field as Field, { shape: h.shape, dtype: h.dtype, filename: name }, h.dataBytes);
      const all = await reader.readExactly(h.dataStart + h.dataBytes, name);
      this.arrays.set(field as Field, { dtype: h.dtype, shape: h.shape, filename: name, data: all.subarray(h.dataStart) });
      return;
    }
    if (npy) throw new BadInputError(`${name}: field "file" takes one .safetensors holding pos, neg and labels; send .npy files as pos, neg, labels`);
    const hs = safetensorsHeaderSize(head.length >= 8 ? head : await reader.readAtLeast(8), name);
    if (hs === null || hs > MAX_HEADER_BYTES) throw new SafetensorsError(`${name}: bad header length ${hs === null ? 0 : hs - 8}`);
    const { tensors, dataStart, totalBytes } = readSafetensorsHeader(await reader.readAtLeast(hs), name);
    const wanted: [Field, TensorInfo][] = [];
    if (field === 'file') {
      if (this.shapes.size) throw new BadInputError('send either one safetensors "file" or separate pos/neg/labels files, not both');
      for (const f of ['pos', 'neg', 'labels'] as const) { const t = tensors.get(f); if (t) wanted.push([f, t]); }
    } else {
      const t = tensors.get(field) ?? (tensors.size === 1 ? [...tensors.values()][0] : undefined);
      if (!t) throw new SafetensorsError(`${name}: no tensor named "${field}" (found ${[...tensors.keys()].join(', ') || 'none'})`);
      wanted.push([field as Field, t]);
    }
    for (const [f, t] of wanted) await this.expect(f, { shape: t.shape, dtype: t.dtype, filename: name }, totalBytes - dataStart);
    const all = await reader.readExactly(totalBytes, name);
    for (const [f, t] of wanted) this.arrays.set(f, { dtype: t.dtype, shape: t.shape, filename: name, data: all.subarray(dataStart + t.begin, dataStart + t.end) });
  }

  /** The checks a header allows, against every header seen before. */
  private async expect(field: Field, a: { shape: number[]; dtype: string; filename: string }, dataBytes: number): Promise<void> {
    if (this.shapes.has(field)) throw new BadInputError(`${field} was sent twice`);
    if (dataBytes > this.maxBytes) throw new TooLargeError(`${a.filename}: ${dataBytes} bytes of data, over the upload limit of ${this.maxBytes} bytes (SONDE_UPLOAD_LIMIT)`);
    if (field === 'labels') {
      if (a.shape.length !== 1) throw new NpyError(`${a.filename}: expected a 1-D array of labels, got shape (${a.shape.join(', ')})`);
    } else {
      if (a.shape.length !== 2) throw new NpyError(`${a.filename}: expected a 2-D array (n×d), got shape (${a.shape.join(', ')})`);
      if (!isFloatDtype(a.dtype)) throw new NpyError(`${a.filename}: expected float32 or float64 activations, got ${a.dtype}`);
      const [n, d] = a.shape;
      if (n < 4 || d < 1) throw new BadInputError(`need at least 4 pairs of at least 1 dimension (got ${n}×${d})`);
    }
    this.shapes.set(field, a);
    const pos = this.shapes.get('pos') ?? this.shapes.get('neg');
    const other = this.shapes.get('pos') && this.shapes.get('neg') ? this.shapes.get('neg') : null;
    if (pos && other && (pos.shape[0] !== other.shape[0] || pos.shape[1] !== other.shape[1])) {
      throw new BadInputError(`pos is ${pos.shape[0]}×${pos.shape[1]} but neg is ${other.shape[0]}×${other.shape[1]}; they must match`);
    }
    const labels = this.shapes.get('labels');
    if (pos && labels && labels.shape[0] !== pos.shape[0]) throw new BadInputError(`${labels.shape[0]} labels for ${pos.shape[0]} pairs`);
    if (pos && !this.quotaChecked) {
      this.quotaChecked = true;
      const [n, d] = pos.shape;
      await assertStorageQuota(this.deps.db, this.tenantId, n * d * 4 * 2 + n);
    }
  }

  /** Every part has arrived: decode to float32 and 0/1 labels (float64 beyond float32 range, NaN and ∞ refused). */
  finish(): { pos: Mat; neg: Mat; labels: Int8Array | null } {
    const posA = this.arrays.get('pos');
    const negA = this.arrays.get('neg');
    if (!posA || !negA) throw new BadInputError('both pos and neg activations are required');
    const mat = (a: ArrayPart, what: string): Mat => {
      const [n, d] = a.shape;
      const data = decodeFloat32(a.data, a.dtype, n * d, d, `${what} (${a.filename})`);
      this.arrays.delete(what as Field); // the raw bytes can go once decoded
      return { rows: n, cols: d, data };
    };
    const pos = mat(posA, 'pos');
    const neg = mat(negA, 'neg');
    const l = this.arrays.get('labels');
    const labels = l ? decodeLabels(l.data, l.dtype, l.shape[0], `labels (${l.filename})`) : null;
    return { pos, neg, labels };
  }
}

/** Reads a byte stream in pieces: enough for a header first, then exactly the expected total. */
class ChunkReader {
  private chunks: Uint8Array[] = [];
  private have = 0;
  private done = false;
  private it: AsyncIterator<Uint8Array>;

  constructor(stream: AsyncIterable<Uint8Array>) {
    this.it = stream[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.it.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.chunks.push(next.value);
    this.have += next.value.length;
    return true;
  }

  private joined(): Uint8Array {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? new Uint8Array(0);
  }

  /** At least `n` bytes from the start (fewer only when the stream ends first). */
  async readAtLeast(n: number): Promise<Uint8Array> {
    while (this.have < n && (await this.pull()));
    return this.joined();
  }

  /** The whole stream, which must be exactly `total` bytes: copied once into a buffer of that size. */
  async readExactly(total: number, what: string): Promise<Uint8Array> {
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const c of this.chunks) {
      if (at + c.length > total) throw this.mismatch(total, what, at + c.length);
      out.set(c, at);
      at += c.length;
    }
    this.chunks = [];
    while (!this.done) {
      const next = await this.it.next();
      if (next.done) { this.done = true; break; }
      if (at + next.value.length > total) throw this.mismatch(total, what, at + next.value.length);
      out.set(next.value, at);
      at += next.value.length;
    }
    if (at !== total) throw this.mismatch(total, what, at);
    return out;
  }

  private mismatch(total: number, what: string, found: number) {
    return new BadInputError(`${what}: its header promises ${total} bytes in all but the file has ${found > total ? 'more' : found} bytes (truncated or padded)`);
  }
}

/** The store entry of an uploaded set: keyed by its content, like every other entry. */
export function uploadKeyParts(sha256: string): ActivationKeyParts {
  // A fixed "model" hash marks entries that no model produced.
  return { modelSha256: crypto.createHash('sha256').update('sonde:uploaded-activations/1').digest('hex'), dataSha256: sha256, template: 'upload', pooling: 'last' };
}

/**
 * The sha256 an upload has always been keyed by: over pos.npy, neg.npy (as encodeMat writes
 * them) and the labels; a set of several layers hashes every layer's pos and neg in order.
 */
function contentSha256(layers: readonly { pos: Mat; neg: Mat }[], labels: Int8Array | null): string {
  const h = crypto.createHash('sha256');
  for (const { pos, neg } of layers) {
    for (const m of [pos, neg]) {
      h.update(encodeNpyHeader('<f4', [m.rows, m.cols]));
      h.update(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    }
  }
  return h.update(labels ?? new Int8Array()).digest('hex');
}

export async function createActivationSet(
  deps: { db: Queryable; stores: Stores },
  tenantId: string,
  upload: { name: string; arrays: { pos: Mat; neg: Mat; labels: Int8Array | null } },
) {
  const { pos, neg, labels } = upload.arrays;
  return storeActivationSet(deps, tenantId, { name: upload.name, layers: [{ pos, neg }], labels });
}

/**
 * Stores a set of contrast-pair activations (one or more layers, every layer n × d) with
 * optional labels (−1 unknown) and extra label columns: the one way in for uploads and for
 * the planted-feature lab. The arrays are written to the 'uploads' store before the row
 * exists, so a set is never visible with its arrays missing.
 */
export async function storeActivationSet(
  deps: { db: Queryable; stores: Stores },
  tenantId: string,
  set: { name: string; layers: { pos: Mat; neg: Mat }[]; labels: Int8Array | null; label_sets?: Record<string, Int8Array>; meta?: object | null },
) {
  const [{ pos }] = set.layers;
  for (const [k, l] of set.layers.entries()) {
    if (l.pos.rows !== pos.rows || l.neg.rows !== pos.rows || l.pos.cols !== pos.cols || l.neg.cols !== pos.cols) {
      throw new BadInputError(`layer ${k} is ${l.pos.rows}×${l.pos.cols} / ${l.neg.rows}×${l.neg.cols}; every layer must be ${pos.rows}×${pos.cols}`);
    }
  }
  for (const [name, ys] of Object.entries(set.label_sets ?? {})) {
    if (ys.length !== pos.rows) throw new BadInputError(`label column "${name}" has ${ys.length} labels for ${pos.rows} pairs`);
  }
  const bytes = pos.data.byteLength * 2 * set.layers.length + (set.labels?.length ?? 0);
  await assertStorageQuota(deps.db, tenantId, bytes);
  const sha256 = contentSha256(set.layers, set.labels);
  const parts = uploadKeyParts(sha256);
  const key = activationKey(parts);
  for (const [layer, l] of set.layers.entries()) {
    await deps.stores.uploads.put(key, parts, layer, 'pos', l.pos);
    await deps.stores.uploads.put(key, parts, layer, 'neg', l.neg);
  }
  const row = await insertActivationSet(deps.db, tenantId, {
    id: crypto.randomUUID(), name: set.name, n: pos.rows, dim: pos.cols, has_labels: !!set.labels && set.labels.some((y) => y >= 0),
    sha256, store_key: key, labels: set.labels, bytes, n_layers: set.layers.length, label_sets: set.label_sets, meta: set.meta ?? null,
  });
  return publicSet(row);
}

function publicSet<T extends { path: unknown; store_key: unknown; created_at: Date }>(row: T) {
  const { path: _p, store_key: _k, ...out } = row;
  return { ...out, created_at: row.created_at.toISOString() };
}

export async function listActivationSets(db: Queryable, tenantId: string) {
  return (await listStored(db, tenantId)).map(publicSet);
}

/** The set a job probes, with its labels (the extract stage stages them with the pairs). */
export async function activationSetForJob(db: Queryable, tenantId: string, id: string): Promise<(ActivationSet & { labels: number[] | null; label_sets: Record<string, number[]> }) | null> {
  const set = await getActivationSet(db, tenantId, id);
  return set ? { ...set, ...(await activationSetLabels(db, id)) } : null;
}
