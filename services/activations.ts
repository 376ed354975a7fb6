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
import { BadInputError } from '../lib/errors.ts';
import { encodeMat, npyToLabels, npyToMat, parseNpy, type NpyArray } from '../lib/npy.ts';
import { SafetensorsError, parseSafetensors, type Tensor } from '../lib/safetensors.ts';
import type { Mat } from '../lib/tensor.ts';
import { assertStorageQuota } from './quota.ts';

export interface UploadedFile {
  buf: Buffer;
  filename: string;
}

/** The store entry of an uploaded set: keyed by its content, like every other entry. */
export function uploadKeyParts(sha256: string): ActivationKeyParts {
  // A fixed "model" hash marks entries that no model produced.
  return { modelSha256: crypto.createHash('sha256').update('sonde:uploaded-activations/1').digest('hex'), dataSha256: sha256, template: 'upload', pooling: 'last' };
}

const asNpy = (t: Tensor): NpyArray => ({ dtype: t.dtype.startsWith('F') || t.dtype === 'BF16' ? '<f8' : '<i8', shape: t.shape, values: t.values });

/** One uploaded file → an array, whichever of the two formats it is in. */
function readArray(buf: Buffer, filename: string, tensorName: string): NpyArray {
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes[0] === 0x93 && bytes[1] === 0x4e) return parseNpy(bytes, filename);
  const tensors = parseSafetensors(bytes, filename);
  const t = tensors.get(tensorName) ?? (tensors.size === 1 ? [...tensors.values()][0] : undefined);
  if (!t) throw new SafetensorsError(`${filename}: no tensor named "${tensorName}" (found ${[...tensors.keys()].join(', ') || 'none'})`);
  return asNpy(t);
}

/** pos, neg and optional labels from files `pos`, `neg`, `labels`, or one safetensors `file` holding them. */
export function decodeActivationFiles(files: Map<string, UploadedFile>): { pos: Mat; neg: Mat; labels: Int8Array | null } {
  const single = files.get('file');
  const get = (field: 'pos' | 'neg' | 'labels'): NpyArray | null => {
    const f = files.get(field);
    if (f) return readArray(f.buf, f.filename, field);
    if (single) {
      const t = parseSafetensors(new Uint8Array(single.buf), single.filename).get(field);
      return t ? asNpy(t) : null;
    }
    return null;
  };
  const posA = get('pos');
  const negA = get('neg');
  if (!posA || !negA) throw new BadInputError('both pos and neg activations are required');
  const pos = npyToMat(posA, 'pos');
  const neg = npyToMat(negA, 'neg');
  const labelsA = get('labels');
  const labels = labelsA ? npyToLabels(labelsA, 'labels', { unknown: true }) : null;
  if (pos.rows !== neg.rows || pos.cols !== neg.cols) throw new BadInputError(`pos is ${pos.rows}×${pos.cols} but neg is ${neg.rows}×${neg.cols}; they must match`);
  if (pos.rows < 4 || pos.cols < 1) throw new BadInputError(`need at least 4 pairs of at least 1 dimension (got ${pos.rows}×${pos.cols})`);
  if (labels && labels.length !== pos.rows) throw new BadInputError(`${labels.length} labels for ${pos.rows} pairs`);
  return { pos, neg, labels };
}

export async function createActivationSet(
  deps: { db: Queryable; stores: Stores },
  tenantId: string,
  upload: { name: string; files: Map<string, UploadedFile> },
) {
  const { pos, neg, labels } = decodeActivationFiles(upload.files);
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
  const hash = crypto.createHash('sha256');
  for (const l of set.layers) hash.update(encodeMat(l.pos)).update(encodeMat(l.neg));
  hash.update(set.labels ?? new Int8Array());
  const sha256 = hash.digest('hex');
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
