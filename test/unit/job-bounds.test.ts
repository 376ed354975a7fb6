/**
 * The bounds a job is held to (issue 12): method options in code and in openapi.yaml are
 * the same table; splitCounts predicts trainTestSplit's sizes exactly; the text, array and
 * cost checks behave at their edges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpec, deref } from '../../http/spec.ts';
import { COMMON_OPTION_BOUNDS, OPTION_BOUNDS, validateMethodOptions } from '../../lib/probe/options.ts';
import { splitCounts, trainTestSplit } from '../../lib/data/index.ts';
import { textProblem, labelProblem, lineAt } from '../../lib/text.ts';
import { decodeFloat32, decodeLabels } from '../../lib/array-decode.ts';
import { estimateJob } from '../../lib/job-cost.ts';
import { normalizeJobRequest } from '../../lib/job-spec.ts';
import { METHODS } from '../../lib/probe/index.ts';
import { mostSpecific } from '../../http/plugins/errors.ts';
import { mulberry32 } from '../support/rng.ts';

test('openapi.yaml bounds every method option exactly as the estimators declare (lib/probe/options.ts)', () => {
  const spec = loadSpec();
  const schema = deref(spec.components.schemas.JobRequest).properties.method_options;
  assert.equal(schema.additionalProperties, false);
  for (const [method, options] of Object.entries(OPTION_BOUNDS)) {
    const props = schema.properties[method]?.properties;
    assert.ok(props, `openapi.yaml has no method_options.${method}`);
    assert.equal(schema.properties[method].additionalProperties, false, method);
    const all = { ...options, ...COMMON_OPTION_BOUNDS };
    assert.deepEqual(Object.keys(props).sort(), Object.keys(all).sort(), method);
    for (const [name, b] of Object.entries(all)) {
      const p = props[name];
      if (b.type === 'enum') {
        assert.deepEqual(p.enum, [...b.values], `${method}.${name}`);
        continue;
      }
      assert.equal(p.type, b.type, `${method}.${name}`);
      assert.equal(p.maximum, b.maximum, `${method}.${name} maximum`);
      if (b.type === 'number' && b.exclusiveMinimum) assert.equal(p.exclusiveMinimum, b.minimum, `${method}.${name} exclusiveMinimum`);
      else assert.equal(p.minimum, b.minimum, `${method}.${name} minimum`);
    }
  }
});

test('validateMethodOptions names the option, its bounds and the value', () => {
  assert.throws(() => validateMethodOptions('ccs', { epochs: 1e12 }), /method_options\.ccs\.epochs must be an integer in \[1, 10000\], got 1000000000000/);
  assert.throws(() => validateMethodOptions('lr', { C: 0 }), /C must be a number in \[0\.000001, 1000000\]/);
  assert.throws(() => validateMethodOptions('ccs', { optimizer: 'sgd' }), /one of lbfgs, adam/);
  assert.throws(() => validateMethodOptions('pca', { restarts: 2 }), /no option "restarts"/);
  validateMethodOptions('ccs', { restarts: 100, epochs: 10_000, lr: 10, clusters: 64 });
});

test('splitCounts predicts trainTestSplit per stratum', () => {
  const r = mulberry32(3);
  for (let k = 0; k < 200; k++) {
    const n = 2 + Math.floor(r() * 60);
    const labels = Int8Array.from({ length: n }, () => (r() < 0.15 ? -1 : r() < 0.5 ? 0 : 1));
    const train = 0.05 + r() * 0.8;
    const test = Math.min(1 - train, 0.05 + r() * 0.8);
    const strata: Record<string, number> = {};
    for (const y of labels) strata[y] = (strata[y] ?? 0) + 1;
    const c = splitCounts(strata, train, test);
    const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    let split: { train: Int32Array; test: Int32Array } | null = null;
    try {
      split = trainTestSplit(n, { train, test, seed: k, labels });
    } catch {
      assert.ok(total(c.train) === 0 || total(c.test) === 0, 'the split fails exactly when a side is predicted empty');
      continue;
    }
    assert.equal(split.train.length, total(c.train));
    assert.equal(split.test.length, total(c.test));
    for (const y of Object.keys(strata)) assert.equal(Array.from(split.test).filter((i) => String(labels[i]) === y).length, c.test[y]);
  }
});

test('text that Postgres cannot store is found with its position', () => {
  assert.equal(textProblem('fine 😀 text'), null);
  assert.deepEqual(textProblem('ab\u0000c'), { offset: 2, what: 'a NUL character (\\u0000)' });
  assert.match(textProblem('x\ud800')!.what, /lone surrogate/);
  assert.match(textProblem('\udc00x')!.what, /lone surrogate/);
  assert.equal(lineAt('a\nb\nc', 4), 3);
  assert.match(labelProblem('a\u0007')!, /control character/);
  assert.equal(labelProblem('ci runner 😀'), null);
});

test('float data is decoded to float32 with overflow and NaN refused', () => {
  const f64 = new Float64Array([1, -2.5, 3.4e38, 1e39]);
  const bytes = new Uint8Array(f64.buffer);
  assert.throws(() => decodeFloat32(bytes, '<f8', 4, 2, 'pos'), /value 1e\+39 at row 1, column 1 is beyond float32 range/);
  assert.deepEqual(Array.from(decodeFloat32(bytes.subarray(0, 16), 'F64', 2, 2, 'pos')), [1, -2.5]);
  const nan = new Uint8Array(new Float32Array([0, NaN]).buffer);
  assert.throws(() => decodeFloat32(nan, '<f4', 2, 1, 'neg'), /NaN or infinite values \(first at index 1\)/);
  const half = new Uint8Array(new Uint16Array([0x3c00, 0x7c00]).buffer);
  assert.throws(() => decodeFloat32(half, '<f2', 2, 1, 'neg'), /infinite/);
  assert.deepEqual(Array.from(decodeLabels(new Uint8Array([0, 1, 1]), '|b1', 3, 'labels')), [0, 1, 1]);
  assert.throws(() => decodeLabels(new Uint8Array([0, 2]), '|u1', 2, 'labels'), /label at index 1 is 2/);
  assert.throws(() => decodeFloat32(new Uint8Array(4), '<i4', 1, 1, 'pos'), /expected float activations/);
});

test('the estimate grows with every factor of the issue and counts what the fit stage runs', () => {
  const spec = (r: object) => normalizeJobRequest(r, { methods: METHODS, defaultDataset: 'x' });
  const base = { items: 1000, templates: 1, layers: 2, hiddenSize: 512, transferItems: [], labelled: true };
  const e0 = estimateJob(spec({ seeds: 5 }), base);
  assert.equal(e0.texts, 2000);
  assert.equal(e0.fits, 2 * 5 * 6);
  assert.equal(e0.activation_bytes, 2000 * 512 * 4 * 2);
  const bigger = [
    estimateJob(spec({ seeds: 10 }), base),
    estimateJob(spec({ seeds: 5, bootstrap: 10_000 }), base),
    estimateJob(spec({ seeds: 5, method_options: { ccs: { restarts: 100 } } }), base),
    estimateJob(spec({ seeds: 5 }), { ...base, items: 4000 }),
    estimateJob(spec({ seeds: 5, controls: ['distractor'] }), base),
  ];
  for (const e of bigger) assert.ok(e.cpu_seconds > e0.cpu_seconds, JSON.stringify(e));
  const ts = estimateJob(spec({ seeds: 1, methods: ['pca'], controls: ['template-sensitivity', 'distractor'] }), { ...base, templates: 4, transferItems: [500] });
  // clean + distractor + one transfer + four templates, per seed and method, per layer.
  assert.equal(ts.fits_per_layer, 1 + 1 + 1 + 4);
  assert.equal(ts.texts, 2 * (1000 * 4 * 2 + 500 * 4));
  const byo = estimateJob(spec({ activations: '00000000-0000-4000-8000-000000000000', seeds: 1 }), { ...base, layers: 1, uploadedPairs: 300 });
  assert.equal(byo.texts, 0);
  assert.equal(byo.activation_bytes, 0);
});

test('a validation error reports the oneOf branch that fits the value', () => {
  const issues = [
    { instancePath: '/controls/0', schemaPath: '#/properties/controls/items/oneOf/0/type', keyword: 'type', params: {}, message: 'must be string' },
    { instancePath: '/controls/0', schemaPath: '#/properties/controls/items/oneOf/0/enum', keyword: 'enum', params: {}, message: 'must be equal to one of the allowed values' },
    { instancePath: '/controls/0', schemaPath: '#/properties/controls/items/oneOf/1/additionalProperties', keyword: 'additionalProperties', params: { additionalProperty: 'name_of_character' }, message: 'must NOT have additional properties' },
    { instancePath: '/controls/0', schemaPath: '#/properties/controls/items/oneOf', keyword: 'oneOf', params: {}, message: 'must match exactly one schema in oneOf' },
  ];
  assert.equal(mostSpecific(issues as never)!.keyword, 'additionalProperties');
});
