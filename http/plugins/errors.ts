/** Every error leaves as application/problem+json (RFC 9457) with a clear detail. */
import type { FastifyInstance, FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../problem.ts';
import { SondeError, type ErrorKind } from '../../lib/errors.ts';

/** The one mapping from error kinds (lib/errors.ts) to HTTP status codes. */
export const STATUS_OF: Record<ErrorKind, number> = {
  'bad-input': 400, unauthenticated: 401, forbidden: 403, 'not-found': 404, conflict: 409,
  unprocessable: 422, 'too-large': 413, quota: 429, unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function problemBody(status: number, detail: string, extra: Record<string, unknown> = {}, title?: string) {
  return { type: 'about:blank', title: title ?? TITLES[status] ?? 'Error', status, detail, ...extra };
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/**
 * The error to report out of Ajv's list: a oneOf (a control given as a name or an object)
 * fails in every branch, and the first branch's "must be string" hides the real fault
 * ("controls.0.q must be <= 1"). The deepest path is the most specific; ties keep Ajv's order.
 */
export function mostSpecific(issues: readonly ValidationIssue[]): ValidationIssue | undefined {
  // A oneOf branch whose type does not fit the value (a string branch for an object) says
  // nothing about the value: drop that branch's errors when another branch has some.
  const wrongType = issues.filter((v) => v.keyword === 'type' && /\/(oneOf|anyOf)\/\d+\/type$/.test(v.schemaPath)).map((v) => v.schemaPath.replace(/type$/, ''));
  const relevant = issues.filter((v) => !['oneOf', 'anyOf', 'if'].includes(v.keyword) && !wrongType.some((b) => v.schemaPath.startsWith(b)));
  const concrete = relevant.length ? relevant : issues.filter((v) => !['oneOf', 'anyOf', 'if'].includes(v.keyword));
  const pool = concrete.length ? concrete : issues;
  const depth = (v: ValidationIssue) => (v.instancePath ? v.instancePath.split('/').length : 0);
  return pool.reduce<ValidationIssue | undefined>((best, v) => (!best || depth(v) > depth(best) ? v : best), undefined);
}

/** An unexpected error as it may be logged: its class, code, message and stack, nothing it carries. */
export function loggable(err: unknown): Record<string, unknown> {
  const e = err as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
  const message = typeof e?.message === 'string' ? e.message.slice(0, 500) : String(err).slice(0, 500);
  return {
    type: typeof e?.name === 'string' ? e.name : typeof err,
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    message,
    ...(typeof e?.stack === 'string' ? { stack: e.stack.split('\n').slice(1, 12).join('\n') } : {}),
  };
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
      const first = mostSpecific(fe.validation!);
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
      // Only what names the fault: a driver error's own fields (pg's `where`, `detail`,
      // parameters) may quote request data, such as a dataset's text.
      req.log.error({ err: loggable(err) }, 'unhandled error');
    }
    reply.status(status).type('application/problem+json').send(problemBody(status, detail, extra, title));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).type('application/problem+json').send(problemBody(404, `no route ${req.method} ${req.url.split('?')[0]}`));
  });
});
