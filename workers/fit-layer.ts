/**
 * The fit stage for one layer of one job: every method × seed on the clean condition and
 * on each control, per-template fits for `template-sensitivity`, and method × method
 * agreement for `agreement`. Pure orchestration over the probe library (no I/O), so it is
 * unit-testable on planted activations.
 *
 * Seeds: seed s uses split seed `split.seed + s` and method seed s, so the reported spread
 * covers both the data split and the method's own randomness (restarts, init).
 */
import type { Mat } from '../lib/tensor.ts';
import { selectRows } from '../lib/tensor.ts';
import type { JobSpec } from '../lib/job-spec.ts';
import { agreement, fitAndEvaluate, fitMethods, oracleAccuracy, type ContrastData, type FitReport, type MethodName, type NormalizeMode } from '../lib/probe/index.ts';
import { trainTestSplit, ensemble, ENSEMBLING_MODES, type Ensembling } from '../lib/data/index.ts';
import { Probe } from '../lib/probe/index.ts';
import type { AgreementInput, ResultInput } from '../services/db/results.ts';
import type { PairsMeta } from './job-artifacts.ts';

export interface ConditionData {
  /** 'clean', 'distractor', 'explicit-opinion', or 'transfer:<dataset>' (evaluation only). */
  name: string;
  meta: PairsMeta;
  pos: Mat;
  neg: Mat;
}

const controlOf = (condition: string) => (condition === 'clean' ? null : condition);

function contrastData(c: ConditionData, rows: Int32Array): ContrastData {
  return {
    pos: selectRows(c.pos, rows),
    neg: selectRows(c.neg, rows),
    labels: c.meta.labels ? Int8Array.from(rows, (i) => c.meta.labels![i]) : undefined,
    templates: Int32Array.from(rows, (i) => c.meta.templates[i]),
  };
}

/** Rows (pairs) whose dataset item is in `itemSet`, optionally of one template only. */
function rowsOf(meta: PairsMeta, itemSet: Set<number>, template?: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < meta.n_pairs; i++) {
    if (itemSet.has(meta.items[i]) && (template === undefined || meta.templates[i] === template)) out.push(i);
  }
  return Int32Array.from(out);
}

function itemLabels(meta: PairsMeta): Int8Array | undefined {
  if (!meta.labels) return undefined;
  const nItems = Math.max(-1, ...meta.items) + 1;
  const out = new Int8Array(nItems);
  meta.items.forEach((item, row) => { out[item] = meta.labels![row]; });
  return out;
}

export function splitItems(meta: PairsMeta, spec: JobSpec, seed: number): { train: Set<number>; test: Set<number> } {
  const nItems = Math.max(-1, ...meta.items) + 1;
  const s = trainTestSplit(nItems, { train: spec.split.train, test: spec.split.test, seed: spec.split.seed + seed, labels: itemLabels(meta) });
  return { train: new Set(s.train), test: new Set(s.test) };
}

/**
 * Test accuracy (oracle sign) under elk's three ensembling modes (lib/data/ensemble.ts):
 * `none` reads the pos side alone, `partial` the pair (p̃, Burns et al. 2022 §2.2), `full`
 * averages p̃ over an item's templates. Computed for every fit; the job's `ensemble`
 * option picks which one is the headline `accuracy`.
 */
function ensembleAccuracies(report: FitReport, test: ContrastData, items: Int32Array): Record<Ensembling, number | null> {
  const out = { none: null, partial: null, full: null } as Record<Ensembling, number | null>;
  if (!test.labels || test.pos.rows === 0) return out;
  const sides = report.test_sides ?? Probe.fromJSON(report.probe).sides(test);
  for (const mode of ENSEMBLING_MODES) {
    const e = ensemble(mode, { pos: sides.pPos, neg: sides.pNeg, items, labels: test.labels });
    out[mode] = e.labels ? oracleAccuracy(e.scores, e.labels) : null;
  }
  return out;
}

function toResult(layer: number, condition: string, template: number | null, report: FitReport, extra: { distractor?: number | null; opinion?: number | null; ensembles?: Record<Ensembling, number | null>; mode?: Ensembling }, nTrain: number, nTest: number): ResultInput {
  const t = report.test ?? report.train;
  const headline = extra.mode && extra.mode !== 'partial' ? extra.ensembles?.[extra.mode] ?? null : null;
  return {
    layer,
    method: report.method,
    seed: report.seed,
    control: controlOf(condition),
    template,
    n_train: nTrain,
    n_test: nTest,
    fit_seconds: report.fit_seconds,
    columns: {
      accuracy: headline ?? t.accuracy,
      accuracy_signed: t.accuracy_signed,
      sign_k: t.sign_k,
      auroc: t.auroc,
      calibrated_accuracy: t.calibrated_accuracy,
      ece: t.ece,
      ccs_loss: t.ccs_loss,
      consistency_loss: t.consistency_loss,
      confidence_loss: t.confidence_loss,
      accuracy_ci_low: t.accuracy_ci_low,
      accuracy_ci_high: t.accuracy_ci_high,
      auroc_ci_low: t.auroc_ci_low,
      auroc_ci_high: t.auroc_ci_high,
      train_accuracy: report.train.accuracy,
      distractor_accuracy: extra.distractor ?? null,
      opinion_accuracy: extra.opinion ?? null,
    },
    metrics: { train: report.train, test: report.test, restarts: report.restarts ?? null, ensembling: { mode: extra.mode ?? 'partial', accuracy: extra.ensembles ?? null } },
    probe: { dim: report.direction.length, direction: report.direction, state: report.probe as object },
  };
}

export interface LayerOutcome {
  results: ResultInput[];
  agreements: AgreementInput[];
}

export function fitLayer(spec: JobSpec, layer: number, conditions: ConditionData[], onFit?: () => void): LayerOutcome {
  const results: ResultInput[] = [];
  const agreements: AgreementInput[] = [];
  const controlNames = new Set(spec.controls.map((c) => (typeof c === 'string' ? c : (c as { name: string }).name)));
  const fitConditions = conditions.filter((c) => !c.name.startsWith('transfer:'));
  const transfers = conditions.filter((c) => c.name.startsWith('transfer:'));

  for (let seed = 0; seed < spec.seeds; seed++) {
    for (const cond of fitConditions) {
      const { train, test } = splitItems(cond.meta, spec, seed);
      const trainRows = rowsOf(cond.meta, train);
      const testRows = rowsOf(cond.meta, test);
      const reports: FitReport[] = [];
      // All methods on one split share its normalisation, differences and eigenvectors.
      const testData = contrastData(cond, testRows);
      const fitted = fitMethods({
        methods: spec.methods as MethodName[],
        options: spec.method_options,
        normalize: spec.normalize as NormalizeMode,
        seed,
        train: contrastData(cond, trainRows),
        test: testData,
        signK: spec.sign_k,
        bootstrap: spec.bootstrap,
      });
      for (const [m, report] of fitted.entries()) {
        const method = spec.methods[m];
        onFit?.();
        const bits = cond.meta.control_bits ? Int8Array.from(testRows, (i) => cond.meta.control_bits![i]) : null;
        const bitAcc = bits ? oracleAccuracy(report.test_scores, bits) : null;
        const ensembles = ensembleAccuracies(report, testData, Int32Array.from(testRows, (i) => cond.meta.items[i]));
        results.push(toResult(layer, cond.name, null, report, {
          distractor: cond.name === 'distractor' ? bitAcc : null,
          opinion: cond.name === 'explicit-opinion' ? bitAcc : null,
          ensembles,
          mode: spec.ensemble,
        }, trainRows.length, testRows.length));
        reports.push(report);
        // Transfer: the clean probe evaluated on each other dataset (all of its items).
        if (cond.name === 'clean') {
          for (const tr of transfers) {
            const all = Int32Array.from({ length: tr.meta.n_pairs }, (_, i) => i);
            const tReport = fitAndEvaluate({
              method: method as MethodName, options: spec.method_options[method], normalize: spec.normalize as NormalizeMode,
              seed, train: contrastData(cond, trainRows), test: contrastData(tr, all), signK: spec.sign_k, bootstrap: spec.bootstrap,
            });
            results.push(toResult(layer, tr.name, null, tReport, {}, trainRows.length, all.length));
          }
        }
      }
      if (controlNames.has('agreement')) {
        for (let a = 0; a < reports.length; a++) {
          for (let b = a + 1; b < reports.length; b++) {
            const ag = agreement(reports[a], reports[b]);
            agreements.push({ layer, seed, control: controlOf(cond.name), method_a: reports[a].method, method_b: reports[b].method, ...ag });
          }
        }
      }
      // Template sensitivity: each template fitted and tested on its own (clean condition).
      if (cond.name === 'clean' && controlNames.has('template-sensitivity') && cond.meta.template_ids.length > 1) {
        for (let t = 0; t < cond.meta.template_ids.length; t++) {
          const trT = rowsOf(cond.meta, train, t);
          const teT = rowsOf(cond.meta, test, t);
          const perTemplate = fitMethods({
            methods: spec.methods as MethodName[], options: spec.method_options, normalize: spec.normalize as NormalizeMode,
            seed, train: contrastData(cond, trT), test: contrastData(cond, teT), signK: spec.sign_k, bootstrap: spec.bootstrap,
          });
          for (const report of perTemplate) {
            onFit?.();
            results.push(toResult(layer, 'template-sensitivity', t, report, {}, trT.length, teT.length));
          }
        }
      }
    }
  }
  return { results, agreements };
}
