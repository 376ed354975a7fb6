/**
 * A probing job as the API accepts it, and its normalised form with every default filled
 * in (stored in jobs.spec, read by the workers). Shape validation happens against
 * openapi.yaml; this module adds the defaults and the checks JSON Schema cannot express.
 */
import { BadInputError } from './errors.ts';
import type { MethodName, NormalizeMode } from './probe/types.ts';
import type { Pooling } from './models/types.ts';
import type { Ensembling } from './data/ensemble.ts';
import { validateMethodOptions } from './probe/options.ts';

export const DEFAULT_METHODS: readonly MethodName[] = ['ccs', 'pca', 'nmf', 'kmeans', 'random', 'lr'];

export interface JobRequest {
  model?: string;
  dataset?: string;
  templates?: (string | { id?: string; text: string })[];
  layers?: 'all' | number[];
  pooling?: Pooling;
  methods?: string[];
  method_options?: Record<string, Record<string, unknown>>;
  seeds?: number;
  normalize?: NormalizeMode;
  split?: { train?: number; test?: number; seed?: number };
  controls?: unknown[];
  eval_datasets?: string[];
  ensemble?: Ensembling;
  sign_k?: number;
  bootstrap?: number;
  max_items?: number;
  activations?: string;
}

export interface JobSpec {
  model: string;
  dataset: string;
  templates: (string | { id?: string; text: string })[];
  layers: 'all' | number[];
  pooling: Pooling | null;
  methods: MethodName[];
  method_options: Record<string, Record<string, unknown>>;
  seeds: number;
  normalize: NormalizeMode;
  split: { train: number; test: number; seed: number };
  controls: unknown[];
  eval_datasets: string[];
  ensemble: Ensembling;
  sign_k: number;
  bootstrap: number;
  max_items: number | null;
  /** An uploaded activation set probed instead of running a model (bring your own activations). */
  activations: string | null;
}

export class JobSpecError extends BadInputError {}

export const DEFAULT_MODEL = 'use-lite';

export function normalizeJobRequest(req: JobRequest, known: { methods: readonly string[]; defaultDataset: string }): JobSpec {
  const methods = [...new Set(req.methods ?? DEFAULT_METHODS)] as MethodName[];
  const unknown = methods.filter((m) => !known.methods.includes(m));
  if (unknown.length) throw new JobSpecError(`unknown method(s) ${unknown.join(', ')}; known: ${known.methods.join(', ')}`);
  const split = { train: req.split?.train ?? 0.6, test: req.split?.test ?? 0.4, seed: req.split?.seed ?? 0 };
  if (split.train <= 0 || split.test <= 0 || split.train + split.test > 1 + 1e-9) {
    throw new JobSpecError(`split fractions must be positive and sum to at most 1 (got train ${split.train}, test ${split.test})`);
  }
  if (Array.isArray(req.layers) && new Set(req.layers).size !== req.layers.length) {
    throw new JobSpecError('layers must not repeat');
  }
  for (const [m, options] of Object.entries(req.method_options ?? {})) {
    if (!(methods as string[]).includes(m)) throw new JobSpecError(`method_options given for "${m}", which is not among the job's methods`);
    validateMethodOptions(m as MethodName, options);
  }
  if (req.activations && (req.model || req.dataset || req.templates || req.layers || req.pooling || req.eval_datasets?.length)) {
    throw new JobSpecError('a job on uploaded activations takes no model, dataset, templates, layers, pooling or eval_datasets');
  }
  if (req.activations && (req.controls ?? []).some((c) => ['distractor', 'explicit-opinion', 'template-sensitivity'].includes(typeof c === 'string' ? c : (c as { name?: string })?.name ?? ''))) {
    throw new JobSpecError('controls that change the prompts need a model and a dataset; on uploaded activations only "agreement" applies');
  }
  return {
    model: req.activations ? 'byo' : (req.model ?? DEFAULT_MODEL),
    dataset: req.activations ? `activations:${req.activations}` : (req.dataset ?? known.defaultDataset),
    templates: req.templates ?? [],
    layers: req.layers ?? 'all',
    pooling: req.pooling ?? null,
    methods,
    method_options: req.method_options ?? {},
    seeds: req.seeds ?? 5,
    normalize: req.normalize ?? 'burns',
    split,
    controls: req.controls ?? [],
    eval_datasets: req.eval_datasets ?? [],
    ensemble: req.ensemble ?? 'partial',
    sign_k: req.sign_k ?? 8,
    bootstrap: req.bootstrap ?? 1000,
    max_items: req.max_items ?? null,
    activations: req.activations ?? null,
  };
}
