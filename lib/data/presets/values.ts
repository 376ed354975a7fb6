/**
 * Reading source values the way the exports write them: Hugging Face `datasets` gives ints,
 * bools and strings in JSONL and Parquet; pandas' CSV gives "1", "True", "False"; an empty
 * CSV cell is absent.
 */

/** A string value, trimmed; null when absent or empty; a problem message when not text. */
export function str(v: unknown, column: string): string | null | { problem: string } {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') return { problem: `"${column}" must be text, got ${describe(v)}` };
  const s = v.trim();
  return s === '' ? null : s;
}

/** An integer label; null when absent; a problem message otherwise. */
export function int(v: unknown, column: string): number | null | { problem: string } {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) return { problem: `"${column}" must be an integer, got ${describe(v)}` };
  return n;
}

/** A boolean (true/false, "True"/"False" as pandas writes them, 1/0); null when absent. */
export function bool(v: unknown, column: string): boolean | null | { problem: string } {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  return { problem: `"${column}" must be true or false, got ${describe(v)}` };
}

/**
 * A JSON object or list: as given in JSONL and Parquet, or as JSON text in a CSV cell (a
 * Python repr such as pandas writes for a dict is not JSON, and is refused).
 */
export function json(v: unknown, column: string): unknown | { problem: string } {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return { problem: `"${column}" must be a JSON object or list (in CSV, as JSON text)` };
  }
}

export function isProblem(v: unknown): v is { problem: string } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { problem?: unknown }).problem === 'string' && Object.keys(v).length === 1;
}

/**
 * A 0/1 label of a binary or statements preset: `convention` maps each accepted source value
 * to Sonde's label; -1 (the unlabelled test splits of GLUE, IMDb's unsupervised split) is
 * no label.
 */
export function binaryLabel(v: unknown, column: string, convention: Record<number, 0 | 1>): 0 | 1 | null | { problem: string } {
  const n = int(v, column);
  if (n === null || isProblem(n)) return n;
  if (n === -1) return null;
  if (!(n in convention)) return { problem: `"${column}" ${n} is not one of ${[...Object.keys(convention), '-1 (unlabelled)'].join(', ')}` };
  return convention[n];
}

export function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Fields without the absent (null) ones. */
export function optional(fields: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== null) out[k] = v;
  return out;
}
