import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDataset, canonicalContent, sha256Hex, datasetJsonl, datasetFromTable } from '../../lib/data/dataset.ts';
import { tableFromObjects } from '../../lib/data/table.ts';
import { DatasetError } from '../../lib/data/errors.ts';

function datasetError(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DatasetError, `expected DatasetError, got ${e}`);
    assert.ok(!e.message.includes('\n'), 'message must be one line');
    return e;
  }
  assert.fail('expected a DatasetError');
}

test('label_<name> columns are extra 0/1 labels, read like label, absent = unknown', () => {
  const d = parseDataset({
    filename: 's.jsonl',
    kind: 'statements',
    content: [
      '{"text":"a","label":true,"label_bob":false,"label_alice":"1"}',
      '{"text":"b","label":0,"label_bob":null}',
      '{"text":"c","label_alice":"false"}',
    ].join('\n'),
  });
  assert.deepEqual(d.items, [
    { text: 'a', label: 1, labels: { bob: 0, alice: 1 } },
    { text: 'b', label: 0 },
    { text: 'c', labels: { alice: 0 } },
  ]);
  assert.deepEqual(d.label_sets, ['alice', 'bob']);
  assert.equal(d.n_labelled, 2);
  assert.equal(d.has_labels, true);
  // binary label columns accept the answer words too
  const b = parseDataset({ filename: 'b.csv', kind: 'binary', answers: ['ham', 'spam'], content: 'text,label,label_filter\nbuy now,spam,ham\nhi,,spam\n' });
  assert.deepEqual(b.items.map((i) => i.labels), [{ filter: 0 }, { filter: 1 }]);
  assert.equal(b.n_labelled, 1);
});

test('field columns: scalars kept as strings, trimmed; empty, null and nested values give no value', () => {
  const d = parseDataset({
    filename: 'f.jsonl',
    kind: 'binary',
    content: [
      '{"text":"t1","label":1,"question":" Who? ","difficulty":3,"hard":true,"meta":{"x":1},"tags":["a"],"empty":"","gone":null}',
      '{"text":"t2","label":0,"question":"Why?","Unnamed: 0":5,"__index_level_0__":7}',
    ].join('\n'),
  });
  assert.deepEqual(d.items[0].fields, { question: 'Who?', difficulty: '3', hard: 'true' });
  assert.deepEqual(d.items[1].fields, { question: 'Why?' });
  assert.deepEqual(d.fields, ['difficulty', 'hard', 'question']);
});

test('partial labels are accepted and counted; has_labels means at least one', () => {
  const d = parseDataset({ filename: 'p.csv', kind: 'binary', content: 'text,label\na,1\nb,\nc,0\nd,\n' });
  assert.equal(d.n_labelled, 2);
  assert.equal(d.has_labels, true);
  assert.deepEqual(d.items.map((i) => i.label), [1, undefined, 0, undefined]);
  const u = parseDataset({ filename: 'u.csv', kind: 'binary', content: 'text\na\nb\n' });
  assert.equal(u.n_labelled, 0);
  assert.equal(u.has_labels, false);
});

test('partial labels, label sets and fields round-trip through datasetJsonl with the same hash', () => {
  const csv = 'text,label,label_bob,character,difficulty\nx,1,0,Bob,hard\ny,,1,Alice,\nz,0,,Bob,easy\n';
  const d = parseDataset({ filename: 'r.csv', kind: 'statements', content: csv });
  const again = parseDataset({ filename: 'r.jsonl', kind: 'statements', content: datasetJsonl(d) });
  assert.deepEqual(again.items, d.items);
  assert.equal(again.sha256, d.sha256);
  assert.equal(again.n_labelled, 2);
});

test('CSV, JSONL and in-memory rows with fields and label sets hash alike', () => {
  const csv = 'text,label,label_bob,passage\n"good film",1,0,"long, quoted"\nbad film,0,,short\n';
  const jsonl = '{"text":"good film","label":1,"label_bob":0,"passage":"long, quoted"}\n{"text":"bad film","label":0,"passage":"short"}\n';
  const a = parseDataset({ filename: 'a.csv', kind: 'binary', content: csv });
  const b = parseDataset({ filename: 'a.jsonl', kind: 'binary', content: jsonl });
  const c = datasetFromTable(tableFromObjects(jsonl.trim().split('\n').map((l) => JSON.parse(l))), { kind: 'binary', filename: 'a' });
  assert.equal(a.sha256, b.sha256);
  assert.equal(b.sha256, c.sha256);
});

test('canonical content: unchanged without the new columns, and covers them when present', () => {
  const plain = [{ text: 'a', label: 1 }, { text: 'b' }];
  // The form every existing hash was taken over (docs/datasets.md): [text, label|null, choices|null].
  assert.equal(canonicalContent('binary', ['n', 'p'], plain), '{"format":"sonde-dataset/1","kind":"binary","answers":["n","p"]}\n["a",1,null]\n["b",null,null]\n');
  const withField = [{ text: 'a', label: 1, fields: { q: 'x', b: '2' } }, { text: 'b' }];
  assert.equal(
    canonicalContent('binary', ['n', 'p'], withField),
    '{"format":"sonde-dataset/1","kind":"binary","answers":["n","p"]}\n["a",1,null,[],[["b","2"],["q","x"]]]\n["b",null,null,[],[]]\n',
  );
  const h = (items: object[]) => sha256Hex(canonicalContent('binary', ['n', 'p'], items as never));
  assert.notEqual(h(withField), h(plain));
  assert.notEqual(h([{ text: 'a', label: 1, fields: { q: 'y', b: '2' } }, { text: 'b' }]), h(withField));
  assert.notEqual(h([{ text: 'a', label: 1, labels: { bob: 1 } }, { text: 'b' }]), h([{ text: 'a', label: 1, labels: { bob: 0 } }, { text: 'b' }]));
});

test('column errors: bad label values with line numbers, label columns on multiclass, bad names, long fields', () => {
  const e = datasetError(() =>
    parseDataset({ filename: 'x.jsonl', kind: 'binary', content: '{"text":"a","label_bob":1}\n{"text":"b","label_bob":"maybe"}\n' }),
  );
  assert.match(e.message, /line 2: label_bob "maybe" is not one of 0\/1 or negative\/positive/);
  assert.match(
    datasetError(() => parseDataset({ filename: 'm.jsonl', kind: 'multiclass', content: '{"text":"a","choices":["x","y"],"label":0,"label_bob":1}\n' })).message,
    /extra label columns \(label_bob\) are for statements and binary/,
  );
  assert.match(datasetError(() => parseDataset({ filename: 'n.csv', kind: 'binary', content: 'text,label_\na,1\n' })).message, /column "label_"/);
  assert.match(
    datasetError(() => parseDataset({ filename: 'l.jsonl', kind: 'binary', content: `{"text":"a","passage":"${'x'.repeat(50)}"}` }, { maxTextChars: 40 })).message,
    /line 1: "passage" is 50 characters/,
  );
  // multiclass stays fully labelled
  assert.match(datasetError(() => parseDataset({ filename: 'm.jsonl', kind: 'multiclass', content: '{"text":"a","choices":["x","y"]}\n' })).message, /need a "label"/);
});
