/**
 * Method options as a job may set them: names (methods.ts `checkOptions`), and the type and
 * range of every value, checked when the job is submitted so that a job the fit stage
 * would refuse, or one that would run for days (`epochs: 1e12`), never gets a 202. The
 * bounds are also in openapi.yaml (test/unit/job-bounds.test.ts keeps the two equal) and in
 * docs/limits.md.
 *
 * One entry point, `validateMethodOptions`: when estimators declare their own options with
 * defaults and bounds (the estimator registry), it reads them from there instead of
 * OPTION_BOUNDS.
 */
import { checkOptions } from './methods.ts';
import { ProbeInputError } from './errors.ts';
import type { MethodName } from './types.ts';

export type OptionBound =
  | { type: 'integer'; minimum: number; maximum: number; default?: number }
  | { type: 'number'; minimum: number; maximum: number; exclusiveMinimum?: boolean; default?: number }
  | { type: 'enum'; values: readonly string[]; default?: string };

/** Options every method takes (the `cluster` normaliser's k). */
export const COMMON_OPTION_BOUNDS: Record<string, OptionBound> = {
  clusters: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
};

/** Per method, every option's type and range, with the defaults methods.ts applies. */
export const OPTION_BOUNDS: Record<MethodName, Record<string, OptionBound>> = {
  ccs: {
    loss: { type: 'enum', values: ['burns', 'symmetric'], default: 'burns' },
    restarts: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    optimizer: { type: 'enum', values: ['lbfgs', 'adam'], default: 'lbfgs' },
    // Default 100 for L-BFGS, 1000 for Adam (Burns et al. 2022).
    epochs: { type: 'integer', minimum: 1, maximum: 10_000 },
    lr: { type: 'number', minimum: 0, maximum: 10, exclusiveMinimum: true, default: 1e-3 },
    weight_decay: { type: 'number', minimum: 0, maximum: 10 },
    init: { type: 'enum', values: ['torch', 'normal'], default: 'torch' },
  },
  crc: {},
  pca: {},
  random: {},
  'mass-mean': {},
  kmeans: {
    n_init: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    max_iter: { type: 'integer', minimum: 1, maximum: 10_000, default: 300 },
  },
  nmf: {
    max_iter: { type: 'integer', minimum: 1, maximum: 10_000, default: 200 },
    tol: { type: 'number', minimum: 0, maximum: 1, default: 1e-4 },
  },
  vinc: {
    w_var: { type: 'number', minimum: 0, maximum: 1000, default: 1 },
    w_neg: { type: 'number', minimum: 0, maximum: 1000, default: 5 },
  },
  lr: {
    C: { type: 'number', minimum: 0, maximum: 1e6, exclusiveMinimum: true, default: 1 },
    max_iter: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
    tol: { type: 'number', minimum: 0, maximum: 1, exclusiveMinimum: true, default: 1e-4 },
  },
};

function describe(b: OptionBound): string {
  if (b.type === 'enum') return `one of ${b.values.join(', ')}`;
  const low = b.type === 'number' && b.exclusiveMinimum ? `(${b.minimum}` : `[${b.minimum}`;
  return `${b.type === 'integer' ? 'an integer' : 'a number'} in ${low}, ${b.maximum}]`;
}

function fits(b: OptionBound, v: unknown): boolean {
  if (b.type === 'enum') return typeof v === 'string' && b.values.includes(v);
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (b.type === 'integer' && !Number.isInteger(v)) return false;
  if (v > b.maximum) return false;
  return b.type === 'number' && b.exclusiveMinimum ? v > b.minimum : v >= b.minimum;
}

/** Throws ProbeInputError (a BadInputError) naming the option, its bounds and the value given. */
export function validateMethodOptions(method: MethodName, options: Record<string, unknown>): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ProbeInputError(`method_options.${method} must be an object`);
  }
  checkOptions(method, options);
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || value === null) continue;
    const bound = OPTION_BOUNDS[method][name] ?? COMMON_OPTION_BOUNDS[name];
    if (bound && !fits(bound, value)) {
      throw new ProbeInputError(`method_options.${method}.${name} must be ${describe(bound)}, got ${JSON.stringify(value)}`);
    }
  }
}

/** An option's value for a job: what was given, else its default (what the cost estimate reads). */
export function optionValue(method: MethodName, options: Record<string, unknown> | undefined, name: string): unknown {
  const v = options?.[name];
  if (v !== undefined && v !== null) return v;
  if (method === 'ccs' && name === 'epochs') return optionValue(method, options, 'optimizer') === 'adam' ? 1000 : 100;
  return (OPTION_BOUNDS[method][name] ?? COMMON_OPTION_BOUNDS[name])?.default;
}
