/**
 * The shared work of one layer and seed split. Every method fitted on a split needs the same
 * normalised sides, most need the differences δ, several the same statistics or the same top
 * principal component, and all of them the data resident in the SIMD kernels' memory; the
 * context computes each of these once, when a method first asks, and hands the same values
 * to the next. Results equal fitting each method alone (fitAndEvaluate is fitMethods with one
 * method): shared quantities are deterministic and use their own random streams, never a
 * method's.
 */
import type { Mat } from '../tensor.ts';
import type { ContrastData, NormalizeMode, NormalizerState } from './types.ts';
import type { DeltaStats, FitData } from './estimator.ts';
import { fitNormalizer, normalizeInPlace, uploadPairs } from './normalize.ts';
import { topEigenvector, type EigenResult } from './eigen.ts';
import { rngFor } from './random.ts';
import { resampleCounts } from './metrics.ts';
import { bootstrapRng } from './score.ts';
import { Workspace, type Block } from './workspace.ts';

/** Lanczos settings: the SIMD passes accumulate in float32, so ask for a float32-sized residual. */
const EIGEN = { tol: 1e-5, restarts: 10 };

/** Rows [from, from + rows) of a resident block as a Mat: a view of workspace memory when unpadded, else a copy. */
function matOf(ws: Workspace, b: Block, from: number, rows: number): Mat {
  const part = ws.rowsOf(b, from, rows);
  const view = ws.matView(part);
  if (view) return view;
  const data = new Float32Array(rows * b.cols);
  const f = ws.f32;
  for (let i = 0; i < rows; i++) data.set(f.subarray((part.off >>> 2) + i * b.ld, (part.off >>> 2) + i * b.ld + b.cols), i * b.cols);
  return { rows, cols: b.cols, data };
}

class TrainSplit implements FitData {
  readonly n: number;
  readonly d: number;
  private cache = new Map<string, unknown>();

  /** `sides`: the normalised training pairs [x̃⁺; x̃⁻], resident. */
  constructor(readonly ws: Workspace, readonly normalizer: NormalizerState, readonly sides: Block, readonly labels: Int8Array | undefined, private readonly seed: number) {
    this.n = sides.rows / 2;
    this.d = sides.cols;
  }

  get pos(): Mat {
    return this.once('pos', () => matOf(this.ws, this.sides, 0, this.n));
  }

  get neg(): Mat {
    return this.once('neg', () => matOf(this.ws, this.sides, this.n, this.n));
  }

  /** Column means of x̃⁺ and x̃⁻ (weighted row sums in SIMD). */
  sideMeans(): { pos: Float64Array; neg: Float64Array } {
    return this.once('sideMeans', () => {
      const w = new Float64Array(this.n).fill(1 / this.n);
      return {
        pos: this.ws.addRowsT(this.ws.rowsOf(this.sides, 0, this.n), w, new Float64Array(this.d)),
        neg: this.ws.addRowsT(this.ws.rowsOf(this.sides, this.n, this.n), w, new Float64Array(this.d)),
      };
    });
  }

  private once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  sidesT(): Block {
    return this.once('sidesT', () => this.ws.transpose(this.sides));
  }

  gram(): Block {
    return this.once('gram', () => this.ws.gram(this.sides));
  }

  /** δ as a Mat: a view of the resident block when its rows are unpadded, else a copy. */
  delta(): Mat {
    return this.once('delta', () => matOf(this.ws, this.deltaBlock(), 0, this.n));
  }

  /** δ computed in the workspace from the resident sides (one SIMD pass). */
  deltaBlock(): Block {
    return this.once('deltaBlock', () => this.ws.subtract(this.ws.rowsOf(this.sides, 0, this.n), this.ws.rowsOf(this.sides, this.n, this.n)));
  }

  /** Split-sign rows [max(δ, 0) | max(−δ, 0)] (NMF). */
  splitSign(): Block {
    return this.once('splitSign', () => this.ws.splitSign(this.deltaBlock()));
  }

  /** Column means of δ (a weighted row sum in SIMD). */
  deltaMean(): Float64Array {
    return this.once('deltaMean', () => this.ws.addRowsT(this.deltaBlock(), new Float64Array(this.n).fill(1 / this.n), new Float64Array(this.d)));
  }

  deltaStats(): DeltaStats {
    return this.once('deltaStats', () => {
      const { n, d } = this;
      const x = this.delta().data;
      const rowNorms = new Float64Array(n);
      const mean = this.deltaMean();
      let sumSq = 0, sumAbs = 0;
      for (let i = 0; i < n; i++) {
        let s = 0, a = 0;
        for (let k = 0, o = i * d; k < d; k++) {
          const v = x[o + k];
          s += v * v;
          a += Math.abs(v);
        }
        rowNorms[i] = s;
        sumSq += s;
        sumAbs += a;
      }
      let mm = 0;
      for (let k = 0; k < d; k++) mm += mean[k] * mean[k];
      // Σ‖δ_i − μ‖² = Σ‖δ_i‖² − n‖μ‖², in float64 from float32 inputs.
      const meanVar = Math.max(0, sumSq - n * mm) / (n * d);
      return { rowNorms, mean, meanVar, sumSq, sumAbs };
    });
  }

  /**
   * CRC-TPC (Burns et al. 2022, §3.3): top eigenvector of the covariance of δ, as the
   * operator v ↦ (1/n) Δcᵀ Δc v in one fused pass per step (never the d × d matrix).
   */
  topComponent(): EigenResult {
    return this.once('topComponent', () => {
      const { ws, n, d } = this;
      const X = this.deltaBlock();
      const mu = this.deltaMean();
      const V = ws.alloc(X.ld), G = ws.alloc(X.ld), P = ws.alloc(n);
      const op = (v: Float64Array, out: Float64Array) => {
        let mv = 0;
        for (let k = 0; k < d; k++) mv += mu[k] * v[k];
        ws.write(V, v, d);
        ws.zero(G, X.ld);
        ws.gram1(X, V, mv, 1 / n, G, P);
        const f = ws.f32;
        let s = 0;
        for (let i = 0, p = P >>> 2; i < n; i++) s += f[p + i];
        for (let k = 0, g = G >>> 2; k < d; k++) out[k] = f[g + k] - s * mu[k];
      };
      return topEigenvector(op, d, rngFor(this.seed, 'eigen:delta-covariance'), EIGEN);
    });
  }

  project(w: ArrayLike<number>): { up: Float64Array; un: Float64Array } {
    const u = this.ws.dots(this.sides, w, new Float64Array(2 * this.n));
    return { up: u.subarray(0, this.n), un: u.subarray(this.n) };
  }
}

/** An evaluation split, normalised as a fitted probe would normalise it. */
export interface EvalSplit {
  n: number;
  d: number;
  labels?: Int8Array;
  /** [x̃⁺; x̃⁻] resident in the context's workspace. */
  stacked: Block;
  ws: Workspace;
  /** Split-sign rows of δ (NMF's scoring), computed on first use. */
  splitSign(): Block;
}

/** Normalised pairs resident as [x̃⁺; x̃⁻], as an evaluation split. */
export function evalSplit(ws: Workspace, stacked: Block, labels?: Int8Array): EvalSplit {
  const n = stacked.rows / 2;
  let split: Block | null = null;
  return {
    n, d: stacked.cols, labels, stacked, ws,
    splitSign: () => (split ??= ws.splitSign(ws.subtract(ws.rowsOf(stacked, 0, n), ws.rowsOf(stacked, n, n)))),
  };
}

export interface ContextOptions {
  train: ContrastData;
  test?: ContrastData;
  normalize: NormalizeMode;
  seed: number;
  transductive?: boolean;
  threads?: number;
}

// One spare workspace is kept between contexts, so a worker fitting split after split
// reuses one block of memory instead of allocating (and garbage-collecting) one per split.
let spare: Workspace | null = null;

export class LayerContext {
  readonly ws: Workspace;
  private trains = new Map<number, TrainSplit>();
  private tests = new Map<number, EvalSplit>();

  constructor(readonly opts: ContextOptions) {
    const threads = Math.max(1, Math.floor(opts.threads ?? 1));
    if (spare && spare.threads === threads) {
      this.ws = spare;
      spare = null;
      this.ws.reset();
    } else {
      this.ws = new Workspace({ threads });
    }
  }

  /** Normalisation depends on the method options only through `clusters` (cluster mode). */
  private key(clusters: number): number {
    return this.opts.normalize === 'cluster' ? clusters : 0;
  }

  train(clusters: number): TrainSplit {
    const key = this.key(clusters);
    let t = this.trains.get(key);
    if (!t) {
      const { train, normalize, seed } = this.opts;
      // Upload and screen first (a NaN row is reported before it reaches the statistics).
      const X = uploadPairs(this.ws, train, 'train');
      const normalizer = fitNormalizer(normalize, train, rngFor(seed, 'normalize'), clusters);
      t = new TrainSplit(this.ws, normalizer, normalizeInPlace(this.ws, X, normalizer, train), train.labels, seed);
      this.trains.set(key, t);
    }
    return t;
  }

  /** The test split normalised with the training statistics (or its own, when transductive). */
  test(clusters: number): EvalSplit | null {
    const { test, normalize, seed, transductive } = this.opts;
    if (!test) return null;
    const key = this.key(clusters);
    let e = this.tests.get(key);
    if (!e) {
      const trainNormalizer = this.train(clusters).normalizer;
      const X = uploadPairs(this.ws, test, 'test', trainNormalizer.d);
      const normalizer = transductive ? fitNormalizer(normalize, test, rngFor(seed, 'normalize'), clusters) : trainNormalizer;
      e = evalSplit(this.ws, normalizeInPlace(this.ws, X, normalizer, test), test.labels);
      this.tests.set(key, e);
    }
    return e;
  }

  /** The training split as an evaluation split (its blocks are already resident). */
  trainEval(clusters: number): EvalSplit {
    const t = this.train(clusters);
    return { n: t.n, d: t.d, labels: t.labels, stacked: t.sides, ws: this.ws, splitSign: () => t.splitSign() };
  }

  private draws = new Map<string, Uint16Array>();

  /** Bootstrap multiplicities for a split, drawn once and shared by every method scored on it. */
  bootstrapDraws(split: 'train' | 'test', n: number, resamples: number): Uint16Array | undefined {
    if (resamples <= 0) return undefined;
    const key = `${split}:${n}:${resamples}`;
    let d = this.draws.get(key);
    if (!d) this.draws.set(key, (d = resampleCounts(n, resamples, bootstrapRng(this.opts.seed, split))));
    return d;
  }

  /** Hands the workspace back for the next context; nothing of this one may be used afterwards. */
  dispose(): void {
    this.trains.clear();
    this.tests.clear();
    if (!spare) spare = this.ws;
    else this.ws.dispose();
  }
}
