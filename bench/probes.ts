/**
 * `npm run bench:probes`: fit times and test accuracies at n = 1000 training pairs for
 * d = 1024 and d = 4096, with scikit-learn / PyTorch fitting the same normalised inputs in
 * the same invocation (bench/probes-reference.py) when a Python with both is found
 * (SONDE_PYTHON, else /usr/bin/python3, else python3); otherwise that column is skipped.
 * Flags: --dims 1024,4096  --methods ccs,pca,...  --no-reference
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMat, encodeNpy } from '../lib/npy.ts';
import { applyNormalizer, fitAndEvaluate, fitNormalizer, METHODS, rngFor, type ContrastData, type MethodName } from '../lib/probe/index.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const dims = (flag('dims') ?? '1024,4096').split(',').map(Number);
const methods = (flag('methods')?.split(',') ?? [...METHODS]) as MethodName[];
const N_TRAIN = 1000;
const N_TEST = 500;

/** Planted truth direction with signal below the dominant shared variance (as real activations). */
function pairs(n: number, d: number, seed: number, truth: Float64Array): ContrastData {
  const r = rngFor(seed, 'bench');
  const pos = new Float32Array(n * d);
  const neg = new Float32Array(n * d);
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = r.next() < 0.5 ? 1 : 0;
    const s = labels[i] ? 1 : -1;
    for (let k = 0; k < d; k++) {
      const c = r.normal() * (1 + 2 * (k % 7 === 0 ? 1 : 0));
      pos[i * d + k] = c + 1.5 * s * truth[k] + 0.7 * r.normal() + 0.5;
      neg[i * d + k] = c - 1.5 * s * truth[k] + 0.7 * r.normal() - 0.5;
    }
  }
  return { pos: { rows: n, cols: d, data: pos }, neg: { rows: n, cols: d, data: neg }, labels };
}

function findPython(): string | null {
  if (args.includes('--no-reference')) return null;
  for (const py of [process.env.SONDE_PYTHON, '/usr/bin/python3', 'python3']) {
    if (!py) continue;
    const ok = spawnSync(py, ['-c', 'import torch, sklearn'], { stdio: 'ignore' });
    if (ok.status === 0) return py;
  }
  return null;
}

const python = findPython();
const refScript = fileURLToPath(new URL('./probes-reference.py', import.meta.url));
const REF_METHODS: Partial<Record<MethodName, string>> = { ccs: 'ccs', pca: 'pca', crc: 'pca', kmeans: 'kmeans', nmf: 'nmf', lr: 'lr' };
const fmt = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));
console.log(python ? `reference: ${python} (scikit-learn / PyTorch, same normalised inputs)` : 'reference: skipped (no python3 with torch and scikit-learn; set SONDE_PYTHON)');
console.log(`ours: one thread (WebAssembly SIMD kernels where available); reference: default BLAS/PyTorch threads on ${cpus().length} cores. n = ${N_TRAIN} train / ${N_TEST} test pairs; ours_acc/ref_acc: oracle-sign test accuracy; loss: best CCS restart (train)`);
console.log('method     d     ours_s  ours_acc  ours_loss   ref_s  ref_acc  ref_loss  speed-up');

const ccsRows: { d: number; ours: number; ref?: number; loss?: number; refLoss?: number }[] = [];
for (const d of dims) {
  const r = rngFor(d, 'truth');
  const truth = Float64Array.from({ length: d }, () => r.normal());
  const tn = Math.hypot(...truth);
  truth.forEach((v, k) => { truth[k] = v / tn; });
  const rawTrain = pairs(N_TRAIN, d, 1, truth);
  const rawTest = pairs(N_TEST, d, 2, truth);
  // Both sides fit the same burns-normalised matrices, so the timings compare the fits only.
  const norm = fitNormalizer('burns', rawTrain, rngFor(0, 'bench-norm'));
  const train = { ...applyNormalizer(norm, rawTrain), labels: rawTrain.labels };
  const test = { ...applyNormalizer(norm, rawTest), labels: rawTest.labels };
  let ref = new Map<string, { seconds: number; accuracy: number; loss?: number }>();
  if (python) {
    const dir = mkdtempSync(join(tmpdir(), 'sonde-bench-'));
    writeFileSync(join(dir, 'train_pos.npy'), encodeMat(train.pos));
    writeFileSync(join(dir, 'train_neg.npy'), encodeMat(train.neg));
    writeFileSync(join(dir, 'train_labels.npy'), encodeNpy([N_TRAIN], train.labels!));
    writeFileSync(join(dir, 'test_pos.npy'), encodeMat(test.pos));
    writeFileSync(join(dir, 'test_neg.npy'), encodeMat(test.neg));
    writeFileSync(join(dir, 'test_labels.npy'), encodeNpy([N_TEST], test.labels!));
    const wanted = [...new Set(methods.map((m) => REF_METHODS[m]).filter(Boolean))].join(',');
    if (wanted) {
      const out = execFileSync(python, [refScript, dir, wanted], { encoding: 'utf8', maxBuffer: 1 << 24 });
      ref = new Map(out.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [o.method, o]));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  // One untimed warm-up fit per method (CCS on 50 pairs, to save time), so the timings are
  // of JIT-compiled code with the wasm memory grown, as in a long-running worker fitting
  // layer after layer (the Python side likewise has its modules imported before timing).
  const head = (c: ContrastData) => ({ pos: { ...c.pos, rows: 50, data: c.pos.data.subarray(0, 50 * d) }, neg: { ...c.neg, rows: 50, data: c.neg.data.subarray(0, 50 * d) }, labels: c.labels!.subarray(0, 50) });
  for (const method of methods) fitAndEvaluate({ method, normalize: 'none', seed: 1, train: method === 'ccs' ? head(train) : train, bootstrap: 0 });
  for (const method of methods) {
    const rep = fitAndEvaluate({ method, normalize: 'none', seed: 0, train, test, bootstrap: 0 });
    const loss = method === 'ccs' ? Math.min(...rep.restarts!.map((x) => x.loss)) : undefined;
    const rf = REF_METHODS[method] ? ref.get(REF_METHODS[method]!) : undefined;
    const speedup = rf ? `${(rf.seconds / rep.fit_seconds).toFixed(1)}×` : '';
    if (method === 'ccs') ccsRows.push({ d, ours: rep.fit_seconds, ref: rf?.seconds, loss, refLoss: rf?.loss });
    console.log(
      `${method.padEnd(10)} ${String(d).padEnd(5)} ${fmt(rep.fit_seconds).padStart(7)}  ${fmt(rep.test!.accuracy).padStart(8)}  ${fmt(loss, 4).padStart(9)}  ${fmt(rf?.seconds).padStart(6)}  ${fmt(rf?.accuracy).padStart(7)}  ${fmt(rf?.loss, 4).padStart(8)}  ${speedup.padStart(8)}`,
    );
  }
}

for (const c of ccsRows) {
  if (c.ref === undefined || c.refLoss === undefined || c.loss === undefined) continue;
  const verdict = c.ref / c.ours >= 10 && c.loss <= c.refLoss ? 'meets' : 'misses';
  console.log(`ccs d=${c.d}: ${(c.ref / c.ours).toFixed(1)}× faster than torch AdamW (1000 epochs × 10 restarts) at loss ${c.loss.toFixed(4)} vs ${c.refLoss.toFixed(4)}: ${verdict} the ≥10×-at-equal-or-lower-loss target`);
}
