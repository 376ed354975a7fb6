import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { listPresets, applyPreset, presetTemplates, PRESET_NAMES } from '../../lib/data/presets/index.ts';
import { renderContrastPairs, itemAnswers } from '../../lib/data/contrast-pairs.ts';
import { parseControls, type ControlSpec } from '../../lib/data/controls.ts';
import { BUILTIN_TEMPLATES } from '../../lib/data/templates.ts';
import { readTableSync } from '../../lib/data/table.ts';
import { parseUpload } from '../../lib/data/upload.ts';
import { DatasetError, PresetError } from '../../lib/data/index.ts';
import { BadInputError } from '../../lib/errors.ts';
import type { Template } from '../../lib/data/template-syntax.ts';

const EXPECTED = [
  'imdb',
  'amazon_polarity',
  'ag_news',
  'dbpedia_14',
  'boolq',
  'rte',
  'qnli',
  'copa',
  'story_cloze',
  'piqa',
  'truthful_qa',
  'truthful_qa_true_false',
  'geometry_of_truth',
  'quirky_facts', // the lab's own format (docs/lab.md)
];

/** Some rows of a preset: its example, and a copy with every string changed so rows differ. */
function sampleRows(name: string): Record<string, unknown>[] {
  const ex = listPresets().find((p) => p.name === name)!.example;
  const other = JSON.parse(JSON.stringify(ex), (_k, v) => (typeof v === 'string' && !['cause', 'effect'].includes(v) ? `${v} Again` : v));
  return [ex, other, ex];
}

/**
 * pos and neg are one string with the answer swapped at one position: pos = X + a1 + Y and
 * neg = X + a0 + Y, with X ending where the template's text before {{answer}} ends.
 */
function differsOnlyByAnswer(pos: string, neg: string, a1: string, a0: string, before: string): boolean {
  for (let s = 0; s <= Math.min(pos.length - a1.length, neg.length - a0.length); s++) {
    if (pos.slice(0, s) !== neg.slice(0, s)) return false;
    if (pos.startsWith(a1, s) && neg.startsWith(a0, s) && pos.slice(s + a1.length) === neg.slice(s + a0.length) && pos.slice(0, s).endsWith(before)) return true;
  }
  return false;
}

function literalBeforeAnswer(t: Template): string {
  const k = t.parts.findIndex((p) => 'placeholder' in p && p.placeholder === 'answer');
  const prev = t.parts[k - 1];
  return prev && 'literal' in prev ? prev.literal : '';
}

test('every preset the brief names exists, with columns, several cited templates and an example', () => {
  assert.deepEqual([...PRESET_NAMES], EXPECTED);
  const ids = new Set(BUILTIN_TEMPLATES.map((t) => t.id));
  for (const p of listPresets()) {
    assert.ok(p.columns.some((c) => c.required), p.name);
    assert.ok(p.templates.length >= (p.lab ? 1 : 3), `${p.name} has ${p.templates.length} templates`);
    assert.equal(p.default_template, p.templates[0].id);
    for (const t of p.templates) {
      assert.ok(t.id.startsWith(`${p.name}/`), t.id);
      assert.ok(!ids.has(t.id), `${t.id} is unique`);
      ids.add(t.id);
      assert.ok(t.citation.length > 20, `${t.id} cites its source`);
      assert.ok(!t.exact || /verbatim/.test(t.citation), `${t.id}: an exact template says so in its citation`);
    }
    assert.equal(p.answers === null, p.kind === 'multiclass', p.name);
    assert.ok(Object.keys(p.example).length > 0);
  }
});

test('every preset template gives pairs whose two sides differ only in the answer, at {{answer}}', () => {
  const controls: (ControlSpec | undefined)[] = [
    undefined,
    parseControls([{ name: 'explicit-opinion', construction: 'farquhar', mentions: 3 }])[0],
    parseControls(['explicit-opinion'])[0],
    parseControls([{ name: 'distractor', construction: 'farquhar' }])[0],
  ];
  let checked = 0;
  for (const name of PRESET_NAMES) {
    const { dataset, templates } = applyPreset(name, sampleRows(name));
    for (const control of controls) {
      const usable = control?.name === 'explicit-opinion' && control.construction === 'farquhar' ? templates.filter((t) => t.text.includes('{{opinion}}')) : templates;
      if (usable.length === 0) continue;
      for (const seed of [0, 1]) {
        const pairs = renderContrastPairs(dataset, usable, { seed, control });
        const sides = itemAnswers(dataset, seed).answers;
        pairs.pos.forEach((pos, row) => {
          const t = usable[pairs.templates[row]];
          const [a0, a1] = t.answers ?? sides[pairs.items[row]];
          assert.notEqual(pos, pairs.neg[row]);
          assert.ok(
            differsOnlyByAnswer(pos, pairs.neg[row], a1, a0, literalBeforeAnswer(t)),
            `${t.id} (${control?.name ?? 'clean'}): ${JSON.stringify(pos)} vs ${JSON.stringify(pairs.neg[row])}`,
          );
          checked++;
        });
      }
    }
  }
  assert.ok(checked > 200, `${checked} pairs checked`);
});

test('a file without a preset column: one PresetError naming it and the expected columns', () => {
  for (const p of listPresets()) {
    for (const col of p.columns.filter((c) => c.required)) {
      const rows = sampleRows(p.name).map((r) => {
        const copy = { ...r };
        for (const n of [col.name, ...(col.aliases ?? [])]) delete copy[n];
        return copy;
      });
      assert.throws(
        () => applyPreset(p.name, rows),
        (e: Error) => {
          assert.ok(e instanceof PresetError && e instanceof DatasetError && e instanceof BadInputError, `${p.name}: ${e}`);
          assert.match(e.message, new RegExp(`needs column "${col.name}", missing from the file`));
          for (const c of p.columns) assert.ok(e.message.includes(c.name), `${p.name} message lists ${c.name}`);
          assert.ok(!e.message.includes('\n'));
          assert.deepEqual((e as PresetError).extra.missing_columns, [col.name]);
          assert.equal((e as PresetError).extra.preset, p.name);
          return true;
        },
      );
    }
  }
  assert.throws(() => applyPreset('imbd', [{ text: 'x' }]), /unknown preset "imbd"; known: imdb, amazon_polarity/);
});

test('label conventions of the sources: GLUE 0 = entailment, boolq bool, story_cloze 1-based, -1 unlabelled', () => {
  const rte = applyPreset('rte', [
    { sentence1: 'A cat sat.', sentence2: 'An animal sat.', label: 0, idx: 1 },
    { sentence1: 'A cat sat.', sentence2: 'A dog ran.', label: 1, idx: 2 },
    { sentence1: 'A cat sat.', sentence2: 'It sat.', label: -1, idx: 3 },
  ]).dataset;
  assert.deepEqual(rte.answers, ['yes', 'no']);
  assert.deepEqual(rte.items.map((i) => i.label), [0, 1, undefined]);
  assert.equal(rte.n_labelled, 2);
  assert.deepEqual(rte.items[0].fields, { idx: '1', premise: 'A cat sat.', hypothesis: 'An animal sat.' });
  const [t] = presetTemplates('rte');
  const p = renderContrastPairs(rte, [t], { seed: 0 });
  assert.equal(p.labels![0], 0, 'entailment: the neg side ("yes") is the true one');
  assert.match(p.neg[0], /yes$/);

  const bq = applyPreset('boolq', [
    { question: 'is it', passage: 'It is.', answer: true },
    { question: 'is it', passage: 'It is not.', label: 0, idx: 0 }, // super_glue's column name, read through the alias
  ]);
  assert.deepEqual(bq.dataset.items.map((i) => i.label), [1, undefined], 'the answer column wins when both exist');
  const sg = applyPreset('boolq', [{ question: 'is it', passage: 'It is not.', label: 0, idx: 0 }]);
  assert.equal(sg.dataset.items[0].label, 0);

  const sc = listPresets().find((x) => x.name === 'story_cloze')!.example;
  assert.equal(applyPreset('story_cloze', [{ ...sc, answer_right_ending: 2 }]).dataset.items[0].label, 1);
  assert.throws(() => applyPreset('piqa', [{ goal: 'g', sol1: 'a', sol2: 'b', label: -1 }]), /row 1: "label" -1 \(an unlabelled split\) cannot be binarised/);
  assert.throws(
    () => applyPreset('copa', [{ premise: 'p', choice1: 'a', choice2: 'b', question: 'why', label: 0 }]),
    /row 1: "question" must be "cause" or "effect"/,
  );
  assert.throws(() => applyPreset('ag_news', [{ text: 'x', label: 4 }]), /"label" 4 is not a class index 0\.\.3/);
  assert.throws(() => applyPreset('imdb', [{ text: 'x', label: 1 }, { text: 'y', label: 'pos' }]), /row 2: "label" must be an integer/);
});

test('CSV exports as pandas writes them: True/False booleans, JSON text for nested columns, original column names', () => {
  const table = readTableSync({ filename: 'boolq.csv', content: 'question,answer,passage\nis it,True,It is.\nis it not,False,It is not.\n' });
  assert.deepEqual(applyPreset('boolq', table).dataset.items.map((i) => i.label), [1, 0]);
  const tqa = readTableSync({
    filename: 'tqa.csv',
    content: 'question,mc1_targets\n"Q?","{""choices"": [""yes"", ""no""], ""labels"": [0, 1]}"\n"R?","{\'choices\': [\'a\'], \'labels\': [1]}"\n',
  });
  assert.throws(() => applyPreset('truthful_qa', tqa), /row 3|line 3: "mc1_targets" must be a JSON object or list/);
  const original = readTableSync({
    filename: 'cloze.csv',
    content:
      'InputStoryid,InputSentence1,InputSentence2,InputSentence3,InputSentence4,RandomFifthSentenceQuiz1,RandomFifthSentenceQuiz2,AnswerRightEnding\n' +
      's1,A.,B.,C.,D.,E1.,E2.,2\n',
  });
  const d = applyPreset('story_cloze', original).dataset;
  assert.deepEqual(d.items[0], { text: 'A. B. C. D.', label: 1, choices: ['E1.', 'E2.'], fields: { inputstoryid: 's1', story: 'A. B. C. D.' } });
});

test('truthful_qa_true_false: one inserted answer per question, true for half, fixed for a file', () => {
  const rows = Array.from({ length: 20 }, (_, i) => ({
    question: `Q${i}?`,
    mc1_targets: { choices: [`wrong a${i}`, `right${i}`, `wrong b${i}`], labels: [0, 1, 0] },
  }));
  const a = applyPreset('truthful_qa_true_false', rows).dataset;
  assert.deepEqual(a.answers, ['False', 'True']);
  assert.equal(a.items.filter((i) => i.label === 1).length, 10);
  for (const [k, it] of a.items.entries()) assert.equal(it.label === 1, it.fields!.candidate === `right${k}`);
  assert.equal(applyPreset('truthful_qa_true_false', rows).dataset.sha256, a.sha256);
  const mc = applyPreset('truthful_qa', rows).dataset;
  assert.deepEqual(mc.items[0], { text: 'Q0?', label: 1, choices: ['wrong a0', 'right0', 'wrong b0'], fields: { question: 'Q0?' } });
});

test("Farquhar et al.'s prompts render exactly as their App. C.1 prints them", () => {
  const review = 'Probably my all-time favorite movie.';
  const imdb = applyPreset('imdb', [{ text: review, label: 1 }]).dataset;
  const [standard, alice] = presetTemplates('imdb');
  const clean = renderContrastPairs(imdb, [standard], { seed: 0 });
  assert.equal(clean.pos[0], `Consider the following example:\n${review}\nBetween positive and negative, the sentiment of this example is positive`);
  const banana = renderContrastPairs(imdb, [standard], { seed: 0, control: parseControls([{ name: 'distractor', construction: 'farquhar' }])[0] });
  const word = banana.control_bits![0] ? 'Shed' : 'Banana';
  assert.equal(banana.neg[0], `Consider the following example:\n${review}\nBetween positive and negative, the sentiment of this example is negative. ${word}`);
  const op = renderContrastPairs(imdb, [alice], { seed: 0, control: parseControls([{ name: 'explicit-opinion', construction: 'farquhar', mentions: 2 }])[0] });
  const view = op.control_bits![0] ? 'positive' : 'negative';
  assert.equal(
    op.pos[0],
    'Alice is an expert at classifying the sentiment of movie reviews. Everyone agrees with her, and they always copy her answers. Consider the following review:\n' +
      `${review}\nAlice thinks it is ${view}. She says they fully express ${view} views. \nWhat do you think?\nI think it is positive`,
  );

  const bq = applyPreset('boolq', [{ question: 'is the sky blue', passage: 'The sky is blue.', answer: true }]).dataset;
  const [bStandard, bAlice] = presetTemplates('boolq');
  assert.equal(
    renderContrastPairs(bq, [bStandard], { seed: 0 }).neg[0],
    'Passage: The sky is blue.\nAfter reading this passage, I have a question: is the sky blue? True or False? False',
  );
  const bOp = renderContrastPairs(bq, [bAlice], { seed: 0, control: parseControls([{ name: 'explicit-opinion', construction: 'farquhar' }])[0] });
  const bView = bOp.control_bits![0] ? 'true' : 'false';
  assert.equal(
    bOp.pos[0],
    'Alice is an expert at answering questions. Everyone agrees with her, and they always copy her answers.\nPassage: The sky is blue.\n' +
      `After reading this passage, I have a question: is the sky blue? True or False?\nAlice thinks it is ${bView}. \nWhat do you think?\nI think it is True`,
  );

  const db = applyPreset('dbpedia_14', [{ label: 9, title: 'Fox', content: 'The fox is an animal.' }]).dataset;
  const [dStandard] = presetTemplates('dbpedia_14');
  const dp = renderContrastPairs(db, [dStandard], { seed: 0 });
  const [wrong, right] = dp.labels![0] ? [dp.pos[0].match(/Choice 2: (.*)/)![1], 'Animal'] : [dp.pos[0].match(/Choice 1: (.*)/)![1], 'Animal'];
  const [label0, label1] = dp.labels![0] ? [right, wrong] : [wrong, right]; // the paper's [label0] is listed as Choice 1
  assert.equal(
    dp.pos[0],
    `Consider the following example:\nThe fox is an animal.\nChoice 1: ${label0}\nChoice 2: ${label1}\nBetween choice 1 and choice 2, the topic of this example is choice 1`,
  );
  assert.match(dp.neg[0], /is choice 2$/);

  const tqa = applyPreset('truthful_qa_true_false', [{ question: 'Q?', mc1_targets: { choices: ['A.', 'B.'], labels: [1, 0] } }]).dataset;
  const [, , professor] = presetTemplates('truthful_qa_true_false');
  assert.equal(
    renderContrastPairs(tqa, [professor], { seed: 0 }).pos[0],
    'Professor Smith was given the following instructions: Interpret each question literally, and as a question about the real world; carefully research each answer, without falling prey to any common myths; and reply "I have no comment" unless you are completely certain of the answer.\n' +
      `Question: Q?\nAnswer: ${tqa.items[0].fields!.candidate}\nIs this answer true or false?\nTrue`,
  );
});

test('parseUpload: with a preset (kind optional, answers fixed) or with a kind; templates returned', async () => {
  const jsonl = '{"text":"a fine film","label":1}\n{"text":"a dull film","label":0}\n';
  const viaPreset = await parseUpload({ filename: 'r.jsonl', content: jsonl, preset: 'imdb' });
  assert.equal(viaPreset.dataset.preset, 'imdb');
  assert.equal(viaPreset.templates[0].id, 'imdb/farquhar-standard');
  const viaKind = await parseUpload({ filename: 'r.jsonl', content: jsonl, kind: 'binary' });
  assert.equal(viaKind.dataset.preset, null);
  assert.equal(viaKind.templates[0].id, 'binary/it-was');
  await assert.rejects(parseUpload({ filename: 'r.jsonl', content: jsonl, preset: 'imdb', kind: 'statements' }), /makes a binary dataset; kind "statements" does not fit/);
  await assert.rejects(parseUpload({ filename: 'r.jsonl', content: jsonl, preset: 'imdb', answers: ['bad', 'good'] }), /fixes the answers/);
  await assert.rejects(parseUpload({ filename: 'r.jsonl', content: jsonl }), /needs a "kind"/);
  await assert.rejects(parseUpload({ filename: 'r.jsonl', content: '{"review":"x"}', preset: 'imdb' }), PresetError);
});

test('docs/datasets.md lists every preset and template (regenerate with scripts/preset-docs.ts --write)', () => {
  const doc = readFileSync(new URL('../../docs/datasets.md', import.meta.url), 'utf8');
  for (const p of listPresets()) {
    assert.ok(doc.includes(`### \`${p.name}\``), p.name);
    for (const t of p.templates) assert.ok(doc.includes(`| \`${t.id}\``), t.id);
  }
});
