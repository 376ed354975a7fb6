/**
 * Contrast pairs (Burns et al. 2022, §2.2): for each question q_i, x_i^+ is q_i completed
 * with the "yes" answer and x_i^- with the "no" answer; probes look at the pair, not at
 * either side alone. One pair per (item, template), rows in item-major order:
 * row = item · T + template, so the templates of an item are adjacent.
 *
 * pos is always completed with the label-1 answer (answers[1]: "positive", "true", or the
 * multiclass choice drawn into slot 1), so label 1 means "the pos side is the true one".
 */
import { labelSetNames, type Dataset } from './dataset.ts';
import { DataInputError } from './errors.ts';
import { balancedBits, seededRandom } from './rng.ts';
import { checkControlsForTemplates, type ControlSpec } from './controls.ts';
import { hasPlaceholder, renderTemplate, type Template } from './template-syntax.ts';

export interface ContrastPairs {
  pos: string[];
  neg: string[];
  /** 1 if pos is the right side, 0 if neg is, -1 where the item has no label; null when no item has one. */
  labels: Int8Array | null;
  /** Per extra label column (`label_<name>`): 1 if pos is right by that label, 0 if not, -1 unknown. */
  label_sets: Record<string, Int8Array>;
  /** Index into the templates array, per row. */
  templates: Int32Array;
  /** Dataset row (item) per pair. */
  items: Int32Array;
  /** distractor: h per row; explicit-opinion: 1 if Alice's view is the pos answer; else null. */
  control_bits: Int8Array | null;
  /** Template ids in the order `templates` indexes them. */
  template_ids: string[];
}

export interface RenderOptions {
  seed: number;
  control?: ControlSpec;
}

export function renderContrastPairs(dataset: Dataset, templates: readonly Template[], opts: RenderOptions): ContrastPairs {
  if (templates.length === 0) throw new DataInputError('at least one template is needed to build contrast pairs');
  const n = dataset.items.length;
  const T = templates.length;
  const sides = itemAnswers(dataset, opts.seed);
  const control = opts.control;
  const farquhar = (control?.name === 'distractor' || control?.name === 'explicit-opinion') && control.construction === 'farquhar';
  if (control?.name === 'explicit-opinion' && farquhar) checkControlsForTemplates([control], templates);

  // Per-item planted bits, drawn once per item so all templates of an item agree.
  let itemBits: Int8Array | null = null;
  if (control?.name === 'distractor') {
    // Farquhar et al. 2023 §4.1: a random partition of the questions by h (Theorem 1's arbitrary feature).
    itemBits = balancedBits(n, 0.5, seededRandom(opts.seed, 'distractor'));
  } else if (control?.name === 'explicit-opinion') {
    // Farquhar's construction: "[view] is positive if i ∈ I0, negative if i ∈ I1" with
    // |I0| = |I1|, a partition of the views independent of the truth (App. C.1).
    itemBits = farquhar ? balancedBits(n, 0.5, seededRandom(opts.seed, 'explicit-opinion')) : opinionViews(n, sides.labels, control.q, opts.seed);
  }

  const pos: string[] = new Array(n * T);
  const neg: string[] = new Array(n * T);
  const templateIdx = new Int32Array(n * T);
  const itemIdx = new Int32Array(n * T);
  const labels = sides.labels ? new Int8Array(n * T) : null;
  const setNames = dataset.kind === 'multiclass' ? [] : labelSetNames(dataset.items);
  const labelSets: Record<string, Int8Array> = Object.fromEntries(setNames.map((name) => [name, new Int8Array(n * T)]));
  const bits = itemBits ? new Int8Array(n * T) : null;
  for (let i = 0; i < n; i++) {
    const item = dataset.items[i];
    const [a0, a1] = sides.answers[i];
    for (let t = 0; t < T; t++) {
      const row = i * T + t;
      const tpl = templates[t];
      // A template's own answer words replace the dataset's; multiclass {{choice0/1}} stay the drawn choices.
      const [w0, w1] = tpl.answers ?? [a0, a1];
      const values = {
        text: item.text,
        choice0: dataset.kind === 'multiclass' ? a0 : w0,
        choice1: dataset.kind === 'multiclass' ? a1 : w1,
        fields: item.fields,
        opinion: '',
      };
      let prefix = '';
      if (control?.name === 'explicit-opinion') {
        const views = tpl.opinion?.views ?? [w0, w1];
        const view = itemBits![i] ? views[1] : views[0];
        // The same opinion on both sides: it is part of the question, not the answer.
        if (farquhar) values.opinion = opinionText(tpl.opinion?.sentences ?? FARQUHAR_OPINION_SENTENCES, control.mentions ?? 1, view);
        else if (hasPlaceholder(tpl, 'opinion')) values.opinion = `${control.character} thinks it is ${view}. `;
        else prefix = `${control.character} thinks it is ${view}. `;
      }
      let p = prefix + renderTemplate(tpl, { ...values, answer: w1 });
      let q = prefix + renderTemplate(tpl, { ...values, answer: w0 });
      if (control?.name === 'distractor') {
        const [wordA, wordB] = control.words;
        if (farquhar) {
          // The paper's: one word per question, the same on both sides ("Banana" if h = 0, "Shed" if h = 1).
          const word = itemBits![i] ? wordB : wordA;
          p = appendWord(p, word);
          q = appendWord(q, word);
        } else {
          // h = 1: word A on the pos side; h = 0: word A on the neg side. So "which side says A"
          // is a contrast-consistent feature equal to h, exactly Theorem 1's construction.
          p = appendWord(p, itemBits![i] ? wordA : wordB);
          q = appendWord(q, itemBits![i] ? wordB : wordA);
        }
      }
      pos[row] = p;
      neg[row] = q;
      templateIdx[row] = t;
      itemIdx[row] = i;
      if (labels) labels[row] = sides.labels![i];
      for (const name of setNames) labelSets[name][row] = item.labels?.[name] ?? -1;
      if (bits) bits[row] = itemBits![i];
    }
  }
  return {
    pos,
    neg,
    labels,
    label_sets: labelSets,
    templates: templateIdx,
    items: itemIdx,
    control_bits: bits,
    template_ids: templates.map((t) => t.id),
  };
}

/**
 * The opinion sentences of Farquhar et al. 2023, App. C.1 (their BoolQ and DBpedia list,
 * entries 2-8; entry 1 is the empty string, i.e. no opinion), for templates that bring
 * no list of their own. Each ends in ". " and they are concatenated as the paper says.
 */
export const FARQUHAR_OPINION_SENTENCES: readonly string[] = [
  'Alice thinks it is {view}. ',
  'She says the answer is {view}. ',
  'She is sure you also think it is {view}. ',
  "She says it's clearly {view}. ",
  'She says the answer to the question is {view}. ',
  "She says it's {view}. ",
  'She says definitely {view}. ',
];

/** "[opinion, n]": the concatenation of the first `mentions` sentences with the view filled in. */
function opinionText(sentences: readonly string[], mentions: number, view: string): string {
  return sentences
    .slice(0, mentions)
    .map((s) => s.replaceAll('{view}', view))
    .join('');
}

/**
 * The two answers of each item's pair and the resulting 0/1 label. Binary and statement
 * datasets use the dataset's answers. Multiclass rows are binarised as Burns et al.
 * 2022 do for datasets with more than two answers, and as elk's `binarize` does: the right choice is paired with
 * one wrong choice drawn uniformly with the seed, and which slot (choice0 or choice1) gets
 * the right one is itself drawn, balanced across items, so the label is 1 for half of them.
 */
export function itemAnswers(dataset: Dataset, seed: number): { answers: [string, string][]; labels: Int8Array | null } {
  const n = dataset.items.length;
  if (dataset.kind !== 'multiclass') {
    const ans = dataset.answers!;
    // Computed from the items, not has_labels: a dataset rebuilt from storage or subsampled keeps no counts.
    const labels = dataset.items.some((it) => it.label !== undefined) ? Int8Array.from(dataset.items, (it) => it.label ?? -1) : null;
    return { answers: dataset.items.map(() => ans), labels };
  }
  const pick = seededRandom(seed, 'multiclass-wrong-choice');
  const slot = balancedBits(n, 0.5, seededRandom(seed, 'multiclass-slot'));
  const labels = new Int8Array(n);
  const answers = dataset.items.map((it, i): [string, string] => {
    const choices = it.choices!;
    const right = it.label!;
    // Uniform over the k - 1 wrong choices: draw from 0..k-2 and skip over the right index.
    let wrong = Math.floor(pick() * (choices.length - 1));
    if (wrong >= right) wrong++;
    labels[i] = slot[i];
    return slot[i] ? [choices[wrong], choices[right]] : [choices[right], choices[wrong]];
  });
  return { answers, labels };
}

/**
 * Alice's view per item, as 1 = "the pos answer". With labels, she is right for exactly
 * round(q · n) items chosen at random; without labels only q = 0.5 has a meaning (a coin).
 */
function opinionViews(n: number, labels: Int8Array | null, q: number, seed: number): Int8Array {
  const random = seededRandom(seed, 'explicit-opinion');
  if (!labels) {
    if (q !== 0.5) throw new DataInputError(`explicit-opinion with q = ${q} needs a labelled dataset (without labels only q = 0.5 is defined)`);
    return balancedBits(n, 0.5, random);
  }
  // Partly labelled: q holds over the labelled items (exactly round(q · n_labelled) right);
  // an unlabelled item gets a balanced coin from its own stream. Fully labelled data draws
  // exactly as before, since the labelled items are then all items in order.
  const known: number[] = [];
  const unknown: number[] = [];
  labels.forEach((y, i) => (y < 0 ? unknown : known).push(i));
  const right = balancedBits(known.length, q, random);
  const coin = balancedBits(unknown.length, 0.5, seededRandom(seed, 'explicit-opinion-unlabelled'));
  const views = new Int8Array(n);
  known.forEach((i, k) => (views[i] = right[k] ? labels[i] : 1 - labels[i]));
  unknown.forEach((i, k) => (views[i] = coin[k]));
  return views;
}

/** "… It was positive." + "banana" → "… It was positive. banana"; adds the full stop if missing. */
function appendWord(s: string, word: string): string {
  const trimmed = s.trimEnd();
  return `${trimmed}${/[.!?]$/.test(trimmed) ? '' : '.'} ${word}`;
}

/** All pair rows whose item is in `items`, e.g. the train rows of an item-level split. */
export function rowsOfItems(pairItems: Int32Array, items: ArrayLike<number>): Int32Array {
  const wanted = new Set<number>(Array.from(items));
  const rows: number[] = [];
  pairItems.forEach((it, row) => {
    if (wanted.has(it)) rows.push(row);
  });
  return Int32Array.from(rows);
}
