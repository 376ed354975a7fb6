/**
 * `npm run bench:credences`: the cost of per-row credences at the size issue 11 names — a
 * 32-layer job with 9 methods × 10 seeds on 20,000 items, 58 M numbers — written through
 * the real commit path (one transaction per layer, as a fit unit commits) and read back
 * through the real repository, next to the alternative of one Postgres row per number,
 * measured on one layer and extrapolated. Prints times, rows and on-disk size.
 * Flags: --layers 32 --methods 9 --seeds 10 --items 20000 (BENCH_DATABASE_URL, default sonde_bench).
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../infra/config.ts';
import { openDatabase } from '../services/context.ts';
import { commitFitUnit } from '../infra/db/results.ts';
import { listCredences } from '../infra/db/credences.ts';
import { createKey } from '../services/keys.ts';
import type { LayerOutcome } from '../lib/fit/types.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const LAYERS = flag('layers', 32), METHODS = flag('methods', 9), SEEDS = flag('seeds', 10), ITEMS = flag('items', 20_000);
const methodNames = ['ccs', 'crc', 'pca', 'kmeans', 'nmf', 'random', 'vinc', 'lr', 'mass-mean', 'zero-shot'].slice(0, METHODS);
const config = loadConfig(undefined, { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/sonde_bench' });
const { db, close } = await openDatabase({ ...config, databaseUrl: process.env.BENCH_DATABASE_URL ?? config.databaseUrl }, 4);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const s = (t0: number) => ((performance.now() - t0) / 1000).toFixed(2);

const { tenantId } = await createKey(db, { tenant: 'bench-credences' });
const job = (await db.query(`INSERT INTO jobs (tenant_id, model, dataset, spec, status, fits_total) VALUES ($1, 'bench', 'bench', '{}', 'running', $2) RETURNING id`, [tenantId, LAYERS])).rows[0].id as string;
const numbers = LAYERS * METHODS * SEEDS * ITEMS;
console.log(`credences of ${LAYERS} layers × ${METHODS} methods × ${SEEDS} seeds × ${ITEMS} items = ${(numbers / 1e6).toFixed(1)} M numbers (${LAYERS * METHODS * SEEDS} probes)`);

// Deterministic credences (the values do not matter for the cost, only that they do not compress).
let x = 12345;
const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
const split = Uint8Array.from({ length: ITEMS }, (_, i) => (i % 5 < 3 ? 1 : 2));
const index = { control: null, items: Int32Array.from({ length: ITEMS }, (_, i) => i), templates: new Int32Array(ITEMS), labels: null, dataset_rows: null, label_sets: {}, template_ids: ['t'] };

let t0 = performance.now();
for (let layer = 0; layer < LAYERS; layer++) {
  const out: LayerOutcome = { results: [], agreements: [], skipped: [], credenceIndex: [index], credences: [] };
  for (const method of methodNames) {
    for (let seed = 0; seed < SEEDS; seed++) {
      out.credences.push({ layer, method, seed, control: null, sign_rule: 'reference', credences: Float32Array.from({ length: ITEMS }, rand), split });
    }
  }
  await commitFitUnit(db, job, layer, out);
}
const writeS = s(t0);
const size = (await db.query(`SELECT pg_total_relation_size('credences') AS b`)).rows[0].b as number;
const rows = (await db.query('SELECT count(*)::int AS n FROM credences WHERE job_id = $1', [job])).rows[0].n as number;
console.log(`write: ${writeS} s for ${rows} rows (one per probe, ${LAYERS} transactions, one per fit unit); table on disk ${mb(size)} (${(size / numbers).toFixed(2)} bytes per number)`);

t0 = performance.now();
let read = 0;
let after: { layer: number; method: string; seed: number; control: string } | undefined;
for (;;) {
  const page = await listCredences(db, job, {}, { limit: 100, after });
  for (const p of page) read += p.credences.length;
  if (page.length < 100) break;
  const last = page[page.length - 1];
  after = { layer: last.layer, method: last.method, seed: last.seed, control: 'clean' };
}
console.log(`read all: ${s(t0)} s for ${(read / 1e6).toFixed(1)} M numbers (pages of 100 probes)`);
t0 = performance.now();
const one = await listCredences(db, job, { layer: Math.floor(LAYERS / 2), method: 'pca' }, { limit: 1000 });
console.log(`read one layer × method (${one.length} seeds × ${ITEMS}): ${s(t0)} s`);

// The alternative: one row per (probe, item) number, on one layer, extrapolated to the job.
await db.query('CREATE TEMP TABLE credence_numbers (job_id uuid, layer int, method text, seed int, item int, credence real, split smallint, PRIMARY KEY (job_id, layer, method, seed, item))');
t0 = performance.now();
for (const method of methodNames) {
  for (let seed = 0; seed < SEEDS; seed++) {
    const cred = Array.from({ length: ITEMS }, rand);
    await db.query(
      `INSERT INTO credence_numbers SELECT $1, 0, $2, $3, i - 1, c, s FROM unnest($4::real[], $5::smallint[]) WITH ORDINALITY AS t(c, s, i)`,
      [job, method, seed, cred, Array.from(split)],
    );
  }
}
const altWrite = (performance.now() - t0) / 1000;
const altSize = (await db.query(`SELECT pg_total_relation_size('credence_numbers') AS b`)).rows[0].b as number;
t0 = performance.now();
await db.query('SELECT credence FROM credence_numbers WHERE job_id = $1 ORDER BY layer, method, seed, item', [job]);
const altRead = (performance.now() - t0) / 1000;
console.log(`alternative, one row per number: one layer ${altWrite.toFixed(2)} s write, ${altRead.toFixed(2)} s read, ${mb(altSize)} → × ${LAYERS} layers ≈ ${(altWrite * LAYERS).toFixed(0)} s write, ${(altRead * LAYERS).toFixed(0)} s read, ${mb(altSize * LAYERS)} (${(altSize / (METHODS * SEEDS * ITEMS)).toFixed(1)} bytes per number)`);

await db.query('DELETE FROM jobs WHERE id = $1', [job]);
await close();
