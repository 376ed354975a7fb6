/**
 * Errors for bad user input in the data layer (uploads, templates, controls, splits).
 * Each carries a one-line message; the CLI maps any `DataInputError` to exit code 2 and the
 * API to HTTP 400, so callers test `err instanceof DataInputError` and nothing finer.
 */
import { BadInputError } from '../errors.ts';
export class DataInputError extends BadInputError {}

/** An uploaded or built-in dataset failed to parse or validate. */
export class DatasetError extends DataInputError {
  /** The problems found, each with its line number where one applies (1-based, as editors count). */
  readonly problems: { line: number | null; message: string }[];

  constructor(summary: string, problems: { line: number | null; message: string }[] = []) {
    super(problems.length ? `${summary}: ${formatProblems(problems)}` : summary);
    this.problems = problems;
  }
}

/** A prompt template is malformed or does not fit the dataset kind. */
export class TemplateError extends DataInputError {}

/** A job's `controls` option is malformed. */
export class ControlError extends DataInputError {}

/** A train/test split cannot be made as asked. */
export class SplitError extends DataInputError {}

/** How many problems a message shows before "and N more". */
export const MAX_REPORTED_PROBLEMS = 5;

function formatProblems(problems: { line: number | null; message: string }[]): string {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS).map((p) => (p.line === null ? p.message : `line ${p.line}: ${p.message}`));
  const more = problems.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
