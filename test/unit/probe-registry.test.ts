/**
 * The estimator registry: every method declares its options with defaults and bounds, the
 * schema is a real JSON Schema another module can validate `method_options` with, and bad
 * options are one-line ProbeInputErrors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import {
  ESTIMATORS, METHODS, ProbeInputError, SUPERVISED, UNSUPERVISED, methodCatalog, optionSchema, optionsJsonSchema, resolveOptions,
} from '../../lib/probe/index.ts';

const rejects = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof ProbeInputError && pattern.test(e.message) && !e.message.includes('\n'), String(pattern));

test('every method name has exactly one estimator, and the catalogue lists them all', () => {
  assert.deepEqual(Object.keys(ESTIMATORS).sort(), [...METHODS].sort());
  for (const m of METHODS) assert.equal(ESTIMATORS[m].name, m);
  const catalog = methodCatalog();
  assert.deepEqual(catalog.map((c) => c.name), [...METHODS]);
  assert.deepEqual([...SUPERVISED].sort(), ['lr', 'mass-mean']);
  assert.ok(UNSUPERVISED.has('ccs') && !UNSUPERVISED.has('lr'));
  assert.ok(catalog.every((c) => c.summary.length > 10 && 'clusters' in c.options));
});

test('every numeric option is bounded and its default is inside the bounds', () => {
  for (const m of METHODS) {
    for (const [key, spec] of Object.entries(optionSchema(m))) {
      if (spec.type === 'string') {
        assert.ok(spec.enum.includes(spec.default), `${m}.${key}`);
        continue;
      }
      assert.ok(Number.isFinite(spec.minimum) && Number.isFinite(spec.maximum) && spec.minimum < spec.maximum, `${m}.${key} bounds`);
      for (const v of [spec.default, ...Object.values(spec.default_by?.values ?? {})]) {
        assert.ok(v >= spec.minimum && v <= spec.maximum, `${m}.${key} default ${v}`);
        if (spec.type === 'integer') assert.ok(Number.isInteger(v));
      }
      assert.ok(spec.description.length > 5, `${m}.${key} is documented`);
    }
  }
});

test('resolveOptions fills defaults, including ones that depend on another option', () => {
  const lbfgs = resolveOptions('ccs', {});
  assert.equal(lbfgs.restarts, 10);
  assert.equal(lbfgs.epochs, 100);
  assert.equal(lbfgs.weight_decay, 6e-5);
  const adam = resolveOptions('ccs', { optimizer: 'adam' });
  assert.equal(adam.epochs, 1000);
  assert.equal(adam.weight_decay, 0.01);
  assert.equal(resolveOptions('ccs', { optimizer: 'adam', epochs: 5 }).epochs, 5);
  assert.deepEqual(resolveOptions('pca', {}), { clusters: 2 });
  assert.equal(resolveOptions('kmeans', { n_init: 3 }).n_init, 3);
});

test('unknown options and out-of-bounds values are one-line ProbeInputErrors', () => {
  rejects(() => resolveOptions('pca', { foo: 1 }), /method pca has no option "foo"/);
  rejects(() => resolveOptions('ccs', { restarts: 0 }), /restarts: must be in \[1, 100\]/);
  rejects(() => resolveOptions('ccs', { restarts: 101 }), /restarts/);
  rejects(() => resolveOptions('ccs', { restarts: 2.5 }), /restarts: must be an integer/);
  rejects(() => resolveOptions('ccs', { epochs: 1e9 }), /epochs/);
  rejects(() => resolveOptions('ccs', { lr: 0 }), /lr: must be in \(0, 10\]/);
  rejects(() => resolveOptions('ccs', { loss: 'hinge' }), /loss: must be one of burns, symmetric/);
  rejects(() => resolveOptions('ccs', { restarts: '10' }), /restarts: must be a finite number/);
  rejects(() => resolveOptions('lr', { C: -1 }), /C: must be in/);
  rejects(() => resolveOptions('kmeans', { clusters: 0 }), /clusters/);
  rejects(() => resolveOptions('nmf', { tol: Number.NaN }), /tol/);
  rejects(() => resolveOptions('nope' as never, {}), /unknown method "nope"/);
  rejects(() => resolveOptions('ccs', [] as never), /options must be an object/);
});

test('optionsJsonSchema validates method_options the way resolveOptions does', () => {
  const ajv = new Ajv({ strict: false });
  for (const m of METHODS) {
    const validate = ajv.compile(optionsJsonSchema(m));
    assert.ok(validate({}), `${m}: empty options`);
    assert.ok(!validate({ no_such_option: 1 }), `${m}: unknown option rejected`);
  }
  const ccs = ajv.compile(optionsJsonSchema('ccs'));
  assert.ok(ccs({ restarts: 5, loss: 'symmetric', solver: 'gram' }));
  assert.ok(!ccs({ restarts: 0 }));
  assert.ok(!ccs({ restarts: 1.5 }));
  assert.ok(!ccs({ lr: 0 }));
  assert.ok(!ccs({ optimizer: 'sgd' }));
});
