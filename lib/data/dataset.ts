/**
 * Datasets as Sonde reads them: validation of uploaded rows (JSONL, CSV or Parquet, read by
 * table.ts) into one canonical in-memory form, with a content hash. Pure apart from
 * hashing: rows in, Dataset out; loading files from disk lives in builtin.ts and in the
 * API's upload route. Column rules (docs/datasets.md):
 *
 * - `text` (or its synonym `statement`): the row's text. `label`: the primary ground truth,
 *   optional per row for statements/binary (a dataset may be unlabelled, partly or fully
 *   labelled). `choices`: multiclass candidates.
 * - `label_<name>`: an extra 0/1 label column (statements/binary), e.g. `label_bob`, read
 *   like `label`; a row without a value is unknown for that name.
 * - Any other column with a scalar value (string, number, boolean) whose name is an
 *   identifier is a field: kept as a string, usable as a template placeholder `{{name}}`.
 *
 * Kinds:
 * - `statements`: a claim per row, optional label true/false; answers default false/true.
 * - `binary`: a text per row, optional label 0/1, two answer words (default negative/positive).
 * - `multiclass`: text, choices (≥ 2) and the index of the right choice, on every row;
 *   binarised into contrast pairs when rendered (contrast-pairs.ts), as Burns et al. 2022 and elk do.
 */
import { createHash } from 'node:crypto';
import { DatasetError, type DatasetProblem } from './errors.ts';
import { readTable, readTableSync, DEFAULT_TABLE_LIMITS, type Table, type TableFormat, type RawRow } from './table.ts';
import { textProblem } from '../text.ts';

export type DatasetKind = 'statements' | 'binary' | 'multiclass';
export const DATASET_KINDS: readonly DatasetKind[] = ['statements', 'binary', 'multiclass'];

export interface DatasetItem {
  text: string;
  /** statements/binary: 0 or 1 (1 = true/positive), absent when unknown. multiclass: index into `choices`. */
  label?: number;
  /** multiclass only: the candidate answers. */
  choices?: string[];
  /** Extra 0/1 labels from `label_<name>` columns, by name; a name absent here is unknown for this item. */
  labels?: Record<string, 0 | 1>;
  /** Field columns as strings (template placeholders, item filters); a name absent here has no value on this item. */
  fields?: Record<string, string>;
}

export interface Dataset {
  name: string;
  kind: DatasetKind;
  items: DatasetItem[];
  /** [answer for label 0, answer for label 1], e.g. ['negative', 'positive']; null for multiclass (per-item choices). */
  answers: [string, string] | null;
  /** sha256 (hex) of the canonical content (see canonicalContent), the same for a CSV, JSONL or Parquet of the same rows. */
  sha256: string;
  /** At least one item has a primary label (evaluation is possible on those). */
  has_labels: boolean;
  /** Items with a primary label; multiclass: all of them. */
  n_labelled: number;
  /** Names of the extra label columns (`label_<name>` → name), sorted. */
  label_sets: string[];
  /** Names of the field columns, sorted. */
  fields: string[];
  /** The preset that mapped the upload's columns (lib/data/presets), or null. */
  preset: string | null;
}

export interface DatasetLimits {
  /** Most rows accepted (default 200,000, as SONDE_MAX_DATASET_ROWS). */
  maxRows?: number;
  /** Most bytes accepted (default 64 MiB, as SONDE_UPLOAD_LIMIT). */
  maxBytes?: number;
  /** Longest text (and field value) accepted, in characters (default 20,000). */
  maxTextChars?: number;
}

export interface DatasetInput {
  filename: string;
  content: string | Uint8Array;
  kind: DatasetKind;
  name?: string;
  answers?: [string, string];
  /** 'jsonl' | 'csv' | 'parquet'; default: from the file name, else from the content. */
  format?: TableFormat;
}

/** How to read a Table's rows as a dataset (everything in DatasetInput except the bytes). */
export interface DatasetOptions {
  kind: DatasetKind;
  /** Used in messages and, without `name`, for the dataset's name. */
  filename: string;
  name?: string;
  answers?: [string, string];
  preset?: string | null;
}

export const DEFAULT_ANSWERS: Record<'statements' | 'binary', [string, string]> = {
  statements: ['false', 'true'],
  binary: ['negative', 'positive'],
};

/**
 * A field's name must be a placeholder name: an identifier of at most 64 characters, not
 * starting with "__" (pandas writes its index into Parquet as "__index_level_0__"; such a
 * column is bookkeeping, and would make a Parquet file hash unlike its JSONL twin).
 */
export const FIELD_NAME_RE = /^(?!__)[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** At most this many field columns (a wide export usually means the wrong file). */
export const MAX_FIELDS = 64;

const DEFAULT_LIMITS = { ...DEFAULT_TABLE_LIMITS, maxTextChars: 20_000 };
const ROLE_COLUMNS = new Set(['text', 'statement', 'label', 'choices']);
const LABEL_COLUMN_RE = /^label_(.*)$/;
const LABEL_NAME_RE = /^[A-Za-z0-9_]{1,64}$/;

/** Parse and validate a JSONL or CSV upload (synchronous). Parquet: readDataset. */
export function parseDataset(input: DatasetInput, limits: DatasetLimits = {}): Dataset {
  checkKind(input.kind);
  const table = readTableSync(input, { ...DEFAULT_LIMITS, ...limits });
  return datasetFromTable(table, input, limits);
}

/** Parse and validate an upload in any format, Parquet included. */
export async function readDataset(input: DatasetInput, limits: DatasetLimits = {}): Promise<Dataset> {
  checkKind(input.kind);
  const table = await readTable(input, { ...DEFAULT_LIMITS, ...limits });
  return datasetFromTable(table, input, limits);
}

/**
 * Validate rows already read into a Table: every row checked, every problem reported with
 * its line (or row) number, at most five in the message.
 */
export function datasetFromTable(table: Table, opts: DatasetOptions, limits: DatasetLimits = {}): Dataset {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const kind = opts.kind;
  checkKind(kind);
  if (table.rows.length === 0) throw new DatasetError('dataset has no rows');
  if (table.rows.length > lim.maxRows) throw new DatasetError(`dataset has ${table.rows.length} rows, over the limit of ${lim.maxRows}`);
  // A header (CSV) or schema (Parquet) without a text column is one error, not one per row.
  if (table.format !== 'jsonl' && !table.columns.includes('text') && !table.columns.includes('statement')) {
    const where = table.format === 'csv' ? 'CSV header' : 'Parquet schema';
    throw new DatasetError(`${where} must name a "text" column (or "statement", or use a preset); found: ${table.columns.join(', ') || 'none'}`);
  }
  const layout = columnLayout(table, kind);
  const answers = kind === 'multiclass' ? null : validateAnswers(opts.answers ?? DEFAULT_ANSWERS[kind]);
  const problems: DatasetProblem[] = [];
  const items: DatasetItem[] = [];
  for (const row of table.rows) {
    const item = validateRow(row, kind, answers, layout, lim.maxTextChars, problems);
    if (item) items.push(item);
  }
  if (problems.length) throw new DatasetError(`dataset "${opts.filename}" has ${problems.length} invalid row(s)`, problems, { unit: table.unit });
  return makeDataset(items, { kind, answers, name: opts.name ?? baseName(opts.filename), preset: opts.preset ?? null });
}

/** A Dataset from validated items: counts, name lists and the content hash. */
export function makeDataset(
  items: DatasetItem[],
  d: { kind: DatasetKind; answers: [string, string] | null; name: string; preset?: string | null },
): Dataset {
  const n_labelled = items.filter((it) => it.label !== undefined).length;
  return {
    name: d.name,
    kind: d.kind,
    items,
    answers: d.answers,
    sha256: sha256Hex(canonicalContent(d.kind, d.answers, items)),
    has_labels: n_labelled > 0,
    n_labelled,
    label_sets: labelSetNames(items),
    fields: fieldNames(items),
    preset: d.preset ?? null,
  };
}

/**
 * The dataset back as JSON lines in the upload vocabulary (text, label, choices,
 * label_<name>, fields): parsing the result with the same kind and answers gives the same
 * items and hash, so a stored or preset-mapped dataset can be exported and re-uploaded.
 */
export function datasetJsonl(dataset: Pick<Dataset, 'items'>): string {
  return dataset.items
    .map((it) => {
      const row: Record<string, unknown> = { text: it.text };
      if (it.label !== undefined) row.label = it.label;
      if (it.choices) row.choices = it.choices;
      for (const [name, y] of Object.entries(it.labels ?? {})) row[`label_${name}`] = y;
      Object.assign(row, it.fields ?? {});
      return JSON.stringify(row);
    })
    .join('\n') + '\n';
}

/** The field names that occur on any item, sorted (also for datasets rebuilt from storage). */
export function fieldNames(items: readonly DatasetItem[]): string[] {
  const names = new Set<string>();
  for (const it of items) if (it.fields) for (const k of Object.keys(it.fields)) names.add(k);
  return [...names].sort();
}

/** The extra label names that occur on any item, sorted. */
export function labelSetNames(items: readonly DatasetItem[]): string[] {
  const names = new Set<string>();
  for (const it of items) if (it.labels) for (const k of Object.keys(it.labels)) names.add(k);
  return [...names].sort();
}

/**
 * The bytes the dataset hash is taken over: kind, answers and the validated rows as JSON in
 * a fixed key order, so the hash identifies the data and not its file format or spacing.
 * Rows are `[text, label|null, choices|null]`; only when some item has extra labels or
 * fields do all rows get two more entries, `[[name, label], …]` and `[[name, value], …]`
 * sorted by name, so datasets without the new columns keep the hash they always had.
 */
export function canonicalContent(kind: DatasetKind, answers: [string, string] | null, items: DatasetItem[]): string {
  const extended = items.some((it) => (it.labels && Object.keys(it.labels).length) || (it.fields && Object.keys(it.fields).length));
  const rows = items.map((it) => {
    const base: unknown[] = [it.text, it.label ?? null, it.choices ?? null];
    if (extended) base.push(sortedPairs(it.labels), sortedPairs(it.fields));
    return JSON.stringify(base);
  });
  return `${JSON.stringify({ format: 'sonde-dataset/1', kind, answers })}\n${rows.join('\n')}\n`;
}

function sortedPairs(o: Record<string, unknown> | undefined): [string, unknown][] {
  // Pairs rather than an object: JSON.stringify would move integer-like keys to the front.
  return o ? Object.keys(o).sort().map((k): [string, unknown] => [k, o[k]]) : [];
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function checkKind(kind: unknown): void {
  if (!DATASET_KINDS.includes(kind as DatasetKind)) {
    throw new DatasetError(`unknown dataset kind "${String(kind)}"; expected one of ${DATASET_KINDS.join(', ')}`);
  }
}

function baseName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? filename;
  return base.replace(/\.(csv|jsonl|ndjson|parquet)$/i, '') || 'dataset';
}

interface ColumnLayout {
  /** column → label-set name */
  labelColumns: Map<string, string>;
  fieldColumns: string[];
}

/** Decide once, from the column names, which columns are extra labels and which are fields. */
function columnLayout(table: Table, kind: DatasetKind): ColumnLayout {
  const labelColumns = new Map<string, string>();
  const fieldColumns: string[] = [];
  const bad: string[] = [];
  for (const col of table.columns) {
    if (ROLE_COLUMNS.has(col)) continue;
    const m = LABEL_COLUMN_RE.exec(col);
    if (m) {
      if (!LABEL_NAME_RE.test(m[1])) bad.push(`column "${col}": a label column's name after "label_" must be 1-64 letters, digits or "_"`);
      else labelColumns.set(col, m[1]);
      continue;
    }
    // Other names (e.g. pandas' "Unnamed: 0") cannot be placeholders; such columns are ignored.
    if (FIELD_NAME_RE.test(col)) fieldColumns.push(col);
  }
  if (bad.length) throw new DatasetError(bad.join('; '));
  if (kind === 'multiclass' && labelColumns.size) {
    throw new DatasetError(`extra label columns (${[...labelColumns.keys()].join(', ')}) are for statements and binary datasets, not multiclass`);
  }
  if (fieldColumns.length > MAX_FIELDS) throw new DatasetError(`dataset has ${fieldColumns.length} field columns, over the limit of ${MAX_FIELDS}`);
  return { labelColumns, fieldColumns };
}

function validateAnswers(a: unknown): [string, string] {
  if (!Array.isArray(a) || a.length !== 2 || !a.every((w) => typeof w === 'string' && w.trim() !== '')) {
    throw new DatasetError('answers must be two non-empty words, e.g. ["negative", "positive"]');
  }
  for (const w of a as string[]) {
    const p = textProblem(w);
    if (p) throw new DatasetError(`answers must be printable text; one contains ${p.what}`);
  }
  if (a[0].trim() === a[1].trim()) throw new DatasetError(`the two answers must differ (both are "${a[0]}")`);
  return [a[0].trim(), a[1].trim()];
}

function validateRow(
  row: RawRow,
  kind: DatasetKind,
  answers: [string, string] | null,
  layout: ColumnLayout,
  maxTextChars: number,
  problems: DatasetProblem[],
): DatasetItem | null {
  const fail = (message: string) => {
    problems.push({ line: row.line, message });
    return null;
  };
  // geometry-of-truth style files call the column "statement"; accept it as a synonym.
  const rawText = row.values.text ?? row.values.statement;
  if (typeof rawText !== 'string') return fail(rawText === undefined || rawText === null ? 'missing "text"' : '"text" must be a string');
  const text = rawText.trim();
  if (text === '') return fail('"text" is empty');
  const bad = storedTextProblem('text', text);
  if (bad) return fail(bad);
  if (text.length > maxTextChars) return fail(`"text" is ${text.length} characters, over the limit of ${maxTextChars}`);

  const item: DatasetItem = { text };
  const rawLabel = row.values.label;
  if (kind === 'multiclass') {
    const choices = parseChoices(row.values.choices);
    if (typeof choices === 'string') return fail(choices);
    const badChoice = choices.map((c, k) => storedTextProblem(`choices[${k}]`, c)).find((p) => p);
    if (badChoice) return fail(badChoice);
    if (rawLabel === undefined || rawLabel === null) return fail('multiclass rows need a "label" (the right choice)');
    const label = choiceIndex(rawLabel, choices);
    if (label === null) return fail(`label ${JSON.stringify(rawLabel)} is neither a choice index 0..${choices.length - 1} nor one of the choices`);
    item.label = label;
    item.choices = choices;
  } else if (rawLabel !== undefined && rawLabel !== null) {
    const label = binaryLabel(rawLabel, kind, answers!);
    if (label === null) return fail(`label ${JSON.stringify(rawLabel)} is not one of ${acceptedLabels(kind, answers!)}`);
    item.label = label;
  }

  const labels: Record<string, 0 | 1> = {};
  for (const [col, name] of layout.labelColumns) {
    const v = row.values[col];
    if (v === undefined || v === null) continue;
    const y = binaryLabel(v, kind, answers!);
    if (y === null) return fail(`${col} ${JSON.stringify(v)} is not one of ${acceptedLabels(kind, answers!)}`);
    labels[name] = y;
  }
  if (Object.keys(labels).length) item.labels = labels;

  const fields: Record<string, string> = {};
  for (const col of layout.fieldColumns) {
    const v = fieldValue(row.values[col]);
    if (v === null) continue;
    if (v.length > maxTextChars) return fail(`"${col}" is ${v.length} characters, over the limit of ${maxTextChars}`);
    const badField = storedTextProblem(col, v);
    if (badField) return fail(badField);
    fields[col] = v;
  }
  if (Object.keys(fields).length) item.fields = fields;
  return item;
}

/** Text Postgres cannot store (NUL, lone surrogates), named by column and position, never quoted. */
function storedTextProblem(column: string, v: string): string | null {
  const p = textProblem(v);
  return p ? `"${column}" contains ${p.what} at character ${p.offset + 1}; remove it (Sonde stores text as UTF-8)` : null;
}

/**
 * A field's value as text: strings trimmed, numbers and booleans as JSON writes them. Empty,
 * null and nested values (objects, lists) give no value, so that CSV (where an empty cell is
 * absent) and JSONL or Parquet of the same rows agree.
 */
function fieldValue(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return null;
}

function acceptedLabels(kind: DatasetKind, answers: [string, string]): string {
  return kind === 'statements' ? 'true/false or 1/0' : `0/1 or ${answers[0]}/${answers[1]}`;
}

function binaryLabel(v: unknown, kind: DatasetKind, answers: [string, string]): 0 | 1 | null {
  if (v === 0 || v === 1) return v;
  if (typeof v === 'boolean' && kind === 'statements') return v ? 1 : 0;
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  if (s === '0' || s === '1') return s === '1' ? 1 : 0;
  if (kind === 'statements' && (s === 'true' || s === 'false')) return s === 'true' ? 1 : 0;
  if (s === answers[1].toLowerCase()) return 1;
  if (s === answers[0].toLowerCase()) return 0;
  return null;
}

/** JSONL gives an array; CSV gives a JSON array in a cell or choices separated by "|". */
function parseChoices(v: unknown): string[] | string {
  let list: unknown = v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s.startsWith('[')) {
      try {
        list = JSON.parse(s);
      } catch {
        return '"choices" looks like a JSON array but does not parse';
      }
    } else list = s.split('|');
  }
  if (list === undefined || list === null) return 'multiclass rows need "choices"';
  if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) return '"choices" must be a list of strings';
  const choices = list.map((c: string) => c.trim());
  if (choices.length < 2) return `"choices" needs at least 2 entries, has ${choices.length}`;
  if (choices.some((c) => c === '')) return '"choices" has an empty entry';
  if (new Set(choices).size !== choices.length) return '"choices" has repeated entries';
  return choices;
}

function choiceIndex(v: unknown, choices: string[]): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (Number.isInteger(n) && n >= 0 && n < choices.length) return n;
  if (typeof v === 'string') {
    const k = choices.indexOf(v.trim());
    if (k >= 0) return k;
  }
  return null;
}
