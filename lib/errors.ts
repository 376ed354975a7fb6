/**
 * Sonde's one error vocabulary. Every error a user can cause or meet says what kind it is
 * through `kind` (as Node's `err.code` does), and each edge maps the kind once: the HTTP
 * error plugin to a status code (http/plugins/errors.ts), the CLI to an exit code
 * (cli/sonde.ts), the workers to "retry or not" (workers/). Nothing matches error names.
 *
 * Libraries throw the narrowest subclass that fits (NpyError, TemplateError, …, all of
 * them BadInputError); a message is one line a user can act on.
 */

export type ErrorKind =
  | 'bad-input' // the request can never work as given: 400, exit 2, no retry
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not-found' // 404, exit 2
  | 'conflict' // 409: clashes with what is stored
  | 'unprocessable' // 422: well-formed, but contradicts an earlier request (an Idempotency-Key reused with another body)
  | 'too-large' // 413: a body, an upload or a job over a size limit
  | 'quota' // 429: over a per-tenant or per-client budget; retry later
  | 'unavailable'; // 503, exit 3: a service (Postgres, Redis, the store) cannot be reached

export class SondeError extends Error {
  readonly kind: ErrorKind = 'bad-input';
  /** Extra members for the problem+json body (RFC 9457 extension members). */
  readonly extra: Record<string, unknown>;

  constructor(message: string, opts: { cause?: unknown; extra?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.extra = opts.extra ?? {};
  }
}

export class BadInputError extends SondeError {
  override readonly kind = 'bad-input' as const;
}

export class UnauthenticatedError extends SondeError {
  override readonly kind = 'unauthenticated' as const;
}

export class ForbiddenError extends SondeError {
  override readonly kind = 'forbidden' as const;
}

export class NotFoundError extends SondeError {
  override readonly kind = 'not-found' as const;
  /** `what` names the missing thing: "job 1234…" → "job 1234… does not exist". */
  static of(what: string, extra?: Record<string, unknown>): NotFoundError {
    return new NotFoundError(`${what} does not exist`, { extra });
  }
}

export class ConflictError extends SondeError {
  override readonly kind = 'conflict' as const;
}

/** Well-formed, but contradicts an earlier request (e.g. an Idempotency-Key reused with a different body). */
export class UnprocessableError extends SondeError {
  override readonly kind = 'unprocessable' as const;
}

export class TooLargeError extends SondeError {
  override readonly kind = 'too-large' as const;
}

export class QuotaError extends SondeError {
  override readonly kind = 'quota' as const;
}

export class UnavailableError extends SondeError {
  override readonly kind = 'unavailable' as const;
}

export const isSondeError = (e: unknown): e is SondeError => e instanceof SondeError;

/** The kind of any thrown value: Sonde's own, or null for an unexpected (internal) error. */
export function errorKind(e: unknown): ErrorKind | null {
  return e instanceof SondeError ? e.kind : null;
}
