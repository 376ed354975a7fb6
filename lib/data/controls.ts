/**
 * The controls of Farquhar et al. 2023 ("Challenges with unsupervised LLM knowledge
 * discovery", arXiv:2312.10029), as job options. Their Theorem 1 shows that any binary
 * feature h of the questions gives a CCS loss as low as knowledge does, so a method that
 * finds *a* consistent direction has not thereby found knowledge. Each control plants
 * such a feature and measures whether a method follows it instead of the truth:
 *
 * - `distractor` (their §4.1, "banana/shed"): a random bit h per item; word A is appended
 *   to the side whose answer matches h, word B to the other. Reported: ground-truth
 *   accuracy and distractor accuracy = agreement of predictions with h.
 *   `construction: "farquhar"` is the paper's own (App. C.1, "Random words variant"): the
 *   same word on both sides of a pair, "Banana" for h = 0 and "Shed" for h = 1, after ". ".
 * - `explicit-opinion` (their §4.2): every prompt starts "Alice thinks it is {view}.",
 *   Alice being right with probability q. Reported: opinion accuracy = agreement with
 *   Alice's view. `construction: "farquhar"` is the paper's (App. C.1, "Explicit opinion
 *   variant"): the view is a balanced random partition of the items, independent of the
 *   truth, written at the template's {{opinion}} as the first `mentions` of the template's
 *   opinion sentences ("Alice thinks it is positive. She says …").
 * - `template-sensitivity` (their §4.4 on prompt sensitivity): each template fitted and
 *   scored separately; the spread across templates is reported.
 * - `agreement`: method × method agreement of predictions and |cosine| of directions.
 * See docs/controls.md for the exact construction.
 */
import { ControlError } from './errors.ts';
import { hasPlaceholder, type Template } from './template-syntax.ts';

export type ControlName = 'distractor' | 'explicit-opinion' | 'template-sensitivity' | 'agreement';
export const CONTROL_NAMES: readonly ControlName[] = ['distractor', 'explicit-opinion', 'template-sensitivity', 'agreement'];

/** "sonde" (default, omitted from the parsed spec): Sonde's construction. "farquhar": the paper's, App. C.1. */
export type ControlConstruction = 'sonde' | 'farquhar';

export interface DistractorControl {
  name: 'distractor';
  /**
   * Sonde's: [A, B], A goes to the side whose answer agrees with h, B to the other; default
   * ["banana", "shed"]. Farquhar's: [word for h = 0, word for h = 1] on both sides; default ["Banana", "Shed"].
   */
  words: [string, string];
  /** Present only when "farquhar". */
  construction?: 'farquhar';
}

export interface ExplicitOpinionControl {
  name: 'explicit-opinion';
  /** Probability that Alice's view is the right answer (needs labels unless 0.5). Default 0.5. Farquhar's construction: 0.5 (a balanced partition, independent of the truth). */
  q: number;
  /** Who holds the opinion. Default "Alice" (Farquhar's construction: the template's text names her). */
  character: string;
  /** Present only when "farquhar". */
  construction?: 'farquhar';
  /** Farquhar's construction: how many of the template's opinion sentences are said, 1-7 (the paper's n - 1). Default 1. */
  mentions?: number;
}

export type ControlSpec =
  | DistractorControl
  | ExplicitOpinionControl
  | { name: 'template-sensitivity' }
  | { name: 'agreement' };

export const DEFAULT_DISTRACTOR_WORDS: [string, string] = ['banana', 'shed'];
/** Farquhar et al. 2023, §4.1 and App. C.1: "Banana" if i ∈ I0, "Shed" if i ∈ I1. */
export const FARQUHAR_DISTRACTOR_WORDS: [string, string] = ['Banana', 'Shed'];
/** The paper's list has 8 entries, the first empty: at most 7 sentences are said. */
export const MAX_OPINION_MENTIONS = 7;
export const DEFAULT_OPINION_Q = 0.5;
export const DEFAULT_CHARACTER = 'Alice';

/**
 * Validate a job's `controls` option: a list of names or objects, e.g.
 * `["distractor", {"name": "explicit-opinion", "q": 0.8}]`. Unknown names and unknown
 * or out-of-range options are errors (not silently ignored), and each control may appear once.
 */
export function parseControls(input: unknown): ControlSpec[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new ControlError('controls must be a list, e.g. ["distractor", {"name": "explicit-opinion", "q": 0.5}]');
  const out = input.map((entry, k) => parseControl(entry, k));
  const names = out.map((c) => c.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ControlError(`control "${dup}" is listed twice`);
  return out;
}

function parseControl(entry: unknown, k: number): ControlSpec {
  const obj: Record<string, unknown> =
    typeof entry === 'string' ? { name: entry } : entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? (entry as Record<string, unknown>) : {};
  const name = obj.name;
  if (typeof name !== 'string') throw new ControlError(`controls[${k}] must be a control name or an object with "name"`);
  if (!(CONTROL_NAMES as readonly string[]).includes(name)) {
    throw new ControlError(`unknown control "${name}"; known: ${CONTROL_NAMES.join(', ')}`);
  }
  const allowed: Record<ControlName, string[]> = {
    distractor: ['name', 'words', 'construction'],
    'explicit-opinion': ['name', 'q', 'character', 'construction', 'mentions'],
    'template-sensitivity': ['name'],
    agreement: ['name'],
  };
  const extra = Object.keys(obj).filter((key) => !allowed[name as ControlName].includes(key));
  if (extra.length) throw new ControlError(`control "${name}" has unknown option(s) ${extra.join(', ')}`);

  const construction = obj.construction ?? 'sonde';
  if (construction !== 'sonde' && construction !== 'farquhar') {
    throw new ControlError(`control "${name}" construction must be "sonde" or "farquhar", got ${JSON.stringify(construction)}`);
  }
  const farquhar = construction === 'farquhar';
  if (name === 'distractor') {
    const words = obj.words ?? (farquhar ? FARQUHAR_DISTRACTOR_WORDS : DEFAULT_DISTRACTOR_WORDS);
    if (!Array.isArray(words) || words.length !== 2 || !words.every((w) => typeof w === 'string' && /^\S.{0,39}$/.test(w.trim()))) {
      throw new ControlError('distractor "words" must be two non-empty words of at most 40 characters, e.g. ["banana", "shed"]');
    }
    if (words[0].trim() === words[1].trim()) throw new ControlError('distractor "words" must differ');
    return { name, words: [words[0].trim(), words[1].trim()], ...(farquhar ? { construction: 'farquhar' as const } : {}) };
  }
  if (name === 'explicit-opinion') {
    if (farquhar) {
      // The paper fixes these: a balanced partition of views independent of the truth, and Alice named in the template's text.
      if (obj.q !== undefined) throw new ControlError('explicit-opinion construction "farquhar" draws the view as a balanced random partition independent of the truth; "q" does not apply');
      if (obj.character !== undefined) throw new ControlError('explicit-opinion construction "farquhar" takes the character from the template\'s text; "character" does not apply');
      const mentions = obj.mentions ?? 1;
      if (typeof mentions !== 'number' || !Number.isInteger(mentions) || mentions < 1 || mentions > MAX_OPINION_MENTIONS) {
        throw new ControlError(`explicit-opinion "mentions" must be an integer 1-${MAX_OPINION_MENTIONS}, got ${JSON.stringify(mentions)}`);
      }
      return { name, q: 0.5, character: DEFAULT_CHARACTER, construction: 'farquhar', mentions };
    }
    if (obj.mentions !== undefined) throw new ControlError('explicit-opinion "mentions" applies to construction "farquhar" only');
    const q = obj.q ?? DEFAULT_OPINION_Q;
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new ControlError(`explicit-opinion "q" must be a number in [0, 1], got ${JSON.stringify(q)}`);
    const character = obj.character ?? DEFAULT_CHARACTER;
    if (typeof character !== 'string' || !/^\S.{0,39}$/.test(character.trim())) {
      throw new ControlError('explicit-opinion "character" must be a name of at most 40 characters');
    }
    return { name, q, character: character.trim() };
  }
  if (farquhar) throw new ControlError(`control "${name}" has no "farquhar" construction`);
  return { name } as ControlSpec;
}

/** The one control (if any) that changes the prompts: distractor or explicit-opinion. */
export function promptControl(controls: readonly ControlSpec[]): DistractorControl | ExplicitOpinionControl | undefined {
  return controls.find((c): c is DistractorControl | ExplicitOpinionControl => c.name === 'distractor' || c.name === 'explicit-opinion');
}

/**
 * template-sensitivity: the pair rows of each template, so the pipeline can fit and score
 * every template on its own (Farquhar et al. 2023, §4.4) and report the spread.
 */
export function templateGroups(templates: Int32Array, nTemplates: number): Int32Array[] {
  const counts = new Int32Array(nTemplates);
  for (const t of templates) counts[t]++;
  const groups = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(nTemplates);
  templates.forEach((t, row) => {
    groups[t][fill[t]++] = row;
  });
  return groups;
}

/**
 * Distractor or opinion accuracy: the share of predictions (1 = "the positive side is
 * true") equal to the planted bit of their row (ContrastPairs.control_bits).
 */
export function controlAccuracy(predictions: ArrayLike<number>, bits: ArrayLike<number>): number {
  if (predictions.length !== bits.length) throw new RangeError(`${predictions.length} predictions for ${bits.length} control bits`);
  if (bits.length === 0) return NaN;
  let agree = 0;
  for (let i = 0; i < bits.length; i++) if ((predictions[i] > 0 ? 1 : 0) === bits[i]) agree++;
  return agree / bits.length;
}

/**
 * Checks that need the dataset, so the API can refuse a job at submission rather than
 * fail it after extraction: Alice's accuracy q is only defined with labels (q = 0.5 is a
 * coin either way), and a distractor word must not be one of the answers.
 */
export function checkControlsForDataset(controls: readonly ControlSpec[], dataset: { has_labels: boolean; answers?: [string, string] | null }): void {
  for (const c of controls) {
    if (c.name === 'explicit-opinion' && !dataset.has_labels && c.q !== 0.5) {
      throw new ControlError(`explicit-opinion with q = ${c.q} needs a labelled dataset (without labels only q = 0.5 is defined)`);
    }
    if (c.name === 'distractor' && dataset.answers && c.words.some((w) => dataset.answers!.includes(w))) {
      throw new ControlError(`distractor words ${c.words.join('/')} must not be the dataset's answers`);
    }
  }
}

/**
 * Checks that need the templates, for refusing a job at submission: Farquhar's opinion
 * construction writes the opinion at {{opinion}}, so every template must have one.
 */
export function checkControlsForTemplates(controls: readonly ControlSpec[], templates: readonly Template[]): void {
  for (const c of controls) {
    if (c.name === 'explicit-opinion' && c.construction === 'farquhar') {
      const lacking = templates.filter((t) => !hasPlaceholder(t, 'opinion')).map((t) => t.id);
      if (lacking.length) {
        throw new ControlError(`explicit-opinion construction "farquhar" writes the opinion at {{opinion}}; template(s) ${lacking.join(', ')} have none`);
      }
    }
  }
}
