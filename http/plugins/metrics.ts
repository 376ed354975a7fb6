/**
 * Prometheus metrics at /metrics (prom-client; names prefixed sonde_): HTTP request
 * durations, queue depth per queue and state, job outcomes and durations from Postgres.
 * Worker-side figures (extraction texts/s, fit durations) are derived from Postgres at
 * scrape time, so one scrape of the API sees the whole fleet.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import client from 'prom-client';
import type { ServiceDeps } from '../../services/context.ts';
import { fleetStats, queueDepths } from '../../services/health.ts';

export default fp(async function metrics(app: FastifyInstance, opts: { services: ServiceDeps }) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'sonde_' });
  const http = new client.Histogram({
    name: 'sonde_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const errors = new client.Counter({
    name: 'sonde_http_errors_total',
    help: 'HTTP responses with status >= 400',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  new client.Gauge({
    name: 'sonde_queue_jobs',
    help: 'BullMQ units per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of await queueDepths(opts.services)) this.set({ queue: d.queue, state: d.state }, d.n);
    },
  });
  new client.Gauge({
    name: 'sonde_jobs',
    help: 'Sonde jobs by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await fleetStats.jobsByStatus(opts.services)) this.set({ status: r.status }, r.n);
    },
  });
  new client.Gauge({
    name: 'sonde_job_duration_seconds_avg',
    help: 'Mean duration of jobs completed in the last hour',
    registers: [registry],
    async collect() {
      this.set(await fleetStats.jobDurationAvg(opts.services));
    },
  });
  new client.Gauge({
    name: 'sonde_extract_texts_per_second',
    help: 'Extraction throughput (texts through the model per second) over jobs updated in the last hour',
    registers: [registry],
    async collect() {
      this.set(await fleetStats.extractTextsPerSecond(opts.services));
    },
  });
  new client.Gauge({
    name: 'sonde_fit_seconds_avg',
    help: 'Mean fit time per method over result rows of the last hour',
    labelNames: ['method'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await fleetStats.fitSecondsByMethod(opts.services)) this.set({ method: r.method }, r.s);
    },
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    http.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 400) errors.inc({ route, status: String(reply.statusCode) });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
});
