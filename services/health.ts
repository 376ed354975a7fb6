/** Liveness, readiness and the fleet-wide figures /metrics exposes (workers report through Postgres). */
import type { ServiceDeps } from './context.ts';
import * as stats from '../infra/db/stats.ts';

function timeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref();
    }),
  ]);
}

/** Postgres and Redis each answer within 2 s: 'ok', or why not. */
export async function readiness(deps: Pick<ServiceDeps, 'db' | 'queues'>): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const checks: Record<string, string> = {};
  await Promise.all([
    timeout(deps.db.query('SELECT 1'), 2_000).then(() => { checks.postgres = 'ok'; }, (e: Error) => { checks.postgres = e.message; }),
    timeout(deps.queues.redis.ping(), 2_000).then(() => { checks.redis = 'ok'; }, (e: Error) => { checks.redis = e.message; }),
  ]);
  return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
}

/** Queue depth per queue and state (empty while Redis is down). */
export async function queueDepths(deps: Pick<ServiceDeps, 'queues'>): Promise<{ queue: string; state: string; n: number }[]> {
  const out: { queue: string; state: string; n: number }[] = [];
  for (const q of [deps.queues.extract, deps.queues.fit]) {
    const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed').catch(() => ({} as Record<string, number>));
    for (const [state, n] of Object.entries(counts)) out.push({ queue: q.name, state, n });
  }
  return out;
}

/** Fleet figures from Postgres; a failing query reads as "nothing to report" so a scrape never fails. */
export const fleetStats = {
  jobsByStatus: (deps: Pick<ServiceDeps, 'db'>) => stats.jobsByStatus(deps.db).catch(() => []),
  jobDurationAvg: (deps: Pick<ServiceDeps, 'db'>) => stats.jobDurationAvg(deps.db).catch(() => 0),
  extractTextsPerSecond: (deps: Pick<ServiceDeps, 'db'>) => stats.extractTextsPerSecond(deps.db).catch(() => 0),
  fitSecondsByMethod: (deps: Pick<ServiceDeps, 'db'>) => stats.fitSecondsByMethod(deps.db).catch(() => []),
};
