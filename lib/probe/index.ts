/** The probe library's public surface: pure functions, the estimator and its registry, no I/O. */
export { METHODS, NORMALIZE_MODES } from './types.ts';
export type {
  MethodName, NormalizeMode, ContrastData, FitRequest, FitMethodsRequest, Metrics, FitReport, SerializedProbe, NormalizerState,
  OptionSpec, OptionSchema, MethodInfo,
} from './types.ts';
export { ProbeInputError } from './errors.ts';
export { ESTIMATORS, COMMON_OPTIONS, SUPERVISED, UNSUPERVISED, methodCatalog, optionSchema, optionsJsonSchema, resolveOptions } from './registry.ts';
export { fitMethods, fitAndEvaluate, predictScores, agreement } from './evaluate.ts';
export { LayerContext } from './context.ts';
export { Probe, pairScores, probeSides } from './probe.ts';
export { oracleAccuracy, auroc, ece, calibratedAccuracy, accuracyAt, bootstrapCi } from './metrics.ts';
export { ccsLossParts, type CcsLoss } from './ccs.ts';
export { fitNormalizer, applyNormalizer } from './normalize.ts';
export { kmeansFit } from './kmeans.ts';
export { nmfFit, nmfTransform } from './nmf.ts';
export { rngFor, type Rng } from './random.ts';
