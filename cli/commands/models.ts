/**
 * `sonde models add PATH` validates and hashes a model directory and prints its summary
 * (the API registers it in Postgres with inspectModelDir); `sonde models list` shows the
 * built-in models and the directories under SONDE_DATA_DIR/models.
 */
import { parseArgs, UsageError } from '../args.ts';
import { inspectModelDir } from '../../lib/models/model-dir.ts';
import { BUILTIN_MODELS } from '../../lib/models/builtin.ts';
import type { ModelManifest } from '../../lib/models/types.ts';
import { loadConfig } from '../../infra/config.ts';
import { openDatabase } from '../../services/context.ts';
import { localModelDirs, registerModel } from '../../services/models.ts';

export { inspectModelDir };

const HELP = `usage: sonde models add PATH [--json] [--tenant NAME | --builtin] [--name N]
                                         validate + sha256 a model directory (docs/models.md); with --tenant
                                         (or --builtin: every tenant) register it in Postgres — the directory
                                         must then lie under $SONDE_DATA_DIR/models
       sonde models list [--json]        built-ins and models under $SONDE_DATA_DIR/models`;

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

function summary(dir: string, m: ModelManifest, sha256: string, bytes: number): string {
  return [
    `model     ${m.name} (${m.kind}, hidden size ${m.hidden_size})`,
    `directory ${dir}`,
    `sha256    ${sha256} (${mib(bytes)})`,
    `layers    ${m.layers.map((l) => l.index).join(', ')} (outputs ${m.layers[0].output} … ${m.layers[m.layers.length - 1].output})`,
    `pooling   ${m.default_pooling} by default; padding ${m.tokenizer.padding_side ?? (m.kind === 'decoder' ? 'left' : 'right')}`,
    `tokenizer ${m.tokenizer.type} (${m.tokenizer.files.join(', ')})`,
    `license   ${m.license}`,
    `source    ${m.source}`,
  ].join('\n');
}

async function add(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ['json', 'builtin']);
  if (positionals.length !== 1) throw new UsageError('usage: sonde models add PATH [--tenant NAME | --builtin]');
  const tenant = typeof flags.tenant === 'string' ? flags.tenant : null;
  if (!tenant && !flags.builtin) {
    const info = await inspectModelDir(positionals[0]);
    if (flags.json) console.log(JSON.stringify(info, null, 2));
    else console.log(`${summary(info.dir, info.manifest, info.sha256, info.bytes)}\nvalid: register it with --tenant NAME (or --builtin) to use it in jobs by name.`);
    return 0;
  }
  // Registration: the directory must be inside the model root every worker sees (no path or symlink escape).
  const config = loadConfig();
  const { db, close } = await openDatabase(config);
  try {
    const { info, row } = await registerModel({ config, db }, positionals[0], { tenant, name: typeof flags.name === 'string' ? flags.name : undefined });
    if (flags.json) console.log(JSON.stringify(row, null, 2));
    else console.log(`${summary(info.dir, info.manifest, info.sha256, info.bytes)}\nregistered as "${row.name}" for ${tenant ? `tenant ${tenant}` : 'every tenant'}`);
  } finally {
    await close();
  }
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['json']);
  const rows: { name: string; kind: string; hidden_size: number; layers: number; where: string }[] = BUILTIN_MODELS.map((m) => ({
    name: m.name, kind: m.kind, hidden_size: m.hidden_size, layers: m.layers, where: 'built-in',
  }));
  for (const { name, dir, manifest: m } of await localModelDirs(loadConfig())) {
    rows.push({ name, kind: m.kind, hidden_size: m.hidden_size, layers: m.layers.length, where: dir });
  }
  if (flags.json) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(`${r.name.padEnd(20)} ${r.kind.padEnd(8)} d=${String(r.hidden_size).padEnd(5)} layers=${String(r.layers).padEnd(3)} ${r.where}`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') return add(rest);
  if (sub === 'list') return list(rest);
  console.log(HELP);
  return sub === '--help' || sub === '-h' ? 0 : 2;
}
