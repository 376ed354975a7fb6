/**
 * `sonde lab planted` — an activation set with a known truth direction, distractors and
 * noise (POST /v1/lab/planted); `sonde lab phase` — the built-in phase-diagram job
 * (POST /v1/lab/phase); `sonde lab diagram JOB` — a job's phase diagram as a table
 * (GET /v1/jobs/{id}/phase). All through the API, like the other client commands.
 */
import fs from 'node:fs/promises';
import { parseArgs, str, intFlag, UsageError, type ParsedArgs } from '../args.ts';
import { apiClient, watch, type ApiClient } from './client.ts';

const USAGE = `usage:
  sonde lab planted --layers L --d D --n N --truth A[,A1,...] [--distractor B[,B1,...]] [--overlap RHO]
                    [--noise S] [--shared-noise C] [--label-noise F] [--labelled F] [--seed S] [--name N]
                    [--request FILE.json] [--json]
  sonde lab phase [--ratios 0,0.5,1,2,4] [--methods pca,ccs,lr] [--seeds N] [--d D] [--n N] [--truth A]
                  [--noise S] [--shared-noise C] [--data-seed S] [--name N] [--watch] [--json]
  sonde lab diagram JOB [--json]`;

function numbers(flags: ParsedArgs['flags'], name: string): number[] | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isFinite(x))) throw new UsageError(`--${name} must be a number or a comma-separated list of numbers, got "${v}"`);
  return xs;
}

/** One number, or one per layer. */
const perLayer = (xs: number[] | undefined) => (xs === undefined ? undefined : xs.length === 1 ? xs[0] : xs);
const one = (flags: ParsedArgs['flags'], name: string) => {
  const xs = numbers(flags, name);
  if (xs && xs.length !== 1) throw new UsageError(`--${name} takes one number`);
  return xs?.[0];
};

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

async function planted(api: ApiClient, flags: ParsedArgs['flags']): Promise<number> {
  const file = str(flags, 'request');
  const base = file ? JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown> : {};
  const distractor = perLayer(numbers(flags, 'distractor'));
  const overlap = one(flags, 'overlap');
  const body = {
    ...base,
    ...defined({
      name: str(flags, 'name'), layers: intFlag(flags, 'layers'), d: intFlag(flags, 'd'), n: intFlag(flags, 'n'),
      truth_strength: perLayer(numbers(flags, 'truth')), noise: perLayer(numbers(flags, 'noise')),
      shared_noise: one(flags, 'shared-noise'), label_noise: one(flags, 'label-noise'), labelled: one(flags, 'labelled'), seed: intFlag(flags, 'seed'),
      distractors: distractor === undefined ? undefined : [defined({ strength: distractor, overlap })],
    }),
  };
  for (const k of ['layers', 'd', 'n', 'truth_strength']) if (body[k as keyof typeof body] === undefined) throw new UsageError(`--${k === 'truth_strength' ? 'truth' : k} is required (or give it in --request)\n${USAGE}`);
  const set = await api.request('POST', '/v1/lab/planted', body);
  if (flags.json) console.log(JSON.stringify(set, null, 2));
  else console.log(`${set.id} ${set.name}: ${set.n_layers} layer(s) × ${set.n} pairs × d ${set.dim}; label columns: label${(set.meta?.distractors ?? []).map((x: { name: string }) => `, ${x.name}`).join('')}`);
  return 0;
}

const f3 = (v: number | null | undefined) => (v === null || v === undefined ? '  –  ' : v.toFixed(3));

/** The diagram as text: per method a row per setting, truth accuracy and distractor agreement (mean ± std over seeds). */
export function diagramTable(d: { axis: { name: string; values: number[] } | null; distractor_label: string | null; methods: { method: string; flip: { at: number | null; starts: string | null; per_seed: { seed: number; at: number | null; starts: string | null }[] }; points: { x: number; truth: { mean: number | null; std: number | null; n_seeds: number }; distractor: { mean: number | null; std: number | null } }[] }[] }): string {
  if (!d.axis) return 'this job has no phase diagram (its activation set records no axis)';
  const lines = [`x = ${d.axis.name}; truth accuracy and agreement with "${d.distractor_label}" (oracle sign, test split), mean ± std over seeds`];
  for (const m of d.methods) {
    const flip = m.flip.at !== null ? `flips to the distractor at x ≈ ${m.flip.at.toFixed(2)}` : m.flip.starts === 'distractor' ? 'follows the distractor from the first setting' : 'never flips';
    const seeds = m.flip.per_seed.map((s) => (s.at !== null ? s.at.toFixed(2) : s.starts === 'distractor' ? 'start' : 'never')).join(' ');
    lines.push('', `${m.method}: ${flip} (per seed: ${seeds})`, `  ${'x'.padStart(6)}  ${'truth'.padStart(15)}  ${'distractor'.padStart(15)}`);
    for (const p of m.points) lines.push(`  ${p.x.toFixed(2).padStart(6)}  ${`${f3(p.truth.mean)} ± ${f3(p.truth.std)}`.padStart(15)}  ${`${f3(p.distractor.mean)} ± ${f3(p.distractor.std)}`.padStart(15)}`);
  }
  return lines.join('\n');
}

async function phase(api: ApiClient, flags: ParsedArgs['flags']): Promise<number> {
  const methods = str(flags, 'methods')?.split(',').map((s) => s.trim()).filter(Boolean);
  const body = defined({
    name: str(flags, 'name'), ratios: numbers(flags, 'ratios'), methods, seeds: intFlag(flags, 'seeds'), d: intFlag(flags, 'd'), n: intFlag(flags, 'n'),
    truth_strength: one(flags, 'truth'), noise: one(flags, 'noise'), shared_noise: one(flags, 'shared-noise'), seed: intFlag(flags, 'data-seed'),
  });
  const res = await api.request('POST', '/v1/lab/phase', body);
  console.log(res.job.id);
  if (!flags.watch) return 0;
  const code = await watch(api, res.job.id);
  if (code !== 0) return code;
  const d = await api.request('GET', `/v1/jobs/${res.job.id}/phase`);
  console.log(flags.json ? JSON.stringify(d, null, 2) : `\n${diagramTable(d)}`);
  return 0;
}

export async function labMain(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { flags, positionals } = parseArgs(rest, ['json', 'watch']);
  if (!sub || sub === '--help' || flags.help) {
    console.log(USAGE);
    return sub ? 0 : 2;
  }
  const api = apiClient();
  if (sub === 'planted') return planted(api, flags);
  if (sub === 'phase') return phase(api, flags);
  if (sub === 'diagram') {
    if (!positionals[0]) throw new UsageError(USAGE);
    const d = await api.request('GET', `/v1/jobs/${positionals[0]}/phase`);
    console.log(flags.json ? JSON.stringify(d, null, 2) : diagramTable(d));
    return 0;
  }
  throw new UsageError(`unknown lab command "${sub}"\n${USAGE}`);
}
