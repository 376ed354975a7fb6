/**
 * Builds the Fastify app (no listening: server.ts does that, tests use app.inject()).
 * Requests are validated against openapi.yaml (spec.ts); every error is problem+json.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { withStore, type ServiceDeps } from '../services/context.ts';
import type { AppDeps } from './deps.ts';
import { SPEC_PATH } from './spec.ts';
import errors, { problemBody } from './plugins/errors.ts';
import metrics from './plugins/metrics.ts';
import textGuard from './plugins/text-guard.ts';
import rateLimit from '@fastify/rate-limit';
import auth from './plugins/auth.ts';
import { AddressLimit } from './plugins/address-limit.ts';
import healthRoutes from './routes/health.ts';
import jobRoutes from './routes/jobs.ts';
import sweepRoutes from './routes/sweeps.ts';
import credenceRoutes from './routes/credences.ts';
import datasetRoutes from './routes/datasets.ts';
import presetRoutes from './routes/presets.ts';
import modelRoutes from './routes/models.ts';
import keyRoutes from './routes/keys.ts';
import comparisonRoutes from './routes/comparisons.ts';
import activationRoutes from './routes/activations.ts';
import labRoutes from './routes/lab.ts';
import dashboardRoutes from './routes/dashboard.ts';

export type { AppDeps };

/**
 * Two validators: bodies are checked strictly (no type coercion, unknown fields are an
 * error, not silently dropped); query strings, paths and headers arrive as text and are
 * coerced to the spec's types.
 */
function validators() {
  const make = (coerce: boolean) => {
    const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: coerce ? 'array' : false, useDefaults: coerce, removeAdditional: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    return ajv;
  };
  const strict = make(false);
  const coercing = make(true);
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema);
}

export async function buildApp(base: Omit<AppDeps, 'services'> & { services?: ServiceDeps }, opts: { logger?: boolean | object } = {}): Promise<FastifyInstance> {
  const deps: AppDeps = { ...base, services: base.services ?? withStore(base) };
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: deps.config.bodyLimit,
    trustProxy: false,
    // Router-level failures (malformed URL, over-long path parameter) as problem+json too.
    frameworkErrors: (err, _req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      // frameworkErrors' reply is typed for the route generics; a problem body fits none of them.
      const raw = reply as unknown as { code(n: number): { type(t: string): { send(body: unknown): void } } };
      raw.code(status).type('application/problem+json').send(problemBody(status, err.message));
    },
  });
  app.setValidatorCompiler(validators());
  await app.register(errors);
  await app.register(textGuard);
  await app.register(swagger, { mode: 'static', specification: { path: SPEC_PATH, baseDir: '.' } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(metrics, { services: deps.services });
  // Rate limits, in memory per API process: per client address before authentication
  // (requests without a valid key), then per API key.
  const anonymous = new AddressLimit(deps.config.rateLimitAnonPerMinute);
  app.decorateRequest('countedAgainstAddress', false);
  app.addHook('onRequest', anonymous.count);
  await app.register(auth, { db: deps.services.db });
  app.addHook('onRequest', anonymous.refund);
  await app.register(rateLimit, {
    max: deps.config.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (req) => req.principal?.keyId ?? req.ip,
    allowList: (req) => !req.url.startsWith('/v1/'),
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, message: `rate limit of ${ctx.max} requests per minute exceeded; retry in ${ctx.after}` }),
  });
  await app.register(healthRoutes, deps);
  await app.register(jobRoutes, deps);
  await app.register(sweepRoutes, deps);
  await app.register(credenceRoutes, deps);
  await app.register(datasetRoutes, deps);
  await app.register(presetRoutes, deps);
  await app.register(modelRoutes, deps);
  await app.register(keyRoutes, deps);
  await app.register(comparisonRoutes, deps);
  await app.register(activationRoutes, deps);
  await app.register(labRoutes, deps);
  await app.register(dashboardRoutes, deps);
  return app;
}
