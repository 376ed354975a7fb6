/**
 * Errors for bad user input in the data layer (uploads, templates, controls, splits).
 * Each carries a one-line message; the CLI maps any `DataInputError` to exit code 2 and the
 * API to HTTP 400, so callers test `err instanceof DataInputError` and nothing finer.
 */
import { BadInputError } from '../errors.ts';
export class DataInputError extends BadInputError {}

/** One problem in a dataset: its line (JSONL, CSV) or row (Parquet) number, 1-based as editors count, where one applies. */
export interface DatasetProblem {
  line: number | null;
  message: string;
}

/** An uploaded or built-in dataset failed to parse or validate. */
export class DatasetError extends DataInputError {
  /** The problems found, each with its line number where one applies. */
  readonly problems: DatasetProblem[];

  /**
   * `unit` names what `line` counts: file lines for text formats, rows for Parquet (whose
   * rows have no line). `extra` goes into the problem+json body (lib/errors.ts).
   */
  constructor(summary: string, problems: DatasetProblem[] = [], opts: { unit?: 'line' | 'row'; extra?: Record<string, unknown> } = {}) {
    super(problems.length ? `${summary}: ${formatProblems(problems, opts.unit ?? 'line')}` : summary, { extra: opts.extra });
    this.problems = problems;
  }
}

/**
 * A file does not have the columns its preset reads (lib/data/presets). The message names
 * the missing column(s) and every column the preset expects; `extra` carries them as data.
 */
export class PresetError extends DatasetError {}

/** A prompt template is malformed or does not fit the dataset kind. */
export class TemplateError extends DataInputError {}

/** A job's `controls` option is malformed. */
export class ControlError extends DataInputError {}

/** A train/test split cannot be made as asked. */
export class SplitError extends DataInputError {}

/** How many problems a message shows before "and N more". */
export const MAX_REPORTED_PROBLEMS = 5;

function formatProblems(problems: DatasetProblem[], unit: 'line' | 'row'): string {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS).map((p) => (p.line === null ? p.message : `${unit} ${p.line}: ${p.message}`));
  const more = problems.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
