/**
 * Text Sonde can store and show: Postgres' text and jsonb refuse U+0000, and a lone UTF-16
 * surrogate (half of a pair, e.g. "\ud800") has no UTF-8 encoding. Both are refused where
 * they enter (dataset uploads, key labels) with a message that names the position, never
 * the text itself.
 */

/** What is wrong with `s` as stored text, or null: the first NUL or lone surrogate, with its 0-based offset. */
export function textProblem(s: string): { offset: number; what: string } | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return { offset: i, what: 'a NUL character (\\u0000)' };
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return { offset: i, what: `a lone surrogate (\\u${c.toString(16)})` };
    }
    if (c >= 0xdc00 && c <= 0xdfff) return { offset: i, what: `a lone surrogate (\\u${c.toString(16)})` };
  }
  return null;
}

/** 1-based line of `offset` in `s` (as editors count). */
export function lineAt(s: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < s.length; i++) if (s.charCodeAt(i) === 10) line++;
  return line;
}

/** A short label a person typed: printable, no control characters, no lone surrogates. */
export function labelProblem(s: string, max = 200): string | null {
  if (s.length > max) return `is ${s.length} characters, over ${max}`;
  const p = textProblem(s);
  if (p) return `contains ${p.what} at character ${p.offset + 1}`;
  // eslint-disable-next-line no-control-regex
  const ctl = /[\u0001-\u001f\u007f-\u009f]/.exec(s);
  if (ctl) return `contains a control character (\\u${ctl[0].charCodeAt(0).toString(16).padStart(4, '0')}) at character ${ctl.index + 1}`;
  return null;
}
