/**
 * The entry points the workers and the CLI call: fit methods on a training split, score them
 * on train and test, and compare two fits. Pure: arrays in, numbers out.
 *
 * `fitMethods` fits several methods on one split through one LayerContext (context.ts), so
 * normalisation, differences, their statistics, the top principal component and the resident
 * data are computed once; `fitAndEvaluate` is the same with one method, so fitting methods
 * together or alone gives the same reports.
 */
import type { ContrastData, FitMethodsRequest, FitReport, FitRequest, MethodName, SerializedProbe } from './types.ts';
import { NORMALIZE_MODES } from './types.ts';
import { ProbeInputError } from './errors.ts';
import { Probe, evalSides, pairScores } from './probe.ts';
import { applyNormalizer, checkPairs, fitNormalizer } from './normalize.ts';
import { oracleAccuracy } from './metrics.ts';
import { scoreSides, signFromLabelled } from './score.ts';
import { rngFor } from './random.ts';
import { estimatorFor, resolveOptions } from './registry.ts';
import { LayerContext } from './context.ts';

export function fitMethods(req: FitMethodsRequest): FitReport[] {
  const signK = req.signK ?? 8;
  const bootstrap = req.bootstrap ?? 1000;
  if (!Number.isInteger(signK) || signK < 0) throw new ProbeInputError(`signK must be a non-negative integer, got ${signK}`);
  if (!Number.isInteger(bootstrap) || bootstrap < 0) throw new ProbeInputError(`bootstrap must be a non-negative integer, got ${bootstrap}`);
  if (!NORMALIZE_MODES.includes(req.normalize)) throw new ProbeInputError(`unknown normalisation "${req.normalize}" (one of ${NORMALIZE_MODES.join(', ')})`);
  if (!Number.isSafeInteger(req.seed)) throw new ProbeInputError(`seed must be an integer, got ${req.seed}`);
  if (req.threads !== undefined && !(Number.isInteger(req.threads) && req.threads >= 1 && req.threads <= 256)) {
    throw new ProbeInputError(`threads must be an integer in [1, 256], got ${req.threads}`);
  }
  // Every option of every method is checked before anything is fitted.
  const plans = req.methods.map((method) => {
    const est = estimatorFor(method);
    const given = req.options?.[method] ?? {};
    return { est, given, opts: resolveOptions(method, given) };
  });
  // Shapes now; NaN/±∞ are screened by a SIMD pass when the context uploads the pairs.
  checkPairs(req.train, 'train', undefined, false);
  if (req.test) checkPairs(req.test, 'test', req.train.pos.cols, false);
  for (const { est } of plans) {
    if (est.supervised && !req.train.labels) throw new ProbeInputError(`method ${est.name} is supervised: training labels are required`);
  }
  const ctx = new LayerContext({ train: req.train, test: req.test, normalize: req.normalize, seed: req.seed, transductive: req.transductive, threads: req.threads });
  try {
    // Normalise (and screen) both splits before the first fit, so bad data fails early.
    for (const { opts } of plans) ctx.test(opts.clusters as number) ?? ctx.train(opts.clusters as number);
    return plans.map((plan) => fitOne(ctx, plan, req.seed, signK, bootstrap));
  } finally {
    ctx.dispose();
  }
}

function fitOne(ctx: LayerContext, plan: { est: ReturnType<typeof estimatorFor>; given: Record<string, unknown>; opts: ReturnType<typeof resolveOptions> }, seed: number, signK: number, bootstrap: number): FitReport {
  const { est, given, opts } = plan;
  const clusters = opts.clusters as number;
  const t0 = performance.now();
  const data = ctx.train(clusters);
  const fitted = est.fit(data, opts, rngFor(seed, `method:${est.name}`));
  const fitSeconds = (performance.now() - t0) / 1000;
  const { restarts, trainSides, ...rest } = fitted;
  const state: SerializedProbe = { method: est.name, options: given, normalizer: data.normalizer, ...rest };

  const labels = data.labels;
  const trainS = trainSides ?? evalSides(state, ctx.trainEval(clusters));
  const trainScores = pairScores(trainS);
  const sign = signFromLabelled(trainScores, labels, signK, seed);
  const train = scoreSides(trainS, labels, { seed, sign, bootstrap, split: 'train', draws: labels && ctx.bootstrapDraws('train', labels.length, bootstrap) });
  let test = null;
  let testSides = trainS;
  let testScores = trainScores;
  const split = ctx.test(clusters);
  if (split) {
    testSides = evalSides(state, split);
    testScores = pairScores(testSides);
    test = scoreSides(testSides, split.labels, { seed, sign, bootstrap, split: 'test', draws: split.labels && ctx.bootstrapDraws('test', split.labels.length, bootstrap) });
  }
  const report: FitReport = {
    method: est.name, seed, fit_seconds: fitSeconds, probe: state,
    direction: Float32Array.from(state.direction), train, test, test_scores: testScores, test_sides: testSides,
  };
  // Every restart's loss and train accuracy, so a user sees how often CCS finds the truth.
  if (restarts) {
    report.restarts = restarts.map((r) => {
      const scores = pairScores(r);
      return { loss: r.loss, accuracy: labels ? oracleAccuracy(scores, labels) : null, iterations: r.iterations, train_scores: scores };
    });
  }
  return report;
}

export function fitAndEvaluate(req: FitRequest): FitReport {
  const { method, options, ...rest } = req;
  return fitMethods({ ...rest, methods: [method], options: { [method]: options ?? {} } as Partial<Record<MethodName, Record<string, unknown>>> })[0];
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

/** p̃ for new pairs from a stored probe (normalised with the probe's training statistics). */
export function predictScores(probe: SerializedProbe, data: ContrastData): Float64Array {
  return Probe.fromJSON(probe).predictProba(data);
}

/**
 * Agreement of two fits on the same evaluation pairs: the fraction of equal predictions,
 * sign-aligned (max(f, 1 − f)) because unsupervised directions have no sign, and the
 * |cosine| between their directions.
 */
export function agreement(a: FitReport, b: FitReport): { prediction_agreement: number; direction_cosine: number } {
  if (a.test_scores.length !== b.test_scores.length) {
    throw new ProbeInputError(`agreement: fits scored ${a.test_scores.length} and ${b.test_scores.length} pairs; they must be scored on the same pairs`);
  }
  if (a.direction.length !== b.direction.length) throw new ProbeInputError(`agreement: directions have ${a.direction.length} and ${b.direction.length} dimensions`);
  let same = 0;
  for (let i = 0; i < a.test_scores.length; i++) if ((a.test_scores[i] > 0.5) === (b.test_scores[i] > 0.5)) same++;
  const f = a.test_scores.length ? same / a.test_scores.length : NaN;
  let dotp = 0;
  for (let k = 0; k < a.direction.length; k++) dotp += a.direction[k] * b.direction[k];
  const na = norm(a.direction);
  const nb = norm(b.direction);
  return { prediction_agreement: Math.max(f, 1 - f), direction_cosine: na && nb ? Math.abs(dotp) / (na * nb) : 0 };
}

export { fitNormalizer, applyNormalizer };
export { rngFor };
