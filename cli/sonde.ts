/**
 * `sonde` — one CLI for everything. Exit codes: 0 ok, 1 failure (a job failed, a server
 * error), 2 bad usage or bad input (one-line message on stderr), 3 cannot reach a service.
 */
import { UsageError } from './args.ts';
import { errorKind, type ErrorKind } from '../lib/errors.ts';

/** The one mapping from error kinds to exit codes (lib/errors.ts). */
export function exitCode(kind: ErrorKind | null): number {
  switch (kind) {
    case 'bad-input': case 'not-found': case 'too-large': case 'conflict': case 'unprocessable': case 'forbidden': case 'unauthenticated': return 2;
    case 'unavailable': return 3;
    default: return 1;
  }
}

const HELP = `sonde — unsupervised knowledge discovery in language models

Service:
  sonde migrate                      create/update the Postgres schema
  sonde start                        API, and the workers in a child process (SONDE_ROLE=api|worker|all)
  sonde api | sonde worker           one role only
  sonde keys create --tenant NAME [--admin] [--label TEXT]   print a new API key (stored hashed) and its id
  sonde keys list --tenant NAME      the tenant's key ids, roles, dates and labels (never the keys)
  sonde budgets show|set --tenant NAME [--max-job-cpu-seconds N|default ...]   per-tenant job budgets (docs/limits.md)
  sonde demo                         run the default job end to end and print the comparison

Client (SONDE_URL, SONDE_API_KEY):
  sonde submit [--dataset D] [--methods a,b] [--layers all|0,1] [--seeds N] [--controls c1,c2] [--job FILE.json]
  sonde status JOB | sonde watch JOB | sonde results JOB [--format json|csv|parquet --out FILE] | sonde compare JOB[,JOB...]
  sonde sweep submit --models a,b --datasets x,y [--transfer x:y] [--watch] | sonde sweep status|watch|results|cancel SWEEP | sonde sweep list
  sonde cancel JOB | sonde models | sonde datasets list | sonde presets [NAME] [--json]
  sonde datasets upload FILE (--kind K | --preset P) [--name N]   JSONL, CSV or Parquet (a Hugging Face export with --preset)
  sonde credences JOB [--format csv|npy|json] [--layer L] [--method M] [--out FILE]   per-row credences
  sonde disagreements JOB [--layer L] [--method M]   labelled items the probes confidently contradict
  sonde elk JOB                      AUROC vs every label column, recovered AUROC gap (Mallen et al. 2023)
  sonde lab planted --layers L --d D --n N --truth A [--distractor B] ...   planted truth + distractor activations
  sonde lab phase [--ratios 0,1,2] [--methods pca,ccs,lr] [--seeds N] [--watch]   the phase-diagram job
  sonde lab diagram JOB              a job's phase diagram (truth vs distractor against the swept ratio)

Offline (no server):
  sonde fit --pos X.npy --neg X.npy [--labels Y.npy] --method NAME ...
  sonde extract --model use-lite|PATH --input FILE --layers all --pooling mean --out DIR
  sonde models add PATH | sonde models list | sonde models expose-layers --model IN.onnx --out OUT.onnx

Run \`sonde COMMAND --help\` for a command's flags.`;

type Main = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Main>> = {
  migrate: async () => (await import('./commands/service.ts')).migrateMain,
  start: async () => (await import('./commands/service.ts')).startMain,
  api: async () => (await import('./commands/service.ts')).apiMain,
  worker: async () => (await import('./commands/service.ts')).workerMain,
  keys: async () => (await import('./commands/service.ts')).keysMain,
  budgets: async () => (await import('./commands/service.ts')).budgetsMain,
  demo: async () => (await import('./commands/demo.ts')).main,
  submit: async () => (await import('./commands/client.ts')).submitMain,
  status: async () => (await import('./commands/client.ts')).statusMain,
  watch: async () => (await import('./commands/client.ts')).watchMain,
  results: async () => (await import('./commands/client.ts')).resultsMain,
  compare: async () => (await import('./commands/client.ts')).compareMain,
  cancel: async () => (await import('./commands/client.ts')).cancelMain,
  datasets: async () => (await import('./commands/client.ts')).datasetsMain,
  presets: async () => (await import('./commands/client.ts')).presetsMain,
  sweep: async () => (await import('./commands/sweep.ts')).sweepMain,
  credences: async () => (await import('./commands/credences.ts')).credencesMain,
  disagreements: async () => (await import('./commands/credences.ts')).disagreementsMain,
  elk: async () => (await import('./commands/credences.ts')).elkMain,
  lab: async () => (await import('./commands/lab.ts')).labMain,
  fit: async () => (await import('./commands/fit.ts')).main,
  extract: async () => (await import('./commands/extract.ts')).main,
};

async function models(argv: string[]): Promise<number> {
  if (argv[0] === 'expose-layers') return (await import('./commands/expose-layers.ts')).main(argv.slice(1));
  if (argv[0] === 'add' || argv[0] === 'list') return (await import('./commands/models.ts')).main(argv);
  return (await import('./commands/client.ts')).modelsMain(argv);
}

export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  try {
    if (cmd === 'models') return await models(rest);
    const load = COMMANDS[cmd];
    if (!load) throw new UsageError(`unknown command "${cmd}" (sonde --help lists them)`);
    return await (await load())(rest);
  } catch (e) {
    const err = e as Error;
    console.error(`sonde ${cmd}: ${err.message}`);
    return exitCode(errorKind(e));
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/sonde.ts')) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
