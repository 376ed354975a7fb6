/**
 * Ids as Sonde hands them out (Postgres gen_random_uuid): checked before any query, so a
 * malformed id is a clear 400/404 and never reaches Postgres as a failing uuid cast.
 */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);
