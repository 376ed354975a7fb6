/** The plain reading of a job: chance, the random control, distractors, context shift. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readJob, verdict } from '../../lib/report/reading.ts';
import type { MetricBestLayerRow } from '../../lib/report/rows.ts';

const row = (method: string, metric: string, mean: number, std: number, best_layer = 1, control: string | null = null): MetricBestLayerRow =>
  ({ method, control, metric, best_layer, n_seeds: 5, mean, std, min: mean - std, max: mean + std });

test('verdicts: near chance below 0.6 or within two seed std of it, strong from 0.85', () => {
  assert.equal(verdict(0.58, 0.01), 'near chance');
  assert.equal(verdict(0.65, 0.06), 'near chance');
  assert.equal(verdict(0.7, 0.02), 'modest');
  assert.equal(verdict(0.9, 0.01), 'strong');
  assert.equal(verdict(null, null), 'near chance');
});

test('a use-lite-like job: unsupervised methods no better than a random direction, said plainly; the distractor wins', () => {
  const lines = readJob({
    best: [
      row('ccs', 'accuracy', 0.54, 0.02), row('pca', 'accuracy', 0.56, 0.02), row('random', 'accuracy', 0.55, 0.03), row('lr', 'accuracy', 0.64, 0.02),
      row('ccs', 'accuracy', 0.51, 0.01, 0, 'distractor'), row('ccs', 'distractor_accuracy', 1, 0, 0, 'distractor'),
      row('lr', 'accuracy', 0.62, 0.02, 1, 'distractor'), row('lr', 'distractor_accuracy', 0.6, 0.04, 1, 'distractor'),
    ],
  });
  const text = lines.join('\n');
  assert.match(text, /ccs 0\.54 ± 0\.02 at layer 1 \(near chance\)/);
  assert.match(text, /LR, reaches 0\.64 ± 0\.02/);
  assert.match(text, /No unsupervised method separates from the random-direction control/);
  assert.match(text, /ccs follow the appended banana\/shed word/);
  assert.match(text, /still reading the truth: lr 0\.62/);
});

test('a context shift: the truth read in the middle, the untruthful answer at the last layer, the recovered gap', () => {
  const auroc = [
    { control: 'clean', subset: 'test', label_set: 'label', method: 'lr', layer: 2, n_seeds: 5, mean: 0.93, std: 0.01 },
    { control: 'clean', subset: 'test', label_set: 'bob', method: 'lr', layer: 2, n_seeds: 5, mean: 0.4, std: 0.02 },
    { control: 'clean', subset: 'test', label_set: 'label', method: 'lr', layer: 5, n_seeds: 5, mean: 0.1, std: 0.01 },
    { control: 'clean', subset: 'test', label_set: 'bob', method: 'lr', layer: 5, n_seeds: 5, mean: 0.99, std: 0.0 },
  ];
  const gaps = [{ control: 'clean', label_set: 'label', method: 'lr', layer: 2, n_seeds: 5, mean: 0.88, std: 0.03 }];
  const lines = readJob({ best: [row('lr', 'auroc_signed', 0.93, 0.01, 2)], auroc, gaps, labelNames: { label: 'the truth', bob: "Bob's answer" }, subsetNames: { test: "Bob's hard items" } });
  const text = lines.join('\n');
  assert.match(text, /On Bob's hard items, lr recovers the truth: AUROC vs the truth 0\.93 ± 0\.01 at its best layer \(2\); vs Bob's answer 0\.40 ± 0\.02 there and 0\.99 ± 0\.00 at the last layer \(5\)/);
  assert.match(text, /recovered AUROC gap \(Mallen et al\. 2023\) at that layer: 0\.88 ± 0\.03/);
});
