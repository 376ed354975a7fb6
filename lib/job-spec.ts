/**
 * A probing job as the API accepts it, and its normalised form with every default filled
 * in (stored in jobs.spec, read by the workers). Shape validation happens against
 * openapi.yaml; this module adds the defaults and the checks JSON Schema cannot express.
 */
import { BadInputError } from './errors.ts';
import type { MethodName, NormalizeMode } from './probe/types.ts';
import type { Pooling } from './models/types.ts';
import type { Ensembling } from './data/ensemble.ts';
import type { ItemFilter } from './fit/types.ts';

/** The job's split: fractions, seed, optional item filters (a context shift) and stratification. */
export interface SplitSpec {
  train: number;
  test: number;
  seed: number;
  /** Train only on items whose fields match (e.g. {character: "Alice", difficulty: "easy"}). */
  train_where?: ItemFilter | null;
  /** Test only on items whose fields match (e.g. {character: "Bob", difficulty: "hard"}). */
  test_where?: ItemFilter | null;
  /** Stratify the split by label (off by default: a split that reads labels changes unsupervised fits). */
  stratify?: boolean;
}

/** A named set of items scored besides the test split (on its items not trained on). */
export interface EvalSubset {
  name: string;
  where: ItemFilter;
}
import { validateMethodOptions } from './probe/options.ts';

export const DEFAULT_METHODS: readonly MethodName[] = ['ccs', 'pca', 'nmf', 'kmeans', 'random', 'lr'];

/** Calibrated zero-shot (Burns et al. 2022, Table 1): the model's own answer, no probe. */
export const ZERO_SHOT = 'zero-shot' as const;
/** What a job may list in `methods`: every probe method, and zero-shot. */
export type JobMethod = MethodName | typeof ZERO_SHOT;

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
  split?: Partial<SplitSpec>;
  eval_subsets?: EvalSubset[];
  /** Mallen et al. 2023's recovered AUROC gap: the evaluation subset of truthful contexts. */
  elk?: { truthful_subset: string } | null;
  /** Whose credences orient the others' signs when there are no labelled training items (default ccs). */
  reference_method?: string;
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
  methods: JobMethod[];
  method_options: Record<string, Record<string, unknown>>;
  seeds: number;
  normalize: NormalizeMode;
  split: SplitSpec;
  eval_subsets: EvalSubset[];
  elk: { truthful_subset: string } | null;
  reference_method: string;
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
  const methods = [...new Set(req.methods ?? DEFAULT_METHODS)] as JobMethod[];
  const unknown = methods.filter((m) => !known.methods.includes(m));
  if (unknown.length) throw new JobSpecError(`unknown method(s) ${unknown.join(', ')}; known: ${known.methods.join(', ')}`);
  const split: SplitSpec = {
    train: req.split?.train ?? 0.6, test: req.split?.test ?? 0.4, seed: req.split?.seed ?? 0,
    train_where: req.split?.train_where ?? null, test_where: req.split?.test_where ?? null, stratify: req.split?.stratify ?? false,
  };
  // With item filters the fractions are of their own pools (lib/fit/subsets.ts: the test
  // draw skips training items), so each may be up to 1; without, they share one pool.
  const filtered = !!(split.train_where || split.test_where);
  if (filtered && !(split.train > 0 && split.train <= 1 && split.test > 0 && split.test <= 1)) {
    throw new JobSpecError(`with train_where/test_where each split fraction is of its own pool and must be in (0, 1] (got train ${split.train}, test ${split.test})`);
  }
  if (!filtered && (split.train <= 0 || split.test <= 0 || split.train + split.test > 1 + 1e-9)) {
    throw new JobSpecError(`split fractions must be positive and sum to at most 1 (got train ${split.train}, test ${split.test})`);
  }
  const subsets = req.eval_subsets ?? [];
  const names = subsets.map((e) => e.name);
  if (names.includes('test') || new Set(names).size !== names.length) throw new JobSpecError('eval_subsets need distinct names, and "test" is the test split\'s own name');
  if (req.elk && !names.includes(req.elk.truthful_subset)) {
    throw new JobSpecError(`elk.truthful_subset "${req.elk.truthful_subset}" must name one of the eval_subsets (${names.join(', ') || 'none given'})`);
  }
  if (req.reference_method !== undefined && !methods.includes(req.reference_method as JobMethod)) {
    throw new JobSpecError(`reference_method "${req.reference_method}" must be one of the job's methods (${methods.join(', ')})`);
  }
  if (req.activations && (req.split?.train_where || req.split?.test_where || subsets.length)) {
    throw new JobSpecError('item filters (split.train_where, split.test_where, eval_subsets) need a dataset with fields; uploaded activations have none');
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
    eval_subsets: subsets,
    elk: req.elk ?? null,
    reference_method: req.reference_method ?? 'ccs',
    controls: req.controls ?? [],
    eval_datasets: req.eval_datasets ?? [],
    ensemble: req.ensemble ?? 'partial',
    sign_k: req.sign_k ?? 8,
    bootstrap: req.bootstrap ?? 1000,
    max_items: req.max_items ?? null,
    activations: req.activations ?? null,
  };
}
