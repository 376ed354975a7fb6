/**
 * /dashboard: the web dashboard (issue 6). The page and its two assets are built once
 * when the plugin registers (dashboard/build.ts) and served from memory. The page itself
 * is public and holds no data: everything it shows comes from /v1 with the user's key.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../deps.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { buildDashboardAssets, type Asset } from '../../dashboard/build.ts';

// Scripts and styles from this origin only; the API calls go to this origin too.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset) {
  // Revalidate every time (cheap 304s): a restarted server may carry a new bundle.
  reply
    .header('cache-control', 'no-cache')
    .header('etag', asset.etag)
    .header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === asset.etag) return reply.status(304).send();
  return reply.type(asset.contentType).send(asset.body);
}

export default async function dashboardRoutes(app: FastifyInstance, _deps: AppDeps) {
  const assets = await buildDashboardAssets();

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer');
    return send(req, reply, assets.page);
  };
  app.get('/dashboard', page);
  app.get('/dashboard/', page);
  app.get('/dashboard/compare', page);
  app.get('/dashboard/jobs/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isUuid(id)) throw NotFoundError.of(`dashboard page for job ${id}`);
    return page(req, reply);
  });
  app.get('/dashboard/assets/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const asset = assets.files.get(name);
    if (!asset) throw NotFoundError.of(`dashboard asset ${name}`);
    return send(req, reply, asset);
  });
}
