/**
 * Bearer API keys on every /v1 route. Verified keys are cached for a short time
 * (scrypt is deliberately slow); a revoked key stops working within `cacheMs`.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../../infra/db/pool.ts';
import { authenticate, type Principal } from '../../services/keys.ts';
import { ForbiddenError, UnauthenticatedError } from '../../lib/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new UnauthenticatedError('missing API key');
  return req.principal;
}

export function requireAdmin(req: FastifyRequest): Principal {
  const p = principalOf(req);
  if (p.role !== 'admin') throw new ForbiddenError('this operation needs an admin key');
  return p;
}

export default fp(async function auth(app: FastifyInstance, opts: { db: Db; cacheMs?: number }) {
  const cacheMs = opts.cacheMs ?? 30_000;
  const cache = new Map<string, { principal: Principal; expires: number }>();
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/v1/')) return;
    const header = req.headers.authorization;
    if (!header) throw new UnauthenticatedError('missing Authorization: Bearer <api key> header');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new UnauthenticatedError('Authorization header must be "Bearer <api key>"');
    const digest = crypto.createHash('sha256').update(m[1]).digest('hex');
    const hit = cache.get(digest);
    if (hit && hit.expires > Date.now()) {
      req.principal = hit.principal;
      return;
    }
    const principal = await authenticate(opts.db, m[1]);
    if (!principal) throw new UnauthenticatedError('invalid or revoked API key');
    if (cache.size > 10_000) cache.clear();
    cache.set(digest, { principal, expires: Date.now() + cacheMs });
    req.principal = principal;
  });
});
