/** `sonde sweep submit|status|watch|results|cancel|list`: sweeps over models × datasets (POST /v1/sweeps). */
import fs from 'node:fs/promises';
import { parseArgs, str, intFlag, UsageError } from '../args.ts';
import { apiClient, bar, list, writeResults, type ApiClient } from './client.ts';

const SWEEP_USAGE = `usage: sonde sweep submit [--file SWEEP.json] [--name N] [--models a,b] [--datasets x,y] [--transfer TRAIN:TEST,...]
                          [--methods a,b] [--controls c1,c2] [--templates t1,t2] [--layers all|0,1] [--seeds N] [--max-items N] [--watch]
       sonde sweep status|watch|cancel SWEEP | sonde sweep results SWEEP [--format table|json|csv|parquet] [--out FILE] | sonde sweep list`;

function sweepLine(s: { status: string; progress: { done: number; total: number; fraction: number; by_status: Record<string, number> } }): string {
  const counts = Object.entries(s.progress.by_status).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  return `${s.status.padEnd(9)} ${bar(s.progress.fraction, 1)} ${s.progress.done}/${s.progress.total} jobs ended (${counts})`;
}

/** Polls the sweep until every job has ended, then prints its comparison table. */
export async function watchSweep(api: ApiClient, id: string, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  let last = '';
  for (;;) {
    const s = await api.request('GET', `/v1/sweeps/${id}`);
    const line = sweepLine(s);
    if (out.isTTY) out.write(`\r${line.padEnd(last.length)}`);
    else if (line !== last) out.write(`${line}\n`);
    last = line;
    if (['completed', 'failed', 'cancelled'].includes(s.status)) {
      if (out.isTTY) out.write('\n');
      for (const j of s.jobs.filter((x: { status: string }) => x.status === 'failed')) {
        console.error(`job ${j.id} (${j.model}, ${j.dataset_name}) failed: ${j.error?.detail ?? 'unknown error'}`);
      }
      const res = await api.request('GET', `/v1/sweeps/${id}/results`);
      out.write(`\n${res.table}\n`);
      return s.status === 'completed' ? 0 : 1;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The POST /v1/sweeps body from --file and flags (flags win). */
export async function sweepBody(flags: Record<string, string | true>): Promise<Record<string, unknown>> {
  const file = str(flags, 'file');
  const body: Record<string, unknown> = file ? JSON.parse(await fs.readFile(file, 'utf8')) : {};
  const set = (k: string, v: unknown) => { if (v !== undefined) body[k] = v; };
  set('name', str(flags, 'name'));
  set('models', list(str(flags, 'models')));
  set('datasets', list(str(flags, 'datasets')));
  const transfer = list(str(flags, 'transfer'));
  set('transfer', transfer?.map((p) => {
    const [train, test, ...rest] = p.split(':');
    if (!train || !test || rest.length) throw new UsageError(`--transfer takes TRAIN:TEST pairs, got "${p}"`);
    return { train, test };
  }));
  set('methods', list(str(flags, 'methods')));
  set('controls', list(str(flags, 'controls')));
  set('templates', list(str(flags, 'templates')));
  const layers = str(flags, 'layers');
  set('layers', layers === undefined ? undefined : layers === 'all' ? 'all' : list(layers)!.map(Number));
  set('seeds', intFlag(flags, 'seeds'));
  set('max_items', intFlag(flags, 'max-items'));
  if (!body.datasets) throw new UsageError(`--datasets (or a --file with "datasets") is required\n${SWEEP_USAGE}`);
  return body;
}

export async function sweepMain(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { flags, positionals } = parseArgs(rest, ['watch', 'json']);
  const api = apiClient();
  const id = positionals[0];
  const needId = () => { if (!id) throw new UsageError(SWEEP_USAGE); return id; };
  switch (sub) {
    case 'submit': {
      const s = await api.request('POST', '/v1/sweeps', await sweepBody(flags));
      console.log(s.id);
      for (const j of s.jobs) console.error(`  job ${j.id}  ${j.model} × ${j.dataset_name}${j.eval_datasets.length ? ` (transfer to ${j.eval_datasets.join(', ')})` : ''}`);
      return flags.watch ? watchSweep(api, s.id) : 0;
    }
    case 'status': {
      const s = await api.request('GET', `/v1/sweeps/${needId()}`);
      if (flags.json) console.log(JSON.stringify(s, null, 2));
      else {
        console.log(`${s.id}  ${sweepLine(s)}`);
        for (const j of s.jobs) console.log(`  ${j.id}  ${j.status.padEnd(9)} ${j.model} × ${j.dataset_name}  ${j.progress.stage ?? '-'} ${j.progress.done}/${j.progress.total}${j.error ? `  error: ${j.error.detail}` : ''}`);
      }
      return s.status === 'failed' ? 1 : 0;
    }
    case 'watch':
      return watchSweep(api, needId());
    case 'results': {
      await writeResults(api, `/v1/sweeps/${needId()}/results`, str(flags, 'format') ?? (flags.json ? 'json' : 'table'), str(flags, 'out'));
      return 0;
    }
    case 'cancel': {
      const s = await api.request('DELETE', `/v1/sweeps/${needId()}`);
      console.log(`${s.id} ${s.status}`);
      return 0;
    }
    case 'list': {
      const res = await api.request('GET', '/v1/sweeps');
      for (const s of res.sweeps) console.log(`${s.id}  ${s.status.padEnd(9)} ${String(s.jobs.length).padStart(3)} jobs  ${s.created_at}  ${s.name ?? ''}`);
      return 0;
    }
    default:
      throw new UsageError(SWEEP_USAGE);
  }
}
