/**
 * Tidy tables out: rows and a column schema in, CSV or Parquet bytes out. One helper for
 * every export (job results, sweep results, per-item credences), so each says once what
 * its columns are and both formats follow from it. Pure: no I/O.
 *
 * - CSV: RFC 4180 with LF line ends, a header row, UTF-8. A field is quoted when it holds a
 *   comma, a quote, a line break or leading/trailing space; null is the empty field.
 *   Numbers are written as JavaScript's shortest round-trip form (`String(x)`), so a value
 *   reads back bit for bit.
 * - Parquet: one row group per 100,000 rows, snappy-compressed, written by the maintained
 *   `hyparquet-writer`; every column is OPTIONAL (nullable) with the type the schema
 *   names. The schema's descriptions travel in the file's key-value metadata
 *   (`sonde.schema`, JSON), so a file says what its columns mean.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';

export type ExportColumnType = 'string' | 'int32' | 'double' | 'boolean';

export interface ExportColumn {
  name: string;
  type: ExportColumnType;
  /** One line for the docs and the Parquet metadata. */
  description: string;
}

export type ExportFormat = 'csv' | 'parquet';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'parquet'];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  // The media type registered for Parquet (IANA, 2024).
  parquet: 'application/vnd.apache.parquet',
};

type Cell = string | number | boolean | null | undefined;
export type ExportRow = Record<string, Cell>;

const PARQUET_TYPES = { string: 'STRING', int32: 'INT32', double: 'DOUBLE', boolean: 'BOOLEAN' } as const;

/** Checks each value against its column's type, so neither format writes something the other would not. */
function cell(row: ExportRow, col: ExportColumn, index: number): string | number | boolean | null {
  const v = row[col.name];
  if (v === null || v === undefined) return null;
  const ok =
    col.type === 'string' ? typeof v === 'string'
      : col.type === 'boolean' ? typeof v === 'boolean'
        : col.type === 'int32' ? Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31
          : typeof v === 'number';
  if (!ok) throw new TypeError(`export row ${index}: column "${col.name}" (${col.type}) has ${JSON.stringify(v)}`);
  // NaN and ±Infinity have no CSV spelling every reader shares; they are missing values.
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly ExportRow[], columns: readonly ExportColumn[]): Uint8Array {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  rows.forEach((row, i) => lines.push(columns.map((c) => csvField(cell(row, c, i))).join(',')));
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

export function toParquet(rows: readonly ExportRow[], columns: readonly ExportColumn[], meta: Record<string, string> = {}): Uint8Array {
  const columnData = columns.map((c) => ({
    name: c.name,
    type: PARQUET_TYPES[c.type],
    nullable: true,
    data: rows.map((row, i) => cell(row, c, i)),
  }));
  const schema = JSON.stringify(columns.map(({ name, type, description }) => ({ name, type, description })));
  const buffer = parquetWriteBuffer({
    columnData,
    rowGroupSize: 100_000,
    createdBy: 'sonde',
    kvMetadata: [{ key: 'sonde.schema', value: schema }, ...Object.entries(meta).map(([key, value]) => ({ key, value }))],
  });
  return new Uint8Array(buffer);
}

export interface ExportFile {
  body: Uint8Array;
  contentType: string;
  /** File name extension, without the dot. */
  extension: ExportFormat;
}

export function exportTable(format: ExportFormat, rows: readonly ExportRow[], columns: readonly ExportColumn[], meta: Record<string, string> = {}): ExportFile {
  const body = format === 'csv' ? toCsv(rows, columns) : toParquet(rows, columns, meta);
  return { body, contentType: CONTENT_TYPES[format], extension: format };
}

/** The schema as a Markdown table (docs/exports.md is generated from the same lists). */
export function schemaMarkdown(columns: readonly ExportColumn[]): string {
  return ['| column | type | meaning |', '| --- | --- | --- |', ...columns.map((c) => `| \`${c.name}\` | ${c.type} | ${c.description} |`)].join('\n');
}
