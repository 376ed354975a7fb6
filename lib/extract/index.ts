/** Activation extraction: the child-process client most callers want, and its parts. */
export { ExtractionClient, ExtractionAbortError } from './client.ts';
export { ExtractionEngine, type EngineOptions, type LayerResult } from './engine.ts';
export { loadModelTokenizer } from './session.ts';
export { ExtractInputError, type ExtractRequest, type ExtractStats, type Pooling, type Provider } from './types.ts';
export { extractCached, type CachedExtractResult } from '../../services/extraction.ts';
