/**
 * Route hooks that hold one of the tenant's upload slots (services/uploads.ts) from before
 * the body is parsed until the response is sent or the client goes away.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../services/context.ts';
import { takeUploadSlot } from '../services/uploads.ts';
import { principalOf } from './plugins/auth.ts';

const releases = new WeakMap<FastifyRequest, () => void>();
const release = async (req: FastifyRequest) => { releases.get(req)?.(); };

export function uploadSlotHooks(services: ServiceDeps) {
  return {
    preParsing: async (req: FastifyRequest, _reply: FastifyReply) => {
      releases.set(req, await takeUploadSlot(services, principalOf(req).tenantId));
    },
    onResponse: release,
    onRequestAbort: release,
    onError: async (req: FastifyRequest) => { await release(req); },
  };
}
