/**
 * The estimator registry: every method's file declares its name, whether it is supervised,
 * its options (defaults and bounds) and its fit; this module only collects them. Typed as a
 * record over MethodName, so adding a name to types.ts without an estimator (or the reverse)
 * does not compile.
 *
 * For other modules (job validation in the API, `sonde fit`, listings of defaults):
 * `methodCatalog()` lists every method with its option schema, `optionsJsonSchema(m)` gives a
 * JSON Schema for m's `method_options`, `resolveOptions(m, opts)` validates and fills in
 * defaults (a one-line ProbeInputError on an unknown option or an out-of-bounds value).
 */
import type { MethodInfo, MethodName, OptionSchema, OptionSpec } from './types.ts';
import { METHODS } from './types.ts';
import type { Estimator, ResolvedOptions } from './estimator.ts';
import { ProbeInputError } from './errors.ts';
import { ccs } from './ccs.ts';
import { crc, pca } from './pca.ts';
import { kmeans } from './kmeans.ts';
import { nmf } from './nmf.ts';
import { random } from './random-direction.ts';
import { vinc } from './vinc.ts';
import { lr } from './lr.ts';
import { massMean } from './mass-mean.ts';

export const ESTIMATORS: Readonly<Record<MethodName, Estimator>> = {
  ccs, crc, pca, kmeans, nmf, random, vinc, lr, 'mass-mean': massMean,
};

/** Options every method accepts: they configure the normaliser. */
export const COMMON_OPTIONS: OptionSchema = {
  clusters: { type: 'integer', default: 2, minimum: 1, maximum: 64, description: 'cluster normalisation: k-means clusters of the pair means' },
};

export const SUPERVISED: ReadonlySet<MethodName> = new Set(METHODS.filter((m) => ESTIMATORS[m].supervised));
/** Methods that never look at labels (everything but the supervised ceilings). */
export const UNSUPERVISED: ReadonlySet<MethodName> = new Set(METHODS.filter((m) => !ESTIMATORS[m].supervised));

export function estimatorFor(method: string): Estimator {
  const e = (ESTIMATORS as Record<string, Estimator | undefined>)[method];
  if (!e || !Object.hasOwn(ESTIMATORS, method)) throw new ProbeInputError(`unknown method "${method}" (one of ${METHODS.join(', ')})`);
  return e;
}

/** The full option schema of a method (its own options and the common ones). */
export function optionSchema(method: MethodName): OptionSchema {
  return { ...estimatorFor(method).options, ...COMMON_OPTIONS };
}

export function methodCatalog(): MethodInfo[] {
  return METHODS.map((name) => ({ name, supervised: ESTIMATORS[name].supervised, summary: ESTIMATORS[name].summary, options: optionSchema(name) }));
}

/** A JSON Schema (draft 2020-12 subset) for one method's `method_options` object. */
export function optionsJsonSchema(method: MethodName): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(optionSchema(method))) {
    properties[key] = spec.type === 'string'
      ? { type: 'string', enum: [...spec.enum], default: spec.default, description: spec.description }
      : {
        type: spec.type, default: spec.default, maximum: spec.maximum, description: spec.description,
        ...(spec.exclusive_minimum ? { exclusiveMinimum: spec.minimum } : { minimum: spec.minimum }),
      };
  }
  return { type: 'object', additionalProperties: false, properties };
}

function checkValue(method: MethodName, key: string, spec: OptionSpec, v: unknown): number | string {
  const bad = (why: string) => new ProbeInputError(`method ${method}, option ${key}: ${why}, got ${JSON.stringify(v)}`);
  if (spec.type === 'string') {
    if (typeof v !== 'string' || !spec.enum.includes(v)) throw bad(`must be one of ${spec.enum.join(', ')}`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a finite number');
  if (spec.type === 'integer' && !Number.isInteger(v)) throw bad('must be an integer');
  const low = spec.exclusive_minimum ? v <= spec.minimum : v < spec.minimum;
  if (low || v > spec.maximum) throw bad(`must be in ${spec.exclusive_minimum ? '(' : '['}${spec.minimum}, ${spec.maximum}]`);
  return v;
}

/** Validated options with every default filled in; throws a one-line ProbeInputError. */
export function resolveOptions(method: MethodName, options: Record<string, unknown> = {}): ResolvedOptions {
  const schema = optionSchema(method);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ProbeInputError(`method ${method}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(schema, key)) throw new ProbeInputError(`method ${method} has no option "${key}" (known: ${Object.keys(schema).join(', ')})`);
  }
  const out: Record<string, number | string> = {};
  // Plain values first, so defaults that depend on another option can read it.
  for (const [key, spec] of Object.entries(schema)) {
    const v = options[key];
    if (v !== undefined && v !== null) out[key] = checkValue(method, key, spec, v);
    else if (spec.type === 'string' || !spec.default_by) out[key] = spec.default;
  }
  for (const [key, spec] of Object.entries(schema)) {
    if (key in out || spec.type === 'string' || !spec.default_by) continue;
    const by = String(out[spec.default_by.option]);
    out[key] = spec.default_by.values[by] ?? spec.default;
  }
  return out;
}
