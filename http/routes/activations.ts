/**
 * /v1/activations: bring your own activations. multipart/form-data with files `pos` and
 * `neg` (.npy or single-tensor .safetensors, n×d float) and optional `labels` (n of 0/1),
 * or one `file` (.safetensors holding tensors pos, neg[, labels]); field `name`. The
 * route reads the parts; services/activations.ts decodes, checks and stores them.
 */
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { routeSchema } from '../spec.ts';
import { HttpProblem } from '../problem.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../app.ts';
import { createActivationSet, listActivationSets, type UploadedFile } from '../../services/activations.ts';
import { BadInputError, SondeError, TooLargeError } from '../../lib/errors.ts';

export default async function activationRoutes(app: FastifyInstance, deps: AppDeps) {
  const { services } = deps;
  const limit = services.config.uploadLimit;
  await app.register(multipart, { limits: { fileSize: limit, files: 4, fields: 4, parts: 8 } });

  app.route({
    ...routeSchema('uploadActivations'),
    handler: async (req, reply) => {
      const p = principalOf(req);
      if (!req.isMultipart()) throw new HttpProblem(415, 'Unsupported Media Type', 'send multipart/form-data with files pos and neg (and optionally labels), or one safetensors file');
      const files = new Map<string, UploadedFile>();
      let name = 'activations';
      try {
        for await (const part of req.parts()) {
          if (part.type === 'file') {
            if (!['pos', 'neg', 'labels', 'file'].includes(part.fieldname)) throw new BadInputError(`unexpected file field "${part.fieldname}" (use pos, neg, labels or file)`);
            const buf = await part.toBuffer();
            if (part.file.truncated) throw new TooLargeError(`${part.fieldname} exceeds the upload limit of ${limit} bytes`);
            files.set(part.fieldname, { buf, filename: part.filename || part.fieldname });
          } else if (part.fieldname === 'name') {
            name = String(part.value).slice(0, 100);
          }
        }
      } catch (e) {
        if (e instanceof SondeError) throw e;
        const err = e as { statusCode?: number; message: string };
        if (err.statusCode === 413) throw new TooLargeError(err.message);
        throw new BadInputError(`malformed multipart body: ${err.message}`);
      }
      const set = await createActivationSet(services, p.tenantId, { name, files });
      reply.status(201);
      return set;
    },
  });

  app.route({
    ...routeSchema('listActivations'),
    handler: async (req) => ({ activations: await listActivationSets(services.db, principalOf(req).tenantId) }),
  });
}
