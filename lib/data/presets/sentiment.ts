/** Sentiment presets: IMDb (Maas et al. 2011) and Amazon polarity (Zhang et al. 2015), as Burns et al. 2022 and Farquhar et al. 2023 use them. */
import { BURNS, FARQUHAR_IMDB_OPINION, farquhar, ownStyle } from './citations.ts';
import type { PresetDefinition } from './types.ts';
import { binaryLabel, isProblem, optional, str } from './values.ts';

const SENTIMENT: Record<number, 0 | 1> = { 0: 0, 1: 1 };

export const imdb: PresetDefinition = {
  name: 'imdb',
  description: 'IMDb movie reviews, positive or negative (binary).',
  source: 'Hugging Face "stanfordnlp/imdb" (imdb); Maas et al., "Learning Word Vectors for Sentiment Analysis", ACL 2011',
  kind: 'binary',
  answers: ['negative', 'positive'],
  columns: [
    { name: 'text', required: true, description: 'string: the review' },
    { name: 'label', required: false, description: 'int: 0 = neg, 1 = pos, -1 = unlabelled (the "unsupervised" split)' },
  ],
  fields: [],
  text: '{{text}}',
  templates: [
    {
      id: 'imdb/farquhar-standard',
      text: 'Consider the following example:\n{{text}}\nBetween positive and negative, the sentiment of this example is {{answer}}',
      citation: farquhar('C.1.2 IMDb "Standard" (adapted by them from Burns et al. 2022)'),
      exact: true,
    },
    {
      id: 'imdb/farquhar-alice',
      text:
        'Alice is an expert at classifying the sentiment of movie reviews. Everyone agrees with her, and they always copy her answers. Consider the following review:\n{{text}}\n{{opinion}}\nWhat do you think?\nI think it is {{answer}}',
      citation: farquhar('C.1.2 IMDb "Explicit opinion variant"; {{opinion}} is "[opinion, n]", empty without the explicit-opinion control'),
      exact: true,
      opinion: { sentences: FARQUHAR_IMDB_OPINION },
    },
    {
      id: 'imdb/did-they-like-it',
      text: '{{text}}\nDid the reviewer like the movie? Overall the review is {{answer}}.',
      citation: ownStyle(`the promptsource IMDb prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'imdb/review-is',
      text: 'Movie review: {{text}}\nIs this review positive or negative? It is {{answer}}.',
      citation: ownStyle(`the promptsource IMDb prompts used by ${BURNS}`),
      exact: false,
    },
  ],
  example: { text: 'I went in expecting little and came out grinning: sharp dialogue, a cast that clearly enjoyed itself.', label: 1 },
  map(v) {
    const text = str(v.text, 'text');
    if (isProblem(text)) return text.problem;
    const label = binaryLabel(v.label, 'label', SENTIMENT);
    if (isProblem(label)) return label.problem;
    return { text, label, fields: {} };
  },
};

export const amazonPolarity: PresetDefinition = {
  name: 'amazon_polarity',
  description: 'Amazon product reviews with a title, positive or negative (binary).',
  source: 'Hugging Face "fancyzhx/amazon_polarity" (amazon_polarity); Zhang, Zhao and LeCun, "Character-level Convolutional Networks for Text Classification", NeurIPS 2015',
  kind: 'binary',
  answers: ['negative', 'positive'],
  columns: [
    { name: 'label', required: false, description: 'int: 0 = negative, 1 = positive' },
    { name: 'title', required: true, description: 'string: the review title (may be empty)' },
    { name: 'content', required: true, description: 'string: the review; the item\'s {{text}}' },
  ],
  fields: ['title'],
  text: '{{text}}',
  templates: [
    {
      id: 'amazon_polarity/title-review',
      text: 'Title: {{title}}\nReview: {{text}}\nIs this product review positive or negative? It is {{answer}}.',
      citation: ownStyle(`the promptsource Amazon polarity prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'amazon_polarity/consider',
      text: 'Consider the following product review:\n{{title}}\n{{text}}\nBetween negative and positive, the sentiment of this review is {{answer}}',
      citation: ownStyle(`the "Consider the following example" prompts of ${BURNS}`),
      exact: false,
    },
    {
      id: 'amazon_polarity/customer',
      text: 'A customer wrote a review titled "{{title}}": {{text}}\nThe customer\'s opinion of the product is {{answer}}.',
      citation: ownStyle(`the promptsource Amazon polarity prompts used by ${BURNS}`),
      exact: false,
    },
  ],
  example: { label: 0, title: 'Broke in a week', content: 'The hinge snapped on day six and support never answered my emails.' },
  map(v) {
    const title = str(v.title, 'title');
    if (isProblem(title)) return title.problem;
    const content = str(v.content, 'content');
    if (isProblem(content)) return content.problem;
    const label = binaryLabel(v.label, 'label', SENTIMENT);
    if (isProblem(label)) return label.problem;
    return { text: content, label, fields: optional({ title }) };
  },
};
