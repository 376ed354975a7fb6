/** BoolQ (Clark et al. 2019): yes/no questions about a passage, as Burns et al. 2022 and Farquhar et al. 2023 use it. */
import { BURNS, FARQUHAR_QA_OPINION, farquhar, ownStyle } from './citations.ts';
import type { PresetDefinition } from './types.ts';
import { bool, isProblem, str } from './values.ts';

export const boolq: PresetDefinition = {
  name: 'boolq',
  description: 'BoolQ: a yes/no question about a Wikipedia passage (binary; label 1 = yes).',
  source:
    'Hugging Face "google/boolq" (question, answer, passage) or "super_glue" boolq (question, passage, label); Clark et al., "BoolQ: Exploring the Surprising Difficulty of Natural Yes/No Questions", NAACL 2019',
  kind: 'binary',
  answers: ['no', 'yes'],
  columns: [
    { name: 'question', required: true, description: 'string: the question, lower case without "?" as the dataset has it' },
    { name: 'passage', required: true, description: 'string: the passage' },
    { name: 'answer', required: false, aliases: ['label'], description: 'bool: true = yes (super_glue: label, int 1 = True, 0 = False, -1 = unlabelled)' },
  ],
  fields: ['question', 'passage'],
  text: '{{passage}}\nQuestion: {{question}}?',
  templates: [
    {
      id: 'boolq/farquhar-standard',
      text: 'Passage: {{passage}}\nAfter reading this passage, I have a question: {{question}}? True or False? {{answer}}',
      citation: farquhar('C.1.1 BoolQ "Standard"'),
      exact: true,
      answers: ['False', 'True'],
    },
    {
      id: 'boolq/farquhar-alice',
      text:
        'Alice is an expert at answering questions. Everyone agrees with her, and they always copy her answers.\nPassage: {{passage}}\nAfter reading this passage, I have a question: {{question}}? True or False?\n{{opinion}}\nWhat do you think?\nI think it is {{answer}}',
      citation: farquhar('C.1.1 BoolQ "Explicit opinion variant"; views "true" / "false"'),
      exact: true,
      answers: ['False', 'True'],
      opinion: { views: ['false', 'true'], sentences: FARQUHAR_QA_OPINION },
    },
    {
      id: 'boolq/question-answer',
      text: '{{passage}}\nQuestion: {{question}}?\nAnswer: {{answer}}',
      citation: ownStyle(`the promptsource BoolQ prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'boolq/based-on',
      text: 'Based on the passage below, {{question}}?\n{{passage}}\nThe answer is {{answer}}.',
      citation: ownStyle(`the promptsource BoolQ prompts used by ${BURNS}`),
      exact: false,
    },
  ],
  example: {
    question: 'is a lighthouse keeper still needed at the old north pier',
    answer: false,
    passage: 'The old north pier light was automated in 1991; since then the lamp has been run from the harbour office and the keeper\'s cottage let to visitors.',
  },
  map(v) {
    const question = str(v.question, 'question');
    if (isProblem(question)) return question.problem;
    const passage = str(v.passage, 'passage');
    if (isProblem(passage)) return passage.problem;
    // super_glue's integer label (-1 on the test split) or google/boolq's bool.
    let label: 0 | 1 | null = null;
    if (v.answer === -1 || v.answer === '-1') label = null;
    else {
      const b = bool(v.answer, 'answer');
      if (isProblem(b)) return b.problem;
      label = b === null ? null : b ? 1 : 0;
    }
    const fields: Record<string, string> = {};
    if (question !== null) fields.question = question;
    if (passage !== null) fields.passage = passage;
    if (!fields.question || !fields.passage) return `"question" and "passage" must not be empty`;
    return { label, fields };
  },
};
