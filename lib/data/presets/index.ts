/**
 * Presets: uploads in the shapes people already have (Hugging Face `datasets` exports as
 * JSONL, CSV or Parquet; the geometry-of-truth CSVs). A preset names the columns it reads,
 * maps each row onto a Sonde dataset (kind, label convention, fields, composed text) and
 * brings prompt templates in the style of the papers that use the dataset, with citations.
 *
 * `listPresets()` describes them all (for GET /v1/presets); `applyPreset(name, rows)` gives
 * the validated dataset and the preset's templates, or a PresetError naming the missing
 * column(s) and the expected ones.
 */
import { datasetFromTable, FIELD_NAME_RE, type Dataset, type DatasetKind, type DatasetLimits } from '../dataset.ts';
import { DatasetError, PresetError, type DatasetProblem } from '../errors.ts';
import { tableFromObjects, type RawRow, type Table } from '../table.ts';
import { parseTemplate, type OpinionStyle, type Template } from '../template-syntax.ts';
import { amazonPolarity, imdb } from './sentiment.ts';
import { agNews, dbpedia14 } from './topic.ts';
import { boolq } from './boolq.ts';
import { qnli, rte } from './nli.ts';
import { copa, piqa, storyCloze } from './choice.ts';
import { truthfulQa, truthfulQaTrueFalse } from './truthful-qa.ts';
import { geometryOfTruth } from './geometry-of-truth.ts';
import { quirkyFacts } from './quirky-facts.ts';
import type { PresetColumn, PresetDefinition } from './types.ts';

export type { PresetColumn, PresetDefinition, PresetTemplateSource, MappedRow } from './types.ts';
export { AG_NEWS_CLASSES, DBPEDIA_14_CLASSES } from './topic.ts';

const DEFINITIONS: readonly PresetDefinition[] = [
  imdb,
  amazonPolarity,
  agNews,
  dbpedia14,
  boolq,
  rte,
  qnli,
  copa,
  storyCloze,
  piqa,
  truthfulQa,
  truthfulQaTrueFalse,
  geometryOfTruth,
  quirkyFacts,
];

export const PRESET_NAMES: readonly string[] = DEFINITIONS.map((d) => d.name);

/** A preset as GET /v1/presets shows it. */
export interface PresetInfo {
  name: string;
  description: string;
  source: string;
  kind: DatasetKind;
  answers: [string, string] | null;
  /** How each item's text is composed from the row, in template syntax. */
  text: string;
  columns: PresetColumn[];
  /** Fields every item carries (other identifier-named scalar columns of the file pass through as fields too). */
  fields: string[];
  /** Used when a job names no templates. */
  default_template: string;
  templates: { id: string; text: string; citation: string; exact: boolean; answers?: [string, string]; opinion?: OpinionStyle }[];
  /** One row as the source export has it (sample text written for Sonde). */
  example: Record<string, unknown>;
  /** A laboratory dataset: its one template is the lab model's own training format. */
  lab: boolean;
}

export interface AppliedPreset {
  dataset: Dataset;
  templates: Template[];
  preset: PresetInfo;
}

const templateCache = new Map<string, Template[]>();

export function listPresets(): PresetInfo[] {
  return DEFINITIONS.map(info);
}

export function getPreset(name: string): PresetInfo {
  return info(definition(name));
}

/** The preset's templates, parsed (the first is its default). */
export function presetTemplates(name: string): Template[] {
  let ts = templateCache.get(name);
  if (!ts) {
    const d = definition(name);
    ts = d.templates.map((t) =>
      parseTemplate(t.text, t.id, [d.kind], { fields: d.fields, ...(t.answers ? { answers: t.answers } : {}), ...(t.opinion ? { opinion: t.opinion } : {}) }),
    );
    templateCache.set(name, ts);
  }
  return ts;
}

/** A preset template by its id ("boolq/farquhar-standard"), or undefined. */
export function presetTemplateById(id: string): Template | undefined {
  const d = DEFINITIONS.find((p) => p.templates.some((t) => t.id === id));
  return d ? presetTemplates(d.name).find((t) => t.id === id) : undefined;
}

/**
 * Map rows (a Table read from the upload, or objects) through a preset and validate them as
 * a dataset of the preset's kind. Missing required columns are one PresetError naming them
 * and every expected column; bad rows are a DatasetError listing their line (row) numbers.
 */
export function applyPreset(
  name: string,
  rows: Table | readonly Record<string, unknown>[],
  opts: { name?: string; filename?: string; limits?: DatasetLimits } = {},
): AppliedPreset {
  const d = definition(name);
  const table = Array.isArray(rows) ? tableFromObjects(rows as Record<string, unknown>[]) : (rows as Table);
  const filename = opts.filename ?? `${name}.${table.format}`;
  if (table.rows.length === 0) throw new DatasetError('dataset has no rows');

  const found = new Map<string, string>(); // preset column → the file's column
  for (const c of d.columns) {
    const present = [c.name, ...(c.aliases ?? [])].find((n) => table.columns.includes(n));
    if (present) found.set(c.name, present);
  }
  const missing = d.columns.filter((c) => c.required && !found.has(c.name));
  if (missing.length) {
    const expected = d.columns.map((c) => `${c.name}${c.aliases?.length ? ` (or ${c.aliases.join(', ')})` : ''}${c.required ? '' : ' (optional)'}`);
    throw new PresetError(
      `preset "${name}" needs column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c.name}"`).join(', ')}, missing from the file; ` +
        `expected: ${expected.join(', ')}; found: ${table.columns.join(', ') || 'none'}`,
      [],
      {
        extra: {
          preset: name,
          missing_columns: missing.map((c) => c.name),
          expected_columns: d.columns.map((c) => ({ name: c.name, required: c.required, aliases: c.aliases ?? [] })),
          found_columns: table.columns,
        },
      },
    );
  }

  // Columns the preset does not read pass through: label_<name> as extra labels, other identifiers as fields.
  const consumed = new Set(found.values());
  const passthrough = table.columns.filter(
    (col) => !consumed.has(col) && !['text', 'statement', 'label', 'choices'].includes(col) && (FIELD_NAME_RE.test(col) || /^label_/.test(col)),
  );
  const state = d.prepare?.(table.rows.length);
  const problems: DatasetProblem[] = [];
  const mapped: RawRow[] = [];
  table.rows.forEach((row, index) => {
    const values: Record<string, unknown> = {};
    for (const [col, fileCol] of found) values[col] = row.values[fileCol];
    const m = d.map(values, { index, state });
    if (typeof m === 'string') {
      problems.push({ line: row.line, message: m });
      return;
    }
    const out: Record<string, unknown> = {};
    for (const col of passthrough) if (!(col in m.fields)) out[col] = row.values[col];
    Object.assign(out, m.fields);
    out.text = compose(d.text, { ...m.fields, ...(m.text != null ? { text: m.text } : {}) });
    if (m.label !== null) out.label = m.label;
    if (m.choices) out.choices = m.choices;
    mapped.push({ line: row.line, values: out });
  });
  if (problems.length) {
    throw new DatasetError(`dataset "${filename}" does not fit preset "${name}": ${problems.length} invalid row(s)`, problems, { unit: table.unit });
  }
  const columns = ['text', 'label', 'choices', ...passthrough, ...d.fields].filter((c, i, all) => all.indexOf(c) === i);
  const dataset = datasetFromTable(
    { format: table.format, columns, rows: mapped, unit: table.unit },
    { kind: d.kind, filename, name: opts.name, answers: d.answers ?? undefined, preset: d.name },
    opts.limits,
  );
  return { dataset, templates: presetTemplates(name), preset: info(d) };
}

function definition(name: string): PresetDefinition {
  const d = DEFINITIONS.find((p) => p.name === name);
  if (!d) throw new PresetError(`unknown preset "${name}"; known: ${PRESET_NAMES.join(', ')}`);
  return d;
}

function info(d: PresetDefinition): PresetInfo {
  return {
    name: d.name,
    description: d.description,
    source: d.source,
    kind: d.kind,
    answers: d.answers,
    text: d.text,
    columns: d.columns.map((c) => ({ ...c, ...(c.aliases ? { aliases: [...c.aliases] } : {}) })),
    fields: [...d.fields],
    default_template: d.templates[0].id,
    templates: d.templates.map((t) => ({ ...t })),
    example: structuredClone(d.example),
    lab: d.lab ?? false,
  };
}

/** The preset's text composition: {{name}} from the mapped row; a missing value is "". */
function compose(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, k: string) => values[k] ?? '');
}
