/**
 * The one estimator interface, scikit-learn style: hyper-parameters up front
 * (`new Probe(method, options, normalize, seed)`), `fit` on training pairs, then
 * `predictProba` (p̃ per pair), `predict` (0/1) and `score` (Metrics). The learnt state,
 * normaliser included, is the plain JSON object `toJSON()` returns and `Probe.fromJSON`
 * restores; nothing else is needed to score new data. The methods themselves are the
 * registry's estimators (registry.ts).
 */
import type { Mat } from '../tensor.ts';
import type { ContrastData, Metrics, MethodName, NormalizeMode, SerializedProbe } from './types.ts';
import { NORMALIZE_MODES } from './types.ts';
import type { Fitted, ResolvedOptions, Sides } from './estimator.ts';
import { ProbeInputError } from './errors.ts';
import { checkPairs, fitNormalizer, normalizeInPlace, uploadPairs } from './normalize.ts';
import { estimatorFor, resolveOptions } from './registry.ts';
import { LayerContext, evalSplit, type EvalSplit } from './context.ts';
import { sigmoid } from './kernels.ts';
import { linearSides } from './linear.ts';
import { nmfTransformSplit } from './nmf.ts';
import { rngFor } from './random.ts';
import { scoreSides, type ScoreOptions } from './score.ts';
import { withScratchWorkspace } from './workspace.ts';

export type { Sides };

type ProbeShape = Pick<SerializedProbe, 'kind' | 'direction' | 'scale' | 'bias_pos' | 'bias_neg' | 'components'>;

/**
 * NMF's pair-level score: which component dominates, as a bounded margin. NMF is not linear
 * in x, so both sides get σ(±s/2) and p̃ = σ(s/2); its consistency loss is 0 by construction.
 */
function nmfSides(p: ProbeShape, W: Float64Array): Sides {
  const n = W.length / 2;
  const pPos = new Float64Array(n);
  const pNeg = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w0 = W[2 * i], w1 = W[2 * i + 1];
    const s = (4 * (w0 - w1)) / (w0 + w1 + 1e-12);
    pPos[i] = sigmoid(s / 2);
    pNeg[i] = sigmoid(-s / 2);
  }
  return { pPos, pNeg };
}

/** Per-side probabilities of a fitted probe on already-normalised pairs. */
export function probeSides(p: ProbeShape, pos: Mat, neg: Mat): Sides {
  // The same float32 kernels as fitMethods' scoring, so a stored probe reproduces its scores exactly.
  return withScratchWorkspace((ws) => {
    const stacked = ws.upload([pos, neg]);
    if (p.kind === 'nmf') {
      const n = pos.rows;
      const delta = ws.subtract(ws.rowsOf(stacked, 0, n), ws.rowsOf(stacked, n, n));
      return nmfSides(p, nmfTransformSplit(ws, ws.splitSign(delta), pos.cols, components(p)));
    }
    return linearSides(ws, stacked, pos.rows, p);
  });
}

const components = (p: ProbeShape) => p.components!.map((h) => Float64Array.from(h));

/** probeSides on a split already resident in a context's workspace. */
export function evalSides(p: ProbeShape, split: EvalSplit): Sides {
  if (p.kind === 'nmf') return nmfSides(p, nmfTransformSplit(split.ws, split.splitSign(), split.d, components(p)));
  return linearSides(split.ws, split.stacked, split.n, p);
}

/** p̃ = ½(p(x⁺) + 1 − p(x⁻)) (Burns et al. 2022, eq. 3). */
export function pairScores(s: Sides): Float64Array {
  return s.pPos.map((a, i) => 0.5 * (a + 1 - s.pNeg[i]));
}

export class Probe {
  state: SerializedProbe | null = null;
  fitted: Fitted | null = null;
  private readonly resolved: ResolvedOptions;

  constructor(
    readonly method: MethodName,
    readonly options: Record<string, unknown> = {},
    readonly normalize: NormalizeMode = 'burns',
    readonly seed = 0,
  ) {
    estimatorFor(method);
    if (!NORMALIZE_MODES.includes(normalize)) throw new ProbeInputError(`unknown normalisation "${normalize}" (one of ${NORMALIZE_MODES.join(', ')})`);
    if (!Number.isSafeInteger(seed)) throw new ProbeInputError(`seed must be an integer, got ${seed}`);
    this.resolved = resolveOptions(method, options);
  }

  static fromJSON(state: SerializedProbe): Probe {
    if (!state || typeof state.method !== 'string' || !state.normalizer || !Array.isArray(state.direction)) {
      throw new ProbeInputError('not a serialised probe (needs method, normalizer and direction)');
    }
    const p = new Probe(state.method, state.options, state.normalizer.mode);
    p.state = state;
    return p;
  }

  fit(train: ContrastData): this {
    checkPairs(train, 'train', undefined, false);
    const est = estimatorFor(this.method);
    if (est.supervised && !train.labels) throw new ProbeInputError(`method ${this.method} is supervised: training labels are required`);
    const ctx = new LayerContext({ train, normalize: this.normalize, seed: this.seed });
    try {
      const data = ctx.train(this.resolved.clusters as number);
      this.fitted = est.fit(data, this.resolved, rngFor(this.seed, `method:${this.method}`));
      const { restarts: _r, trainSides: _s, ...rest } = this.fitted;
      this.state = { method: this.method, options: this.options, normalizer: data.normalizer, ...rest };
    } finally {
      ctx.dispose();
    }
    return this;
  }

  toJSON(): SerializedProbe {
    return this.fittedState();
  }

  private fittedState(): SerializedProbe {
    if (!this.state) throw new ProbeInputError('probe is not fitted: call fit() first');
    return this.state;
  }

  /** Per-side probabilities; `selfNormalize` fits the normaliser on `data` itself (transductive). */
  sides(data: ContrastData, selfNormalize = false): Sides {
    const state = this.fittedState();
    // Normalised and scored in a workspace, by the same kernels as fitMethods' reports.
    return withScratchWorkspace((ws) => {
      const X = uploadPairs(ws, data, 'data', state.normalizer.d);
      const normalizer = selfNormalize
        ? fitNormalizer(state.normalizer.mode, data, rngFor(this.seed, 'normalize'), this.resolved.clusters as number)
        : state.normalizer;
      return evalSides(state, evalSplit(ws, normalizeInPlace(ws, X, normalizer, data)));
    });
  }

  predictProba(data: ContrastData): Float64Array {
    return pairScores(this.sides(data));
  }

  predict(data: ContrastData): Int8Array {
    return Int8Array.from(this.predictProba(data), (p) => (p > 0.5 ? 1 : 0));
  }

  score(data: ContrastData, opts: ScoreOptions = {}): Metrics {
    return scoreSides(this.sides(data), data.labels, { seed: this.seed, ...opts });
  }
}
