/**
 * `npm run bench:sweep`: a whole probing sweep at LLM scale through the real fit path.
 * Planted activations shaped like a 7B model (32 layers, d = 4096, 2,000 contrast pairs: a
 * truth direction plus a stronger distractor, a few shared high-variance factors, per-side
 * offsets and noise), generated deterministically per layer inside the process that fits
 * it (never stored, never all layers in memory at once); every method, 10 seeds.
 *
 * One fit unit = one layer = one call of the unit entry (default workers/fit-layer.ts
 * fitLayer, what a fit worker runs per BullMQ unit). Units run in forked child processes of
 * this file (`--unit-runner`), one unit at a time per child: `--procs 1` is the sequential
 * run, `--procs 2` uses the second core; each mode reports wall time, CPU time, cores used,
 * peak RSS (per child and summed) and per-method fit time. When /usr/bin/python3 (or
 * SONDE_PYTHON) has torch and scikit-learn, the reference fits of one layer × one seed are
 * timed in the same run and extrapolated to the sweep.
 *
 * Flags: --quick (small shape for CI smoke: 2 layers, d = 256, 300 pairs, 2 seeds, no reference)
 *        --layers N --d N --pairs N --seeds N --methods a,b --procs 1,2 --no-reference
 *        --entry path#export  (the unit function: (spec, layer, conditions) => { results })
 */
import { fork, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { normalizeJobRequest, type JobSpec } from '../lib/job-spec.ts';
import { encodeMat, encodeNpy } from '../lib/npy.ts';
import { selectRows } from '../lib/tensor.ts';
import { applyNormalizer, fitNormalizer, METHODS, rngFor, type MethodName } from '../lib/probe/index.ts';
import type { ConditionData, PairsMeta } from '../lib/fit/index.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');

interface Shape { layers: number; d: number; pairs: number; seeds: number; methods: MethodName[] }
const shape: Shape = {
  layers: Number(flag('layers') ?? (quick ? 2 : 32)),
  d: Number(flag('d') ?? (quick ? 256 : 4096)),
  pairs: Number(flag('pairs') ?? (quick ? 300 : 2000)),
  seeds: Number(flag('seeds') ?? (quick ? 2 : 10)),
  methods: (flag('methods')?.split(',') ?? [...METHODS]) as MethodName[],
};
const ENTRY = flag('entry') ?? `${fileURLToPath(new URL('../lib/fit/layer.ts', import.meta.url))}#fitLayer`;

function jobSpec(s: Shape): JobSpec {
  return normalizeJobRequest({ methods: s.methods, seeds: s.seeds }, { methods: METHODS, defaultDataset: 'planted' });
}

/**
 * Layer `layer` of the planted model: x± = c ± ½(a·s·t + b·h·u) + o± + ε±, s = ±1 the truth
 * label, h = ±1 a distractor bit, t ⟂ u unit directions, b = 1.6·a (the distractor is the
 * stronger feature), a largest at mid depth; c = Σ_j z_j σ_j f_j shared by both sides (8
 * factors, per-feature std σ_j = 2/√(j+1)), o± per-side offsets, ε uniform noise of unit variance.
 */
export function plantedLayer(s: Shape, layer: number): ConditionData {
  const { d, pairs: n } = s;
  const items = rngFor(0, 'sweep-items');
  const labels: number[] = [], bits: number[] = [];
  for (let i = 0; i < n; i++) { labels.push(items.next() < 0.5 ? 1 : 0); bits.push(items.next() < 0.5 ? 1 : 0); }
  const r = rngFor(layer, 'sweep-layer');
  const unit = (v: Float64Array, against: Float64Array[] = []) => {
    for (const a of against) { let c = 0; for (let k = 0; k < d; k++) c += v[k] * a[k]; for (let k = 0; k < d; k++) v[k] -= c * a[k]; }
    const nv = Math.hypot(...v);
    return v.map((x) => x / nv);
  };
  const t = unit(Float64Array.from({ length: d }, () => r.normal()));
  const u = unit(Float64Array.from({ length: d }, () => r.normal()), [t]);
  const a = 1 + 1.5 * Math.sin((Math.PI * (layer + 0.5)) / s.layers);
  const b = 1.6 * a;
  const K = 8;
  const factors = Array.from({ length: K }, (_, j) => Float64Array.from({ length: d }, () => r.normal() * (2 / Math.sqrt(j + 1))));
  const offPos = Float64Array.from({ length: d }, () => 0.5 * r.normal());
  const offNeg = Float64Array.from({ length: d }, () => 0.5 * r.normal());
  const pos = new Float32Array(n * d), neg = new Float32Array(n * d);
  const c = new Float64Array(d);
  const noise = Math.sqrt(12);
  for (let i = 0; i < n; i++) {
    c.fill(0);
    for (let j = 0; j < K; j++) {
      const z = r.normal(), f = factors[j];
      for (let k = 0; k < d; k++) c[k] += z * f[k];
    }
    const sy = labels[i] ? 1 : -1, sh = bits[i] ? 1 : -1;
    for (let k = 0, o = i * d; k < d; k++) {
      const half = 0.5 * (a * sy * t[k] + b * sh * u[k]);
      pos[o + k] = c[k] + half + offPos[k] + noise * (r.next() - 0.5);
      neg[o + k] = c[k] - half + offNeg[k] + noise * (r.next() - 0.5);
    }
  }
  const meta: PairsMeta = {
    condition: 'clean', n_pairs: n, labels, templates: new Array(n).fill(0), template_ids: ['t0'], items: Array.from({ length: n }, (_, i) => i),
    control_bits: bits, layers: [layer], dim: { [layer]: d },
  };
  return { name: 'clean', meta, pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg } };
}

type UnitFn = (spec: JobSpec, layer: number, conditions: ConditionData[]) => { results: { method: string; fit_seconds: number; columns: { accuracy?: number | null } }[] };

async function loadEntry(entry: string): Promise<UnitFn> {
  const [file, name] = entry.split('#');
  const mod = await import(pathToFileURL(file).href);
  if (typeof mod[name ?? 'default'] !== 'function') throw new Error(`--entry ${entry}: no function ${name}`);
  return mod[name ?? 'default'];
}

interface UnitReport { layer: number; wall: number; cpu: number; gen: number; perMethod: Record<string, number>; accuracy: Record<string, number[]> }
interface ChildEnd { cpu: number; maxRssMB: number }

/** The child: fits the layers the parent sends, one at a time, and reports each. */
async function unitRunner(): Promise<void> {
  const s: Shape = JSON.parse(flag('shape')!);
  const fitUnit = await loadEntry(flag('entry')!);
  const spec = jobSpec(s);
  process.on('message', (msg: { layer?: number; exit?: boolean }) => {
    if (msg.exit) {
      const c = process.cpuUsage();
      process.send!({ end: { cpu: (c.user + c.system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024 } satisfies ChildEnd }, () => process.exit(0));
      return;
    }
    const layer = msg.layer!;
    const g0 = performance.now();
    const cond = plantedLayer(s, layer);
    const gen = (performance.now() - g0) / 1000;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { results } = fitUnit(spec, layer, [cond]);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const perMethod: Record<string, number> = {};
    const accuracy: Record<string, number[]> = {};
    for (const r of results) {
      perMethod[r.method] = (perMethod[r.method] ?? 0) + r.fit_seconds;
      (accuracy[r.method] ??= []).push(r.columns.accuracy ?? NaN);
    }
    process.send!({ unit: { layer, wall, cpu: (c.user + c.system) / 1e6, gen, perMethod, accuracy } satisfies UnitReport });
  });
  process.send!({ ready: true });
}

interface ModeResult { procs: number; wall: number; cpu: number; fitWall: number; gen: number; peakRssMB: number; sumRssMB: number; units: UnitReport[] }

/** Runs every layer as a unit on `procs` child processes (dynamic queue: each child takes the next layer when done). */
function runMode(procs: number): Promise<ModeResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const queue = Array.from({ length: shape.layers }, (_, l) => l);
    const units: UnitReport[] = [];
    const ends: ChildEnd[] = [];
    let live = procs;
    for (let p = 0; p < procs; p++) {
      const child = fork(fileURLToPath(import.meta.url), ['--unit-runner', '--shape', JSON.stringify(shape), '--entry', ENTRY], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const next = () => {
        const layer = queue.shift();
        child.send(layer === undefined ? { exit: true } : { layer });
      };
      child.on('message', (m: { ready?: boolean; unit?: UnitReport; end?: ChildEnd }) => {
        if (m.unit) units.push(m.unit);
        if (m.end) ends.push(m.end);
        if (m.ready || m.unit) next();
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`unit runner exited with ${code}`));
        if (--live === 0) {
          resolve({
            procs, wall: (performance.now() - t0) / 1000, cpu: ends.reduce((a, e) => a + e.cpu, 0),
            fitWall: units.reduce((a, u) => a + u.wall, 0), gen: units.reduce((a, u) => a + u.gen, 0),
            peakRssMB: Math.max(...ends.map((e) => e.maxRssMB)), sumRssMB: ends.reduce((a, e) => a + e.maxRssMB, 0), units,
          });
        }
      });
    }
  });
}

function findPython(): string | null {
  if (quick || args.includes('--no-reference')) return null;
  for (const py of [process.env.SONDE_PYTHON, '/usr/bin/python3', 'python3']) {
    if (py && spawnSync(py, ['-c', 'import torch, sklearn'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

/** torch / scikit-learn on layer 0, seed 0's split, burns-normalised as fitLayer does (bench/probes-reference.py). */
async function reference(python: string): Promise<Map<string, number>> {
  const { splitItems } = await import('../lib/fit/index.ts');
  const spec = jobSpec(shape);
  const cond = plantedLayer(shape, 0);
  const { train, test } = splitItems(cond.meta, spec.split, 0);
  const rows = (set: Set<number>) => Int32Array.from(cond.meta.items.filter((i) => set.has(i)));
  const part = (idx: Int32Array) => ({ pos: selectRows(cond.pos, idx), neg: selectRows(cond.neg, idx), labels: Int8Array.from(idx, (i) => cond.meta.labels![i]) });
  const tr = part(rows(train)), te = part(rows(test));
  const norm = fitNormalizer('burns', tr, rngFor(0, 'normalize'));
  const ntr = applyNormalizer(norm, tr), nte = applyNormalizer(norm, te);
  const dir = mkdtempSync(join(tmpdir(), 'sonde-sweep-'));
  writeFileSync(join(dir, 'train_pos.npy'), encodeMat(ntr.pos));
  writeFileSync(join(dir, 'train_neg.npy'), encodeMat(ntr.neg));
  writeFileSync(join(dir, 'train_labels.npy'), encodeNpy([tr.labels.length], tr.labels));
  writeFileSync(join(dir, 'test_pos.npy'), encodeMat(nte.pos));
  writeFileSync(join(dir, 'test_neg.npy'), encodeMat(nte.neg));
  writeFileSync(join(dir, 'test_labels.npy'), encodeNpy([te.labels.length], te.labels));
  const script = fileURLToPath(new URL('./probes-reference.py', import.meta.url));
  const out = execFileSync(python, [script, dir, 'ccs,pca,kmeans,nmf,lr', '1', '1'], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'ignore'] });
  rmSync(dir, { recursive: true, force: true });
  return new Map(out.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [o.method, o.seconds]));
}

async function main(): Promise<void> {
  const spec = jobSpec(shape);
  const nTrain = Math.round(shape.pairs * spec.split.train);
  console.log(`sweep: ${shape.layers} layers × d = ${shape.d} × ${shape.pairs} pairs (~${nTrain} train / ${shape.pairs - nTrain} test), ${shape.methods.length} methods (${shape.methods.join(' ')}), ${shape.seeds} seeds, bootstrap ${spec.bootstrap}, normalize ${spec.normalize}`);
  console.log(`unit = one layer = one call of ${ENTRY.replace(process.cwd() + '/', '')}; data planted per layer inside the child that fits it`);
  const procsList = (flag('procs') ?? '1,2').split(',').map(Number);
  const results: ModeResult[] = [];
  console.log('mode         procs   wall_s   cpu_s  cores  fit_s(units)  gen_s  peak_rss_MB(max child / sum)');
  for (const procs of procsList) {
    const m = await runMode(procs);
    results.push(m);
    console.log(`${(procs === 1 ? 'sequential' : 'parallel').padEnd(12)} ${String(procs).padEnd(5)} ${m.wall.toFixed(1).padStart(8)} ${m.cpu.toFixed(1).padStart(7)} ${(m.cpu / m.wall).toFixed(2).padStart(6)} ${m.fitWall.toFixed(1).padStart(13)} ${m.gen.toFixed(1).padStart(6)}  ${m.peakRssMB.toFixed(0)} / ${m.sumRssMB.toFixed(0)}`);
  }
  const seq = results.find((m) => m.procs === 1);
  const par = results.filter((m) => m.procs > 1).sort((a, b) => a.wall - b.wall)[0];
  if (seq && par) console.log(`speed-up from ${par.procs} processes: ${(seq.wall / par.wall).toFixed(2)}× wall (${seq.wall.toFixed(1)} s → ${par.wall.toFixed(1)} s)`);
  // Units are independent and CPU-bound: on idle cores the wall time is the CPU time over the
  // processes. Printed because a shared machine (cores < procs above) hides it.
  if (par && par.cpu / par.wall < 0.9 * par.procs) console.log(`the ${par.procs} processes got ${(par.cpu / par.wall).toFixed(2)} cores (machine shared); on ${par.procs} idle cores the parallel run's CPU time would take ≈ ${(par.cpu / par.procs).toFixed(0)} s wall`);
  const base = seq ?? results[0];
  const perMethod: Record<string, number> = {};
  const acc: Record<string, number[]> = {};
  for (const u of base.units) {
    for (const [k, v] of Object.entries(u.perMethod)) perMethod[k] = (perMethod[k] ?? 0) + v;
    for (const [k, v] of Object.entries(u.accuracy)) (acc[k] ??= []).push(...v);
  }
  const fitSum = Object.values(perMethod).reduce((a, b) => a + b, 0);
  console.log(`per-method fit time (sum over units, ${base.procs === 1 ? 'sequential' : `${base.procs} processes`}): ${Object.entries(perMethod).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}; scoring, bootstrap and the unit's own work ${(base.fitWall - fitSum).toFixed(1)} s`);
  console.log(`mean test accuracy (truth, oracle sign) over layers × seeds: ${Object.entries(acc).map(([k, v]) => `${k} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)}`).join(', ')}`);
  const python = findPython();
  if (!python) {
    console.log('reference: skipped (--quick, --no-reference, or no python3 with torch and scikit-learn)');
    return;
  }
  const ref = await reference(python);
  const refMethods = shape.methods.filter((m) => ref.has(m === 'crc' ? 'pca' : m));
  const refUnit = refMethods.reduce((a, m) => a + ref.get(m === 'crc' ? 'pca' : m)!, 0);
  const refSweep = refUnit * shape.layers * shape.seeds;
  const ours = refMethods.reduce((a, m) => a + (perMethod[m] ?? 0), 0);
  console.log(`reference (torch AdamW CCS / scikit-learn, layer 0 × seed 0, measured now): ${refMethods.map((m) => `${m} ${ref.get(m === 'crc' ? 'pca' : m)!.toFixed(2)} s`).join(', ')}`);
  console.log(`reference extrapolated to ${shape.layers} layers × ${shape.seeds} seeds: ${(refSweep / 60).toFixed(1)} CPU-min for ${refMethods.join(' ')} (fits only); ours for the same methods: ${(ours / 60).toFixed(1)} min of fit time (${(refSweep / ours).toFixed(0)}×)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (args.includes('--unit-runner')) await unitRunner();
  else await main();
}
