import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDataset, type Dataset } from '../../lib/data/dataset.ts';
import { parseTemplate, renderTemplate, resolveTemplates, builtinTemplates, BUILTIN_TEMPLATES } from '../../lib/data/templates.ts';
import { renderContrastPairs, rowsOfItems } from '../../lib/data/contrast-pairs.ts';
import { parseControls, templateGroups, controlAccuracy, checkControlsForDataset, type ControlSpec } from '../../lib/data/controls.ts';
import { TemplateError, ControlError, DataInputError } from '../../lib/data/errors.ts';

function sentiment(n: number, labelled = true): Dataset {
  const rows = Array.from({ length: n }, (_, i) => JSON.stringify(labelled ? { text: `review ${i}`, label: i % 2 } : { text: `review ${i}` }));
  return parseDataset({ filename: 's.jsonl', kind: 'binary', content: rows.join('\n') });
}
const itWas = parseTemplate('{{text}} It was {{answer}}.', 'it-was');

test('templates: placeholders render, spaces inside braces allowed', () => {
  const t = parseTemplate('Q: {{ text }} ({{choice0}}/{{choice1}}) A: {{answer}}', 't');
  assert.equal(renderTemplate(t, { text: 'fine', answer: 'yes', choice0: 'no', choice1: 'yes' }), 'Q: fine (no/yes) A: yes');
});

test('templates: unknown placeholder, missing text/answer, stray braces are errors', () => {
  assert.throws(() => parseTemplate('{{txt}} {{answer}}', 'a'), (e: Error) => e instanceof TemplateError && /unknown placeholder \{\{txt\}\}/.test(e.message));
  assert.throws(() => parseTemplate('{{text}} is good', 'b'), /must contain \{\{answer\}\}/);
  assert.throws(() => parseTemplate('It was {{answer}}', 'c'), /must contain \{\{text\}\}/);
  assert.throws(() => parseTemplate('{{text}} {{answer}', 'd'), /unbalanced braces/);
  assert.throws(() => parseTemplate('  ', 'e'), /is empty/);
});

test('templates: built-ins have unique stable ids, each kind has some; job specs resolve', () => {
  const ids = BUILTIN_TEMPLATES.map((t) => t.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const kind of ['statements', 'binary', 'multiclass'] as const) assert.ok(builtinTemplates(kind).length >= 3);
  assert.deepEqual(resolveTemplates([], 'binary').map((t) => t.id), ['binary/it-was']);
  const r = resolveTemplates(['binary/review', '{{text}} => {{answer}}', { id: 'mine', text: '{{answer}}: {{text}}' }], 'binary');
  assert.deepEqual(r.map((t) => t.id), ['binary/review', 'user/1', 'mine']);
  assert.throws(() => resolveTemplates(['binary/nope'], 'binary'), /unknown template id "binary\/nope"; built-in for binary: binary\/it-was/);
  assert.throws(() => resolveTemplates(['statements/this-is'], 'binary'), /is for statements datasets, not binary/);
  assert.throws(() => resolveTemplates([{ id: 'x', text: '{{text}} {{answer}}' }, { id: 'x', text: '{{answer}} {{text}}' }], 'binary'), /appears twice/);
});

test('contrast pairs: pos has the label-1 answer, one row per (item, template), item-major', () => {
  const d = sentiment(3);
  const t2 = parseTemplate('Review: {{text}} Sentiment: {{answer}}', 'r');
  const p = renderContrastPairs(d, [itWas, t2], { seed: 0 });
  assert.equal(p.pos.length, 6);
  assert.equal(p.pos[0], 'review 0 It was positive.');
  assert.equal(p.neg[0], 'review 0 It was negative.');
  assert.equal(p.pos[1], 'Review: review 0 Sentiment: positive');
  assert.deepEqual(Array.from(p.items), [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(Array.from(p.templates), [0, 1, 0, 1, 0, 1]);
  assert.deepEqual(Array.from(p.labels!), [0, 0, 1, 1, 0, 0]);
  assert.equal(p.control_bits, null);
  assert.deepEqual(p.template_ids, ['it-was', 'r']);
  assert.deepEqual(Array.from(rowsOfItems(p.items, [2, 0])), [0, 1, 4, 5]);
  assert.equal(renderContrastPairs(sentiment(3, false), [itWas], { seed: 0 }).labels, null);
});

test('multiclass binarisation: right choice vs one wrong choice, balanced slots, label marks the right side', () => {
  const rows = Array.from({ length: 200 }, (_, i) => JSON.stringify({ text: `q${i}`, choices: ['a', 'b', 'c', 'd'], label: i % 4 }));
  const d = parseDataset({ filename: 'm.jsonl', kind: 'multiclass', content: rows.join('\n') });
  const t = parseTemplate('{{text}} [{{choice0}}|{{choice1}}] {{answer}}', 'm');
  const p = renderContrastPairs(d, [t], { seed: 3 });
  let ones = 0;
  const wrongSeen = new Set<string>();
  p.pos.forEach((pos, i) => {
    const right = ['a', 'b', 'c', 'd'][i % 4];
    const posAnswer = pos.split(' ').pop()!;
    const negAnswer = p.neg[i].split(' ').pop()!;
    assert.notEqual(posAnswer, negAnswer);
    assert.equal(p.labels![i], posAnswer === right ? 1 : 0);
    assert.ok(posAnswer === right || negAnswer === right, 'the right choice is on one side');
    wrongSeen.add(posAnswer === right ? negAnswer : posAnswer);
    ones += p.labels![i];
    // {{choice1}} is the pos side's answer and {{choice0}} the neg side's, on both sides.
    assert.ok(pos.includes(`[${negAnswer}|${posAnswer}]`) && p.neg[i].includes(`[${negAnswer}|${posAnswer}]`));
  });
  assert.equal(ones, 100);
  assert.equal(wrongSeen.size, 4, 'every choice is drawn as the wrong one sometimes');
  assert.deepEqual(renderContrastPairs(d, [t], { seed: 3 }), p, 'reproducible per seed');
});

test('distractor: word A on the pos side iff h = 1; h balanced and reproducible per seed', () => {
  const d = sentiment(101);
  const [control] = parseControls(['distractor']) as ControlSpec[];
  const p = renderContrastPairs(d, [itWas], { seed: 42, control });
  const bits = p.control_bits!;
  const ones = bits.reduce((a, b) => a + b, 0);
  assert.equal(ones, 51, 'round(101 / 2) items have h = 1');
  for (let i = 0; i < 101; i++) {
    assert.equal(p.pos[i], `review ${i} It was positive. ${bits[i] ? 'banana' : 'shed'}`);
    assert.equal(p.neg[i], `review ${i} It was negative. ${bits[i] ? 'shed' : 'banana'}`);
  }
  assert.deepEqual(renderContrastPairs(d, [itWas], { seed: 42, control }).control_bits, bits);
  assert.notDeepEqual(renderContrastPairs(d, [itWas], { seed: 43, control }).control_bits, bits);
  // h does not depend on the label: about half of each class carries h = 1.
  const onesAmongPositives = Array.from(bits).filter((b, i) => p.labels![i] === 1 && b === 1).length;
  assert.ok(onesAmongPositives > 10 && onesAmongPositives < 40);
  // Same h across an item's templates.
  const p2 = renderContrastPairs(d, [itWas, parseTemplate('{{text}}: {{answer}}', 'b')], { seed: 42, control });
  for (let i = 0; i < 101; i++) assert.equal(p2.control_bits![2 * i], p2.control_bits![2 * i + 1]);
  const custom = parseControls([{ name: 'distractor', words: ['Apple', 'Door'] }])[0];
  assert.match(renderContrastPairs(d, [itWas], { seed: 0, control: custom }).pos[0], /(Apple|Door)$/);
});

test('explicit-opinion: q = 1 Alice always right, q = 0 always wrong, q = 0.5 half; prefix on both sides', () => {
  const d = sentiment(80);
  for (const [q, expected] of [[1, 80], [0, 0], [0.5, 40], [0.8, 64]] as const) {
    const control = parseControls([{ name: 'explicit-opinion', q }])[0];
    const p = renderContrastPairs(d, [itWas], { seed: 7, control });
    const right = Array.from(p.control_bits!).filter((v, i) => v === p.labels![i]).length;
    assert.equal(right, expected, `q = ${q}`);
    for (let i = 0; i < 80; i++) {
      const view = p.control_bits![i] ? 'positive' : 'negative';
      assert.equal(p.pos[i], `Alice thinks it is ${view}. review ${i} It was positive.`);
      assert.equal(p.neg[i], `Alice thinks it is ${view}. review ${i} It was negative.`);
    }
  }
  const bob = parseControls([{ name: 'explicit-opinion', character: 'Bob' }])[0];
  assert.match(renderContrastPairs(d, [itWas], { seed: 0, control: bob }).pos[0], /^Bob thinks it is/);
  // Unlabelled data: q = 0.5 is a fair coin; any other q cannot be honoured.
  const u = sentiment(10, false);
  assert.equal(renderContrastPairs(u, [itWas], { seed: 0, control: bob }).control_bits!.reduce((a, b) => a + b, 0), 5);
  const q9 = parseControls([{ name: 'explicit-opinion', q: 0.9 }])[0];
  assert.throws(() => renderContrastPairs(u, [itWas], { seed: 0, control: q9 }), (e: Error) => e instanceof DataInputError && /needs a labelled dataset/.test(e.message));
});

test('parseControls: names or objects, defaults filled, clear errors', () => {
  assert.deepEqual(parseControls(['distractor', { name: 'explicit-opinion', q: 0.25 }, 'template-sensitivity', 'agreement']), [
    { name: 'distractor', words: ['banana', 'shed'] },
    { name: 'explicit-opinion', q: 0.25, character: 'Alice' },
    { name: 'template-sensitivity' },
    { name: 'agreement' },
  ]);
  assert.deepEqual(parseControls(undefined), []);
  const bad: [unknown, RegExp][] = [
    ['distractor', /must be a list/],
    [['bananas'], /unknown control "bananas"; known: distractor, explicit-opinion/],
    [[{ name: 'explicit-opinion', q: 1.5 }], /"q" must be a number in \[0, 1\]/],
    [[{ name: 'explicit-opinion', q: '0.5' }], /"q" must be a number/],
    [[{ name: 'distractor', words: ['a'] }], /two non-empty words/],
    [[{ name: 'distractor', words: ['a', 'a'] }], /must differ/],
    [[{ name: 'distractor', colour: 'red' }], /unknown option\(s\) colour/],
    [['agreement', 'agreement'], /listed twice/],
    [[42], /controls\[0\] must be a control name/],
  ];
  for (const [input, re] of bad) assert.throws(() => parseControls(input), (e: Error) => e instanceof ControlError && re.test(e.message), JSON.stringify(input));
});

test('template groups and control accuracy', () => {
  const groups = templateGroups(Int32Array.from([0, 1, 2, 0, 1, 2]), 3);
  assert.deepEqual(groups.map((g) => Array.from(g)), [[0, 3], [1, 4], [2, 5]]);
  assert.equal(controlAccuracy([1, 0, 1, 1], Int8Array.from([1, 0, 0, 0])), 0.5);
});

test('checkControlsForDataset refuses what cannot be honoured, before extraction', () => {
  const q9 = parseControls([{ name: 'explicit-opinion', q: 0.9 }]);
  assert.throws(() => checkControlsForDataset(q9, { has_labels: false }), (e: Error) => e instanceof ControlError && /needs a labelled dataset/.test(e.message));
  checkControlsForDataset(q9, { has_labels: true });
  checkControlsForDataset(parseControls(['explicit-opinion']), { has_labels: false });
  const clash = parseControls([{ name: 'distractor', words: ['good', 'shed'] }]);
  assert.throws(() => checkControlsForDataset(clash, { has_labels: true, answers: ['bad', 'good'] }), /must not be the dataset's answers/);
});
