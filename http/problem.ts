/**
 * Problems that belong to HTTP itself (a wrong media type). Everything else is one of the
 * error kinds in lib/errors.ts, which the error handler in plugins/errors.ts maps to a status.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}
