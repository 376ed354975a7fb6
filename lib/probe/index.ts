/** The probe library's public surface: pure functions and the estimator, no I/O. */
export { METHODS, UNSUPERVISED, NORMALIZE_MODES } from './types.ts';
export type { MethodName, NormalizeMode, ContrastData, FitRequest, Metrics, FitReport, SerializedProbe, NormalizerState } from './types.ts';
export { ProbeInputError } from './errors.ts';
export { fitAndEvaluate, predictScores, agreement } from './evaluate.ts';
export { Probe, pairScores, probeSides } from './probe.ts';
export { oracleAccuracy, auroc, ece, calibratedAccuracy, accuracyAt, bootstrapCi } from './metrics.ts';
export { ccsLossParts, type CcsLoss } from './ccs.ts';
export { fitNormalizer, applyNormalizer } from './normalize.ts';
export { kmeansFit } from './kmeans.ts';
export { nmfFit, nmfTransform } from './nmf.ts';
export { rngFor, type Rng } from './random.ts';
