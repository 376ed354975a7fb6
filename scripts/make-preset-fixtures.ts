/**
 * Writes the preset test fixtures under test/fixtures/data/presets/: small files shaped like
 * Hugging Face `datasets` exports (the same column names, types and label conventions, and
 * the "huggingface" feature metadata that `to_parquet` stores), each as Parquet and as the
 * same rows in JSON lines. The text is written for Sonde (no rows of the real datasets), and
 * generated deterministically, so running this again gives the same bytes.
 *
 *   npx tsx scripts/make-preset-fixtures.ts
 *
 * Parquet is written with the npm package hyparquet-writer (a devDependency; Debian has no
 * pyarrow), which the reader side (hyparquet) is tested against; manifest.json records each
 * file's sha256 and the dataset hash the preset gives, so a change of either shows in review.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { applyPreset } from '../lib/data/presets/index.ts';
import { DBPEDIA_14_CLASSES } from '../lib/data/presets/topic.ts';

const OUT = new URL('../test/fixtures/data/presets/', import.meta.url);

type Column = { name: string; type: 'STRING' | 'INT64' | 'BOOLEAN'; feature: object };

function write(name: string, preset: string, columns: Column[], rows: Record<string, string | number | boolean>[]) {
  const features = Object.fromEntries(columns.map((c) => [c.name, c.feature]));
  const parquet = new Uint8Array(
    parquetWriteBuffer({
      columnData: columns.map((c) => ({
        name: c.name,
        type: c.type,
        data: rows.map((r) => (c.type === 'INT64' ? BigInt(r[c.name] as number) : r[c.name])),
      })),
      kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }],
      createdBy: 'sonde scripts/make-preset-fixtures.ts',
    }),
  );
  const jsonl = rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, r[c.name]])))).join('\n') + '\n';
  writeFileSync(new URL(`${name}.parquet`, OUT), parquet);
  writeFileSync(new URL(`${name}.jsonl`, OUT), jsonl);
  const { dataset } = applyPreset(preset, rows);
  return {
    name,
    preset,
    rows: rows.length,
    n_labelled: dataset.n_labelled,
    dataset_sha256: dataset.sha256,
    files: { [`${name}.parquet`]: sha256(parquet), [`${name}.jsonl`]: sha256(jsonl) },
  };
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const pick = <T>(xs: T[], i: number) => xs[i % xs.length];

const STRING = { dtype: 'string', _type: 'Value' };

// IMDb-like: `text`, `label` ClassLabel [neg, pos]; the last rows carry -1 as the "unsupervised" split does.
function imdbRows() {
  const films = ['the lighthouse drama', 'this heist comedy', 'the space western', 'this quiet family story', 'the musical remake', 'this courtroom thriller'];
  const good = [
    'I went in expecting little and came out grinning.',
    'Every scene earns its place and the ending lands beautifully.',
    'The cast clearly enjoyed themselves, and so did I.',
    'Sharp writing, warm performances and a score I still hum.',
    'It is the rare film that gets better on a second viewing.',
    'Funny, tender and never once boring.',
  ];
  const bad = [
    'I checked my watch more often than I watched the screen.',
    'The plot collapses halfway and never gets up again.',
    'Wooden acting and dialogue nobody would ever say aloud.',
    'Two hours I will not get back.',
    'The jokes land with a thud and the twist is obvious from minute five.',
    'Even the fine cinematography cannot rescue this mess.',
  ];
  const details = ['The lead is superb.', 'The pacing is uneven.', 'The sets look cheap.', 'The soundtrack is lovely.', 'The runtime is long.', 'The supporting cast is strong.'];
  const rows: { text: string; label: number }[] = [];
  for (let i = 0; i < 36; i++) {
    const positive = i % 2 === 0;
    const k = Math.floor(i / 2);
    const text = `About ${pick(films, k)}: ${positive ? pick(good, k) : pick(bad, k)} ${pick(details, k + (positive ? 0 : 3))}`;
    rows.push({ text, label: positive ? 1 : 0 });
  }
  for (let i = 0; i < 6; i++) rows.push({ text: `Unrated notes on ${pick(films, i)}: ${pick(details, i + 1)} ${pick(details, i + 2)}`, label: -1 });
  return rows;
}

// BoolQ-like (google/boolq): `question` (lower case, no "?"), `answer` bool, `passage`.
function boolqRows() {
  const towns = ['Ashford Quay', 'Bramley Fen', 'Carrow Mill', 'Dunmore Heath', 'Elswick Ferry', 'Fallowmere', 'Greyhaven', 'Holloway Cross', 'Ironbridge Wharf'];
  const rows: { question: string; answer: boolean; passage: string }[] = [];
  towns.forEach((town, i) => {
    const year = 1850 + 13 * i;
    const tolls = i % 2 === 0;
    const open = i % 3 !== 0;
    const passage =
      `${town} is a small market town on the river Wend. Its stone bridge was finished in ${year}` +
      `${tolls ? ' and still charges a toll to carts and cars' : '; the toll was abolished in 1921'}. ` +
      `The old station ${open ? 'reopened in 2004 and trains now stop hourly' : 'closed in 1965 and is now a library'}.`;
    rows.push({ question: `does the bridge in ${town.toLowerCase()} still charge a toll`, answer: tolls, passage });
    rows.push({ question: `do trains still stop at ${town.toLowerCase()}`, answer: open, passage });
    rows.push({ question: `was the bridge in ${town.toLowerCase()} finished before 1900`, answer: year < 1900, passage });
    rows.push({ question: `is ${town.toLowerCase()} on the river wend`, answer: true, passage });
  });
  return rows;
}

// DBpedia-like (dbpedia_14): `label` ClassLabel of 14, `title`, `content` (with the leading space the export has).
function dbpediaRows() {
  const names = ['Harrow', 'Linden', 'Moorcroft', 'Tamsin', 'Varga', 'Okonedo', 'Pell', 'Quillon', 'Rask'];
  const abstract = (cls: number, name: string, j: number): [string, string] => {
    const y = 1901 + 7 * j + cls;
    switch (cls) {
      case 0: return [`${name} Freight`, `${name} Freight is a logistics company founded in ${y} that runs barges on inland canals.`];
      case 1: return [`${name} College`, `${name} College is a sixth-form college opened in ${y}, known for its music department.`];
      case 2: return [`Ada ${name}`, `Ada ${name} (born ${y}) is a painter whose seascapes hang in several regional galleries.`];
      case 3: return [`Joel ${name}`, `Joel ${name} (born ${y}) is a middle-distance runner who competed at two championships.`];
      case 4: return [`Rosa ${name}`, `Rosa ${name} (born ${y}) is a politician who served two terms as a county councillor.`];
      case 5: return [`${name} (steam tug)`, `${name} is a steam tug launched in ${y} and preserved as a working museum vessel.`];
      case 6: return [`${name} House`, `${name} House is a Georgian townhouse built around ${y}, now used as offices.`];
      case 7: return [`${name} Tarn`, `${name} Tarn is a small upland lake fed by two streams and ringed by heather.`];
      case 8: return [`${name}by`, `${name}by is a village in a rural district with a church, a pub and about 400 inhabitants.`];
      case 9: return [`${name}'s vole`, `${name}'s vole is a small rodent of wet meadows, described in ${y}.`];
      case 10: return [`${name} sedge`, `${name} sedge is a flowering plant of the sedge family that grows on peat bogs.`];
      case 11: return [`Songs from ${name}`, `Songs from ${name} is the second studio album by a folk duo, released in ${y}.`];
      case 12: return [`The ${name} Affair`, `The ${name} Affair is a crime film released in ${y}, shot mostly at night.`];
      default: return [`A History of ${name}`, `A History of ${name} is a novel published in ${y} about three generations of a mining family.`];
    }
  };
  const rows: { label: number; title: string; content: string }[] = [];
  for (let j = 0; j < 3; j++) {
    for (let cls = 0; cls < DBPEDIA_14_CLASSES.length; cls++) {
      const [title, content] = abstract(cls, pick(names, cls + 2 * j), j);
      rows.push({ label: cls, title, content: ` ${content}` });
    }
  }
  return rows;
}

mkdirSync(OUT, { recursive: true });
const manifest = {
  generated_by: 'scripts/make-preset-fixtures.ts',
  note: 'Own sample text in the column layout of the Hugging Face exports; not rows of the real datasets.',
  fixtures: [
    write('imdb', 'imdb', [
      { name: 'text', type: 'STRING', feature: STRING },
      { name: 'label', type: 'INT64', feature: { names: ['neg', 'pos'], _type: 'ClassLabel' } },
    ], imdbRows()),
    write('boolq', 'boolq', [
      { name: 'question', type: 'STRING', feature: STRING },
      { name: 'answer', type: 'BOOLEAN', feature: { dtype: 'bool', _type: 'Value' } },
      { name: 'passage', type: 'STRING', feature: STRING },
    ], boolqRows()),
    write('dbpedia_14', 'dbpedia_14', [
      { name: 'label', type: 'INT64', feature: { names: DBPEDIA_14_CLASSES.map((c) => c.replaceAll(' ', '')), _type: 'ClassLabel' } },
      { name: 'title', type: 'STRING', feature: STRING },
      { name: 'content', type: 'STRING', feature: STRING },
    ], dbpediaRows()),
  ],
};
writeFileSync(new URL('manifest.json', OUT), JSON.stringify(manifest, null, 2) + '\n');
console.log(manifest.fixtures.map((f) => `${f.name}: ${f.rows} rows, ${f.n_labelled} labelled, dataset ${f.dataset_sha256.slice(0, 12)}`).join('\n'));
