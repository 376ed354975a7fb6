/**
 * Pure reshaping of a job's result rows (GET /v1/jobs/{id}/results) into what the
 * dashboard draws: per-method curves over layers with their spread over seeds, the
 * method × layer grid, control curves and the probe index. No DOM here, so node tests
 * can check it against Postgres' own aggregates (the accuracy_by_layer view).
 */

export interface ResultRow {
  layer: number;
  method: string;
  seed: number;
  control: string | null;
  template: number | null;
  probe_id: string | null;
  accuracy: number;
  accuracy_signed?: number | null;
  auroc?: number | null;
  calibrated_accuracy?: number | null;
  distractor_accuracy?: number | null;
  opinion_accuracy?: number | null;
  [column: string]: unknown;
}

/** The per-seed numbers a curve can show; all are in [0, 1] with chance at 0.5. */
export const METRICS = ['accuracy', 'accuracy_signed', 'auroc', 'calibrated_accuracy'] as const;
export type Metric = (typeof METRICS)[number];

export const METRIC_LABELS: Record<Metric, string> = {
  accuracy: 'accuracy (oracle sign)',
  accuracy_signed: 'accuracy (sign from labelled train examples)',
  auroc: 'AUROC',
  calibrated_accuracy: 'calibrated accuracy',
};

/** Controls whose rows carry a second accuracy: agreement with the planted feature, not the truth. */
export const CONTROL_COLUMNS: Record<string, { column: 'distractor_accuracy' | 'opinion_accuracy'; label: string }> = {
  distractor: { column: 'distractor_accuracy', label: 'distractor word' },
  'explicit-opinion': { column: 'opinion_accuracy', label: "the character's opinion" },
};

export interface Stat {
  n: number;
  mean: number;
  /** Sample standard deviation over seeds (n − 1), 0 for a single seed: as stddev_samp in the SQL views. */
  std: number;
  min: number;
  max: number;
}

export type Spread = 'minmax' | 'std';

export interface MethodCurve {
  method: string;
  /** One entry per layer of the shared axis; null where the method has no row at that layer. */
  stats: (Stat | null)[];
}

export interface Curves {
  layers: number[];
  curves: MethodCurve[];
}

export function stat(values: number[]): Stat | null {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

/** Methods in the job's requested order first, then any others alphabetically. */
export function orderMethods(present: Iterable<string>, preferred: readonly string[] = []): string[] {
  const set = new Set(present);
  const first = preferred.filter((m) => set.has(m));
  const rest = [...set].filter((m) => !first.includes(m)).sort();
  return [...first, ...rest];
}

/** Rows pooled over templates (template null) of one condition: null = the clean run. */
export function conditionRows(rows: readonly ResultRow[], control: string | null): ResultRow[] {
  return rows.filter((r) => r.template === null && (r.control ?? null) === control);
}

function groupByMethodLayer(rows: readonly ResultRow[], value: (r: ResultRow) => number | null | undefined, methodOrder: readonly string[]): Curves {
  const layers = [...new Set(rows.map((r) => r.layer))].sort((a, b) => a - b);
  const methods = orderMethods(rows.map((r) => r.method), methodOrder);
  const cells = new Map<string, number[]>();
  for (const r of rows) {
    const v = value(r);
    if (v === null || v === undefined) continue;
    const k = `${r.method}\u0000${r.layer}`;
    if (!cells.has(k)) cells.set(k, []);
    cells.get(k)!.push(v);
  }
  return {
    layers,
    curves: methods.map((method) => ({ method, stats: layers.map((l) => stat(cells.get(`${method}\u0000${l}`) ?? [])) })),
  };
}

/** Mean and spread over seeds of `metric` for each method and layer of one condition. */
export function layerCurves(rows: readonly ResultRow[], opts: { metric?: Metric; control?: string | null; methodOrder?: readonly string[] } = {}): Curves {
  const metric = opts.metric ?? 'accuracy';
  return groupByMethodLayer(conditionRows(rows, opts.control ?? null), (r) => r[metric] as number | null | undefined, opts.methodOrder ?? []);
}

/** The band drawn around a mean: min–max over seeds, or mean ± one standard deviation. */
export function band(s: Stat | null, spread: Spread): [number, number] | [null, null] {
  if (!s) return [null, null];
  return spread === 'minmax' ? [s.min, s.max] : [s.mean - s.std, s.mean + s.std];
}

/** Controls present among the pooled rows that have a planted-feature accuracy to compare against. */
export function controlsPresent(rows: readonly ResultRow[]): string[] {
  const names = new Set(rows.filter((r) => r.template === null && r.control !== null).map((r) => r.control as string));
  return Object.keys(CONTROL_COLUMNS).filter((c) => names.has(c));
}

export interface ControlCurves {
  control: string;
  label: string;
  /** The result column (and best_layers metric) holding the agreement with the planted feature. */
  column: 'distractor_accuracy' | 'opinion_accuracy';
  layers: number[];
  /** Accuracy against the ground truth, under the control's modified prompts. */
  truth: MethodCurve[];
  /** Agreement with the planted feature (Farquhar et al. 2023, §4: a probe may find it instead). */
  planted: MethodCurve[];
}

export function controlCurves(rows: readonly ResultRow[], control: string, methodOrder: readonly string[] = []): ControlCurves {
  const spec = CONTROL_COLUMNS[control];
  if (!spec) throw new Error(`control "${control}" has no planted-feature accuracy`);
  const own = conditionRows(rows, control);
  const truth = groupByMethodLayer(own, (r) => r.accuracy, methodOrder);
  const planted = groupByMethodLayer(own, (r) => r[spec.column] as number | null | undefined, methodOrder);
  return { control, label: spec.label, column: spec.column, layers: truth.layers, truth: truth.curves, planted: planted.curves };
}

/**
 * Template sensitivity (Farquhar et al. 2023, §4.4): each template fitted and tested on
 * its own; the spread is over templates × seeds, as in the template_spread view.
 */
export function templateCurves(rows: readonly ResultRow[], methodOrder: readonly string[] = []): Curves & { nTemplates: number } {
  const own = rows.filter((r) => r.template !== null);
  return { ...groupByMethodLayer(own, (r) => r.accuracy, methodOrder), nTemplates: new Set(own.map((r) => r.template)).size };
}

export interface ProbeLink {
  method: string;
  layer: number;
  seed: number;
  control: string | null;
  probeId: string;
}

/** Pooled-template probes, ordered by condition (clean first), method, layer and seed. */
export function probeIndex(rows: readonly ResultRow[], methodOrder: readonly string[] = []): ProbeLink[] {
  const methods = orderMethods(rows.map((r) => r.method), methodOrder);
  return rows
    .filter((r) => r.template === null && r.probe_id)
    .map((r) => ({ method: r.method, layer: r.layer, seed: r.seed, control: r.control ?? null, probeId: r.probe_id as string }))
    .sort((a, b) =>
      (a.control === null ? '' : a.control).localeCompare(b.control === null ? '' : b.control)
      || methods.indexOf(a.method) - methods.indexOf(b.method)
      || a.layer - b.layer
      || a.seed - b.seed);
}

/** A method × method agreement row of /results (lib/fit's AgreementInput). */
export type { AgreementInput as AgreementRow } from '../../lib/fit/types.ts';
import type { AgreementInput as AgreementRow } from '../../lib/fit/types.ts';

export interface AgreementPair {
  a: string;
  b: string;
  /** Per layer of the shared axis: fraction of test items both methods label alike, and |cos| of their directions. */
  agreement: (Stat | null)[];
  cosine: (Stat | null)[];
}

/** The 'agreement' control of one condition: method × method, mean over seeds per layer. */
export function agreementGrid(rows: readonly AgreementRow[], control: string | null = null, methodOrder: readonly string[] = []): { layers: number[]; pairs: AgreementPair[] } {
  const own = rows.filter((r) => (r.control ?? null) === control);
  const layers = [...new Set(own.map((r) => r.layer))].sort((x, y) => x - y);
  const methods = orderMethods(own.flatMap((r) => [r.method_a, r.method_b]), methodOrder);
  const rank = (m: string) => methods.indexOf(m);
  const pairs = new Map<string, { a: string; b: string; cells: Map<number, AgreementRow[]> }>();
  for (const r of own) {
    // One entry per unordered pair, named in the job's method order.
    const [a, b] = rank(r.method_a) <= rank(r.method_b) ? [r.method_a, r.method_b] : [r.method_b, r.method_a];
    const k = `${a}\u0000${b}`;
    if (!pairs.has(k)) pairs.set(k, { a, b, cells: new Map() });
    const cells = pairs.get(k)!.cells;
    if (!cells.has(r.layer)) cells.set(r.layer, []);
    cells.get(r.layer)!.push(r);
  }
  return {
    layers,
    pairs: [...pairs.values()]
      .sort((p, q) => rank(p.a) - rank(q.a) || rank(p.b) - rank(q.b))
      .map(({ a, b, cells }) => ({
        a,
        b,
        agreement: layers.map((l) => stat((cells.get(l) ?? []).map((r) => r.prediction_agreement))),
        cosine: layers.map((l) => stat((cells.get(l) ?? []).flatMap((r) => (r.direction_cosine === null ? [] : [Math.abs(r.direction_cosine)])))),
      })),
  };
}
