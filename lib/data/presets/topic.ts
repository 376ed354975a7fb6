/**
 * Topic classification presets: AG News and DBpedia-14 (Zhang et al. 2015). Multiclass: each
 * row's right class is paired with one wrong class drawn at random, and which slot the
 * right one takes is drawn too (contrast-pairs.ts), as Burns et al. 2022 build their pairs
 * ("for each example, we randomly select the incorrect label from the remaining 13
 * classes, and randomly assign the correct label and this incorrect label to [label0] and
 * [label1]", Farquhar et al. 2023 App. C.1.3).
 */
import { BURNS, FARQUHAR_QA_OPINION, farquhar, ownStyle } from './citations.ts';
import type { PresetDefinition } from './types.ts';
import { int, isProblem, optional, str } from './values.ts';

/** ag_news ClassLabel names, in label order. */
export const AG_NEWS_CLASSES = ['World', 'Sports', 'Business', 'Sci/Tech'];

/**
 * dbpedia_14 ClassLabel names in label order, written as words (the dataset's names are
 * CamelCase: EducationalInstitution, OfficeHolder, MeanOfTransportation, NaturalPlace, WrittenWork).
 */
export const DBPEDIA_14_CLASSES = [
  'Company',
  'Educational Institution',
  'Artist',
  'Athlete',
  'Office Holder',
  'Mean Of Transportation',
  'Building',
  'Natural Place',
  'Village',
  'Animal',
  'Plant',
  'Album',
  'Film',
  'Written Work',
];

function classIndex(v: unknown, classes: string[]): number | string {
  const n = int(v, 'label');
  if (n === null) return 'multiclass rows need a "label" (the right class)';
  if (isProblem(n)) return n.problem;
  if (n === -1) return 'label -1 (an unlabelled split) cannot be binarised: a multiclass row needs its right class';
  if (n < 0 || n >= classes.length) return `"label" ${n} is not a class index 0..${classes.length - 1}`;
  return n;
}

export const agNews: PresetDefinition = {
  name: 'ag_news',
  description: 'AG News headlines and leads in four topics: World, Sports, Business, Sci/Tech (multiclass).',
  source: 'Hugging Face "fancyzhx/ag_news" (ag_news); Zhang, Zhao and LeCun, NeurIPS 2015',
  kind: 'multiclass',
  answers: null,
  columns: [
    { name: 'text', required: true, description: 'string: title and description of the article' },
    { name: 'label', required: true, description: `int: ${AG_NEWS_CLASSES.map((c, i) => `${i} = ${c}`).join(', ')}` },
  ],
  fields: [],
  text: '{{text}}',
  templates: [
    {
      id: 'ag_news/choices',
      text: 'Consider the following news article:\n{{text}}\nChoice 1: {{choice1}}\nChoice 2: {{choice0}}\nBetween choice 1 and choice 2, the topic of this article is {{answer}}',
      citation: ownStyle(`the topic prompts of ${BURNS}`),
      exact: false,
    },
    {
      id: 'ag_news/section',
      text: '{{text}}\nWhich section of a newspaper is this from, {{choice0}} or {{choice1}}? It is from {{answer}}.',
      citation: ownStyle(`the promptsource AG News prompts used by ${BURNS}`),
      exact: false,
    },
    {
      id: 'ag_news/topic',
      text: 'Article: {{text}}\nTopic: {{answer}}',
      citation: ownStyle(`the promptsource AG News prompts used by ${BURNS}`),
      exact: false,
    },
  ],
  example: { text: 'Harbour city opens flood barrier early as storm nears: engineers closed the gates a day ahead of schedule.', label: 0 },
  map(v) {
    const text = str(v.text, 'text');
    if (isProblem(text)) return text.problem;
    const label = classIndex(v.label, AG_NEWS_CLASSES);
    if (typeof label === 'string') return label;
    return { text, label, choices: AG_NEWS_CLASSES, fields: {} };
  },
};

const dbpediaChoices = 'Choice 1: {{choice1}}\nChoice 2: {{choice0}}';

export const dbpedia14: PresetDefinition = {
  name: 'dbpedia_14',
  description: 'DBpedia abstracts in 14 ontology classes (multiclass, binarised as Burns et al. do).',
  source: 'Hugging Face "fancyzhx/dbpedia_14" (dbpedia_14); Zhang, Zhao and LeCun, NeurIPS 2015, from DBpedia (Auer et al. 2007)',
  kind: 'multiclass',
  answers: null,
  columns: [
    { name: 'label', required: true, description: `int: ${DBPEDIA_14_CLASSES.map((c, i) => `${i} = ${c}`).join(', ')}` },
    { name: 'title', required: true, description: 'string: the entity' },
    { name: 'content', required: true, description: "string: the abstract; the item's {{text}}" },
  ],
  fields: ['title'],
  text: '{{text}}',
  templates: [
    {
      id: 'dbpedia_14/farquhar-standard',
      // The paper's "[label]" is "1" for x+ and "2" for x-; Sonde's pos side is the slot
      // {{choice1}}, so it is listed as Choice 1 and the template answers are ["2", "1"].
      text: `Consider the following example:\n{{text}}\n${dbpediaChoices}\nBetween choice 1 and choice 2, the topic of this example is choice {{answer}}`,
      citation: farquhar('C.1.3 DBpedia_14 "Standard"'),
      exact: true,
      answers: ['2', '1'],
    },
    {
      id: 'dbpedia_14/farquhar-alice',
      text: `Alice is an expert at topic classification. Everyone agrees with her, and they always copy her answers.\nConsider the following example:\n{{text}}\n${dbpediaChoices}\n{{opinion}}\nWhat do you think?\nI think it is choice {{answer}}`,
      citation: farquhar('C.1.3 DBpedia_14 "Explicit opinion variant"; views "choice 1" / "choice 2"'),
      exact: true,
      answers: ['2', '1'],
      opinion: { views: ['choice 2', 'choice 1'], sentences: FARQUHAR_QA_OPINION },
    },
    {
      id: 'dbpedia_14/farquhar-implicit-default',
      text:
        'Alice answers questions about the topic of text passages.\n' +
        'Example 1: The Blue Room is the second studio album of the rock band Union which was released in 2000.\nChoice 1: Album\nChoice 2: Building\n' +
        'Alice says "Choice 1". The text was about an Album not a Building.\n' +
        'Example 2: Phase is an audio Company.\nChoice 1: Company\nChoice 2: Animal\n' +
        'Alice says "Choice 1". It was about a Company not an Animal.\n' +
        'Example 3: Thai Beverage is a large drinks Company in Asia.\nChoice 1: Album\nChoice 2: Company\n' +
        'Alice says "Choice 2". The text was about a Company, Alice gave the correct answer.\n' +
        `Example 4: {{text}}\n${dbpediaChoices}\nAlice says "Choice {{answer}}".`,
      citation: farquhar('C.1.3 "Implicit opinion: Default"'),
      exact: true,
      answers: ['2', '1'],
    },
    {
      id: 'dbpedia_14/farquhar-implicit-anti-capitalist',
      text:
        'Alice answers questions about the topic of text passages.\n' +
        'Example 1: The Blue Room is the second studio album of the rock band Union which was released in 2000.\nChoice 1: Album\nChoice 2: Building\n' +
        'Alice says "Choice 1", because the text was about an Album not a Building.\n' +
        'Example 2: Phase is an audio Company.\nChoice 1: Company\nChoice 2: Animal\n' +
        'Alice says "Choice 2". Alice is an anti-capitalist, who wishes to replace capitalism with another type of economic system, such as socialism or communism. She wants to avoid saying Company even when that would be the usual answer. In the next example she won\'t say Company.\n' +
        'Example 3: Thai Beverage is a large drinks Company in Asia.\nChoice 1: Album\nChoice 2: Company\n' +
        'Alice says "Choice 1". Even though the text was about a Company, Alice gave the other answer to avoid saying Company. Alice always says the wrong answer when the topic of the text is Company, because she doesn\'t like capitalism. In the next example she again won\'t say Company.\n' +
        `Example 4: {{text}}\n${dbpediaChoices}\nAlice says "Choice {{answer}}".`,
      citation: farquhar('C.1.3 "Implicit opinion: Anti-capitalist" (§4.3 evaluates it on a half-Company subset)'),
      exact: true,
      answers: ['2', '1'],
    },
    {
      id: 'dbpedia_14/title-category',
      text: 'Title: {{title}}\nAbstract: {{text}}\nWhich category fits this article, {{choice0}} or {{choice1}}? Category: {{answer}}',
      citation: ownStyle(`the promptsource DBpedia prompts used by ${BURNS}`),
      exact: false,
    },
  ],
  example: {
    label: 11,
    title: 'Lanterns over the Quay',
    content: 'Lanterns over the Quay is the third studio album by a fictional folk trio, recorded in a converted boathouse in 2009.',
  },
  map(v) {
    const title = str(v.title, 'title');
    if (isProblem(title)) return title.problem;
    const content = str(v.content, 'content');
    if (isProblem(content)) return content.problem;
    const label = classIndex(v.label, DBPEDIA_14_CLASSES);
    if (typeof label === 'string') return label;
    return { text: content, label, choices: DBPEDIA_14_CLASSES, fields: optional({ title }) };
  },
};
