/**
 * The template registry and a job's template list. Built-in templates per dataset kind (the
 * first of each kind is its default) and every preset's templates (lib/data/presets) are
 * addressable by id; inline template strings are parsed against the dataset's fields.
 * Syntax and rendering: template-syntax.ts.
 */
import type { DatasetKind } from './dataset.ts';
import { TemplateError } from './errors.ts';
import { parseTemplate, ALL_KINDS, type Template } from './template-syntax.ts';
import { presetTemplateById, presetTemplates, PRESET_NAMES } from './presets/index.ts';

export {
  parseTemplate,
  renderTemplate,
  hasPlaceholder,
  PLACEHOLDERS,
  type Placeholder,
  type Template,
  type TemplatePart,
  type TemplateValues,
  type TemplateOptions,
  type OpinionStyle,
} from './template-syntax.ts';

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

/**
 * A job's template list as the API accepts it (lib/job-spec.ts): built-in or preset ids,
 * inline texts, or {id?, text, answers?}.
 */
export type TemplateSpec = string | { id?: string; text: string; answers?: [string, string] };

/** What the templates are resolved against: the dataset's fields and the preset it was uploaded with (a Dataset fits). */
export interface TemplateScope {
  fields?: readonly string[];
  preset?: string | null;
}

/**
 * Turn a job's `templates` option into templates for a dataset. Empty means the default:
 * the preset's first template for a dataset uploaded with a preset, else the kind's. A
 * string containing "{{" is an inline template; any other string is a built-in or preset
 * template id (a preset template fits any dataset of its kind that has the fields it reads).
 * Ids must be unique since results are grouped by them.
 */
export function resolveTemplates(specs: readonly TemplateSpec[] | undefined, kind: DatasetKind, scope: TemplateScope = {}): Template[] {
  const fields = scope.fields ?? [];
  if (!specs || specs.length === 0) {
    if (scope.preset) {
      if (!PRESET_NAMES.includes(scope.preset)) throw new TemplateError(`unknown preset "${scope.preset}"; known: ${PRESET_NAMES.join(', ')}`);
      return [checkFits(presetTemplates(scope.preset)[0], kind, fields)];
    }
    return [defaultTemplate(kind)];
  }
  if (specs.length > 64) throw new TemplateError(`at most 64 templates per job, got ${specs.length}`);
  const out = specs.map((spec, k) => {
    if (typeof spec === 'string') {
      if (spec.includes('{{')) return parseTemplate(spec, `user/${k}`, ALL_KINDS, { fields });
      const t = BUILTIN_TEMPLATES.find((b) => b.id === spec) ?? presetTemplateById(spec);
      if (!t) {
        const offered = [...builtinTemplates(kind), ...(scope.preset ? presetTemplates(scope.preset) : [])].map((b) => b.id);
        throw new TemplateError(`unknown template id "${spec}"; built-in for ${kind}: ${offered.join(', ')}`);
      }
      return checkFits(t, kind, fields);
    }
    if (spec === null || typeof spec !== 'object' || typeof spec.text !== 'string') {
      throw new TemplateError(`template ${k} must be a built-in id, a template string, or {"id", "text"}`);
    }
    const id = spec.id ?? `user/${k}`;
    if (!/^[\w./-]{1,64}$/.test(id)) throw new TemplateError(`template id "${id}" must be 1-64 letters, digits, "_", "-", "." or "/"`);
    return parseTemplate(spec.text, id, ALL_KINDS, { fields, ...(spec.answers !== undefined ? { answers: spec.answers } : {}) });
  });
  const ids = out.map((t) => t.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new TemplateError(`template id "${dup}" appears twice`);
  return out;
}

function checkFits(t: Template, kind: DatasetKind, fields: readonly string[]): Template {
  if (!t.kinds.includes(kind)) throw new TemplateError(`template "${t.id}" is for ${t.kinds.join('/')} datasets, not ${kind}`);
  const missing = t.fields.filter((f) => !fields.includes(f));
  if (missing.length) {
    throw new TemplateError(
      `template "${t.id}" reads ${missing.map((f) => `{{${f}}}`).join(', ')}, which the dataset lacks (its fields: ${fields.length ? fields.join(', ') : 'none'})`,
    );
  }
  return t;
}
