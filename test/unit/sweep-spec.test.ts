/** lib/sweep-spec.ts: a sweep request's checks, its expansion into jobs, and status/progress over its jobs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandSweep, normalizeSweepRequest, sweepProgress, sweepStatus, SWEEP_LIMITS } from '../../lib/sweep-spec.ts';

test('models × datasets expand model-major; a transfer pair adds its test set to every job fitted on its train set', () => {
  const spec = normalizeSweepRequest({
    models: ['use-lite', 'gpt2'],
    datasets: ['a', { dataset: 'b', templates: ['binary/review'] }],
    transfer: [{ train: 'a', test: 'b' }, { train: 'a', test: 'c' }],
    methods: ['ccs', 'lr'],
    seeds: 2,
    templates: ['binary/it-was'],
  });
  const plans = expandSweep(spec);
  assert.deepEqual(plans.map((p) => [p.position, p.model, p.dataset]), [[0, 'use-lite', 'a'], [1, 'use-lite', 'b'], [2, 'gpt2', 'a'], [3, 'gpt2', 'b']]);
  assert.deepEqual(plans[0].request, { methods: ['ccs', 'lr'], seeds: 2, templates: ['binary/it-was'], model: 'use-lite', dataset: 'a', eval_datasets: ['b', 'c'] });
  assert.deepEqual(plans[1].request.templates, ['binary/review'], "a dataset's own templates win");
  assert.equal(plans[1].request.eval_datasets, undefined);
  assert.deepEqual(plans[2].request.eval_datasets, ['b', 'c']);
  // Sweep-level keys never leak into the jobs.
  for (const p of plans) for (const k of ['models', 'datasets', 'transfer', 'name']) assert.ok(!(k in p.request), k);
});

test('the default model is use-lite; repeats, unknown train sets and oversize sweeps are refused with the reason', () => {
  assert.deepEqual(normalizeSweepRequest({ datasets: ['a'] }).models, ['use-lite']);
  const bad: [object, RegExp][] = [
    [{ datasets: [] }, /at least one dataset/],
    [{ datasets: ['a', 'a'] }, /datasets lists "a" twice/],
    [{ models: ['m', 'm'], datasets: ['a'] }, /models lists "m" twice/],
    [{ datasets: ['a'], transfer: [{ train: 'x', test: 'a' }] }, /train dataset "x" is not among the sweep's datasets \(a\)/],
    [{ datasets: ['a'], transfer: [{ train: 'a', test: 'a' }] }, /same dataset/],
    [{ datasets: ['a', 'b'], transfer: [{ train: 'a', test: 'b' }, { train: 'a', test: 'b' }] }, /transfer lists "a → b" twice/],
    [{ models: Array.from({ length: 10 }, (_, i) => `m${i}`), datasets: Array.from({ length: 11 }, (_, i) => `d${i}`) }, /expands to 110 jobs, over the limit of 100/],
  ];
  for (const [req, re] of bad) assert.throws(() => normalizeSweepRequest(req as never), re);
  assert.equal(SWEEP_LIMITS.jobs, 100);
});

test('status and progress aggregate the jobs', () => {
  const j = (status: string, stage: string | null = null, done = 0, total = 0) => ({ status, progress_stage: stage, progress_done: done, progress_total: total });
  assert.equal(sweepStatus([j('queued'), j('queued')]), 'queued');
  assert.equal(sweepStatus([j('completed'), j('queued')]), 'running');
  assert.equal(sweepStatus([j('running'), j('queued')]), 'running');
  assert.equal(sweepStatus([j('completed'), j('completed')]), 'completed');
  assert.equal(sweepStatus([j('completed'), j('failed'), j('cancelled')]), 'failed');
  assert.equal(sweepStatus([j('completed'), j('cancelled')]), 'cancelled');
  const p = sweepProgress([j('completed'), j('running', 'extract', 50, 100), j('running', 'fit', 1, 2), j('queued')]);
  assert.deepEqual({ ...p, fraction: Number(p.fraction.toFixed(4)) }, {
    done: 1, total: 4, fraction: Number(((1 + 0.25 + 0.75 + 0) / 4).toFixed(4)),
    by_status: { queued: 1, running: 2, completed: 1, failed: 0, cancelled: 0 },
  });
});
