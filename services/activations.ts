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
  const bytes = pos.data.byteLength * 2 + (labels?.length ?? 0);
  await assertStorageQuota(deps.db, tenantId, bytes);
  const posBytes = encodeMat(pos);
  const negBytes = encodeMat(neg);
  const sha256 = crypto.createHash('sha256').update(posBytes).update(negBytes).update(labels ?? new Int8Array()).digest('hex');
  const parts = uploadKeyParts(sha256);
  const key = activationKey(parts);
  // Written before the row exists: a set is never visible with its arrays missing.
  await deps.stores.uploads.put(key, parts, 0, 'pos', pos);
  await deps.stores.uploads.put(key, parts, 0, 'neg', neg);
  const row = await insertActivationSet(deps.db, tenantId, {
    id: crypto.randomUUID(), name: upload.name, n: pos.rows, dim: pos.cols, has_labels: !!labels && labels.some((y) => y >= 0), sha256, store_key: key, labels, bytes,
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
export async function activationSetForJob(db: Queryable, tenantId: string, id: string): Promise<(ActivationSet & { labels: number[] | null }) | null> {
  const set = await getActivationSet(db, tenantId, id);
  return set ? { ...set, labels: await activationSetLabels(db, id) } : null;
}
