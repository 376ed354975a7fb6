/**
 * RFC 9457 problem details. Routes throw HttpProblem; the error handler in
 * plugins/errors.ts turns every error (validation, parse, unknown) into one.
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

export const notFound = (what: string) => new HttpProblem(404, 'Not Found', `${what} does not exist`);
export const badRequest = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(400, 'Bad Request', detail, extra);
