/**
 * The one estimator interface, scikit-learn style: hyper-parameters up front
 * (`new Probe(method, options, normalize, seed)`), `fit` on training pairs, then
 * `predictProba` (p̃ per pair), `predict` (0/1) and `score` (Metrics). The learnt state,
 * normaliser included, is the plain JSON object `toJSON()` returns and `Probe.fromJSON`
 * restores; nothing else is needed to score new data.
 */
import type { Mat } from '../tensor.ts';
import type { ContrastData, Metrics, MethodName, NormalizeMode, SerializedProbe } from './types.ts';
import { METHODS, NORMALIZE_MODES } from './types.ts';
import { ProbeInputError } from './errors.ts';
import { applyNormalizer, checkPairs, fitNormalizer } from './normalize.ts';
import { checkOptions, fitMethod, type Fitted } from './methods.ts';
import { differences, projectRows, sigmoid } from './kernels.ts';
import { nmfTransform } from './nmf.ts';
import { rngFor } from './random.ts';
import { scoreSides, type ScoreOptions } from './score.ts';

export interface Sides { pPos: Float64Array; pNeg: Float64Array }

/** Per-side probabilities of a fitted probe on already-normalised pairs. */
export function probeSides(p: Pick<SerializedProbe, 'kind' | 'direction' | 'scale' | 'bias_pos' | 'bias_neg' | 'components'>, pos: Mat, neg: Mat): Sides {
  if (p.kind === 'nmf') {
    // Pair-level score: which component dominates, as a bounded margin. NMF is not linear in
    // x, so both sides get σ(±s/2) and p̃ = σ(s/2); its consistency loss is 0 by construction.
    const H = p.components!.map((h) => Float64Array.from(h));
    const W = nmfTransform(differences(pos, neg), H);
    const pPos = new Float64Array(pos.rows);
    const pNeg = new Float64Array(pos.rows);
    for (let i = 0; i < pos.rows; i++) {
      const w0 = W[2 * i], w1 = W[2 * i + 1];
      const s = (4 * (w0 - w1)) / (w0 + w1 + 1e-12);
      pPos[i] = sigmoid(s / 2);
      pNeg[i] = sigmoid(-s / 2);
    }
    return { pPos, pNeg };
  }
  const w = Float64Array.from(p.direction);
  const up = projectRows(pos, w);
  const un = projectRows(neg, w);
  // p(x) = σ(θᵀx + b) with θ = scale·direction (Burns et al. 2022, §2.2).
  return {
    pPos: up.map((u) => sigmoid(p.scale * u + p.bias_pos)),
    pNeg: un.map((u) => sigmoid(p.scale * u + p.bias_neg)),
  };
}

/** p̃ = ½(p(x⁺) + 1 − p(x⁻)) (Burns et al. 2022, eq. 3). */
export function pairScores(s: Sides): Float64Array {
  return s.pPos.map((a, i) => 0.5 * (a + 1 - s.pNeg[i]));
}

export class Probe {
  state: SerializedProbe | null = null;
  fitted: Fitted | null = null;

  constructor(
    readonly method: MethodName,
    readonly options: Record<string, unknown> = {},
    readonly normalize: NormalizeMode = 'burns',
    readonly seed = 0,
  ) {
    if (!METHODS.includes(method)) throw new ProbeInputError(`unknown method "${method}" (one of ${METHODS.join(', ')})`);
    if (!NORMALIZE_MODES.includes(normalize)) throw new ProbeInputError(`unknown normalisation "${normalize}" (one of ${NORMALIZE_MODES.join(', ')})`);
    if (!Number.isSafeInteger(seed)) throw new ProbeInputError(`seed must be an integer, got ${seed}`);
    checkOptions(method, options);
  }

  static fromJSON(state: SerializedProbe): Probe {
    if (!state || !METHODS.includes(state.method) || !state.normalizer || !Array.isArray(state.direction)) {
      throw new ProbeInputError('not a serialised probe (needs method, normalizer and direction)');
    }
    const p = new Probe(state.method, state.options, state.normalizer.mode);
    p.state = state;
    return p;
  }

  fit(train: ContrastData): this {
    checkPairs(train, 'train');
    const clusters = this.options.clusters ?? 2;
    if (typeof clusters !== 'number' || !Number.isInteger(clusters) || clusters < 1) throw new ProbeInputError(`option clusters: must be a positive integer`);
    const normalizer = fitNormalizer(this.normalize, train, rngFor(this.seed, 'normalize'), clusters);
    const { pos, neg } = applyNormalizer(normalizer, train);
    this.fitted = fitMethod(this.method, this.options, pos, neg, train.labels, rngFor(this.seed, `method:${this.method}`));
    const { restarts: _r, ...rest } = this.fitted;
    this.state = { method: this.method, options: this.options, normalizer, ...rest };
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
    checkPairs(data, 'data', state.normalizer.d);
    const normalizer = selfNormalize
      ? fitNormalizer(state.normalizer.mode, data, rngFor(this.seed, 'normalize'), (this.options.clusters as number) ?? 2)
      : state.normalizer;
    const { pos, neg } = applyNormalizer(normalizer, data);
    return probeSides(state, pos, neg);
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
