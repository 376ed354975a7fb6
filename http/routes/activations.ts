/**
 * /v1/activations: bring your own activations. multipart/form-data with files `pos` and
 * `neg` (.npy or single-tensor .safetensors, n×d float) and optional `labels` (n of 0/1),
 * or one `file` (.safetensors holding tensors pos, neg[, labels]); field `name`. The route
 * hands each part's stream to services/activations.ts, which checks every header before
 * reading its data; an upload holds one of the tenant's upload slots while it runs.
 */
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { routeSchema } from '../spec.ts';
import { HttpProblem } from '../problem.ts';
import { principalOf } from '../plugins/auth.ts';
import { uploadSlotHooks } from '../upload-slot.ts';
import type { AppDeps } from '../deps.ts';
import { ActivationUpload, createActivationSet, listActivationSets } from '../../services/activations.ts';
import { BadInputError, SondeError, TooLargeError } from '../../lib/errors.ts';

export default async function activationRoutes(app: FastifyInstance, deps: AppDeps) {
  const { services } = deps;
  const limit = services.config.uploadLimit;
  await app.register(multipart, { limits: { fileSize: limit, files: 4, fields: 4, parts: 8 } });

  app.route({
    ...routeSchema('uploadActivations'),
    ...uploadSlotHooks(services),
    handler: async (req, reply) => {
      const p = principalOf(req);
      if (!req.isMultipart()) throw new HttpProblem(415, 'Unsupported Media Type', 'send multipart/form-data with files pos and neg (and optionally labels), or one safetensors file');
      const upload = new ActivationUpload(services, p.tenantId, limit);
      let name = 'activations';
      try {
        for await (const part of req.parts()) {
          if (part.type === 'file') {
            await upload.addFile(part.fieldname, part.filename, part.file);
            if (part.file.truncated) throw new TooLargeError(`${part.fieldname} exceeds the upload limit of ${limit} bytes`);
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
      const set = await createActivationSet(services, p.tenantId, { name, arrays: upload.finish() });
      reply.status(201);
      return set;
    },
  });

  app.route({
    ...routeSchema('listActivations'),
    handler: async (req) => ({ activations: await listActivationSets(services.db, principalOf(req).tenantId) }),
  });
}
