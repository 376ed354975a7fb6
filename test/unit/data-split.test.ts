import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { trainTestSplit, itemLabels } from '../../lib/data/split.ts';
import { ensemble, ensembleAccuracy } from '../../lib/data/ensemble.ts';
import { renderContrastPairs, rowsOfItems } from '../../lib/data/contrast-pairs.ts';
import { parseDataset } from '../../lib/data/dataset.ts';
import { resolveTemplates } from '../../lib/data/templates.ts';
import { SplitError, DataInputError } from '../../lib/data/errors.ts';

const ref = JSON.parse(readFileSync(new URL('../fixtures/data/reference.json', import.meta.url), 'utf8'));

test('split: disjoint, sizes as asked, sorted, reproducible per seed', () => {
  const s = trainTestSplit(100, { train: 0.6, test: 0.4, seed: 1 });
  assert.equal(s.train.length, 60);
  assert.equal(s.test.length, 40);
  const all = new Set([...s.train, ...s.test]);
  assert.equal(all.size, 100);
  assert.deepEqual(Array.from(s.train), [...s.train].sort((a, b) => a - b));
  assert.deepEqual(trainTestSplit(100, { train: 0.6, test: 0.4, seed: 1 }), s);
  assert.notDeepEqual(trainTestSplit(100, { train: 0.6, test: 0.4, seed: 2 }).train, s.train);
  const partial = trainTestSplit(100, { train: 0.5, test: 0.2, seed: 0 });
  assert.equal(partial.train.length + partial.test.length, 70);
});

test('split: stratified by label, even when the classes are unbalanced', () => {
  const labels = Int8Array.from({ length: 200 }, (_, i) => (i < 50 ? 1 : 0));
  const s = trainTestSplit(200, { train: 0.6, test: 0.4, seed: 5, labels });
  const ones = (idx: Int32Array) => Array.from(idx).filter((i) => labels[i] === 1).length;
  assert.equal(ones(s.train), 30);
  assert.equal(ones(s.test), 20);
  assert.equal(s.train.length, 120);
});

test('split by item: no item has pair rows on both sides, across templates', () => {
  const rows = Array.from({ length: 50 }, (_, i) => JSON.stringify({ text: `t${i}`, label: i % 2 }));
  const d = parseDataset({ filename: 'd.jsonl', kind: 'binary', content: rows.join('\n') });
  const templates = resolveTemplates(['binary/it-was', 'binary/review', 'binary/sentiment-is'], 'binary');
  const p = renderContrastPairs(d, templates, { seed: 0 });
  const labels = itemLabels(p.items, p.labels!, d.items.length);
  assert.deepEqual(Array.from(labels), d.items.map((it) => it.label));
  const s = trainTestSplit(d.items.length, { train: 0.6, test: 0.4, seed: 9, labels });
  const trainRows = rowsOfItems(p.items, s.train);
  const testRows = rowsOfItems(p.items, s.test);
  assert.equal(trainRows.length, 30 * 3);
  const trainItems = new Set(Array.from(trainRows, (r) => p.items[r]));
  for (const r of testRows) assert.ok(!trainItems.has(p.items[r]), `item ${p.items[r]} leaks`);
});

test('split: bad options are SplitErrors', () => {
  assert.throws(() => trainTestSplit(1, { train: 0.5, test: 0.5, seed: 0 }), SplitError);
  assert.throws(() => trainTestSplit(10, { train: 0.7, test: 0.4, seed: 0 }), /sum to at most 1/);
  assert.throws(() => trainTestSplit(10, { train: 0, test: 0.4, seed: 0 }), /must be positive/);
  assert.throws(() => trainTestSplit(10, { train: 0.5, test: 0.5, seed: 0, labels: [1, 0] }), /2 labels for 10 items/);
  assert.throws(() => trainTestSplit(3, { train: 0.9, test: 0.05, seed: 0 }), /leaves the test set empty/);
});

test('ensembling none / partial / full matches the numpy reference', () => {
  const e = ref.ensemble;
  const input = { pos: e.pos, neg: e.neg, items: e.items, labels: e.labels };
  const none = ensemble('none', input);
  assert.deepEqual(Array.from(none.predictions), e.none.predictions);
  assert.equal(ensembleAccuracy(none), e.none.accuracy);
  const partial = ensemble('partial', input);
  partial.scores.forEach((s, i) => assert.ok(Math.abs(s - e.partial.scores[i]) < 1e-12));
  assert.equal(ensembleAccuracy(partial), e.partial.accuracy);
  const full = ensemble('full', input);
  assert.equal(full.scores.length, e.full.scores.length);
  full.scores.forEach((s, i) => assert.ok(Math.abs(s - e.full.scores[i]) < 1e-12));
  assert.equal(ensembleAccuracy(full), e.full.accuracy);
  // The three modes really differ on this case, so the test tells them apart.
  assert.equal(new Set([e.none.accuracy, e.partial.accuracy, e.full.accuracy]).size, 3);
});

test('ensembling real-valued scores thresholds the pooled difference at 0', () => {
  const r = ensemble('partial', { pos: [2, -1], neg: [1, 3], items: [0, 1], labels: [1, 0], scale: 'real' });
  assert.deepEqual(Array.from(r.scores), [0.5, -2]);
  assert.deepEqual(Array.from(r.predictions), [1, 0]);
  assert.throws(() => ensemble('most' as never, { pos: [], neg: [], items: [], labels: null }), DataInputError);
  assert.throws(() => ensembleAccuracy(ensemble('none', { pos: [1], neg: [0], items: [0], labels: null })), /needs a labelled dataset/);
});
