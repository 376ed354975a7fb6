/**
 * Method options as a job may set them, checked at submission so that a job the fit stage
 * would refuse, or one that would run for days (`epochs: 1e12`), never gets a 202. The one
 * source of the names, defaults and bounds is each method's estimator (registry.ts, every
 * bound chosen with the admission budgets in mind: docs/limits.md); openapi.yaml states the
 * same bounds (test/unit/job-bounds.test.ts keeps the two equal).
 */
import { COMMON_OPTIONS, estimatorFor, optionSchema, resolveOptions } from './registry.ts';
import { ProbeInputError } from './errors.ts';
import { METHODS, type MethodName, type OptionSpec } from './types.ts';

export type OptionBound =
  | { type: 'integer'; minimum: number; maximum: number; default?: number }
  | { type: 'number'; minimum: number; maximum: number; exclusiveMinimum?: boolean; default?: number }
  | { type: 'enum'; values: readonly string[]; default?: string };

function bound(spec: OptionSpec): OptionBound {
  if (spec.type === 'string') return { type: 'enum', values: spec.enum, default: spec.default };
  if (spec.type === 'integer') return { type: 'integer', minimum: spec.minimum, maximum: spec.maximum, default: spec.default_by ? undefined : spec.default };
  return { type: 'number', minimum: spec.minimum, maximum: spec.maximum, ...(spec.exclusive_minimum ? { exclusiveMinimum: true } : {}), default: spec.default_by ? undefined : spec.default };
}

/** Options every method takes (the `cluster` normaliser's k). */
export const COMMON_OPTION_BOUNDS: Record<string, OptionBound> = Object.fromEntries(Object.entries(COMMON_OPTIONS).map(([k, v]) => [k, bound(v)]));

/** Per method, its own options' types and ranges, as its estimator declares them. */
export const OPTION_BOUNDS: Record<MethodName, Record<string, OptionBound>> = Object.fromEntries(
  METHODS.map((m) => [m, Object.fromEntries(Object.entries(estimatorFor(m).options).map(([k, v]) => [k, bound(v)]))]),
) as Record<MethodName, Record<string, OptionBound>>;

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
  const known = { ...OPTION_BOUNDS[method], ...COMMON_OPTION_BOUNDS };
  for (const [name, value] of Object.entries(options)) {
    const b = known[name];
    if (!b) throw new ProbeInputError(`method ${method} has no option "${name}" (known: ${Object.keys(known).join(', ')})`);
    if (value !== undefined && value !== null && !fits(b, value)) {
      throw new ProbeInputError(`method_options.${method}.${name} must be ${describe(b)}, got ${JSON.stringify(value)}`);
    }
  }
  resolveOptions(method, options); // the estimator's own checks (none beyond these today)
}

/** An option's value for a job: what was given, else its default (what the cost estimate reads). */
export function optionValue(method: MethodName, options: Record<string, unknown> | undefined, name: string): unknown {
  const v = options?.[name];
  if (v !== undefined && v !== null) return v;
  const spec = optionSchema(method)[name];
  if (!spec) return undefined;
  if (spec.type !== 'string' && spec.default_by) {
    const by = String(optionValue(method, options, spec.default_by.option));
    return spec.default_by.values[by] ?? spec.default;
  }
  return spec.default;
}
