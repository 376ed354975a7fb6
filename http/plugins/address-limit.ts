/**
 * Rate limit before authentication: requests to /v1 that carry no valid API key are
 * counted per client address (a fixed one-minute window) before the key is even looked
 * at, so floods of missing or wrong keys get 429 instead of costing a Postgres lookup
 * (and a scrypt hash) each. A request that then authenticates is taken off its address's
 * count at once: keyed traffic is limited per key (@fastify/rate-limit in app.ts), never
 * by whoever shares its address.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QuotaError } from '../../lib/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    countedAgainstAddress: boolean;
  }
}

export class AddressLimit {
  private windows = new Map<string, { n: number; resetAt: number }>();

  constructor(private readonly max: number, private readonly windowMs = 60_000) {}

  /** onRequest, before auth: refuses an address over its limit, else counts the request. */
  count = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!req.url.startsWith('/v1/')) return;
    const now = Date.now();
    if (this.windows.size > 50_000) for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    let w = this.windows.get(req.ip);
    if (!w || w.resetAt <= now) {
      w = { n: 0, resetAt: now + this.windowMs };
      this.windows.set(req.ip, w);
    }
    if (w.n >= this.max) {
      const after = Math.max(1, Math.ceil((w.resetAt - now) / 1000));
      reply.header('retry-after', String(after));
      throw new QuotaError(`too many requests without a valid API key from this address (limit ${this.max} per minute); retry in ${after} s`, {
        extra: { limit: this.max, retry_after_s: after },
      });
    }
    w.n++;
    req.countedAgainstAddress = true;
  };

  /** onRequest, after auth: an authenticated request does not count against its address. */
  refund = async (req: FastifyRequest): Promise<void> => {
    if (!req.countedAgainstAddress || !req.principal) return;
    const w = this.windows.get(req.ip);
    if (w && w.n > 0) w.n--;
    req.countedAgainstAddress = false;
  };
}
