/**
 * `npm run bench:admission` — calibration of the admission estimate (lib/job-cost.ts):
 * runs fit units the way a fit child does (rows read from a local activation store entry,
 * then workers/fit-layer.ts) in a fresh process per configuration, and prints the
 * estimated and the measured seconds and peak resident memory (VmHWM) side by side.
 *
 *   npm run bench:admission                 the calibration set (docs/limits.md)
 *   npm run bench:admission -- --quick      two small configurations
 *   npm run bench:admission -- --only ccs   one method at a time (fits SECONDS_PER_PAIR_DIM)
 */
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStores } from '../infra/store/index.ts';
import { activationKey, type ActivationKeyParts } from '../infra/store/activation-store.ts';
import { normalizeJobRequest, type JobRequest, type JobSpec } from '../lib/job-spec.ts';
import { estimateJob } from '../lib/job-cost.ts';
import { METHODS } from '../lib/probe/index.ts';
import { loadConditions } from '../workers/fit-child.ts';
import { fitLayer } from '../lib/fit/index.ts';
import type { FitUnit, StagedCondition } from '../services/pipeline.ts';
import { mulberry32 } from '../test/support/rng.ts';

interface Case {
  name: string;
  items: number;
  templates: number;
  d: number;
  request: JobRequest;
}

const ALL = ['ccs', 'pca', 'nmf', 'kmeans', 'random', 'lr'];
const CASES: Case[] = [
  { name: 'default job, 1k items, d 512', items: 1000, templates: 1, d: 512, request: { methods: ALL, seeds: 5 } },
  { name: '4k items × 2 templates, d 512, 3 seeds', items: 4000, templates: 2, d: 512, request: { methods: ALL, seeds: 3 } },
  { name: '2k items, d 1024, distractor, bootstrap 2000', items: 2000, templates: 1, d: 1024, request: { methods: ['ccs', 'pca', 'lr'], seeds: 2, bootstrap: 2000, controls: ['distractor'] } },
  { name: '20k items, d 512, pca+lr, 1 seed', items: 20_000, templates: 1, d: 512, request: { methods: ['pca', 'lr', 'random'], seeds: 1, bootstrap: 200 } },
  { name: '1k items, d 256, ccs adam 1000 epochs', items: 1000, templates: 1, d: 256, request: { methods: ['ccs'], seeds: 1, method_options: { ccs: { optimizer: 'adam' } } } },
  { name: '1k items × 4 templates, template-sensitivity', items: 1000, templates: 4, d: 256, request: { methods: ['ccs', 'pca', 'kmeans', 'lr'], seeds: 2, controls: ['template-sensitivity'] } },
];
const QUICK = CASES.slice(0, 2);
/** Cases that isolate one constant: the bootstrap, and what results keep per fit. */
const PARTS: Case[] = [
  { name: 'random, 8k items, d 512, bootstrap 0', items: 8000, templates: 1, d: 512, request: { methods: ['random'], seeds: 2, bootstrap: 0 } },
  { name: 'random, 8k items, d 512, bootstrap 1000', items: 8000, templates: 1, d: 512, request: { methods: ['random'], seeds: 2, bootstrap: 1000 } },
  { name: 'random, 200 items, d 4096, 300 fits', items: 200, templates: 1, d: 4096, request: { methods: ['random', 'mass-mean', 'pca'], seeds: 100, bootstrap: 0 } },
];

/** The store entry and the fit unit of a case: one condition per clean/control, rows of one entry. */
function unitOf(c: Case, spec: JobSpec, key: string, texts: number): FitUnit {
  const pairs = c.items * c.templates;
  const names = ['clean', ...spec.controls.map((x) => (typeof x === 'string' ? x : (x as { name: string }).name)).filter((n) => n === 'distractor' || n === 'explicit-opinion')];
  const r = mulberry32(7);
  const conditions: StagedCondition[] = names.map((name, k) => {
    const base = k * pairs * 2;
    const items = Array.from({ length: pairs }, (_, i) => Math.floor(i / c.templates));
    const labelOf = items.map((it) => (it * 2654435761) % 7 < 4 ? 1 : 0);
    return {
      name,
      source: {
        store: 'cache', key, posSide: 'texts', negSide: 'texts',
        posRows: Array.from({ length: pairs }, (_, i) => (base + 2 * i) % texts),
        negRows: Array.from({ length: pairs }, (_, i) => (base + 2 * i + 1) % texts),
      },
      meta: {
        condition: name, n_pairs: pairs, labels: labelOf, templates: items.map((_, i) => i % c.templates),
        template_ids: Array.from({ length: c.templates }, (_, t) => `t${t}`), items,
        control_bits: name === 'clean' ? null : items.map(() => (r() < 0.5 ? 1 : 0)), layers: [0], dim: { 0: c.d },
      },
    };
  });
  return { jobId: '00000000-0000-4000-8000-000000000000', spec, layer: 0, conditions };
}

function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

async function child(arg: { dataDir: string; unit: FitUnit }) {
  const stores = createStores({ dataDir: arg.dataDir, s3: null });
  const t0 = performance.now();
  const conditions = await loadConditions(stores, arg.unit);
  const out = fitLayer(arg.unit.spec, arg.unit.layer, conditions);
  const seconds = (performance.now() - t0) / 1000;
  process.send!({ bench: 'admission', seconds, peak: peakRss(), fits: out.results.length });
}

async function main() {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
  const cases = only
    ? [1000, 8000].map((items) => ({ name: `${only}, ${items} items, d 512, 2 seeds`, items, templates: 1, d: 512, request: { methods: [only], seeds: 2, bootstrap: 0 } }))
    : args.includes('--quick') ? QUICK : args.includes('--parts') ? PARTS : CASES;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-bench-admission-'));
  const stores = createStores({ dataDir, s3: null });
  console.log(`${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism()} cores, node ${process.version}`);
  console.log('case | fits | est. s | measured s | ratio | est. peak MiB | measured MiB | ratio');
  try {
    for (const c of cases) {
      const spec = normalizeJobRequest(c.request, { methods: METHODS, defaultDataset: 'x' });
      const controls = spec.controls.filter((x) => x === 'distractor' || x === 'explicit-opinion').length;
      const texts = c.items * c.templates * 2 * (1 + controls);
      const parts: ActivationKeyParts = { modelSha256: 'b'.repeat(64), dataSha256: crypto.createHash('sha256').update(c.name).digest('hex'), template: '', pooling: 'last', dtype: 'float32' };
      const key = activationKey(parts);
      const r = mulberry32(11);
      const data = new Float32Array(texts * c.d);
      // A planted truth direction along the first coordinates, plus noise.
      for (let i = 0; i < texts; i++) for (let j = 0; j < c.d; j++) data[i * c.d + j] = (r() - 0.5) + (j < 4 ? ((i >> 1) % 7 < 4 ? 0.3 : -0.3) * (i % 2 ? 1 : -1) : 0);
      await stores.cache.put(key, parts, 0, 'texts', { rows: texts, cols: c.d, data });
      const unit = unitOf(c, spec, key, texts);
      const est = estimateJob(spec, { items: c.items, templates: c.templates, layers: 1, hiddenSize: c.d, transferItems: [], labelled: true });
      const measured = await new Promise<{ seconds: number; peak: number; fits: number }>((resolve, reject) => {
        const p = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
        // tsx's loader talks over the same channel: only our message counts.
        p.on('message', (m) => { if ((m as { bench?: string }).bench === 'admission') resolve(m as never); });
        p.once('exit', (code) => { if (code) reject(new Error(`child exited ${code}`)); });
        p.send({ dataDir, unit });
      });
      const mib = (b: number) => (b / 2 ** 20).toFixed(0);
      console.log([
        c.name, `${measured.fits}/${est.fits}`, est.fit_unit_seconds.toFixed(2), measured.seconds.toFixed(2), (est.fit_unit_seconds / measured.seconds).toFixed(2),
        mib(est.fit_unit_memory_bytes), mib(measured.peak), (est.fit_unit_memory_bytes / measured.peak).toFixed(2),
      ].join(' | '));
      await stores.cache.remove(key);
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) {
  process.once('message', (m) => { child(m as never).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); }); });
} else {
  main().catch((e) => { console.error(e); process.exit(1); });
}
