/**
 * Prometheus metrics at /metrics (prom-client; names prefixed sonde_): HTTP request
 * durations, queue depth per queue and state, job outcomes and durations from Postgres.
 * Worker-side figures (extraction texts/s, fit durations) are derived from Postgres at
 * scrape time, so one scrape of the API sees the whole fleet.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import client from 'prom-client';
import type { Db } from '../../infra/db/pool.ts';
import type { Queues } from '../../infra/queue.ts';

export default fp(async function metrics(app: FastifyInstance, opts: { db: Db; queues: Queues }) {
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
      for (const q of [opts.queues.extract, opts.queues.fit]) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed').catch(() => ({} as Record<string, number>));
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
      }
    },
  });
  new client.Gauge({
    name: 'sonde_jobs',
    help: 'Sonde jobs by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await opts.db.query('SELECT status, count(*)::int AS n FROM jobs GROUP BY status').catch(() => ({ rows: [] as { status: string; n: number }[] }));
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });
  new client.Gauge({
    name: 'sonde_job_duration_seconds_avg',
    help: 'Mean duration of jobs completed in the last hour',
    registers: [registry],
    async collect() {
      const { rows } = await opts.db.query(
        `SELECT coalesce(avg(extract(epoch FROM finished_at - started_at)), 0) AS s FROM jobs
         WHERE status = 'completed' AND finished_at > now() - interval '1 hour'`,
      ).catch(() => ({ rows: [{ s: 0 }] }));
      this.set(Number(rows[0].s));
    },
  });
  new client.Gauge({
    name: 'sonde_extract_texts_per_second',
    help: 'Extraction throughput (texts through the model per second) over jobs updated in the last hour',
    registers: [registry],
    async collect() {
      const { rows } = await opts.db.query(
        `SELECT coalesce(sum(extract_texts) / nullif(sum(extract_seconds), 0), 0) AS r FROM jobs
         WHERE updated_at > now() - interval '1 hour'`,
      ).catch(() => ({ rows: [{ r: 0 }] }));
      this.set(Number(rows[0].r));
    },
  });
  new client.Gauge({
    name: 'sonde_fit_seconds_avg',
    help: 'Mean fit time per method over result rows of the last hour',
    labelNames: ['method'],
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await opts.db.query(
        `SELECT method, avg(fit_seconds) AS s FROM results WHERE created_at > now() - interval '1 hour' GROUP BY method`,
      ).catch(() => ({ rows: [] as { method: string; s: number }[] }));
      for (const r of rows) this.set({ method: r.method }, Number(r.s));
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
