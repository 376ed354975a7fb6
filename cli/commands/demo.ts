/**
 * `sonde demo` (README command 1): migrate, start API + workers in this process, create a
 * demo tenant key and run the two worlds side by side:
 *
 *  1. the known-answer lab (docs/lab.md), when the built-in `quirky-facts` model is there:
 *     probes trained on Alice's easy items and tested on Bob's hard ones (Mallen et al.
 *     2023's context shift), against the truth and against Bob's answer, with zero-shot
 *     and a banana/shed distractor (Farquhar et al. 2023);
 *  2. the default job: use-lite on the built-in sentiment reviews, default methods and seeds.
 *
 * For each it prints the method × layer table and a short, plain reading
 * (lib/report/reading.ts), then shuts down.
 */
import { loadConfig } from '../../infra/config.ts';
import { startApi } from '../../http/server.ts';
import { startWorkers } from '../../workers/index.ts';
import { openDatabase } from '../../services/context.ts';
import { createKey } from '../../services/keys.ts';
import { isBuiltinModel } from '../../lib/models/builtin.ts';
import { builtinDatasets } from '../../lib/data/index.ts';
import { readJob } from '../../lib/report/reading.ts';
import { apiClient, watch, type ApiClient } from './client.ts';
import { parseArgs, str, intFlag } from '../args.ts';

/** The lab job: train on Alice's easy items, test on Bob's hard ones; Alice's hard items are the truthful reference. */
export const LAB_JOB = {
  model: 'quirky-facts',
  dataset: 'quirky-facts',
  methods: ['lr', 'ccs', 'pca', 'kmeans', 'random', 'zero-shot'],
  seeds: 5,
  bootstrap: 200,
  split: { train: 0.8, test: 0.8, train_where: { character: 'Alice', difficulty: 'easy' }, test_where: { character: 'Bob', difficulty: 'hard' } },
  eval_subsets: [{ name: 'alice_hard', where: { character: 'Alice', difficulty: 'hard' } }],
  elk: { truthful_subset: 'alice_hard' },
  controls: ['distractor'],
};

const labAvailable = () => isBuiltinModel('quirky-facts') && builtinDatasets().some((d) => d.name === 'quirky-facts');

async function reading(client: ApiClient, id: string, names: Parameters<typeof readJob>[0]['labelNames'], subsets?: Record<string, string>): Promise<string[]> {
  const res = await client.request('GET', `/v1/jobs/${id}/results`);
  const elk = await client.request('GET', `/v1/jobs/${id}/elk`);
  return readJob({ best: res.best_layers, skipped: res.skipped, auroc: elk.auroc, gaps: elk.recovered_gap, labelNames: names, subsetNames: subsets });
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['keep-running', 'no-lab']);
  const config = loadConfig(undefined, { PORT: '0' });
  const t0 = Date.now();
  console.log(`sonde demo: Postgres ${config.databaseUrl.replace(/\/\/[^@]*@/, '//')}, Redis ${config.redisUrl}, data ${config.dataDir}`);
  const { db, close } = await openDatabase(config, 1, (l) => console.log(`  ${l}`));
  const { key } = await createKey(db, { tenant: 'demo', label: 'sonde demo' });
  await close();

  const workers = await startWorkers(config);
  const api = await startApi({ ...config, logLevel: 'warn' });
  console.log(`API at ${api.url} (docs: ${api.url}/docs, dashboard: ${api.url}/dashboard)`);
  try {
    const client = apiClient(api.url, key);
    const body: Record<string, unknown> = {};
    const dataset = str(flags, 'dataset');
    if (dataset) body.dataset = dataset;
    const seeds = intFlag(flags, 'seeds');
    if (seeds) body.seeds = seeds;
    const controls = str(flags, 'controls');
    if (controls) body.controls = controls.split(',');
    const runLab = !flags['no-lab'] && labAvailable();
    // Both are submitted at once: the worker extracts one while it fits the other.
    const lab = runLab ? await client.request('POST', '/v1/jobs', LAB_JOB) : null;
    const job = await client.request('POST', '/v1/jobs', body);
    let code = 0;
    if (lab) {
      console.log(`\n== 1. The known-answer lab: quirky-facts (docs/lab.md). Probes trained on Alice's easy items, tested on Bob's hard ones,\n   where Bob answers wrongly on purpose; accuracy below is against the truth. Job ${lab.id}`);
      code ||= await watch(client, lab.id);
      console.log('\nReading:');
      for (const line of await reading(client, lab.id, { label: 'the truth', bob: "Bob's answer", alice: "Alice's answer" }, { test: "Bob's hard items", alice_hard: "Alice's hard items" })) console.log(`  ${line}`);
    }
    console.log(`\n== ${lab ? '2. ' : ''}The default job: model ${job.spec.model}, dataset ${job.spec.dataset}, methods ${job.spec.methods.join(', ')}, ${job.spec.seeds} seeds. Job ${job.id}`);
    code ||= await watch(client, job.id);
    console.log('\nReading:');
    for (const line of await reading(client, job.id, { label: 'the sentiment label' })) console.log(`  ${line}`);
    console.log(`\ndone in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
    console.log(`Results: curl -H "Authorization: Bearer ${key}" ${api.url}/v1/jobs/${job.id}/results${lab ? ` (and ${lab.id})` : ''}`);
    if (flags['keep-running']) {
      console.log('service keeps running (Ctrl-C to stop)');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return code;
  } finally {
    await api.close();
    await workers.close();
  }
}
