/**
 * The planted-feature lab: POST /v1/lab/planted (an activation set with known truth and
 * distractor directions), POST /v1/lab/phase (the built-in phase-diagram job) and
 * GET /v1/jobs/{id}/phase (a job's results as the phase diagram). Parse → services/lab.ts → serialise.
 */
import type { FastifyInstance } from 'fastify';
import { routeSchema } from '../spec.ts';
import { principalOf } from '../plugins/auth.ts';
import type { AppDeps } from '../deps.ts';
import { createPlantedSet, phaseDiagram, submitPhaseJob, type PhaseSubmission } from '../../services/lab.ts';
import type { PlantedRequest } from '../../lib/lab/planted.ts';
import { jobBody } from './jobs.ts';

export default async function labRoutes(app: FastifyInstance, deps: AppDeps) {
  const { services } = deps;

  app.route({
    ...routeSchema('createPlantedSet'),
    handler: async (req, reply) => {
      const set = await createPlantedSet(services, principalOf(req).tenantId, req.body as PlantedRequest & { name?: string });
      reply.status(201);
      return set;
    },
  });

  app.route({
    ...routeSchema('submitPhaseJob'),
    handler: async (req, reply) => {
      const { activation_set, job } = await submitPhaseJob(services, principalOf(req), req.body as PhaseSubmission);
      reply.status(202).header('location', `/v1/jobs/${job.id}`);
      return { activation_set, job: jobBody(job) };
    },
  });

  app.route({
    ...routeSchema('getPhaseDiagram'),
    handler: async (req) => phaseDiagram(services.db, principalOf(req).tenantId, (req.params as { id: string }).id),
  });
}
