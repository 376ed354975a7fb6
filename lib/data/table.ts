/**
 * Reading an uploaded file into rows, before any validation: JSON lines, CSV (RFC 4180) or
 * Parquet (Hugging Face `datasets` exports). Every format gives the same thing, a Table of
 * rows of column name → raw value, each row remembering where it came from (a file line,
 * or a Parquet row number) so that validation errors can point at it. Column meaning
 * (text, label, fields…) is decided later, in dataset.ts or by a preset.
 */
import { parseCsv } from './csv.ts';
import { DatasetError } from './errors.ts';
import { isParquet, parquetTable } from './parquet.ts';

export type TableFormat = 'jsonl' | 'csv' | 'parquet';
export const TABLE_FORMATS: readonly TableFormat[] = ['jsonl', 'csv', 'parquet'];

/** A row as read from the file, before validation: column name → raw value. */
export interface RawRow {
  /** 1-based: the file line the row starts on (JSONL, CSV), or the row number (Parquet). */
  line: number;
  values: Record<string, unknown>;
}

export interface Table {
  format: TableFormat;
  /** Column names in file order (CSV header, Parquet schema, first appearance in JSONL). */
  columns: string[];
  rows: RawRow[];
  /** What `line` counts, for error messages. */
  unit: 'line' | 'row';
}

export interface TableInput {
  filename: string;
  content: string | Uint8Array;
  /** Overrides the guess from the file name and content. */
  format?: TableFormat;
}

export interface TableLimits {
  maxRows?: number;
  maxBytes?: number;
}

export const DEFAULT_TABLE_LIMITS = { maxRows: 200_000, maxBytes: 64 << 20 };

/** Read JSONL or CSV (synchronous). Parquet needs `readTable`, since its decoder is asynchronous. */
export function readTableSync(input: TableInput, limits: TableLimits = {}): Table {
  const lim = { ...DEFAULT_TABLE_LIMITS, ...limits };
  checkBytes(input.content, lim.maxBytes);
  const format = detectFormat(input);
  if (format === 'parquet') throw new DatasetError('Parquet is decoded asynchronously: use readTable / readDataset, not the synchronous parser');
  const text = decodeUtf8(input.content);
  const table = format === 'csv' ? csvTable(text) : jsonlTable(text);
  checkRows(table, lim.maxRows);
  return table;
}

/** Read any supported format. */
export async function readTable(input: TableInput, limits: TableLimits = {}): Promise<Table> {
  const lim = { ...DEFAULT_TABLE_LIMITS, ...limits };
  if (detectFormat(input) !== 'parquet') return readTableSync(input, lim);
  checkBytes(input.content, lim.maxBytes);
  if (typeof input.content === 'string') throw new DatasetError('Parquet content must be bytes (base64-decode it first), not text');
  const table = await parquetTable(input.content, lim.maxRows);
  checkRows(table, lim.maxRows);
  return table;
}

/** A Table from rows already in memory (tests, callers holding objects): row i gets number i + 1. */
export function tableFromObjects(objects: readonly Record<string, unknown>[]): Table {
  const rows = objects.map((values, i) => ({ line: i + 1, values }));
  return { format: 'jsonl', columns: columnsOf(rows), rows, unit: 'row' };
}

function checkBytes(content: string | Uint8Array, maxBytes: number): void {
  const bytes = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.byteLength;
  if (bytes > maxBytes) throw new DatasetError(`dataset is ${bytes} bytes, over the limit of ${maxBytes}`);
}

function checkRows(table: Table, maxRows: number): void {
  if (table.rows.length === 0) throw new DatasetError('dataset has no rows');
  if (table.rows.length > maxRows) throw new DatasetError(`dataset has ${table.rows.length} rows, over the limit of ${maxRows}`);
}

export function detectFormat(input: TableInput): TableFormat {
  if (input.format !== undefined) {
    if (!TABLE_FORMATS.includes(input.format)) throw new DatasetError(`unknown format "${String(input.format)}"; expected one of ${TABLE_FORMATS.join(', ')}`);
    return input.format;
  }
  const lower = input.filename.toLowerCase();
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (typeof input.content !== 'string' && isParquet(input.content)) return 'parquet';
  // No telling extension: a first non-blank character of "{" means JSON lines.
  const head = typeof input.content === 'string' ? input.content.slice(0, 1024) : new TextDecoder().decode(input.content.subarray(0, 1024));
  const first = head.replace(/^\uFEFF/, '').trimStart()[0];
  if (first === '{') return 'jsonl';
  if (first === '[') throw new DatasetError('a JSON array is not accepted; write one JSON object per line (JSONL)');
  return 'csv';
}

function decodeUtf8(content: string | Uint8Array): string {
  let text: string;
  if (typeof content === 'string') text = content;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      throw new DatasetError('dataset is not valid UTF-8 text');
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function columnsOf(rows: RawRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.values)) seen.add(k);
  return [...seen];
}

function jsonlTable(text: string): Table {
  const rows: RawRow[] = [];
  const problems: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      const v: unknown = JSON.parse(raw);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) problems.push({ line: i + 1, message: 'expected a JSON object' });
      else rows.push({ line: i + 1, values: v as Record<string, unknown> });
    } catch (e) {
      problems.push({ line: i + 1, message: `invalid JSON (${(e as Error).message.split('\n')[0]})` });
    }
  });
  if (problems.length) throw new DatasetError('JSONL syntax error', problems);
  return { format: 'jsonl', columns: columnsOf(rows), rows, unit: 'line' };
}

function csvTable(text: string): Table {
  const records = parseCsv(text);
  if (records.length === 0) return { format: 'csv', columns: [], rows: [], unit: 'line' };
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const problems: { line: number; message: string }[] = [];
  const rows: RawRow[] = [];
  for (const rec of records.slice(1)) {
    if (rec.fields.length !== header.length) {
      problems.push({ line: rec.line, message: `${rec.fields.length} fields, header has ${header.length}` });
      continue;
    }
    const values: Record<string, unknown> = {};
    header.forEach((h, k) => {
      // In CSV an empty cell means "absent", so an empty label column is an unlabelled row.
      if (rec.fields[k] !== '' || h === 'text' || h === 'statement') values[h] = rec.fields[k];
    });
    rows.push({ line: rec.line, values });
  }
  if (problems.length) throw new DatasetError('CSV rows do not match the header', problems);
  return { format: 'csv', columns: header, rows, unit: 'line' };
}
