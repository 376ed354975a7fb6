/**
 * The entry points the workers and the CLI call: fit one method on a training split, score it
 * on train and test, and compare two fits. Pure: arrays in, numbers out.
 */
import type { ContrastData, FitReport, FitRequest } from './types.ts';
import { ProbeInputError } from './errors.ts';
import { Probe, probeSides, pairScores } from './probe.ts';
import { applyNormalizer, checkPairs, fitNormalizer } from './normalize.ts';
import { oracleAccuracy } from './metrics.ts';
import { scoreSides, signFromLabelled } from './score.ts';
import { rngFor } from './random.ts';
import type { SerializedProbe } from './types.ts';

export function fitAndEvaluate(req: FitRequest): FitReport {
  const signK = req.signK ?? 8;
  const bootstrap = req.bootstrap ?? 1000;
  if (!Number.isInteger(signK) || signK < 0) throw new ProbeInputError(`signK must be a non-negative integer, got ${signK}`);
  if (!Number.isInteger(bootstrap) || bootstrap < 0) throw new ProbeInputError(`bootstrap must be a non-negative integer, got ${bootstrap}`);
  const probe = new Probe(req.method, req.options ?? {}, req.normalize, req.seed);
  if (req.test) checkPairs(req.test, 'test', req.train.pos.cols);
  const t0 = performance.now();
  probe.fit(req.train);
  const fitSeconds = (performance.now() - t0) / 1000;
  const state = probe.toJSON();

  const trainSides = probe.sides(req.train);
  const trainScores = pairScores(trainSides);
  const sign = signFromLabelled(trainScores, req.train.labels, signK, req.seed);
  const train = scoreSides(trainSides, req.train.labels, { seed: req.seed, sign, bootstrap, split: 'train' });
  let test = null;
  let testScores = trainScores;
  if (req.test) {
    const testSides = probe.sides(req.test, req.transductive ?? false);
    testScores = pairScores(testSides);
    test = scoreSides(testSides, req.test.labels, { seed: req.seed, sign, bootstrap, split: 'test' });
  }

  const report: FitReport = {
    method: req.method, seed: req.seed, fit_seconds: fitSeconds, probe: state,
    direction: Float32Array.from(state.direction), train, test, test_scores: testScores,
  };
  const restarts = probe.fitted?.restarts;
  if (restarts) {
    // Every restart's loss and train accuracy, so a user sees how often CCS finds the truth.
    const { pos, neg } = applyNormalizer(state.normalizer, req.train);
    report.restarts = restarts.map((r) => {
      const s = norm(r.theta);
      const sides = probeSides({ kind: 'linear', direction: Array.from(r.theta, (t) => t / (s || 1)), scale: s, bias_pos: r.bias, bias_neg: r.bias }, pos, neg);
      return { loss: r.loss, accuracy: req.train.labels ? oracleAccuracy(pairScores(sides), req.train.labels) : null };
    });
  }
  return report;
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
