/** Every error leaves as application/problem+json (RFC 9457) with a clear detail. */
import type { FastifyInstance, FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../problem.ts';
import { SondeError, type ErrorKind } from '../../lib/errors.ts';

/** The one mapping from error kinds (lib/errors.ts) to HTTP status codes. */
export const STATUS_OF: Record<ErrorKind, number> = {
  'bad-input': 400, unauthenticated: 401, forbidden: 403, 'not-found': 404, conflict: 409,
  'too-large': 413, quota: 429, unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function problemBody(status: number, detail: string, extra: Record<string, unknown> = {}, title?: string) {
  return { type: 'about:blank', title: title ?? TITLES[status] ?? 'Error', status, detail, ...extra };
}

export default fp(async function errors(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | HttpProblem | Error, req, reply) => {
    let status = 500;
    let detail = 'internal error';
    let title: string | undefined;
    let extra: Record<string, unknown> = {};
    if (err instanceof HttpProblem) {
      ({ status, detail, title, extra } = err);
    } else if (err instanceof SondeError) {
      status = STATUS_OF[err.kind];
      detail = err.message;
      extra = err.extra;
    } else if ((err as FastifyError).validation) {
      const fe = err as FastifyError;
      status = 400;
      const first = fe.validation![0];
      const where = fe.validationContext ?? 'request';
      const at = first?.instancePath ? `${where}${first.instancePath.replace(/\//g, '.')}` : where;
      const allowed = (first?.params as { allowedValues?: unknown[] })?.allowedValues;
      const extraProp = (first?.params as { additionalProperty?: string })?.additionalProperty;
      detail = `${at} ${first?.message ?? 'is invalid'}${allowed ? `: ${allowed.join(', ')}` : ''}${extraProp ? ` ("${extraProp}")` : ''}`;
      extra = { errors: fe.validation!.slice(0, 10).map((v) => ({ path: v.instancePath, message: v.message, params: v.params })) };
    } else if (typeof (err as FastifyError).statusCode === 'number' && (err as FastifyError).statusCode! < 500) {
      status = (err as FastifyError).statusCode!;
      detail = err.message;
    } else {
      req.log.error({ err }, 'unhandled error');
    }
    reply.status(status).type('application/problem+json').send(problemBody(status, detail, extra, title));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).type('application/problem+json').send(problemBody(404, `no route ${req.method} ${req.url.split('?')[0]}`));
  });
});
