/**
 * Prompt templates: how a dataset row and a candidate answer become the text the model
 * reads. Syntax (docs/datasets.md): literal text with placeholders in double braces,
 *   {{text}}     the row's text (required)
 *   {{answer}}   the candidate answer this side of the contrast pair asserts (required)
 *   {{choice0}}  the pair's answer for label 0 (e.g. "negative", "false", or the first
 *   {{choice1}}  of the two sampled choices of a multiclass row) and for label 1,
 * spaces allowed inside the braces (`{{ text }}`). Anything else in braces is an error,
 * so a typo such as `{{txt}}` is caught when the job is submitted, not after extraction.
 */
import type { DatasetKind } from './dataset.ts';
import { TemplateError } from './errors.ts';

export const PLACEHOLDERS = ['text', 'answer', 'choice0', 'choice1'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export type TemplatePart = { literal: string } | { field: Placeholder };

export interface Template {
  /** Stable id: built-ins are "<kind>/<name>"; user templates "user/<n>" unless named. */
  id: string;
  text: string;
  parts: TemplatePart[];
  /** Kinds the template reads well for; user templates fit every kind. */
  kinds: readonly DatasetKind[];
}

export interface TemplateValues {
  text: string;
  answer: string;
  choice0: string;
  choice1: string;
}

const PLACEHOLDER_RE = /\{\{([^{}]*)\}\}/g;
const ALL_KINDS: readonly DatasetKind[] = ['statements', 'binary', 'multiclass'];

export function parseTemplate(text: string, id: string, kinds: readonly DatasetKind[] = ALL_KINDS): Template {
  if (typeof text !== 'string' || text.trim() === '') throw new TemplateError(`template "${id}" is empty`);
  if (text.length > 4000) throw new TemplateError(`template "${id}" is ${text.length} characters, over the limit of 4000`);
  const parts: TemplatePart[] = [];
  const seen = new Set<string>();
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    const name = m[1].trim();
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new TemplateError(`template "${id}" has unknown placeholder {{${m[1]}}}; known: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`);
    }
    if (m.index > last) parts.push({ literal: text.slice(last, m.index) });
    parts.push({ field: name as Placeholder });
    seen.add(name);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  // Left-over braces mean a placeholder was mistyped ("{{text}", "{ {answer}}").
  const stray = parts.find((p) => 'literal' in p && (p.literal.includes('{{') || p.literal.includes('}}')));
  if (stray) throw new TemplateError(`template "${id}" has unbalanced braces near "${(stray as { literal: string }).literal.trim().slice(0, 30)}"`);
  for (const required of ['text', 'answer']) {
    if (!seen.has(required)) throw new TemplateError(`template "${id}" must contain {{${required}}}`);
  }
  return { id, text, parts, kinds };
}

export function renderTemplate(t: Template, values: TemplateValues): string {
  let out = '';
  for (const p of t.parts) out += 'literal' in p ? p.literal : values[p.field];
  return out;
}

/**
 * Built-in templates, the first of each kind being its default. Short prompts suit the
 * default sentence encoder, which mean-pools tokens: a long frame would drown the row's
 * text. `binary/burns-consider` is adapted from the IMDB prompts of Burns et al. 2022
 * (built on promptsource), naming both answers before asking for one.
 */
const BUILTIN_SOURCE: { id: string; kinds: DatasetKind[]; text: string }[] = [
  { id: 'binary/it-was', kinds: ['binary'], text: '{{text}} It was {{answer}}.' },
  { id: 'binary/sentiment-is', kinds: ['binary'], text: '{{text}} The sentiment of this text is {{answer}}.' },
  { id: 'binary/review', kinds: ['binary'], text: 'Review: {{text}}\nSentiment: {{answer}}' },
  {
    id: 'binary/burns-consider',
    kinds: ['binary'],
    text: 'Consider the following example: """{{text}}""" Between {{choice0}} and {{choice1}}, the sentiment of this example is {{answer}}.',
  },
  { id: 'statements/this-is', kinds: ['statements'], text: '{{text}} This statement is {{answer}}.' },
  { id: 'statements/true-or-false', kinds: ['statements'], text: 'True or false: {{text}} Answer: {{answer}}' },
  { id: 'statements/claim', kinds: ['statements'], text: 'Claim: {{text}}\nIs the claim {{choice1}} or {{choice0}}? It is {{answer}}.' },
  { id: 'multiclass/question', kinds: ['multiclass'], text: '{{text}}\nA: {{choice0}}\nB: {{choice1}}\nAnswer: {{answer}}' },
  { id: 'multiclass/plain', kinds: ['multiclass'], text: '{{text}} {{answer}}' },
  { id: 'multiclass/between', kinds: ['multiclass'], text: 'Between {{choice0}} and {{choice1}}, the answer to "{{text}}" is {{answer}}.' },
];

export const BUILTIN_TEMPLATES: readonly Template[] = BUILTIN_SOURCE.map((s) => parseTemplate(s.text, s.id, s.kinds));

export function builtinTemplates(kind?: DatasetKind): Template[] {
  return BUILTIN_TEMPLATES.filter((t) => kind === undefined || t.kinds.includes(kind));
}

export function defaultTemplate(kind: DatasetKind): Template {
  return builtinTemplates(kind)[0];
}

/** A job's template list as the API accepts it (lib/job-spec.ts): built-in ids, inline texts, or {id?, text}. */
export type TemplateSpec = string | { id?: string; text: string };

/**
 * Turn a job's `templates` option into templates for a dataset kind. Empty means the
 * kind's default template. A string containing "{{" is an inline template; any other
 * string must be a built-in id. Ids must be unique since results are grouped by them.
 */
export function resolveTemplates(specs: readonly TemplateSpec[] | undefined, kind: DatasetKind): Template[] {
  if (!specs || specs.length === 0) return [defaultTemplate(kind)];
  if (specs.length > 64) throw new TemplateError(`at most 64 templates per job, got ${specs.length}`);
  const out = specs.map((spec, k) => {
    if (typeof spec === 'string') {
      if (spec.includes('{{')) return parseTemplate(spec, `user/${k}`);
      const t = BUILTIN_TEMPLATES.find((b) => b.id === spec);
      if (!t) throw new TemplateError(`unknown template id "${spec}"; built-in for ${kind}: ${builtinTemplates(kind).map((b) => b.id).join(', ')}`);
      if (!t.kinds.includes(kind)) throw new TemplateError(`template "${spec}" is for ${t.kinds.join('/')} datasets, not ${kind}`);
      return t;
    }
    if (spec === null || typeof spec !== 'object' || typeof spec.text !== 'string') {
      throw new TemplateError(`template ${k} must be a built-in id, a template string, or {"id", "text"}`);
    }
    const id = spec.id ?? `user/${k}`;
    if (!/^[\w./-]{1,64}$/.test(id)) throw new TemplateError(`template id "${id}" must be 1-64 letters, digits, "_", "-", "." or "/"`);
    return parseTemplate(spec.text, id);
  });
  const ids = out.map((t) => t.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new TemplateError(`template id "${dup}" appears twice`);
  return out;
}
