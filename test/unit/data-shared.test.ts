/**
 * Opt-in: the parser on real files beside the project (../shared/datasets, which users do
 * not have). Runs only with SONDE_SHARED_DATASETS=<dir>, e.g.
 *   SONDE_SHARED_DATASETS=../shared/datasets node --import tsx --test test/unit/data-shared.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDataset } from '../../lib/data/dataset.ts';
import { renderContrastPairs } from '../../lib/data/contrast-pairs.ts';
import { resolveTemplates } from '../../lib/data/templates.ts';
import { readTableSync } from '../../lib/data/table.ts';
import { applyPreset } from '../../lib/data/presets/index.ts';

const dir = process.env.SONDE_SHARED_DATASETS;
const skip = !dir ? 'set SONDE_SHARED_DATASETS to run' : !existsSync(dir) ? `${dir} not found` : false;

test('rt-polarity sentences parse as a balanced binary dataset', { skip }, () => {
  const file = join(dir!, 'rt-polarity/sentences.jsonl');
  const d = parseDataset({ filename: file, content: readFileSync(file), kind: 'binary' });
  assert.equal(d.items.length, 10662);
  assert.equal(d.items.filter((it) => it.label === 1).length, 5331);
  const pairs = renderContrastPairs(d, resolveTemplates([], 'binary'), { seed: 0 });
  assert.equal(pairs.pos.length, 10662);
});

test('geometry-of-truth CSVs parse as statements (statement column, other columns as fields)', { skip }, () => {
  const gdir = join(dir!, 'geometry-of-truth');
  for (const f of readdirSync(gdir).filter((f) => f.endsWith('.csv'))) {
    const content = readFileSync(join(gdir, f), 'utf8');
    const d = parseDataset({ filename: f, content, kind: 'statements' });
    const lines = content.trim().split('\n').length - 1;
    assert.equal(d.items.length, lines, f);
    assert.ok(d.has_labels, f);
  }
});

test('geometry-of-truth CSVs through the geometry_of_truth preset: same items as the generic parse, templates render', { skip }, () => {
  const gdir = join(dir!, 'geometry-of-truth');
  for (const f of readdirSync(gdir).filter((f) => f.endsWith('.csv'))) {
    const content = readFileSync(join(gdir, f), 'utf8');
    const generic = parseDataset({ filename: f, content, kind: 'statements' });
    const { dataset, templates } = applyPreset('geometry_of_truth', readTableSync({ filename: f, content }), { filename: f });
    assert.deepEqual(dataset.items, generic.items, f);
    assert.equal(dataset.n_labelled, generic.items.length, f);
    const pairs = renderContrastPairs(dataset, templates, { seed: 0 });
    assert.equal(pairs.pos.length, dataset.items.length * templates.length);
  }
});
