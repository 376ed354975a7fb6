import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCsv } from '../../lib/data/csv.ts';
import { parseDataset, canonicalContent, sha256Hex } from '../../lib/data/dataset.ts';
import { builtinDatasets, loadBuiltinDataset, DEFAULT_BUILTIN_DATASET } from '../../lib/data/builtin.ts';
import { DatasetError, DataInputError } from '../../lib/data/errors.ts';

const ref = JSON.parse(readFileSync(new URL('../fixtures/data/reference.json', import.meta.url), 'utf8'));

/** The DatasetError a call throws, for checking its message. */
function datasetError(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DatasetError, `expected DatasetError, got ${e}`);
    assert.ok(e instanceof DataInputError);
    assert.ok(!e.message.includes('\n'), 'message must be one line');
    return e;
  }
  assert.fail('expected a DatasetError');
}

test('CSV parsing matches Python csv.reader on quoting, CRLF, embedded newlines, unicode', () => {
  for (const c of ref.csv) {
    assert.deepEqual(parseCsv(c.text).map((r) => r.fields), c.records, JSON.stringify(c.text));
  }
});

test('CSV records carry the line they start on, past multi-line fields', () => {
  const recs = parseCsv('text,label\n"a\nb",1\nc,0\n');
  assert.deepEqual(recs.map((r) => r.line), [1, 2, 4]);
});

test('CSV syntax errors name their lines', () => {
  assert.match(datasetError(() => parseCsv('text,label\nok,1\nbad "quote",0\n')).message, /line 3: a quote in an unquoted field/);
  assert.match(datasetError(() => parseCsv('text,label\n"never closed,1\n')).message, /line 2: a quoted field is never closed/);
  assert.match(datasetError(() => parseCsv('text\n"a"b\n')).message, /line 2: unexpected character after a closing quote/);
});

test('JSONL and CSV of the same rows give the same items and sha256', () => {
  const jsonl = '{"text": "good film", "label": 1}\n{"text": "bad film", "label": 0}\n';
  const csvText = 'text,label\r\ngood film,1\r\n"bad film",0\r\n';
  const a = parseDataset({ filename: 'x.jsonl', content: jsonl, kind: 'binary' });
  const b = parseDataset({ filename: 'x.csv', content: new TextEncoder().encode(csvText), kind: 'binary' });
  assert.deepEqual(a.items, [{ text: 'good film', label: 1 }, { text: 'bad film', label: 0 }]);
  assert.deepEqual(a.items, b.items);
  assert.equal(a.sha256, b.sha256);
  assert.equal(a.name, 'x');
  assert.deepEqual(a.answers, ['negative', 'positive']);
  assert.equal(a.has_labels, true);
});

test('sha256 of the canonical content matches hashlib on the same rows', () => {
  for (const c of ref.sha256) {
    assert.equal(sha256Hex(canonicalContent(c.kind, c.answers, c.items)), c.sha256);
  }
});

test('statements accept true/false/1/0 (strings or JSON), and labels are optional', () => {
  const d = parseDataset({
    filename: 's.jsonl',
    kind: 'statements',
    content: ['{"text":"a","label":true}', '{"text":"b","label":"false"}', '{"text":"c","label":1}', '{"text":"d","label":"0"}'].join('\n'),
  });
  assert.deepEqual(d.items.map((i) => i.label), [1, 0, 1, 0]);
  assert.deepEqual(d.answers, ['false', 'true']);
  const u = parseDataset({ filename: 's.csv', kind: 'statements', content: 'text,label\na,\nb,\n' });
  assert.equal(u.has_labels, false);
  assert.deepEqual(u.items, [{ text: 'a' }, { text: 'b' }]);
});

test('binary labels may be the answer words; custom answers are used', () => {
  const d = parseDataset({ filename: 'b.csv', kind: 'binary', answers: ['ham', 'spam'], content: 'text,label\nbuy now,spam\nhi mum,ham\n' });
  assert.deepEqual(d.items.map((i) => i.label), [1, 0]);
  assert.deepEqual(d.answers, ['ham', 'spam']);
});

test('the geometry-of-truth "statement" column is read as text, other columns become fields', () => {
  const d = parseDataset({ filename: 'cities.csv', kind: 'statements', content: 'statement,label,city\nParis is in France.,1,Paris\n' });
  assert.deepEqual(d.items, [{ text: 'Paris is in France.', label: 1, fields: { city: 'Paris' } }]);
  assert.deepEqual(d.fields, ['city']);
});

test('multiclass: choices as JSON array, "|" list, label as index or choice text', () => {
  const d = parseDataset({
    filename: 'm.jsonl',
    kind: 'multiclass',
    content: '{"text":"2+2?","choices":["3","4","5"],"label":1}\n{"text":"Sky?","choices":["blue","green"],"label":"blue"}\n',
  });
  assert.deepEqual(d.items[0], { text: '2+2?', label: 1, choices: ['3', '4', '5'] });
  assert.equal(d.items[1].label, 0);
  assert.equal(d.answers, null);
  const c = parseDataset({ filename: 'm.csv', kind: 'multiclass', content: 'text,choices,label\nSky?,red|blue|green,2\n' });
  assert.deepEqual(c.items[0].choices, ['red', 'blue', 'green']);
});

test('bad rows are reported with line numbers, at most five, then a count', () => {
  const lines = ['{"text":"ok","label":1}'];
  for (let i = 0; i < 8; i++) lines.push('{"text":"x","label":7}');
  const e = datasetError(() => parseDataset({ filename: 'd.jsonl', kind: 'binary', content: lines.join('\n') }));
  assert.match(e.message, /8 invalid row/);
  assert.match(e.message, /line 2: label 7 is not one of 0\/1 or negative\/positive/);
  assert.match(e.message, /line 6:/);
  assert.doesNotMatch(e.message, /line 7:/);
  assert.match(e.message, /and 3 more/);
  assert.equal(e.problems.length, 8);
});

test('each kind of bad input gives its own clear error', () => {
  const cases: [Parameters<typeof parseDataset>[0], RegExp][] = [
    [{ filename: 'a.jsonl', kind: 'binary', content: '{"text":"a"}\nnot json\n' }, /line 2: invalid JSON/],
    [{ filename: 'a.jsonl', kind: 'binary', content: '["a", 1]\n' }, /line 1: expected a JSON object/],
    [{ filename: 'a.jsonl', kind: 'binary', content: '{"label":1}\n' }, /line 1: missing "text"/],
    [{ filename: 'a.jsonl', kind: 'binary', content: '{"text":"  ","label":1}\n' }, /line 1: "text" is empty/],
    [{ filename: 'a.jsonl', kind: 'binary', content: '{"text":5}\n' }, /"text" must be a string/],
    [{ filename: 'a.csv', kind: 'binary', content: 'sentence,label\na,1\n' }, /must name a "text" column/],
    [{ filename: 'a.csv', kind: 'binary', content: 'text,label\na,1,extra\n' }, /line 2: 3 fields, header has 2/],
    [{ filename: 'a.jsonl', kind: 'statements', content: '{"text":"a","label":"maybe"}\n' }, /true\/false or 1\/0/],
    [{ filename: 'a.jsonl', kind: 'multiclass', content: '{"text":"a","choices":["x","y"]}\n' }, /need a "label"/],
    [{ filename: 'a.jsonl', kind: 'multiclass', content: '{"text":"a","choices":["x"],"label":0}\n' }, /at least 2 entries/],
    [{ filename: 'a.jsonl', kind: 'multiclass', content: '{"text":"a","choices":["x","x"],"label":0}\n' }, /repeated/],
    [{ filename: 'a.jsonl', kind: 'multiclass', content: '{"text":"a","choices":["x","y"],"label":2}\n' }, /neither a choice index 0\.\.1/],
    [{ filename: 'a.jsonl', kind: 'binary', content: '' }, /no rows/],
    [{ filename: 'a.json', kind: 'binary', content: '[{"text":"a"}]' }, /JSON array is not accepted/],
    [{ filename: 'a.jsonl', kind: 'binary', content: '{"text":"a"}', answers: ['yes', 'yes'] }, /answers must differ/],
    [{ filename: 'a.jsonl', kind: 'nonsense' as never, content: '{"text":"a"}' }, /unknown dataset kind/],
    [{ filename: 'a.jsonl', kind: 'binary', content: new Uint8Array([0x7b, 0xff, 0xfe]) }, /not valid UTF-8/],
  ];
  for (const [input, re] of cases) assert.match(datasetError(() => parseDataset(input)).message, re, JSON.stringify(input.content));
});

test('row, byte and text-length limits', () => {
  const content = Array.from({ length: 11 }, (_, i) => `{"text":"t${i}"}`).join('\n');
  assert.match(datasetError(() => parseDataset({ filename: 'a.jsonl', kind: 'binary', content }, { maxRows: 10 })).message, /11 rows, over the limit of 10/);
  assert.match(datasetError(() => parseDataset({ filename: 'a.jsonl', kind: 'binary', content }, { maxBytes: 20 })).message, /over the limit of 20/);
  assert.match(
    datasetError(() => parseDataset({ filename: 'a.jsonl', kind: 'binary', content: `{"text":"${'x'.repeat(50)}"}` }, { maxTextChars: 40 })).message,
    /line 1: "text" is 50 characters/,
  );
});

test('built-in datasets load, match their manifest hash, and are balanced', () => {
  const infos = builtinDatasets();
  assert.ok(infos.some((d) => d.name === DEFAULT_BUILTIN_DATASET));
  for (const info of infos) {
    const d = loadBuiltinDataset(info.name);
    assert.equal(d.items.length, info.n_items);
    assert.equal(d.sha256, info.sha256);
    assert.ok(info.sources.length > 0 && info.license.length > 0, `${info.name} records provenance`);
    const ones = d.items.filter((it) => it.label === 1).length;
    if (info.preset === 'quirky_facts') {
      // The lab's statements (docs/lab.md) have the same number of each claim kind, so the
      // truth and Bob's label are 1 equally often (neither is favoured by a base rate).
      const bobOnes = d.items.filter((it) => it.labels?.bob === 1).length;
      assert.equal(bobOnes, ones, `${info.name}: Bob says True as often as the truth is true`);
      assert.ok(ones * 2 === d.items.length || ones * 3 === d.items.length, `${info.name}: a half or a third true`);
    } else assert.equal(ones * 2, d.items.length, `${info.name} is balanced`);
    assert.equal(new Set(d.items.map((it) => it.text)).size, d.items.length, `${info.name} has no duplicate texts`);
  }
  const reviews = loadBuiltinDataset('sentiment-reviews');
  assert.ok(reviews.items.length >= 1000);
  assert.match(datasetError(() => loadBuiltinDataset('nope')).message, /unknown built-in dataset "nope"/);
});
