/** /v1/presets: the dataset presets (columns, text composition, templates with citations). */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import type { AppDeps } from '../deps.ts';
import { listPresets } from '../../services/datasets.ts';

export default async function presetRoutes(app: FastifyInstance, _deps: AppDeps) {
  app.route({
    ...routeSchema('listPresets'),
    handler: async () => ({ presets: listPresets() }),
  });
}
