import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDataset } from '../../lib/data/dataset.ts';
import { parseTemplate, resolveTemplates } from '../../lib/data/templates.ts';
import { renderContrastPairs } from '../../lib/data/contrast-pairs.ts';
import { parseControls, checkControlsForTemplates } from '../../lib/data/controls.ts';
import { ControlError, DataInputError, TemplateError } from '../../lib/data/errors.ts';

const qa = parseDataset({
  filename: 'qa.jsonl',
  kind: 'binary',
  answers: ['no', 'yes'],
  content: [
    '{"text":"t0","question":"Is it wet?","passage":"It rained.","character":"Bob","label":1}',
    '{"text":"t1","question":"Is it dry?","passage":"It rained.","character":"Alice","label":0}',
    '{"text":"t2","passage":"No question here.","label":1}',
  ].join('\n'),
});

test('field placeholders: any field of the dataset; a missing value renders as ""', () => {
  assert.deepEqual(qa.fields, ['character', 'passage', 'question']);
  const t = parseTemplate('{{passage}} Q: {{ question }} A: {{answer}}', 'f', undefined, { fields: qa.fields });
  assert.deepEqual(t.fields, ['passage', 'question']);
  const p = renderContrastPairs(qa, [t], { seed: 0 });
  assert.equal(p.pos[0], 'It rained. Q: Is it wet? A: yes');
  assert.equal(p.neg[0], 'It rained. Q: Is it wet? A: no');
  assert.equal(p.pos[2], 'No question here. Q:  A: yes');
});

test('template rules: {{answer}} once, and {{text}} or a field; unknown names listed with the dataset fields', () => {
  const fields = qa.fields;
  assert.throws(() => parseTemplate('{{question}} {{answer}} {{answer}}', 'a', undefined, { fields }), /\{\{answer\}\} 2 times/);
  assert.throws(() => parseTemplate('It was {{answer}}', 'b', undefined, { fields }), /must contain \{\{text\}\} or one of the dataset's fields \(\{\{character\}\}/);
  assert.throws(
    () => parseTemplate('{{questoin}} {{answer}}', 'c', undefined, { fields }),
    (e: Error) => e instanceof TemplateError && /unknown placeholder \{\{questoin\}\}; known for this dataset: .*\{\{question\}\}/.test(e.message),
  );
  // Without the fields, a field placeholder is unknown.
  assert.throws(() => parseTemplate('{{question}} {{answer}}', 'd'), /unknown placeholder \{\{question\}\}/);
  assert.throws(() => parseTemplate('{{text}} {{answer}}', 'e', undefined, { answers: ['x', 'x'] }), /two different/);
});

test('resolveTemplates: inline and {id,text,answers} against the fields; preset ids need their fields', () => {
  const [inline, own] = resolveTemplates(['{{question}} {{answer}}', { id: 'tf', text: '{{passage}} {{answer}}', answers: ['False', 'True'] }], 'binary', qa);
  assert.equal(inline.id, 'user/0');
  assert.deepEqual(own.answers, ['False', 'True']);
  assert.equal(renderContrastPairs(qa, [own], { seed: 0 }).pos[0], 'It rained. True');
  // boolq's templates fit any binary dataset with question and passage fields.
  const [farq] = resolveTemplates(['boolq/farquhar-standard'], 'binary', qa);
  assert.equal(renderContrastPairs(qa, [farq], { seed: 0 }).neg[1], 'Passage: It rained.\nAfter reading this passage, I have a question: Is it dry?? True or False? False');
  assert.throws(() => resolveTemplates(['boolq/farquhar-standard'], 'binary', { fields: ['question'] }), /reads \{\{passage\}\}, which the dataset lacks/);
  assert.throws(() => resolveTemplates(['imdb/farquhar-standard'], 'statements'), /is for binary datasets, not statements/);
  // Defaults: the preset's first template for a preset dataset, else the kind's.
  assert.equal(resolveTemplates([], 'binary', { preset: 'boolq', fields: ['question', 'passage'] })[0].id, 'boolq/farquhar-standard');
  assert.equal(resolveTemplates(undefined, 'binary', qa)[0].id, 'binary/it-was');
});

test('explicit-opinion, Sonde construction: at {{opinion}} when the template has one, else a prefix', () => {
  const withSlot = parseTemplate('{{text}}\n{{opinion}}Answer: {{answer}}', 'slot');
  const control = parseControls([{ name: 'explicit-opinion', q: 1 }])[0];
  const p = renderContrastPairs(qa, [withSlot], { seed: 0, control });
  assert.equal(p.pos[0], 't0\nAlice thinks it is yes. Answer: yes');
  assert.equal(p.neg[1], 't1\nAlice thinks it is no. Answer: no');
  // Without the control {{opinion}} is empty.
  assert.equal(renderContrastPairs(qa, [withSlot], { seed: 0 }).pos[0], 't0\nAnswer: yes');
});

test('explicit-opinion, Farquhar construction: balanced views independent of labels, first n sentences at {{opinion}}', () => {
  const rows = Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `r${i}`, label: i < 30 ? 1 : 0 }));
  const d = parseDataset({ filename: 'r.jsonl', kind: 'binary', content: rows.join('\n') });
  const t = parseTemplate('{{text}}\n{{opinion}}\nI think it is {{answer}}', 't', undefined, {
    opinion: { sentences: ['Alice thinks it is {view}. ', 'She says it is {view}. '] },
  });
  const c = parseControls([{ name: 'explicit-opinion', construction: 'farquhar', mentions: 2 }])[0];
  assert.deepEqual(c, { name: 'explicit-opinion', q: 0.5, character: 'Alice', construction: 'farquhar', mentions: 2 });
  const p = renderContrastPairs(d, [t], { seed: 9, control: c });
  const bits = Array.from(p.control_bits!);
  assert.equal(bits.filter((b) => b === 1).length, 20, 'half the items have the pos answer as the view');
  for (let i = 0; i < 40; i++) {
    const view = bits[i] ? 'positive' : 'negative';
    assert.equal(p.pos[i], `r${i}\nAlice thinks it is ${view}. She says it is ${view}. \nI think it is positive`);
    assert.equal(p.neg[i], `r${i}\nAlice thinks it is ${view}. She says it is ${view}. \nI think it is negative`);
  }
  const errors: [unknown, RegExp][] = [
    [{ name: 'explicit-opinion', construction: 'farquhar', q: 0.8 }, /"q" does not apply/],
    [{ name: 'explicit-opinion', construction: 'farquhar', character: 'Bob' }, /"character" does not apply/],
    [{ name: 'explicit-opinion', construction: 'farquhar', mentions: 8 }, /integer 1-7/],
    [{ name: 'explicit-opinion', mentions: 2 }, /applies to construction "farquhar" only/],
    [{ name: 'distractor', construction: 'paper' }, /must be "sonde" or "farquhar"/],
    [{ name: 'agreement', construction: 'farquhar' }, /unknown option/],
  ];
  for (const [input, re] of errors) assert.throws(() => parseControls([input]), (e: Error) => e instanceof ControlError && re.test(e.message), JSON.stringify(input));
  // Every template needs {{opinion}}: refused at submission and at rendering.
  const plain = parseTemplate('{{text}} {{answer}}', 'plain');
  assert.throws(() => checkControlsForTemplates([c], [t, plain]), /template\(s\) plain have none/);
  assert.throws(() => renderContrastPairs(d, [plain], { seed: 0, control: c }), (e: Error) => e instanceof DataInputError);
});

test('distractor, Farquhar construction: the same word on both sides, Banana for h = 0 and Shed for h = 1', () => {
  const rows = Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: `r${i}`, label: i % 2 }));
  const d = parseDataset({ filename: 'r.jsonl', kind: 'binary', content: rows.join('\n') });
  const t = parseTemplate('{{text}} is {{answer}}', 't');
  const c = parseControls([{ name: 'distractor', construction: 'farquhar' }])[0];
  assert.deepEqual(c, { name: 'distractor', words: ['Banana', 'Shed'], construction: 'farquhar' });
  const p = renderContrastPairs(d, [t], { seed: 4, control: c });
  const bits = p.control_bits!;
  assert.equal(bits.reduce((a, b) => a + b, 0), 10);
  for (let i = 0; i < 20; i++) {
    const word = bits[i] ? 'Shed' : 'Banana';
    assert.equal(p.pos[i], `r${i} is positive. ${word}`);
    assert.equal(p.neg[i], `r${i} is negative. ${word}`);
  }
  // The default construction is unchanged: opposite words on the two sides.
  const sonde = renderContrastPairs(d, [t], { seed: 4, control: parseControls(['distractor'])[0] });
  assert.notEqual(sonde.pos[0].split(' ').pop(), sonde.neg[0].split(' ').pop());
});
