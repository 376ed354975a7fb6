/**
 * lib/report/export.ts: rows + a column schema → CSV and Parquet bytes. The Parquet file is
 * read back with two independent readers (DuckDB, the engine pandas and polars users reach
 * for, and hyparquet), the CSV with DuckDB's CSV reader and Sonde's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { exportTable, schemaMarkdown, toCsv, toParquet, type ExportColumn, type ExportRow } from '../../lib/report/export.ts';
import { RESULT_EXPORT_COLUMNS, RESULT_METRIC_COLUMNS, resultExportRows } from '../../lib/report/results-export.ts';
import { METRIC_COLUMNS } from '../../infra/db/results.ts';
import { readTableSync } from '../../lib/data/index.ts';

const COLUMNS: ExportColumn[] = [
  { name: 'name', type: 'string', description: 'a string' },
  { name: 'n', type: 'int32', description: 'an integer' },
  { name: 'x', type: 'double', description: 'a double' },
  { name: 'flag', type: 'boolean', description: 'a boolean' },
];
const ROWS: ExportRow[] = [
  { name: 'plain', n: 1, x: 0.1 + 0.2, flag: true },
  { name: 'comma, "quote"\nand newline', n: -7, x: 1e-300, flag: false },
  { name: ' padded ', n: 2147483647, x: -0.5, flag: null },
  { name: null, n: null, x: null, flag: null },
  { name: 'ünïcödé ✓', n: 0, x: Number.NaN, flag: true },
];
// NaN has no shared CSV spelling: both formats write it as a missing value.
const EXPECTED: ExportRow[] = ROWS.map((r) => ({ ...r, x: typeof r.x === 'number' && !Number.isFinite(r.x) ? null : r.x }));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-export-'));

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjects().map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    c.closeSync();
  }
}

test('Parquet reads back in DuckDB and hyparquet value for value, nulls and types kept', async () => {
  const file = path.join(tmp, 'rows.parquet');
  const bytes = toParquet(ROWS, COLUMNS, { 'sonde.kind': 'test' });
  fs.writeFileSync(file, bytes);
  assert.deepEqual(await duck(`SELECT * FROM '${file}'`), EXPECTED);
  const schema = await duck(`SELECT name, type FROM parquet_schema('${file}') WHERE name <> 'root'`);
  assert.deepEqual(schema, [
    { name: 'name', type: 'BYTE_ARRAY' }, { name: 'n', type: 'INT32' }, { name: 'x', type: 'DOUBLE' }, { name: 'flag', type: 'BOOLEAN' },
  ]);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  assert.deepEqual(await parquetReadObjects({ file: buffer }), EXPECTED);
  const kv = Object.fromEntries((parquetMetadata(buffer).key_value_metadata ?? []).map((e) => [e.key, e.value]));
  assert.equal(kv['sonde.kind'], 'test');
  assert.deepEqual(JSON.parse(kv['sonde.schema']!).map((c: ExportColumn) => c.name), COLUMNS.map((c) => c.name));
});

test('CSV is RFC 4180: quoted where needed, nulls empty, numbers round-trip', async () => {
  const csv = new TextDecoder().decode(toCsv(ROWS, COLUMNS));
  const lines = csv.split('\n');
  assert.equal(lines[0], 'name,n,x,flag');
  assert.equal(lines[1], 'plain,1,0.30000000000000004,true');
  assert.equal(lines[2], '"comma, ""quote""');
  assert.ok(csv.endsWith('\n'));
  const file = path.join(tmp, 'rows.csv');
  fs.writeFileSync(file, csv);
  const back = await duck(`SELECT * FROM read_csv('${file}', header = true, columns = {'name': 'VARCHAR', 'n': 'INTEGER', 'x': 'DOUBLE', 'flag': 'BOOLEAN'})`);
  assert.deepEqual(back, EXPECTED);
  // Sonde's own CSV reader (lib/data) agrees on the strings.
  const table = readTableSync({ filename: 'rows.csv', content: csv });
  assert.deepEqual(table.rows.map((r) => r.values.name ?? null), EXPECTED.map((r) => r.name));
});

test('no rows still give a valid file with the schema; wrong types are refused', async () => {
  const file = path.join(tmp, 'empty.parquet');
  fs.writeFileSync(file, toParquet([], COLUMNS));
  assert.deepEqual(await duck(`SELECT count(*) AS n FROM '${file}'`), [{ n: 0 }]);
  assert.deepEqual((await duck(`SELECT name FROM parquet_schema('${file}') WHERE name <> 'root'`)).map((r) => r.name), COLUMNS.map((c) => c.name));
  assert.equal(new TextDecoder().decode(toCsv([], COLUMNS)), 'name,n,x,flag\n');
  assert.throws(() => toParquet([{ n: 1.5 }], COLUMNS), /column "n" \(int32\) has 1.5/);
  assert.throws(() => toCsv([{ name: 3 }], COLUMNS), /column "name" \(string\)/);
  assert.equal(exportTable('csv', ROWS, COLUMNS).contentType, 'text/csv; charset=utf-8');
  assert.equal(exportTable('parquet', ROWS, COLUMNS).contentType, 'application/vnd.apache.parquet');
  assert.match(schemaMarkdown(COLUMNS), /^\| column \| type \| meaning \|\n/);
});

test('the results export has every metric column of the results table, and marks the view\'s best layers', () => {
  assert.deepEqual(RESULT_METRIC_COLUMNS.map((c) => c.name), [...METRIC_COLUMNS]);
  const names = RESULT_EXPORT_COLUMNS.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  const base = { probe_id: null, n_train: 10, n_test: 5, fit_seconds: 0.1, accuracy: 0.7, auroc: null };
  const rows = resultExportRows({ id: 'j', model: 'use-lite', dataset: 'a' }, [
    { ...base, layer: 0, method: 'ccs', seed: 0, control: null, template: null },
    { ...base, layer: 1, method: 'ccs', seed: 0, control: null, template: null },
    { ...base, layer: 1, method: 'ccs', seed: 0, control: 'transfer:b', template: null },
    { ...base, layer: 1, method: 'ccs', seed: 0, control: 'template-sensitivity', template: 1 },
  ], [
    { method: 'ccs', control: null, metric: 'accuracy', best_layer: 1 },
    { method: 'ccs', control: null, metric: 'auroc', best_layer: 0 },
    { method: 'ccs', control: 'transfer:b', metric: 'accuracy', best_layer: 1 },
  ], { sweepId: 's', datasetName: (d) => d.toUpperCase() });
  assert.deepEqual(rows.map((r) => [r.condition, r.eval_dataset, r.eval_dataset_name, r.is_best_layer]), [
    ['clean', 'a', 'A', false], ['clean', 'a', 'A', true], ['transfer', 'b', 'B', true], ['template-sensitivity', 'a', 'A', null],
  ]);
  assert.equal(rows[0].sweep_id, 's');
  assert.equal(rows[0].auroc, null);
  // Every row fits the schema in both formats.
  toParquet(rows, RESULT_EXPORT_COLUMNS);
  toCsv(rows, RESULT_EXPORT_COLUMNS);
});
