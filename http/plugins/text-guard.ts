/**
 * No request string reaches a service with U+0000 or a lone UTF-16 surrogate in it:
 * Postgres refuses both in text and jsonb, and a name, label or dataset row holding one
 * would otherwise fail deep inside a query (a 500). Checked once for the parsed body,
 * query string and path parameters, before validation; the 400 names where (the field,
 * and for multi-line text such as a dataset's content the line), never the text.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { BadInputError } from '../../lib/errors.ts';
import { lineAt, textProblem } from '../../lib/text.ts';

function scan(v: unknown, at: string, depth = 0): void {
  if (typeof v === 'string') {
    const p = textProblem(v);
    if (!p) return;
    const where = v.includes('\n') ? ` at line ${lineAt(v, p.offset)}` : ` at character ${p.offset + 1}`;
    throw new BadInputError(`${at} contains ${p.what}${where}; Sonde stores text as UTF-8 and cannot take it`);
  }
  if (depth > 64 || !v || typeof v !== 'object') return;
  if (Array.isArray(v)) v.forEach((x, i) => scan(x, `${at}.${i}`, depth + 1));
  else for (const [k, x] of Object.entries(v)) {
    scan(k, `${at} key`, depth + 1);
    scan(x, `${at}.${k}`, depth + 1);
  }
}

export default fp(async function textGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (req) => {
    scan(req.params, 'path');
    scan(req.query, 'querystring');
    if (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) scan(req.body, 'body');
  });
});
