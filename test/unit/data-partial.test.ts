import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDataset } from '../../lib/data/dataset.ts';
import { parseTemplate } from '../../lib/data/templates.ts';
import { renderContrastPairs } from '../../lib/data/contrast-pairs.ts';
import { parseControls } from '../../lib/data/controls.ts';
import { trainTestSplit, itemLabels, labelledItems } from '../../lib/data/split.ts';
import { ensemble, ensembleAccuracy } from '../../lib/data/ensemble.ts';

const itWas = parseTemplate('{{text}} It was {{answer}}.', 'it-was');

/** n rows; every third unlabelled; label_bob known on even rows. */
function partly(n: number) {
  const rows = Array.from({ length: n }, (_, i) => {
    const r: Record<string, unknown> = { text: `t${i}` };
    if (i % 3 !== 2) r.label = i % 2;
    if (i % 2 === 0) r.label_bob = 1 - (i % 4 === 0 ? 0 : 1);
    return JSON.stringify(r);
  });
  return parseDataset({ filename: 'p.jsonl', kind: 'binary', content: rows.join('\n') });
}

test('pairs of a partly labelled dataset carry -1 for unknown rows, per template, and label sets by name', () => {
  const d = partly(6);
  assert.equal(d.n_labelled, 4);
  const p = renderContrastPairs(d, [itWas, parseTemplate('{{answer}}: {{text}}', 'b')], { seed: 0 });
  assert.deepEqual(Array.from(p.labels!), [0, 0, 1, 1, -1, -1, 1, 1, 0, 0, -1, -1]);
  assert.deepEqual(Object.keys(p.label_sets), ['bob']);
  assert.deepEqual(Array.from(p.label_sets.bob), [1, 1, -1, -1, 0, 0, -1, -1, 1, 1, -1, -1]);
  // A dataset rebuilt from storage without counts (as the worker does) renders the same.
  const stored = { ...d, has_labels: undefined, n_labelled: undefined, label_sets: undefined } as never;
  assert.deepEqual(renderContrastPairs(stored, [itWas], { seed: 0 }).labels, renderContrastPairs(d, [itWas], { seed: 0 }).labels);
  // Fully unlabelled stays null; no label columns gives an empty set.
  const u = parseDataset({ filename: 'u.jsonl', kind: 'binary', content: '{"text":"a"}\n{"text":"b"}' });
  const pu = renderContrastPairs(u, [itWas], { seed: 0 });
  assert.equal(pu.labels, null);
  assert.deepEqual(pu.label_sets, {});
});

test('split: unknown labels are a stratum of their own, split in the asked proportions', () => {
  const labels = Int8Array.from({ length: 100 }, (_, i) => (i < 40 ? -1 : i < 70 ? 1 : 0));
  const s = trainTestSplit(100, { train: 0.5, test: 0.5, seed: 3, labels });
  const count = (idx: Int32Array, y: number) => Array.from(idx).filter((i) => labels[i] === y).length;
  assert.deepEqual([count(s.train, -1), count(s.train, 1), count(s.train, 0)], [20, 15, 15]);
  assert.deepEqual([count(s.test, -1), count(s.test, 1), count(s.test, 0)], [20, 15, 15]);
  assert.equal(labelledItems(s.test, labels).length, 30);
  // End to end: item labels from pairs keep the -1.
  const d = partly(30);
  const p = renderContrastPairs(d, [itWas], { seed: 0 });
  const y = itemLabels(p.items, p.labels!, d.items.length);
  assert.equal(Array.from(y).filter((v) => v === -1).length, 10);
  const s2 = trainTestSplit(30, { train: 0.6, test: 0.4, seed: 1, labels: y });
  assert.equal(s2.train.length + s2.test.length, 30);
});

test('ensemble accuracy leaves unknown labels out', () => {
  const e = ensemble('partial', { pos: [0.9, 0.1, 0.9, 0.2], neg: [0.1, 0.9, 0.2, 0.9], items: [0, 1, 2, 3], labels: [1, 0, -1, -1] });
  assert.equal(ensembleAccuracy(e), 1);
  const none = ensemble('none', { pos: [0.9], neg: [0.1], items: [0], labels: [-1] });
  assert.ok(Number.isNaN(ensembleAccuracy(none)));
});

test('explicit-opinion on partial labels: q over the labelled items, a balanced coin for the rest', () => {
  const d = partly(60); // 40 labelled, 20 unlabelled
  const control = parseControls([{ name: 'explicit-opinion', q: 1 }])[0];
  const p = renderContrastPairs(d, [itWas], { seed: 5, control });
  const bits = p.control_bits!;
  for (let i = 0; i < 60; i++) if (p.labels![i] >= 0) assert.equal(bits[i], p.labels![i], `Alice right on labelled item ${i}`);
  const unknownOnes = Array.from(bits).filter((b, i) => p.labels![i] < 0 && b === 1).length;
  assert.equal(unknownOnes, 10);
});
