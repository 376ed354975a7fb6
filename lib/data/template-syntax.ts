/**
 * Prompt template syntax: how a dataset row and a candidate answer become the text the model
 * reads. Literal text with placeholders in double braces (docs/datasets.md):
 *   {{answer}}   the candidate answer this side of the contrast pair asserts (required, once)
 *   {{text}}     the row's text
 *   {{choice0}}  the pair's answer for label 0 (e.g. "negative", "false", or the first
 *   {{choice1}}  of the two drawn choices of a multiclass row) and for label 1
 *   {{opinion}}  where the explicit-opinion control writes a character's view ("" without it)
 *   {{<field>}}  any field column of the dataset, e.g. {{question}}, {{passage}}
 * A template needs {{answer}} and at least one of {{text}} or a field, so that it reads the
 * row. Spaces are allowed inside the braces (`{{ text }}`). Any other name in braces is an
 * error, so a typo such as `{{txt}}` is caught when the job is submitted, not after extraction.
 *
 * The registry of built-in and preset templates and a job's template list are in templates.ts.
 */
import type { DatasetKind } from './dataset.ts';
import { TemplateError } from './errors.ts';

export const PLACEHOLDERS = ['text', 'answer', 'choice0', 'choice1', 'opinion'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export type TemplatePart = { literal: string } | { placeholder: Placeholder } | { field: string };

/**
 * How a template writes a character's opinion at {{opinion}} under the explicit-opinion
 * control's `construction: "farquhar"`: the first `mentions` sentences, concatenated, with
 * {view} replaced by the view (Farquhar et al. 2023, App. C.1, "[opinion, n]").
 */
export interface OpinionStyle {
  /** The view words for [the label-0 side's answer, the label-1 side's answer]; default the answers themselves. */
  views?: [string, string];
  sentences: string[];
}

export interface Template {
  /** Stable id: built-ins are "<kind>/<name>", preset templates "<preset>/<name>"; user templates "user/<n>" unless named. */
  id: string;
  text: string;
  parts: TemplatePart[];
  /** Kinds the template reads well for; user templates fit every kind. */
  kinds: readonly DatasetKind[];
  /** Dataset fields the template reads, in order of first use. */
  fields: string[];
  /**
   * The template's own answer words [label-0 side, label-1 side] for {{answer}} (and, for
   * statements and binary datasets, {{choice0}}/{{choice1}}), when the wording needs
   * different ones than the dataset's, e.g. "True"/"False" or a choice number.
   */
  answers?: [string, string];
  opinion?: OpinionStyle;
}

export interface TemplateValues {
  text: string;
  answer: string;
  choice0: string;
  choice1: string;
  /** Default "". */
  opinion?: string;
  /** The item's fields; a field the item lacks renders as "" (as an empty CSV cell). */
  fields?: Record<string, string>;
}

export interface TemplateOptions {
  /** The dataset's field names: placeholders the template may use besides the built-in ones. */
  fields?: readonly string[];
  answers?: [string, string];
  opinion?: OpinionStyle;
}

const PLACEHOLDER_RE = /\{\{([^{}]*)\}\}/g;
export const ALL_KINDS: readonly DatasetKind[] = ['statements', 'binary', 'multiclass'];
const MAX_TEMPLATE_CHARS = 4000;

export function parseTemplate(text: string, id: string, kinds: readonly DatasetKind[] = ALL_KINDS, opts: TemplateOptions = {}): Template {
  if (typeof text !== 'string' || text.trim() === '') throw new TemplateError(`template "${id}" is empty`);
  if (text.length > MAX_TEMPLATE_CHARS) throw new TemplateError(`template "${id}" is ${text.length} characters, over the limit of ${MAX_TEMPLATE_CHARS}`);
  const known = new Set(opts.fields ?? []);
  const parts: TemplatePart[] = [];
  const fields: string[] = [];
  const seen = new Map<string, number>();
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    const name = m[1].trim();
    let part: TemplatePart;
    // Built-in names win over a field of the same name (a column called "answer" cannot be a placeholder).
    if ((PLACEHOLDERS as readonly string[]).includes(name)) part = { placeholder: name as Placeholder };
    else if (known.has(name)) {
      part = { field: name };
      if (!fields.includes(name)) fields.push(name);
    } else {
      const list = [...PLACEHOLDERS, ...[...known].sort()].map((p) => `{{${p}}}`).join(', ');
      throw new TemplateError(`template "${id}" has unknown placeholder {{${m[1]}}}; known for this dataset: ${list}`);
    }
    if (m.index > last) parts.push({ literal: text.slice(last, m.index) });
    parts.push(part);
    seen.set(name, (seen.get(name) ?? 0) + 1);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  // Left-over braces mean a placeholder was mistyped ("{{text}", "{ {answer}}").
  const stray = parts.find((p) => 'literal' in p && (p.literal.includes('{{') || p.literal.includes('}}')));
  if (stray) throw new TemplateError(`template "${id}" has unbalanced braces near "${(stray as { literal: string }).literal.trim().slice(0, 30)}"`);
  if (!seen.has('answer')) throw new TemplateError(`template "${id}" must contain {{answer}}`);
  // The two sides of a pair must differ only in the answer, at one place.
  if (seen.get('answer')! > 1) throw new TemplateError(`template "${id}" contains {{answer}} ${seen.get('answer')} times; it may appear once`);
  if (!seen.has('text') && fields.length === 0) {
    const hint = known.size ? ` or one of the dataset's fields (${[...known].sort().map((f) => `{{${f}}}`).join(', ')})` : '';
    throw new TemplateError(`template "${id}" must contain {{text}}${hint}, so that it reads the row`);
  }
  if (seen.get('opinion')! > 1) throw new TemplateError(`template "${id}" contains {{opinion}} more than once`);
  if (opts.answers) checkPair(opts.answers, `template "${id}" answers`);
  if (opts.opinion?.views) checkPair(opts.opinion.views, `template "${id}" opinion views`);
  return {
    id,
    text,
    parts,
    kinds,
    fields,
    ...(opts.answers ? { answers: opts.answers } : {}),
    ...(opts.opinion ? { opinion: opts.opinion } : {}),
  };
}

function checkPair(pair: unknown, what: string): void {
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((w) => typeof w === 'string' && w !== '') || pair[0] === pair[1]) {
    throw new TemplateError(`${what} must be two different non-empty strings`);
  }
}

export function renderTemplate(t: Template, values: TemplateValues): string {
  let out = '';
  for (const p of t.parts) {
    if ('literal' in p) out += p.literal;
    else if ('field' in p) out += values.fields?.[p.field] ?? '';
    else out += values[p.placeholder] ?? '';
  }
  return out;
}

export function hasPlaceholder(t: Template, name: Placeholder): boolean {
  return t.parts.some((p) => 'placeholder' in p && p.placeholder === name);
}
