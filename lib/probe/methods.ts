/**
 * Every method fitted on normalised pairs and turned into one probe shape. Direction-only
 * methods (crc/pca, random, k-means, mass-mean, VINC) are made into linear probes by
 * p(x^±) = σ(a(w·x^± − m ∓ t/2)): the pair is "yes" iff w·δ > t, with t their decision
 * threshold on the differences (0 except k-means), m the train mid-point, and a = 1/std(w·δ)
 * so every method's p̃ has comparable spread for ECE and the CCS loss.
 */
import type { Mat } from '../tensor.ts';
import type { MethodName, SerializedProbe } from './types.ts';
import type { Rng } from './random.ts';
import { ProbeInputError } from './errors.ts';
import { addRowsT, gramApply, pairGramApply, columnMeans, differences, mean, norm, projectRows, std, unit } from './kernels.ts';
import { topEigenvector } from './eigen.ts';
import { kmeansFit } from './kmeans.ts';
import { nmfFit } from './nmf.ts';
import { ccsFit, type CcsOptions } from './ccs.ts';
import { lrFit } from './lr.ts';
import { SimdRows } from './simd.ts';

export type Fitted = Omit<SerializedProbe, 'method' | 'options' | 'normalizer'> & {
  restarts?: { loss: number; theta: Float64Array; bias: number; iterations: number }[];
};

type Opts = Record<string, unknown>;

function num(opts: Opts, key: string, fallback: number, check: (v: number) => boolean = () => true): number {
  const v = opts[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new ProbeInputError(`option ${key}: invalid value ${JSON.stringify(v)}`);
  return v;
}

function choice<T extends string>(opts: Opts, key: string, allowed: readonly T[], fallback: T): T {
  const v = opts[key];
  if (v === undefined || v === null) return fallback;
  if (!allowed.includes(v as T)) throw new ProbeInputError(`option ${key}: must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

const KNOWN: Record<MethodName, string[]> = {
  ccs: ['loss', 'restarts', 'optimizer', 'epochs', 'lr', 'weight_decay', 'init'],
  crc: [], pca: [], random: [], 'mass-mean': [],
  kmeans: ['n_init', 'max_iter'],
  nmf: ['max_iter', 'tol'],
  vinc: ['w_var', 'w_neg'],
  lr: ['C', 'max_iter', 'tol'],
};
/** Options every method accepts (consumed by the normaliser). */
const COMMON = ['clusters'];

export function checkOptions(method: MethodName, opts: Opts): void {
  for (const key of Object.keys(opts)) {
    if (!KNOWN[method].includes(key) && !COMMON.includes(key)) {
      throw new ProbeInputError(`method ${method} has no option "${key}" (known: ${[...KNOWN[method], ...COMMON].join(', ') || 'none'})`);
    }
  }
}

export function ccsOptions(opts: Opts): CcsOptions {
  const optimizer = choice(opts, 'optimizer', ['lbfgs', 'adam'] as const, 'lbfgs');
  return {
    loss: choice(opts, 'loss', ['burns', 'symmetric'] as const, 'burns'),
    restarts: num(opts, 'restarts', 10, (v) => Number.isInteger(v) && v >= 1 && v <= 1000),
    optimizer,
    epochs: num(opts, 'epochs', optimizer === 'adam' ? 1000 : 100, (v) => Number.isInteger(v) && v >= 1),
    lr: num(opts, 'lr', 1e-3, (v) => v > 0),
    // AdamW's decoupled decay 0.01 is Burns' setting. For L-BFGS the decay is elk's L2 penalty
    // wd·‖θ‖²/2 in the objective; elk's 0.01 visibly biases the fitted loss, so the default is
    // 6e-5: enough to keep ‖θ‖ finite when n < d and the pairs are separable, small enough
    // that the fitted loss stays at or below AdamW-1000-epochs' (bench/probes.ts).
    weightDecay: num(opts, 'weight_decay', optimizer === 'adam' ? 0.01 : 6e-5, (v) => v >= 0),
    init: choice(opts, 'init', ['torch', 'normal'] as const, 'torch'),
  };
}

/** A direction used only through w·δ, calibrated as described at the top of the file. */
function directionProbe(pos: Mat, neg: Mat, w: Float64Array, threshold = 0): Fitted {
  const up = projectRows(pos, w);
  const un = projectRows(neg, w);
  const diff = up.map((u, i) => u - un[i]);
  const spread = std(diff.map((v) => v - threshold)) || 1;
  const a = 1 / spread;
  const m = 0.5 * (mean(up) + mean(un));
  return { kind: 'linear', direction: Array.from(w), scale: a, bias_pos: -a * (m + threshold / 2), bias_neg: -a * (m - threshold / 2) };
}

function centredOperator(delta: Mat) {
  const mu = columnMeans(delta);
  const n = delta.rows;
  const proj = new Float64Array(n);
  const simd = SimdRows.create([delta]);
  // Covariance of the differences as an operator: v ↦ (1/n) Δcᵀ Δc v, never formed.
  return (v: Float64Array, out: Float64Array) => {
    let mv = 0;
    for (let k = 0; k < v.length; k++) mv += mu[k] * v[k];
    let s = 0;
    if (simd) {
      simd.dots(0, v, proj);
      for (let i = 0; i < n; i++) { proj[i] = (proj[i] - mv) / n; s += proj[i]; }
      simd.addRowsT(0, proj, out);
    } else {
      gramApply(delta, v, mv, 1 / n, out, proj);
      for (let i = 0; i < n; i++) s += proj[i];
    }
    for (let k = 0; k < out.length; k++) out[k] -= s * mu[k];
  };
}

/** Lanczos settings: the SIMD passes accumulate in float32, so ask for a float32-sized residual. */
const EIGEN = { tol: 1e-5, restarts: 10 };

export function fitMethod(method: MethodName, opts: Opts, pos: Mat, neg: Mat, labels: Int8Array | undefined, rng: Rng): Fitted {
  const d = pos.cols;
  switch (method) {
    case 'ccs': {
      const fit = ccsFit(pos, neg, ccsOptions(opts), rng);
      const s = norm(fit.theta) || 1;
      return {
        kind: 'linear', direction: Array.from(fit.theta, (t) => t / s), scale: s, bias_pos: fit.bias, bias_neg: fit.bias,
        restarts: fit.restarts, extra: { loss: fit.loss },
      };
    }
    case 'crc':
    case 'pca': {
      // CRC-TPC (Burns et al. 2022, §3.3): top principal component of the differences.
      const delta = differences(pos, neg);
      const eig = topEigenvector(centredOperator(delta), d, rng, EIGEN);
      return { ...directionProbe(pos, neg, eig.vector), extra: { eigenvalue: eig.value, matvecs: eig.matvecs } };
    }
    case 'random': {
      const w = unit(Float64Array.from({ length: d }, () => rng.normal()));
      return directionProbe(pos, neg, w);
    }
    case 'kmeans': {
      const delta = differences(pos, neg);
      const nInit = num(opts, 'n_init', 10, (v) => Number.isInteger(v) && v >= 1);
      const km = kmeansFit(delta, 2, rng, { nInit, maxIter: num(opts, 'max_iter', 300, (v) => Number.isInteger(v) && v >= 1) });
      const [c0, c1] = km.centroids;
      const w = unit(c1.map((v, k) => v - c0[k]));
      // Nearest centroid ⇔ w·δ beyond the projection of the centroids' mid-point.
      let t = 0;
      for (let k = 0; k < d; k++) t += w[k] * 0.5 * (c0[k] + c1[k]);
      return { ...directionProbe(pos, neg, w, t), extra: { inertia: km.inertia, iterations: km.iterations } };
    }
    case 'nmf': {
      const delta = differences(pos, neg);
      const fit = nmfFit(delta, { maxIter: num(opts, 'max_iter', 200, (v) => Number.isInteger(v) && v >= 1), tol: num(opts, 'tol', 1e-4, (v) => v >= 0) }, rng);
      const [h0, h1] = fit.H;
      // Linear surrogate for agreement: fold each component back to a signed d-vector.
      const w = unit(Float64Array.from({ length: d }, (_, k) => (h0[k] - h0[d + k]) - (h1[k] - h1[d + k])));
      return {
        kind: 'nmf', direction: Array.from(w), scale: 1, bias_pos: 0, bias_neg: 0, components: [Array.from(h0), Array.from(h1)],
        extra: { reconstruction_error: fit.error, iterations: fit.iterations },
      };
    }
    case 'vinc': {
      // elk's VINC (EigenReporter.fit_streaming): top eigenvector of
      // A = w_var·(Σ⁺⁺ + Σ⁻⁻) − w_inv·Σ_intra − w_neg·(Σ⁺⁻ + Σ⁻⁺), covariances of the class
      // centroids and their cross-covariance (a truth feature flips sign across the pair).
      // Each row here is its own centroid (no template variants per item), so Σ_intra = 0.
      // Defaults are elk's var_weight 1 and neg_cov_weight 5. A is scaled by ½ (same vector).
      const wVar = num(opts, 'w_var', 1);
      const wNeg = num(opts, 'w_neg', 5);
      const n = pos.rows;
      const mp = columnMeans(pos);
      const mn = columnMeans(neg);
      const simd = SimdRows.create([pos, neg]);
      const u = new Float64Array(n);
      const w = new Float64Array(n);
      const op = (v: Float64Array, out: Float64Array) => {
        let a = 0, b = 0;
        for (let k = 0; k < d; k++) { a += mp[k] * v[k]; b += mn[k] * v[k]; }
        const alpha = wVar / (2 * n), beta = -wNeg / (2 * n);
        let sp: number, sn: number;
        if (simd) {
          simd.dots(0, v, u);
          simd.dots(1, v, w);
          sp = 0; sn = 0;
          for (let i = 0; i < n; i++) {
            const x = u[i] - a, y = w[i] - b;
            u[i] = alpha * x + beta * y;
            w[i] = alpha * y + beta * x;
            sp += u[i]; sn += w[i];
          }
          simd.addRowsT(0, u, out);
          simd.addRowsT(1, w, out);
        } else {
          [sp, sn] = pairGramApply(pos, neg, v, a, b, alpha, beta, out);
        }
        for (let k = 0; k < out.length; k++) out[k] -= sp * mp[k] + sn * mn[k];
      };
      const eig = topEigenvector(op, d, rng, EIGEN);
      return { ...directionProbe(pos, neg, eig.vector), extra: { eigenvalue: eig.value } };
    }
    case 'lr': {
      if (!labels) throw new ProbeInputError('method lr is supervised: training labels are required');
      const fit = lrFit(pos, neg, labels, { C: num(opts, 'C', 1, (v) => v > 0), maxIter: num(opts, 'max_iter', 100, (v) => Number.isInteger(v) && v >= 1), tol: num(opts, 'tol', 1e-4, (v) => v > 0) });
      const s = norm(fit.theta) || 1;
      return { kind: 'linear', direction: Array.from(fit.theta, (t) => t / s), scale: s, bias_pos: fit.bias, bias_neg: fit.bias, extra: { iterations: fit.iterations } };
    }
    case 'mass-mean': {
      // Marks & Tegmark 2023, §4: θ = μ_true − μ_false; with pairs that is mean of ±δ by label.
      if (!labels) throw new ProbeInputError('method mass-mean is supervised: training labels are required');
      const delta = differences(pos, neg);
      const c = Float64Array.from(labels, (y) => (y ? 1 : -1) / labels.length);
      const w = unit(addRowsT(delta, c, new Float64Array(d)));
      return directionProbe(pos, neg, w);
    }
    default:
      throw new ProbeInputError(`unknown method "${method as string}"`);
  }
}
