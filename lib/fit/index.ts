/** The fit stage's pure core: one layer of one job, from activations to rows. */
export { fitLayer, referenceMethod } from './layer.ts';
export { splitItems, rowsOf, matchItems, itemLabels } from './subsets.ts';
export { seedDiagnostics, predictionAgreement } from './diagnostics.ts';
export * from './types.ts';
