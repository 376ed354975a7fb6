/**
 * Datasets as Sonde reads them: parsing and validation of uploads (JSONL or CSV) into one
 * canonical in-memory form, with a content hash. Pure apart from hashing: text in, Dataset
 * out; loading files from disk lives in builtin.ts and in the API's upload route.
 *
 * Kinds (docs/datasets.md):
 * - `statements`: a claim per row, optional label true/false; answers default false/true.
 * - `binary`: a text per row, optional label 0/1, two answer words (default negative/positive).
 * - `multiclass`: text, choices (≥ 2) and the index of the right choice; binarised into
 *   contrast pairs when rendered (contrast-pairs.ts), as Burns et al. 2022 and elk do.
 */
import { createHash } from 'node:crypto';
import { parseCsv } from './csv.ts';
import { DatasetError } from './errors.ts';

export type DatasetKind = 'statements' | 'binary' | 'multiclass';
export const DATASET_KINDS: readonly DatasetKind[] = ['statements', 'binary', 'multiclass'];

export interface DatasetItem {
  text: string;
  /** statements/binary: 0 or 1 (1 = true/positive). multiclass: index into `choices`. */
  label?: number;
  /** multiclass only: the candidate answers. */
  choices?: string[];
}

export interface Dataset {
  name: string;
  kind: DatasetKind;
  items: DatasetItem[];
  /** [answer for label 0, answer for label 1], e.g. ['negative', 'positive']; null for multiclass (per-item choices). */
  answers: [string, string] | null;
  /** sha256 (hex) of the canonical content (see canonicalContent), the same for a CSV and a JSONL of the same rows. */
  sha256: string;
  has_labels: boolean;
}

export interface DatasetLimits {
  /** Most rows accepted (default 200,000, as SONDE_MAX_DATASET_ROWS). */
  maxRows?: number;
  /** Most bytes accepted (default 64 MiB, as SONDE_UPLOAD_LIMIT). */
  maxBytes?: number;
  /** Longest text accepted, in characters (default 20,000). */
  maxTextChars?: number;
}

export interface DatasetInput {
  filename: string;
  content: string | Uint8Array;
  kind: DatasetKind;
  name?: string;
  answers?: [string, string];
}

export const DEFAULT_ANSWERS: Record<'statements' | 'binary', [string, string]> = {
  statements: ['false', 'true'],
  binary: ['negative', 'positive'],
};

const DEFAULT_LIMITS = { maxRows: 200_000, maxBytes: 64 << 20, maxTextChars: 20_000 };

/** A row as read from the file, before validation: field name → raw value. */
interface RawRow {
  line: number;
  values: Record<string, unknown>;
}

export function parseDataset(input: DatasetInput, limits: DatasetLimits = {}): Dataset {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  if (!DATASET_KINDS.includes(input.kind)) {
    throw new DatasetError(`unknown dataset kind "${String(input.kind)}"; expected one of ${DATASET_KINDS.join(', ')}`);
  }
  const bytes = typeof input.content === 'string' ? Buffer.byteLength(input.content, 'utf8') : input.content.byteLength;
  if (bytes > lim.maxBytes) throw new DatasetError(`dataset is ${bytes} bytes, over the limit of ${lim.maxBytes}`);
  const text = decodeUtf8(input.content);
  const format = detectFormat(input.filename, text);
  const rows = format === 'csv' ? csvRows(text) : jsonlRows(text);
  if (rows.length === 0) throw new DatasetError('dataset has no rows');
  if (rows.length > lim.maxRows) throw new DatasetError(`dataset has ${rows.length} rows, over the limit of ${lim.maxRows}`);

  const answers = input.kind === 'multiclass' ? null : validateAnswers(input.answers ?? DEFAULT_ANSWERS[input.kind]);
  const problems: { line: number; message: string }[] = [];
  const items: DatasetItem[] = [];
  const unlabelled: number[] = [];
  for (const row of rows) {
    const item = validateRow(row, input.kind, answers, lim.maxTextChars, problems);
    if (!item) continue;
    if (item.label === undefined) unlabelled.push(row.line);
    items.push(item);
  }
  if (problems.length) throw new DatasetError(`dataset "${input.filename}" has ${problems.length} invalid row(s)`, problems);
  // Labels are optional, but all-or-none: a half-labelled file is almost always a mistake.
  if (unlabelled.length > 0 && unlabelled.length < items.length) {
    throw new DatasetError(
      `${unlabelled.length} of ${items.length} rows lack a label (give every row a label or none)`,
      unlabelled.map((line) => ({ line, message: 'missing label' })),
    );
  }
  const kind = input.kind;
  return {
    name: input.name ?? baseName(input.filename),
    kind,
    items,
    answers,
    sha256: sha256Hex(canonicalContent(kind, answers, items)),
    has_labels: unlabelled.length === 0,
  };
}

/**
 * The bytes the dataset hash is taken over: kind, answers and the validated rows as JSON in
 * a fixed key order, so the hash identifies the data and not its file format or spacing.
 */
export function canonicalContent(kind: DatasetKind, answers: [string, string] | null, items: DatasetItem[]): string {
  const rows = items.map((it) => JSON.stringify([it.text, it.label ?? null, it.choices ?? null]));
  return `${JSON.stringify({ format: 'sonde-dataset/1', kind, answers })}\n${rows.join('\n')}\n`;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
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

function detectFormat(filename: string, text: string): 'csv' | 'jsonl' {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  // No telling extension: a first non-blank character of "{" means JSON lines.
  const first = text.trimStart()[0];
  if (first === '{') return 'jsonl';
  if (first === '[') throw new DatasetError('a JSON array is not accepted; write one JSON object per line (JSONL)');
  return 'csv';
}

function baseName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? filename;
  return base.replace(/\.(csv|jsonl|ndjson)$/i, '') || 'dataset';
}

function jsonlRows(text: string): RawRow[] {
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
  return rows;
}

function csvRows(text: string): RawRow[] {
  const records = parseCsv(text);
  if (records.length === 0) return [];
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  if (!header.includes('text') && !header.includes('statement')) {
    throw new DatasetError(`CSV header (line ${records[0].line}) must name a "text" column; found: ${header.join(', ')}`);
  }
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
  return rows;
}

function validateAnswers(a: unknown): [string, string] {
  if (!Array.isArray(a) || a.length !== 2 || !a.every((w) => typeof w === 'string' && w.trim() !== '')) {
    throw new DatasetError('answers must be two non-empty words, e.g. ["negative", "positive"]');
  }
  if (a[0].trim() === a[1].trim()) throw new DatasetError(`the two answers must differ (both are "${a[0]}")`);
  return [a[0].trim(), a[1].trim()];
}

function validateRow(
  row: RawRow,
  kind: DatasetKind,
  answers: [string, string] | null,
  maxTextChars: number,
  problems: { line: number; message: string }[],
): DatasetItem | null {
  const fail = (message: string) => {
    problems.push({ line: row.line, message });
    return null;
  };
  // geometry-of-truth style files call the column "statement"; accept it as a synonym.
  const rawText = row.values.text ?? row.values.statement;
  if (typeof rawText !== 'string') return fail(rawText === undefined ? 'missing "text"' : '"text" must be a string');
  const text = rawText.trim();
  if (text === '') return fail('"text" is empty');
  if (text.length > maxTextChars) return fail(`"text" is ${text.length} characters, over the limit of ${maxTextChars}`);
  const rawLabel = row.values.label;
  if (kind === 'multiclass') {
    const choices = parseChoices(row.values.choices);
    if (typeof choices === 'string') return fail(choices);
    if (rawLabel === undefined || rawLabel === null) return fail('multiclass rows need a "label" (the right choice)');
    const label = choiceIndex(rawLabel, choices);
    if (label === null) return fail(`label ${JSON.stringify(rawLabel)} is neither a choice index 0..${choices.length - 1} nor one of the choices`);
    return { text, label, choices };
  }
  if (rawLabel === undefined || rawLabel === null) return { text };
  const label = binaryLabel(rawLabel, kind, answers!);
  if (label === null) {
    const accepted = kind === 'statements' ? 'true/false or 1/0' : `0/1 or ${answers![0]}/${answers![1]}`;
    return fail(`label ${JSON.stringify(rawLabel)} is not one of ${accepted}`);
  }
  return { text, label };
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
  if (list === undefined) return 'multiclass rows need "choices"';
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
