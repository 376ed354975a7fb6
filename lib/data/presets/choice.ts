/**
 * Two-choice presets: COPA, Story Cloze and PIQA. Multiclass with two choices: the right
 * choice and the other one take the pair's two slots in a random, balanced order
 * (contrast-pairs.ts), so neither "the first option" nor "the pos side" is a shortcut.
 * Every row must be labelled (rows of an unlabelled test split, label -1, are refused).
 */
import { BURNS, ownStyle } from './citations.ts';
import type { PresetDefinition } from './types.ts';
import { int, isProblem, str } from './values.ts';

function texts(v: Record<string, unknown>, names: string[]): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const name of names) {
    const s = str(v[name], name);
    if (isProblem(s)) return s.problem;
    if (s === null) return `"${name}" must not be empty`;
    out[name] = s;
  }
  return out;
}

/** The right choice's index from a label with the given first value (0 for COPA/PIQA, 1 for Story Cloze). */
function choiceLabel(v: unknown, column: string, first: number): number | string {
  const n = int(v, column);
  if (n === null) return `"${column}" is missing (every row of a two-choice dataset needs its right choice)`;
  if (isProblem(n)) return n.problem;
  if (n === -1) return `"${column}" -1 (an unlabelled split) cannot be binarised: a two-choice row needs its right choice`;
  if (n !== first && n !== first + 1) return `"${column}" ${n} is not ${first} or ${first + 1}`;
  return n - first;
}

export const copa: PresetDefinition = {
  name: 'copa',
  description: 'COPA: the more plausible cause or effect of a premise, of two (two-choice).',
  source: 'Hugging Face "super_glue" copa; Roemmele, Bejan and Gordon, "Choice of Plausible Alternatives", AAAI Spring Symposium 2011',
  kind: 'multiclass',
  answers: null,
  columns: [
    { name: 'premise', required: true, description: 'string' },
    { name: 'choice1', required: true, description: 'string' },
    { name: 'choice2', required: true, description: 'string' },
    { name: 'question', required: true, description: 'string: "cause" or "effect"' },
    { name: 'label', required: true, description: 'int: 0 = choice1, 1 = choice2' },
  ],
  fields: ['premise', 'question', 'connective'],
  text: '{{premise}}',
  templates: [
    {
      id: 'copa/what-was',
      text: 'Premise: {{premise}}\nWhat was the {{question}}?\nAnswer: {{answer}}',
      citation: ownStyle(`the promptsource COPA prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'copa/options',
      text: '{{premise}}\nWhich is the more plausible {{question}}: "{{choice0}}" or "{{choice1}}"?\nThe more plausible {{question}} is "{{answer}}"',
      citation: ownStyle(`the promptsource COPA prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'copa/connective',
      text: '{{premise}} {{connective}}: {{answer}}',
      citation: ownStyle(`the promptsource COPA prompts used by ${BURNS} ({{connective}} is "This happened because" for a cause, "As a consequence" for an effect)`),
      exact: false,
    },
  ],
  example: { premise: 'The kettle whistled.', choice1: 'The water had boiled.', choice2: 'The tap was dripping.', question: 'cause', idx: 0, label: 0 },
  map(v) {
    const f = texts(v, ['premise', 'choice1', 'choice2', 'question']);
    if (typeof f === 'string') return f;
    if (f.question !== 'cause' && f.question !== 'effect') return `"question" must be "cause" or "effect", got "${f.question}"`;
    const label = choiceLabel(v.label, 'label', 0);
    if (typeof label === 'string') return label;
    return {
      label,
      choices: [f.choice1, f.choice2],
      fields: { premise: f.premise, question: f.question, connective: f.question === 'cause' ? 'This happened because' : 'As a consequence' },
    };
  },
};

const STORY = ['input_sentence_1', 'input_sentence_2', 'input_sentence_3', 'input_sentence_4'];

export const storyCloze: PresetDefinition = {
  name: 'story_cloze',
  description: 'Story Cloze: the right ending of a four-sentence story, of two (two-choice).',
  source: 'Hugging Face "story_cloze" (2016 release; the data is distributed on request by its authors); Mostafazadeh et al., "A Corpus and Cloze Evaluation for Deeper Understanding of Commonsense Stories", NAACL 2016',
  kind: 'multiclass',
  answers: null,
  columns: [
    ...STORY.map((name, i) => ({ name, required: true, aliases: [`inputsentence${i + 1}`], description: `string: sentence ${i + 1} of the story` })),
    { name: 'sentence_quiz1', required: true, aliases: ['randomfifthsentencequiz1'], description: 'string: ending 1' },
    { name: 'sentence_quiz2', required: true, aliases: ['randomfifthsentencequiz2'], description: 'string: ending 2' },
    { name: 'answer_right_ending', required: true, aliases: ['answerrightending'], description: 'int: 1 or 2, the right ending' },
  ],
  fields: ['story'],
  text: '{{story}}',
  templates: [
    {
      id: 'story_cloze/what-next',
      text: '{{story}}\nWhat happens next? {{answer}}',
      citation: ownStyle(`the promptsource Story Cloze prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'story_cloze/endings',
      text: 'Story: {{story}}\nEnding 1: {{choice1}}\nEnding 2: {{choice0}}\nThe better ending is: {{answer}}',
      citation: ownStyle(`the promptsource Story Cloze prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'story_cloze/continue',
      text: '{{story}} {{answer}}',
      citation: ownStyle('the plain continuation scoring of Mostafazadeh et al. 2016'),
      exact: false,
    },
  ],
  example: {
    story_id: 'sample-1',
    input_sentence_1: 'Mara found a stray kitten by the bins.',
    input_sentence_2: 'It was thin and shivering.',
    input_sentence_3: 'She carried it inside and warmed some milk.',
    input_sentence_4: 'By morning the kitten was purring on her pillow.',
    sentence_quiz1: 'Mara decided to keep it.',
    sentence_quiz2: 'Mara threw the kitten back outside in the rain.',
    answer_right_ending: 1,
  },
  map(v) {
    const f = texts(v, [...STORY, 'sentence_quiz1', 'sentence_quiz2']);
    if (typeof f === 'string') return f;
    const label = choiceLabel(v.answer_right_ending, 'answer_right_ending', 1);
    if (typeof label === 'string') return label;
    return { label, choices: [f.sentence_quiz1, f.sentence_quiz2], fields: { story: STORY.map((k) => f[k]).join(' ') } };
  },
};

export const piqa: PresetDefinition = {
  name: 'piqa',
  description: 'PIQA: the better of two solutions to an everyday physical goal (two-choice).',
  source: 'Hugging Face "ybisk/piqa" (piqa); Bisk et al., "PIQA: Reasoning about Physical Commonsense in Natural Language", AAAI 2020',
  kind: 'multiclass',
  answers: null,
  columns: [
    { name: 'goal', required: true, description: 'string' },
    { name: 'sol1', required: true, description: 'string: solution 1' },
    { name: 'sol2', required: true, description: 'string: solution 2' },
    { name: 'label', required: true, description: 'int: 0 = sol1, 1 = sol2 (-1 on the unlabelled test split: refused)' },
  ],
  fields: ['goal'],
  text: '{{goal}}',
  templates: [
    {
      id: 'piqa/goal-solution',
      text: 'Goal: {{goal}}\nSolution: {{answer}}',
      citation: ownStyle(`the promptsource PIQA prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'piqa/better',
      text: 'Question: {{goal}}\nWhich is the better solution, "{{choice0}}" or "{{choice1}}"?\nAnswer: {{answer}}',
      citation: ownStyle(`the promptsource PIQA prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'piqa/continue',
      text: '{{goal}} {{answer}}',
      citation: ownStyle('the continuation scoring of Bisk et al. 2020'),
      exact: false,
    },
  ],
  example: { goal: 'Keep a cut avocado half from browning.', sol1: 'Leave the stone in and wrap it tightly.', sol2: 'Leave it uncovered in a warm window.', label: 0 },
  map(v) {
    const f = texts(v, ['goal', 'sol1', 'sol2']);
    if (typeof f === 'string') return f;
    const label = choiceLabel(v.label, 'label', 0);
    if (typeof label === 'string') return label;
    return { label, choices: [f.sol1, f.sol2], fields: { goal: f.goal } };
  },
};
