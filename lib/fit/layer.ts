/**
 * The fit stage for one layer of one job: every method × seed on the clean condition and
 * on each control, the clean probe scored on each transfer dataset, per-template fits for
 * `template-sensitivity`, method × method agreement, per-row credences and the label-free
 * diagnostics across seeds. Pure: arrays in, rows out (the fit child does the I/O).
 *
 * Labels may be partial or absent. Unsupervised methods fit on every training row and are
 * never shown a label (so their credences are the same with and without labels); the
 * supervised ones (lr, mass-mean) fit on the labelled training rows only and are listed as
 * skipped, with the reason, where there are none. Metrics use labelled rows only.
 *
 * Seeds: seed s uses split seed `split.seed + s` and method seed s, so the reported spread
 * covers both the data split and the method's own randomness (restarts, init).
 */
import { ZERO_SHOT, type JobSpec } from '../job-spec.ts';
import { Probe, UNSUPERVISED, fitMethods, oracleAccuracy, type ContrastData, type Metrics, type MethodName } from '../probe/index.ts';
import { sigmoid } from '../probe/kernels.ts';
import { ensemble, ENSEMBLING_MODES, type Ensembling } from '../data/index.ts';
import type { AgreementInput, ConditionData, CredenceIndex, CredenceInput, Evaluation, LayerOutcome, ResultInput, SignRule, SkipInput } from './types.ts';
import { rowsOf, splitItems, subsetRows } from './subsets.ts';
import {
  coverage, evaluation, headlineMetrics, labelledRows, orient, oriented, pairCredences, pick, pickInt8, rowsData, type Orientation, type Sides,
} from './evaluate.ts';
import { predictionAgreement, seedDiagnostics } from './diagnostics.ts';

const controlOf = (condition: string) => (condition === 'clean' ? null : condition);
const isTransfer = (c: ConditionData) => c.name.startsWith('transfer:');

/** One fitted (or read-off) probe on one condition and seed, before it becomes a row. */
interface Fit {
  method: string;
  probe: Probe | null;
  fitSeconds: number;
  /** ccs: every restart's loss and p̃ on the training rows it was fitted on (`fitRows`). */
  restarts?: { loss: number; iterations: number; train_scores: Float64Array }[];
  fitRows?: Int32Array;
  /** Per-side probabilities on every row of the condition. */
  sides?: Sides;
}

interface Scored {
  fit: Fit;
  sides: Sides;
  /** Oriented p̃ on every row of the condition. */
  credences: Float64Array;
  orientation: Orientation;
  direction: Float32Array | null;
}

/** The model's own answer as a credence: σ(log-odds − median) — Burns et al. 2022's calibrated zero-shot (Table 1). */
function zeroShotSides(logOdds: number[]): Sides {
  const sorted = [...logOdds].sort((a, b) => a - b);
  const m = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : 0.5 * (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]);
  const p = Float64Array.from(logOdds, (x) => sigmoid(x - m));
  return { pPos: p, pNeg: p.map((x) => 1 - x) };
}

/**
 * Fits `methods` on the training rows of one split, scored on every row of the condition:
 * the unsupervised ones together on all training rows without their labels, the supervised
 * ones together on the labelled training rows. Each group shares one LayerContext (the
 * normalisation, differences, their statistics and eigenvectors are computed once, lib/probe
 * context.ts). A supervised method without usable labels is a skip with the reason.
 */
function fitSplit(spec: JobSpec, methods: readonly MethodName[], cond: ConditionData, trainRows: Int32Array, all: ContrastData, seed: number): (Fit | { method: string; skip: string })[] {
  const labels = cond.meta.labels;
  const out = new Map<string, Fit | { method: string; skip: string }>();
  const fitGroup = (group: MethodName[], rows: Int32Array, withLabels: boolean) => {
    if (!group.length) return;
    const reports = fitMethods({
      methods: group, options: spec.method_options as Partial<Record<MethodName, Record<string, unknown>>>, normalize: spec.normalize, seed,
      train: rowsData(cond.pos, cond.neg, cond.meta.templates, rows, withLabels ? labels : null), test: all, signK: 0, bootstrap: 0,
    });
    reports.forEach((r, k) => out.set(group[k], {
      method: group[k], probe: Probe.fromJSON(r.probe), fitSeconds: r.fit_seconds, sides: r.test_sides, fitRows: rows,
      restarts: r.restarts?.map(({ loss, iterations, train_scores }) => ({ loss, iterations, train_scores })),
    }));
  };
  fitGroup(methods.filter((m) => UNSUPERVISED.has(m)), trainRows, false);
  const supervised = methods.filter((m) => !UNSUPERVISED.has(m));
  if (supervised.length) {
    const rows = labelledRows(labels, trainRows);
    const ones = rows.filter((r) => labels![r] === 1).length;
    const why = rows.length === 0 ? 'the training split has no labelled items'
      : ones === 0 || ones === rows.length ? 'the labelled training items are all of one class' : null;
    if (why) for (const m of supervised) out.set(m, { method: m, skip: `${m} is supervised and ${why}` });
    else fitGroup(supervised, rows, true);
  }
  return methods.map((m) => out.get(m)!);
}

/** Orders methods so the reference (for label-free signs) is fitted first. */
function fitOrder(methods: readonly MethodName[], reference: string): MethodName[] {
  return [...methods].sort((a, b) => (a === reference ? -1 : b === reference ? 1 : 0));
}

/** The job's reference method: `reference_method`, else CCS, else the first unsupervised method. */
export function referenceMethod(spec: JobSpec): string | null {
  const want = spec.reference_method ?? 'ccs';
  if (spec.methods.includes(want as MethodName) && want !== ZERO_SHOT) return want;
  return spec.methods.find((m): m is MethodName => m !== ZERO_SHOT && UNSUPERVISED.has(m)) ?? null;
}

export function fitLayer(spec: JobSpec, layer: number, conditions: ConditionData[], onFit?: () => void): LayerOutcome {
  const out: LayerOutcome = { results: [], agreements: [], credences: [], credenceIndex: [], skipped: [] };
  const controlNames = new Set(spec.controls.map((c) => (typeof c === 'string' ? c : (c as { name: string }).name)));
  const fitConditions = conditions.filter((c) => !isTransfer(c));
  const transfers = conditions.filter(isTransfer);
  const reference = referenceMethod(spec);
  const wantZeroShot = spec.methods.includes(ZERO_SHOT);
  const probeMethods = spec.methods.filter((m): m is MethodName => m !== ZERO_SHOT);
  /** (condition, method) → per-seed fits, for the diagnostics across seeds. */
  const bySeed = new Map<string, { row: ResultInput; direction: Float32Array | null; credences: Float64Array }[]>();
  const skipped = new Map<string, SkipInput>();
  const skip = (method: string, control: string | null, reason: string) => skipped.set(`${method}\u0000${control}`, { method, control, reason });

  for (const c of conditions) out.credenceIndex.push(credenceIndex(c));

  // Every row of a condition, as the data the fits are scored on: the same for every seed.
  const allRows = new Map<ConditionData, ContrastData>();
  const everyRow = (c: ConditionData) => {
    if (!allRows.has(c)) allRows.set(c, { pos: c.pos, neg: c.neg, templates: Int32Array.from(c.meta.templates) });
    return allRows.get(c)!;
  };

  for (let seed = 0; seed < spec.seeds; seed++) {
    for (const cond of fitConditions) {
      const meta = cond.meta;
      const labels = meta.labels;
      const { train, test } = splitItems(meta, spec.split, seed);
      const trainRows = rowsOf(meta, train);
      const testRows = rowsOf(meta, test);
      const subsets = { test: testRows, ...subsetRows(meta, train) };
      const split = splitMarks(meta.n_pairs, trainRows, testRows);
      const allData = everyRow(cond);
      const scored: Scored[] = [];
      let referenceCredences: Float64Array | null = null;

      const score = (fit: Fit, sides: Sides, rule?: SignRule): Scored => {
        const raw = pairCredences(sides);
        const o: Orientation = rule === 'model'
          ? { sign: 1, rule, k: 0 }
          : orient(raw, labels, trainRows, spec.sign_k, seed, fit.method === reference ? null : referenceCredences);
        return { fit, sides, credences: oriented(raw, o.sign), orientation: o, direction: fit.probe ? Float32Array.from(fit.probe.toJSON().direction) : null };
      };

      for (const fit of fitSplit(spec, fitOrder(probeMethods, reference ?? ''), cond, trainRows, allData, seed)) {
        if ('skip' in fit) {
          skip(fit.method, controlOf(cond.name), fit.skip);
          continue;
        }
        onFit?.();
        const s = score(fit, fit.sides!);
        if (fit.method === reference) referenceCredences = s.credences;
        scored.push(s);
      }
      if (wantZeroShot) {
        if (meta.zero_shot) scored.push(score({ method: ZERO_SHOT, probe: null, fitSeconds: 0 }, zeroShotSides(meta.zero_shot), 'model'));
        else skip(ZERO_SHOT, controlOf(cond.name), meta.zero_shot_unavailable ?? 'zero-shot needs the model\'s output (a decoder with an unembedding)');
      }

      for (const s of scored) {
        const row = resultRow(spec, layer, cond, s, { trainRows, testRows, subsets, seed });
        out.results.push(row);
        out.credences.push({ layer, method: s.fit.method, seed, control: controlOf(cond.name), sign_rule: s.orientation.rule, credences: Float32Array.from(s.credences), split });
        const key = `${cond.name}\u0000${s.fit.method}`;
        if (!bySeed.has(key)) bySeed.set(key, []);
        bySeed.get(key)!.push({ row, direction: s.direction, credences: s.credences });
      }

      // Method × method agreement on the test rows (label-free; Farquhar et al. 2023 compare methods this way).
      for (let a = 0; a < scored.length; a++) {
        for (let b = a + 1; b < scored.length; b++) {
          out.agreements.push(agreementRow(layer, seed, controlOf(cond.name), scored[a], scored[b], testRows));
        }
      }

      // Transfer: the clean probes scored on every pair of each other dataset.
      if (cond.name === 'clean') {
        for (const tr of transfers) {
          const trAll = Int32Array.from({ length: tr.meta.n_pairs }, (_, i) => i);
          const trData = everyRow(tr);
          for (const s of scored) {
            if (!s.fit.probe) continue; // zero-shot reads the model on its own dataset only
            const raw = pairCredences(s.fit.probe.sides(trData));
            const moved: Scored = { ...s, sides: s.fit.probe.sides(trData), credences: oriented(raw, s.orientation.sign) };
            const row = resultRow(spec, layer, tr, moved, { trainRows, testRows: trAll, subsets: { test: trAll }, seed, transfer: true });
            out.results.push(row);
            out.credences.push({ layer, method: s.fit.method, seed, control: tr.name, sign_rule: s.orientation.rule, credences: Float32Array.from(moved.credences), split: new Uint8Array(tr.meta.n_pairs).fill(2) });
          }
        }
      }

      // Template sensitivity: each template fitted and tested on its own (clean condition).
      if (cond.name === 'clean' && controlNames.has('template-sensitivity') && meta.template_ids.length > 1) {
        for (let t = 0; t < meta.template_ids.length; t++) {
          const trT = rowsOf(meta, train, t);
          const teT = rowsOf(meta, test, t);
          for (const fit of fitSplit(spec, probeMethods, cond, trT, allData, seed)) {
            if ('skip' in fit) continue;
            onFit?.();
            const s = score(fit, fit.sides!);
            out.results.push(resultRow(spec, layer, cond, s, { trainRows: trT, testRows: teT, subsets: { test: teT }, seed, control: 'template-sensitivity', template: t }));
          }
        }
      }
    }
  }

  // Label-free diagnostics across seeds, written onto every seed's row.
  for (const fits of bySeed.values()) {
    const d = seedDiagnostics(fits.map((f) => ({ direction: f.direction, credences: f.credences })));
    fits.forEach((f, i) => {
      Object.assign(f.row.columns, { seed_cosine: d.seed_cosine, seed_sign_agreement: d.seed_sign_agreement, seed_agreement: d.seed_agreement[i], seed_bimodal: d.seed_bimodal });
    });
  }
  out.skipped = [...skipped.values()];
  return out;
}

function splitMarks(n: number, trainRows: Int32Array, testRows: Int32Array): Uint8Array {
  const marks = new Uint8Array(n);
  for (const r of trainRows) marks[r] = 1;
  for (const r of testRows) marks[r] = 2;
  return marks;
}

function credenceIndex(c: ConditionData): CredenceIndex {
  const m = c.meta;
  return {
    control: controlOf(c.name),
    items: Int32Array.from(m.items),
    templates: Int32Array.from(m.templates),
    labels: m.labels ? Int8Array.from(m.labels) : null,
    dataset_rows: m.dataset_rows ? Int32Array.from(m.items, (i) => m.dataset_rows![i]) : null,
    label_sets: Object.fromEntries(Object.entries(m.label_sets ?? {}).map(([k, v]) => [k, Int8Array.from(v)])),
    template_ids: m.template_ids,
  };
}

/**
 * Test accuracy (oracle sign) under elk's three ensembling modes (lib/data/ensemble.ts):
 * `none` reads the pos side alone, `partial` the pair (p̃, Burns et al. 2022 §2.2), `full`
 * averages p̃ over an item's templates. The job's `ensemble` option picks the headline.
 */
function ensembleAccuracies(sides: Sides, meta: ConditionData['meta'], rows: Int32Array): Record<Ensembling, number | null> {
  const out = { none: null, partial: null, full: null } as Record<Ensembling, number | null>;
  const labelled = labelledRows(meta.labels, rows);
  if (labelled.length === 0) return out;
  for (const mode of ENSEMBLING_MODES) {
    const e = ensemble(mode, { pos: pick(sides.pPos, labelled), neg: pick(sides.pNeg, labelled), items: Int32Array.from(labelled, (r) => meta.items[r]), labels: pickInt8(meta.labels!, labelled) });
    out[mode] = e.labels ? oracleAccuracy(e.scores, e.labels) : null;
  }
  return out;
}

function resultRow(
  spec: JobSpec,
  layer: number,
  cond: ConditionData,
  s: Scored,
  where: { trainRows: Int32Array; testRows: Int32Array; subsets: Record<string, Int32Array>; seed: number; control?: string; template?: number; transfer?: boolean },
): ResultInput {
  const meta = cond.meta;
  const labels = meta.labels;
  const seed = where.seed;
  const test = headlineMetrics(s.sides, labels, where.testRows, s.orientation, { seed, bootstrap: spec.bootstrap, split: 'test' });
  // Train metrics describe the fit on its own (clean) training rows; transfer rows keep those of the clean fit.
  const train: Metrics | null = where.transfer ? null : headlineMetrics(s.sides, labels, where.trainRows, s.orientation, { seed, bootstrap: 0, split: 'train' });
  const ensembles = ensembleAccuracies(s.sides, meta, where.testRows);
  const headline = spec.ensemble !== 'partial' ? ensembles[spec.ensemble] : null;
  const bits = meta.control_bits ? Int8Array.from(where.testRows, (r) => meta.control_bits![r]) : null;
  const bitAcc = bits && bits.length ? oracleAccuracy(pick(s.credences, where.testRows), bits) : null;
  const evaluations: Evaluation[] = [];
  const labelSets: Record<string, ArrayLike<number>> = { ...(labels ? { label: labels } : {}), ...(meta.label_sets ?? {}) };
  for (const [subset, rows] of Object.entries(where.subsets)) {
    for (const [name, ys] of Object.entries(labelSets)) evaluations.push(evaluation(subset, name, s.credences, ys, rows));
  }
  const testEval = evaluations.find((e) => e.subset === 'test' && e.label_set === 'label');
  // Every restart's loss and accuracy on the labelled rows it was fitted on (Burns et al. keep the lowest loss).
  const fitRows = s.fit.fitRows;
  const restarts = s.fit.restarts?.map((r) => {
    const known = fitRows ? [...fitRows.keys()].filter((k) => labels && labels[fitRows[k]] >= 0) : [];
    if (!known.length) return { loss: r.loss, iterations: r.iterations, accuracy: null };
    const y = Int8Array.from(known, (k) => labels![fitRows![k]]);
    return { loss: r.loss, iterations: r.iterations, accuracy: oracleAccuracy(Float64Array.from(known, (k) => r.train_scores[k]), y) };
  });
  const control = where.control ?? controlOf(cond.name);
  return {
    layer,
    method: s.fit.method,
    seed,
    control,
    template: where.template ?? null,
    n_train: s.fit.probe ? where.trainRows.length : 0,
    n_test: where.testRows.length,
    fit_seconds: s.fit.fitSeconds,
    sign_rule: s.orientation.rule,
    columns: {
      accuracy: headline ?? test.accuracy,
      accuracy_signed: test.accuracy_signed,
      sign_k: test.sign_k,
      auroc: test.auroc,
      auroc_signed: testEval?.auroc_signed ?? null,
      calibrated_accuracy: test.calibrated_accuracy,
      ece: test.ece,
      ccs_loss: test.ccs_loss,
      consistency_loss: test.consistency_loss,
      confidence_loss: test.confidence_loss,
      accuracy_ci_low: test.accuracy_ci_low,
      accuracy_ci_high: test.accuracy_ci_high,
      auroc_ci_low: test.auroc_ci_low,
      auroc_ci_high: test.auroc_ci_high,
      train_accuracy: train?.accuracy ?? null,
      distractor_accuracy: cond.name === 'distractor' && !where.template ? bitAcc : null,
      opinion_accuracy: cond.name === 'explicit-opinion' && !where.template ? bitAcc : null,
      n_test_labelled: test.n_labelled,
      coverage: coverage(s.credences),
    },
    metrics: {
      train, test, restarts: restarts ?? null,
      ensembling: { mode: spec.ensemble, accuracy: ensembles },
      sign: { rule: s.orientation.rule, k: s.orientation.k },
      evaluations,
    },
    probe: s.fit.probe ? { dim: s.direction!.length, direction: s.direction!, state: s.fit.probe.toJSON() as object } : null,
  };
}

function agreementRow(layer: number, seed: number, control: string | null, a: Scored, b: Scored, rows: Int32Array): AgreementInput {
  let cos: number | null = null;
  if (a.direction && b.direction && a.direction.length === b.direction.length) {
    let ab = 0, aa = 0, bb = 0;
    for (let k = 0; k < a.direction.length; k++) { ab += a.direction[k] * b.direction[k]; aa += a.direction[k] ** 2; bb += b.direction[k] ** 2; }
    cos = aa && bb ? Math.abs(ab) / Math.sqrt(aa * bb) : 0;
  }
  return {
    layer, seed, control, method_a: a.fit.method, method_b: b.fit.method,
    prediction_agreement: predictionAgreement(pick(a.credences, rows), pick(b.credences, rows)),
    direction_cosine: cos,
  };
}
