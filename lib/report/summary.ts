/**
 * Grouping and per-cell statistics of result rows for the comparison table: sample
 * standard deviation as Postgres' stddev_samp (0 for one seed), control null read as
 * "clean", the paper's method order. Best layers are not computed here: they come from
 * the best_layers view (migrations/005), the one place that decides them.
 */

export interface ResultRow {
  layer: number;
  method: string;
  seed: number;
  control: string | null;
  accuracy: number;
  auroc: number | null;
  distractor_accuracy?: number | null;
  opinion_accuracy?: number | null;
  /** Per-template rows (template-sensitivity) are not pooled results; tables skip them. */
  template?: number | null;
}

export interface Stats {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
}

/** Methods in the order the paper discusses them, then any others alphabetically. */
const METHOD_ORDER = ['ccs', 'pca', 'nmf', 'kmeans', 'random', 'lr'];

export function stats(xs: readonly number[]): Stats {
  const v = xs.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  // Sample standard deviation (n − 1), as Postgres stddev_samp; 0 for a single seed.
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...v), max: Math.max(...v), n };
}

export function controlName(row: Pick<ResultRow, 'control'>): string {
  return row.control ?? 'clean';
}

export function methodOrder(methods: Iterable<string>): string[] {
  return [...new Set(methods)].sort((a, b) => {
    const ia = METHOD_ORDER.indexOf(a);
    const ib = METHOD_ORDER.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a.localeCompare(b);
  });
}

/** Conditions: clean first, then the controls, then transfers, each group alphabetically. */
export function controlOrder(controls: Iterable<string>): string[] {
  const rank = (c: string) => (c === 'clean' ? 0 : c.startsWith('transfer:') ? 2 : 1);
  return [...new Set(controls)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Pooled rows only (template null or absent), with numeric fields coerced (pg may give strings). */
export function pooledRows(rows: readonly ResultRow[]): ResultRow[] {
  return rows
    .filter((r) => r.template === undefined || r.template === null)
    .map((r) => ({
      ...r,
      layer: Number(r.layer),
      seed: Number(r.seed),
      accuracy: Number(r.accuracy),
      auroc: r.auroc === null || r.auroc === undefined ? null : Number(r.auroc),
      distractor_accuracy: numOrNull(r.distractor_accuracy),
      opinion_accuracy: numOrNull(r.opinion_accuracy),
    }));
}

function numOrNull(x: unknown): number | null {
  return x === null || x === undefined ? null : Number(x);
}

/** Rows grouped by key; insertion order kept. */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = out.get(k);
    if (g) g.push(x);
    else out.set(k, [x]);
  }
  return out;
}
