import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readDataset, parseDataset } from '../../lib/data/dataset.ts';
import { readTable } from '../../lib/data/table.ts';
import { applyPreset } from '../../lib/data/presets/index.ts';
import { parseUpload } from '../../lib/data/upload.ts';
import { renderContrastPairs } from '../../lib/data/contrast-pairs.ts';
import { DatasetError } from '../../lib/data/errors.ts';

const dir = new URL('../fixtures/data/presets/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as {
  fixtures: { name: string; preset: string; rows: number; n_labelled: number; dataset_sha256: string; files: Record<string, string> }[];
};

test('preset fixtures: Parquet and the same rows as JSONL give the same dataset and sha256 (the one in the manifest)', async () => {
  assert.deepEqual(manifest.fixtures.map((f) => f.name), ['imdb', 'boolq', 'dbpedia_14']);
  for (const f of manifest.fixtures) {
    for (const [file, sha] of Object.entries(f.files)) {
      assert.equal(createHash('sha256').update(readFileSync(new URL(file, dir))).digest('hex'), sha, `${file} is as scripts/make-preset-fixtures.ts wrote it`);
    }
    const parquet = await parseUpload({ filename: `${f.name}.parquet`, content: readFileSync(new URL(`${f.name}.parquet`, dir)), preset: f.preset });
    const jsonl = await parseUpload({ filename: `${f.name}.jsonl`, content: readFileSync(new URL(`${f.name}.jsonl`, dir), 'utf8'), preset: f.preset });
    assert.equal(parquet.dataset.items.length, f.rows);
    assert.equal(parquet.dataset.n_labelled, f.n_labelled);
    assert.deepEqual(parquet.dataset.items, jsonl.dataset.items, f.name);
    assert.equal(parquet.dataset.sha256, jsonl.dataset.sha256, f.name);
    assert.equal(parquet.dataset.sha256, f.dataset_sha256, f.name);
    // And they render: every preset template, every row.
    const pairs = renderContrastPairs(parquet.dataset, parquet.templates, { seed: 0 });
    assert.equal(pairs.pos.length, f.rows * parquet.templates.length);
  }
});

test('Parquet types as Hugging Face writes them: int64 labels, bools, nulls; format detected from the magic bytes', async () => {
  const table = await readTable({ filename: 'upload', content: readFileSync(new URL('boolq.parquet', dir)) });
  assert.equal(table.format, 'parquet');
  assert.equal(table.unit, 'row');
  assert.deepEqual(table.columns, ['question', 'answer', 'passage']);
  assert.equal(typeof table.rows[0].values.answer, 'boolean');
  const imdb = await readTable({ filename: 'imdb.parquet', content: readFileSync(new URL('imdb.parquet', dir)) });
  assert.equal(imdb.rows[0].values.label, 1, 'INT64 becomes a number');
  assert.equal(applyPreset('imdb', imdb).dataset.items.at(-1)!.label, undefined, 'label -1 is unlabelled');

  // A generic (preset-less) Parquet upload with fields, label sets and a null label.
  const buf = new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'text', data: ['good film', 'bad film', 'meh'], type: 'STRING' },
        { name: 'label', data: [1n, 0n, null], type: 'INT64' },
        { name: 'label_bob', data: [0n, null, 1n], type: 'INT64' },
        { name: 'score', data: [0.5, 1, 2.25], type: 'DOUBLE' },
        { name: 'hard', data: [true, false, true], type: 'BOOLEAN' },
      ],
    }),
  );
  const d = await readDataset({ filename: 'x.parquet', content: buf, kind: 'binary' });
  const j = parseDataset({
    filename: 'x.jsonl',
    kind: 'binary',
    content: '{"text":"good film","label":1,"label_bob":0,"score":0.5,"hard":true}\n{"text":"bad film","label":0,"score":1,"hard":false}\n{"text":"meh","label_bob":1,"score":2.25,"hard":true}\n',
  });
  assert.deepEqual(d.items, j.items);
  assert.equal(d.sha256, j.sha256);
  assert.equal(d.n_labelled, 2);
});

test('Parquet errors: row numbers, not a Parquet file, too many rows, text content, sync parser', async () => {
  const buf = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['a', 'b', 'c'], type: 'STRING' }, { name: 'label', data: [0n, 7n, 1n], type: 'INT64' }] }));
  await assert.rejects(readDataset({ filename: 'x.parquet', content: buf, kind: 'binary' }), (e: Error) => e instanceof DatasetError && /row 2: label 7 is not one of/.test(e.message));
  await assert.rejects(readDataset({ filename: 'x.parquet', content: buf, kind: 'binary' }, { maxRows: 2 }), /3 rows, over the limit of 2/);
  await assert.rejects(readDataset({ filename: 'x.parquet', content: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), kind: 'binary' }), /not a Parquet file/);
  const truncated = new Uint8Array([...buf.subarray(0, 20), ...buf.subarray(buf.length - 12)]);
  await assert.rejects(readDataset({ filename: 'x.parquet', content: truncated, kind: 'binary' }), DatasetError);
  await assert.rejects(readDataset({ filename: 'x.parquet', content: 'PAR1', kind: 'binary' }), /must be bytes/);
  assert.throws(() => parseDataset({ filename: 'x.parquet', content: buf, kind: 'binary' }), /Parquet is decoded asynchronously/);
  const noText = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'review', data: ['a'], type: 'STRING' }] }));
  await assert.rejects(readDataset({ filename: 'x.parquet', content: noText, kind: 'binary' }), /Parquet schema must name a "text" column.*found: review/);
  await assert.rejects(parseUpload({ filename: 'x.parquet', content: noText, preset: 'boolq' }), /preset "boolq" needs columns "question", "passage"/);
});
