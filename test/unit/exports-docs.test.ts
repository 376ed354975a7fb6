/**
 * docs/exports.md says what it shows: its schema table is the one in
 * lib/report/results-export.ts, its DuckDB SQL runs on a real export (DuckDB's Node
 * package), and its Python block runs with pandas, pyarrow and polars when a python with
 * them is found (SONDE_TEST_PYTHON, else python3; opt-in: CI never needs Python),
 * skipping and saying so otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { schemaMarkdown, toCsv, toParquet } from '../../lib/report/export.ts';
import { RESULT_EXPORT_COLUMNS, resultExportRows, type ExportResultRow } from '../../lib/report/results-export.ts';
import { loadSpec } from '../../http/spec.ts';

const DOC = fs.readFileSync('docs/exports.md', 'utf8');
const block = (lang: string) => {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(DOC);
  assert.ok(m, `docs/exports.md has a ${lang} block`);
  return m[1];
};

const given = process.env.SONDE_TEST_PYTHON ?? 'python3';
const PYTHON = given.includes('/') ? path.resolve(given) : given;
const hasPandas = spawnSync(PYTHON, ['-c', 'import pandas, pyarrow, polars'], { stdio: 'ignore' }).status === 0;

/** A small real export: two jobs' rows with transfer and per-template rows, nulls included. */
function exportDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-export-docs-'));
  const rows = ['a', 'b'].flatMap((dataset, j) => {
    const results: ExportResultRow[] = [0, 1].flatMap((layer) => ['ccs', 'lr'].flatMap((method) => [0, 1].flatMap((seed) => [null, 'transfer:x'].map((control) => ({
      layer, method, seed, control, template: null, probe_id: null, n_train: 10, n_test: 5, fit_seconds: 0.01,
      accuracy: 0.6 + 0.1 * layer + 0.01 * seed, auroc: seed ? 0.7 : null,
    })))));
    results.push({ layer: 0, method: 'ccs', seed: 0, control: 'template-sensitivity', template: 1, probe_id: null, n_train: 10, n_test: 5, fit_seconds: 0.01, accuracy: 0.55, auroc: null });
    const best = ['ccs', 'lr'].flatMap((method) => [null, 'transfer:x'].map((control) => ({ method, control, metric: 'accuracy', best_layer: 1 })));
    return resultExportRows({ id: `job-${j}`, model: 'use-lite', dataset }, results, best, { sweepId: 's' });
  });
  fs.writeFileSync(path.join(dir, 'results.parquet'), toParquet(rows, RESULT_EXPORT_COLUMNS));
  fs.writeFileSync(path.join(dir, 'results.csv'), toCsv(rows, RESULT_EXPORT_COLUMNS));
  return dir;
}

test('the documented schema is the exported one, in the docs and in openapi.yaml', () => {
  assert.ok(DOC.includes(schemaMarkdown(RESULT_EXPORT_COLUMNS)), 'docs/exports.md schema table = schemaMarkdown(RESULT_EXPORT_COLUMNS); regenerate it');
  const tidy = loadSpec().components.schemas.TidyResultRow;
  assert.deepEqual(Object.keys(tidy.properties), RESULT_EXPORT_COLUMNS.map((c) => c.name));
  const json = { string: 'string', int32: 'integer', double: 'number', boolean: 'boolean' } as const;
  for (const c of RESULT_EXPORT_COLUMNS) {
    const t = [tidy.properties[c.name].type].flat();
    assert.ok(t.includes(json[c.type]), `${c.name}: openapi ${t} vs ${c.type}`);
  }
});

test('the documented DuckDB query runs on an export', async () => {
  const dir = exportDir();
  const sql = block('sql').split('\n').filter((l) => !l.startsWith('--')).join('\n').replace("'results.parquet'", `'${path.join(dir, 'results.parquet')}'`);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const rows = (await c.runAndReadAll(sql)).getRowObjects();
  c.closeSync();
  // Best layer 1 of both methods in both jobs: clean and transfer rows, mean over seeds (0.705).
  assert.equal(rows.length, 4);
  for (const r of rows) assert.ok(Math.abs(Number(Object.values(r)[3]) - 0.705) < 1e-9);
});

test('the documented pandas and polars lines read the export', { skip: hasPandas ? false : `${PYTHON} lacks pandas, pyarrow or polars` }, () => {
  const dir = exportDir();
  const script = `${block('python')}\nprint(len(df), lf.height, len(best), round(float(best["mean"].iloc[0]), 6))\n`;
  const r = spawnSync(PYTHON, ['-c', script], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // 2 jobs × 17 rows; best: (2 datasets × 2 methods × {clean, transfer}) groups.
  assert.equal(r.stdout.trim(), '34 34 8 0.705');
});
