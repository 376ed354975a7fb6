import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { comparisonTable, type BestLayerMark, type ResultRow } from '../../lib/report/table.ts';

const ref = JSON.parse(readFileSync(new URL('../fixtures/data/reference.json', import.meta.url), 'utf8')).stats;

function referenceRows(): ResultRow[] {
  const rows: ResultRow[] = [];
  ref.methods.forEach((method: string, m: number) =>
    ref.layers.forEach((layer: number, l: number) =>
      ref.accuracy[m][l].forEach((accuracy: number, seed: number) => rows.push({ layer, method, seed, control: null, accuracy, auroc: null })),
    ),
  );
  return rows;
}

/** Best layers as the best_layers view reports them for the reference rows (checked in test/integration/views.test.ts). */
const refBest = (): BestLayerMark[] => ref.methods.map((method: string, m: number) => ({ method, control: null, metric: 'accuracy', best_layer: ref.layers[ref.best_layer[m]] }));

test('table: mean ± std per method × layer as numpy gives them, the given best layer starred', () => {
  const table = comparisonTable(referenceRows(), { best: refBest() });
  const lines = table.split('\n');
  assert.match(lines[0], /^clean: test accuracy, mean ± std over 5 seeds/);
  assert.match(lines[1], /^method\s+layer 0\s+layer 1\s+layer 2$/);
  ref.methods.forEach((method: string, m: number) => {
    const line = lines.find((l) => l.startsWith(method + ' '))!;
    const cells = [...line.matchAll(/(\d\.\d{3}) ± (\d\.\d{3})(\*?)/g)];
    assert.equal(cells.length, 3);
    cells.forEach((c, l) => {
      assert.equal(c[1], ref.mean[m][l].toFixed(3));
      assert.equal(c[2], ref.std[m][l].toFixed(3));
      assert.equal(c[3] === '*', l === ref.best_layer[m]);
    });
  });
});

test('table: one section per condition, control grids only where the metric exists', () => {
  const rows: ResultRow[] = [];
  for (const control of [null, 'distractor', 'explicit-opinion', 'transfer:facts']) {
    for (const method of ['lr', 'ccs', 'zeta']) {
      for (const layer of [1, 0]) {
        rows.push({
          layer,
          method,
          seed: 0,
          control,
          accuracy: 0.5 + 0.1 * layer,
          auroc: null,
          distractor_accuracy: control === 'distractor' ? 0.95 : null,
          opinion_accuracy: control === 'explicit-opinion' ? 0.7 : undefined,
        });
      }
    }
  }
  rows.push({ layer: 0, method: 'ccs', seed: 0, control: null, accuracy: 0.99, auroc: null, template: 2 } as ResultRow);
  const table = comparisonTable(rows, { controlColumns: true });
  const titles = table.split('\n').filter((l) => /^\S+: /.test(l) && !l.startsWith('method'));
  assert.deepEqual(titles.map((t) => t.split(':').slice(0, -1).join(':')), [
    'clean',
    'distractor',
    'distractor',
    'explicit-opinion',
    'explicit-opinion',
    'transfer:facts',
  ]);
  assert.match(table, /distractor: distractor accuracy[^\n]*\n[^\n]*\n[^\n]*\nccs\s+0\.950 ± 0\.000\s+0\.950 ± 0\.000/);
  // Known methods in the paper's order, others after; per-template rows left out.
  const methodsInClean = table.split('\n\n')[0].split('\n').slice(3).map((l) => l.split(' ')[0]);
  assert.deepEqual(methodsInClean, ['ccs', 'lr', 'zeta']);
  assert.doesNotMatch(table, /0\.990/);
  assert.doesNotMatch(comparisonTable(rows, { controlColumns: false }), /distractor accuracy/);
  assert.equal(comparisonTable([]), '(no results)');
});

test('table: a single seed shows ± 0.000, a missing cell shows —, pg strings are read as numbers', () => {
  const rows = [
    { layer: 0, method: 'pca', seed: 0, control: null, accuracy: '0.75', auroc: null },
    { layer: 1, method: 'ccs', seed: 0, control: null, accuracy: 0.6, auroc: null },
  ] as unknown as ResultRow[];
  const t = comparisonTable(rows, { best: [{ method: 'pca', control: null, metric: 'accuracy', best_layer: 0 }, { method: 'ccs', control: 'clean', metric: 'accuracy', best_layer: 1 }] });
  assert.match(t, /pca\s+0\.750 ± 0\.000\*\s+—/);
  assert.match(t, /ccs\s+—\s+0\.600 ± 0\.000\*/);
});
