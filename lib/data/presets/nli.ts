/**
 * Entailment presets: RTE and QNLI as GLUE (and SuperGLUE, for RTE) publish them. Their label
 * convention is kept: 0 = entailment, 1 = not_entailment, -1 = unlabelled (the test splits),
 * so the answers are ordered [label 0, label 1] = ["yes", "no"]: the pos side of a pair
 * (label 1) asserts "no, not entailed".
 */
import { BURNS, ownStyle } from './citations.ts';
import type { PresetDefinition } from './types.ts';
import { binaryLabel, isProblem, str } from './values.ts';

const ENTAILMENT: Record<number, 0 | 1> = { 0: 0, 1: 1 };
const LABEL = 'int: 0 = entailment, 1 = not_entailment, -1 = unlabelled (test split)';

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

export const rte: PresetDefinition = {
  name: 'rte',
  description: 'RTE: does the premise entail the hypothesis? (binary; GLUE labels: 0 = entailment = "yes").',
  source:
    'Hugging Face "super_glue" rte (premise, hypothesis, label) or "nyu-mll/glue" rte (sentence1, sentence2, label); Dagan et al. 2006 and later RTE challenges',
  kind: 'binary',
  answers: ['yes', 'no'],
  columns: [
    { name: 'premise', required: true, aliases: ['sentence1'], description: 'string' },
    { name: 'hypothesis', required: true, aliases: ['sentence2'], description: 'string' },
    { name: 'label', required: false, description: LABEL },
  ],
  fields: ['premise', 'hypothesis'],
  text: '{{premise}}\nHypothesis: {{hypothesis}}',
  templates: [
    {
      id: 'rte/does-it-follow',
      text: '{{premise}}\nDoes it follow that "{{hypothesis}}"? {{answer}}',
      citation: ownStyle(`the promptsource RTE prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'rte/true-or-false',
      text: '{{premise}}\nQuestion: {{hypothesis}} True or false?\nAnswer: {{answer}}',
      citation: ownStyle(`the GPT-3-style RTE prompt in promptsource, as used by ${BURNS}`),
      exact: false,
      answers: ['true', 'false'],
    },
    {
      id: 'rte/can-we-conclude',
      text: 'Suppose that the following is true:\n{{premise}}\nCan we conclude that "{{hypothesis}}"? {{answer}}',
      citation: ownStyle(`the promptsource RTE prompts used by ${BURNS}`),
      exact: false,
    },
  ],
  example: { premise: 'The ferry to the island leaves twice a day, at seven and at five.', hypothesis: 'There is an evening ferry to the island.', label: 0, idx: 0 },
  map(v) {
    const fields = texts(v, ['premise', 'hypothesis']);
    if (typeof fields === 'string') return fields;
    const label = binaryLabel(v.label, 'label', ENTAILMENT);
    if (isProblem(label)) return label.problem;
    return { label, fields };
  },
};

export const qnli: PresetDefinition = {
  name: 'qnli',
  description: 'QNLI: does the sentence contain the answer to the question? (binary; GLUE labels: 0 = entailment = "yes").',
  source: 'Hugging Face "nyu-mll/glue" qnli (question, sentence, label); Wang et al., GLUE, 2018, from SQuAD (Rajpurkar et al. 2016)',
  kind: 'binary',
  answers: ['yes', 'no'],
  columns: [
    { name: 'question', required: true, description: 'string' },
    { name: 'sentence', required: true, description: 'string' },
    { name: 'label', required: false, description: LABEL },
  ],
  fields: ['question', 'sentence'],
  text: '{{question}}\n{{sentence}}',
  templates: [
    {
      id: 'qnli/answers-it',
      text: 'Question: {{question}}\nSentence: {{sentence}}\nDoes the sentence answer the question? {{answer}}',
      citation: ownStyle(`the promptsource QNLI prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'qnli/can-answer',
      text: 'Can the question "{{question}}" be answered from "{{sentence}}"? {{answer}}',
      citation: ownStyle(`the promptsource QNLI prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'qnli/contains',
      text: '{{sentence}}\nDoes this sentence contain the answer to "{{question}}"? {{answer}}',
      citation: ownStyle(`the promptsource QNLI prompts used by ${BURNS}`),
      exact: false,
    },
  ],
  example: { question: 'When does the night market open?', sentence: 'The night market opens at dusk and closes well after midnight.', label: 0, idx: 0 },
  map(v) {
    const fields = texts(v, ['question', 'sentence']);
    if (typeof fields === 'string') return fields;
    const label = binaryLabel(v.label, 'label', ENTAILMENT);
    if (isProblem(label)) return label.problem;
    return { label, fields };
  },
};
