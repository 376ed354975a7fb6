/**
 * The true/false statement CSVs of Marks and Tegmark 2023 ("The Geometry of Truth"): cities,
 * sp_en_trans, larger_than, companies_true_false, common_claim_true_false and their negated
 * variants. Columns statement and label (1 = true); the per-file columns (city, country,
 * correct_country, n1, n2, …) pass through as fields.
 */
import { MARKS, ownStyle } from './citations.ts';
import type { PresetDefinition } from './types.ts';
import { binaryLabel, isProblem, str } from './values.ts';

export const geometryOfTruth: PresetDefinition = {
  name: 'geometry_of_truth',
  description: 'True/false statement CSVs of "The Geometry of Truth" (statements; label 1 = true).',
  source: `the CSVs published with ${MARKS}`,
  kind: 'statements',
  answers: ['false', 'true'],
  columns: [
    { name: 'statement', required: true, description: 'string: a statement' },
    { name: 'label', required: false, description: 'int: 1 = true, 0 = false' },
  ],
  fields: [],
  text: '{{text}}',
  templates: [
    {
      id: 'geometry_of_truth/true-or-false',
      text: 'Statement: {{text}}\nTrue or false? {{answer}}',
      citation: ownStyle(`the true/false judgement ${MARKS} probe for`),
      exact: false,
    },
    {
      id: 'geometry_of_truth/this-statement-is',
      text: '{{text}} This statement is {{answer}}.',
      citation: ownStyle(`the true/false judgement ${MARKS} probe for`),
      exact: false,
    },
    {
      id: 'geometry_of_truth/is-it-true',
      text: '{{text}}\nIs this true? {{answer}}',
      citation: ownStyle(`the true/false judgement ${MARKS} probe for`),
      exact: false,
      answers: ['No', 'Yes'],
    },
  ],
  example: { statement: 'The city of Lyon is in France.', label: 1, city: 'Lyon', country: 'France', correct_country: 'France' },
  map(v) {
    const text = str(v.statement, 'statement');
    if (isProblem(text)) return text.problem;
    const label = binaryLabel(v.label, 'label', { 0: 0, 1: 1 });
    if (isProblem(label)) return label.problem;
    return { text, label, fields: {} };
  },
};
