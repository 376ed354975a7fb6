/**
 * /v1/activations: bring your own activations. multipart/form-data with files `pos` and
 * `neg` (.npy or single-tensor .safetensors, n×d float) and optional `labels` (n of 0/1),
 * or one `file` (.safetensors holding tensors pos, neg[, labels]); field `name`. Stored
 * under SONDE_DATA_DIR/uploads/activations/<id>/ as .npy; a job with `activations: <id>` probes
 * them without a model.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { routeSchema } from '../spec.ts';
import { HttpProblem, badRequest } from '../problem.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../app.ts';
import { insertActivationSet, listActivationSets } from '../../infra/db/activations.ts';
import { tenantStorageBytes } from '../../infra/db/datasets.ts';
import { NpyError, encodeMat, encodeNpy, npyToLabels, npyToMat, parseNpy, type NpyArray } from '../../lib/npy.ts';
import { SafetensorsError, parseSafetensors, type Tensor } from '../../lib/safetensors.ts';
import type { Mat } from '../../lib/tensor.ts';

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

export default async function activationRoutes(app: FastifyInstance, deps: AppDeps) {
  await app.register(multipart, { limits: { fileSize: deps.config.uploadLimit, files: 4, fields: 4, parts: 8 } });

  app.route({
    ...routeSchema('uploadActivations'),
    handler: async (req, reply) => {
      const p = principalOf(req);
      if (!req.isMultipart()) throw new HttpProblem(415, 'Unsupported Media Type', 'send multipart/form-data with files pos and neg (and optionally labels), or one safetensors file');
      const files = new Map<string, { buf: Buffer; filename: string }>();
      let name = 'activations';
      try {
        for await (const part of req.parts()) {
          if (part.type === 'file') {
            if (!['pos', 'neg', 'labels', 'file'].includes(part.fieldname)) throw badRequest(`unexpected file field "${part.fieldname}" (use pos, neg, labels or file)`);
            const buf = await part.toBuffer();
            if (part.file.truncated) throw new HttpProblem(413, 'Content Too Large', `${part.fieldname} exceeds the upload limit of ${deps.config.uploadLimit} bytes`);
            files.set(part.fieldname, { buf, filename: part.filename || part.fieldname });
          } else if (part.fieldname === 'name') {
            name = String(part.value).slice(0, 100);
          }
        }
      } catch (e) {
        if (e instanceof HttpProblem) throw e;
        const err = e as { statusCode?: number; message: string };
        if (err.statusCode === 413) throw new HttpProblem(413, 'Content Too Large', err.message);
        throw badRequest(`malformed multipart body: ${err.message}`);
      }
      let pos: Mat;
      let neg: Mat;
      let labels: Int8Array | null = null;
      try {
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
        if (!posA || !negA) throw badRequest('both pos and neg activations are required');
        pos = npyToMat(posA, 'pos');
        neg = npyToMat(negA, 'neg');
        const labelsA = get('labels');
        if (labelsA) labels = npyToLabels(labelsA, 'labels');
      } catch (e) {
        if (e instanceof NpyError || e instanceof SafetensorsError) throw badRequest(e.message);
        throw e;
      }
      if (pos.rows !== neg.rows || pos.cols !== neg.cols) throw badRequest(`pos is ${pos.rows}×${pos.cols} but neg is ${neg.rows}×${neg.cols}; they must match`);
      if (pos.rows < 4 || pos.cols < 1) throw badRequest(`need at least 4 pairs of at least 1 dimension (got ${pos.rows}×${pos.cols})`);
      if (labels && labels.length !== pos.rows) throw badRequest(`${labels.length} labels for ${pos.rows} pairs`);

      const bytes = pos.data.byteLength * 2 + (labels?.length ?? 0);
      const quota = await deps.db.query('SELECT storage_quota_bytes FROM tenants WHERE id = $1', [p.tenantId]);
      if ((await tenantStorageBytes(deps.db, p.tenantId)) + bytes > Number(quota.rows[0].storage_quota_bytes)) {
        throw new HttpProblem(413, 'Content Too Large', 'storage quota exceeded');
      }
      const id = crypto.randomUUID();
      const dir = path.join(deps.config.dataDir, 'uploads', 'activations', id);
      await fs.mkdir(dir, { recursive: true });
      const posBytes = encodeMat(pos);
      const negBytes = encodeMat(neg);
      await fs.writeFile(path.join(dir, 'pos.npy'), posBytes);
      await fs.writeFile(path.join(dir, 'neg.npy'), negBytes);
      if (labels) await fs.writeFile(path.join(dir, 'labels.npy'), encodeNpy([labels.length], labels));
      const sha256 = crypto.createHash('sha256').update(posBytes).update(negBytes).update(labels ?? new Int8Array()).digest('hex');
      const row = await insertActivationSet(deps.db, p.tenantId, { id, name, n: pos.rows, dim: pos.cols, has_labels: !!labels, sha256, path: dir, bytes });
      reply.status(201);
      const { path: _path, ...out } = row;
      return { ...out, created_at: row.created_at.toISOString() };
    },
  });

  app.route({
    ...routeSchema('listActivations'),
    handler: async (req) => {
      const p = principalOf(req);
      const sets = await listActivationSets(deps.db, p.tenantId);
      return { activations: sets.map(({ path: _path, ...s }) => ({ ...s, created_at: s.created_at.toISOString() })) };
    },
  });
}
