/**
 * The method × layer comparison table printed by `sonde compare`, the demo and
 * `GET /v1/comparisons`: test accuracy as mean ± std over seeds, one section per
 * condition (clean, each control, each transfer dataset), the best layer of each method
 * marked with "*". With controlColumns, sections of a distractor or explicit-opinion
 * control also show, per layer, the agreement of predictions with the planted bit
 * (Farquhar et al. 2023 §4.1–4.2): a method that follows the distractor shows ground-truth
 * accuracy near 0.5 and distractor accuracy near 1.
 */
import { controlName, controlOrder, groupBy, methodOrder, pooledRows, stats, type ResultRow } from './summary.ts';

export { stats, type ResultRow, type Stats } from './summary.ts';

/** A best layer as the best_layers view gives it (migrations/005): the table only marks it. */
export interface BestLayerMark {
  method: string;
  /** null or 'clean' for the clean run. */
  control: string | null;
  metric: string;
  best_layer: number;
}

export interface TableOptions {
  /** Best layers to star, from the best_layers view (metric 'accuracy'); none starred without. */
  best?: readonly BestLayerMark[];
  /** Add distractor / opinion accuracy grids under the sections that have them. Default true. */
  controlColumns?: boolean;
  /** Decimals shown (default 3). */
  digits?: number;
}

export function comparisonTable(rows: readonly ResultRow[], opts: TableOptions = {}): string {
  const digits = opts.digits ?? 3;
  const pooled = pooledRows(rows);
  if (pooled.length === 0) return '(no results)';
  const best = new Map((opts.best ?? []).filter((b) => b.metric === 'accuracy').map((b) => [`${b.control ?? 'clean'}\u0000${b.method}`, b.best_layer]));
  const sections: string[] = [];
  const byCondition = groupBy(pooled, controlName);
  for (const control of controlOrder(byCondition.keys())) {
    const condRows = byCondition.get(control)!;
    const nSeeds = new Set(condRows.map((r) => r.seed)).size;
    const title = `${control}: test accuracy, mean ± std over ${nSeeds} seed${nSeeds === 1 ? '' : 's'} (* best layer)`;
    const grids = [grid(title, condRows, (r) => r.accuracy, digits, (method) => best.get(`${control}\u0000${method}`))];
    if (opts.controlColumns ?? true) {
      const metrics: [string, (r: ResultRow) => number | null | undefined][] = [
        ['distractor accuracy (agreement with the appended-word bit h)', (r) => r.distractor_accuracy],
        ['opinion accuracy (agreement with the stated opinion)', (r) => r.opinion_accuracy],
      ];
      for (const [name, f] of metrics) {
        if (condRows.some((r) => f(r) !== null && f(r) !== undefined)) grids.push(grid(`${control}: ${name}`, condRows, f, digits));
      }
    }
    sections.push(grids.join('\n\n'));
  }
  return sections.join('\n\n');
}

/** One method × layer grid of mean ± std; `bestLayer` marks a cell per method with "*". */
function grid(
  title: string,
  rows: ResultRow[],
  value: (r: ResultRow) => number | null | undefined,
  digits: number,
  bestLayer?: (method: string) => number | undefined,
): string {
  const layers = [...new Set(rows.map((r) => r.layer))].sort((a, b) => a - b);
  const byMethod = groupBy(rows, (r) => r.method);
  const header = ['method', ...layers.map((l) => `layer ${l}`)];
  const body = methodOrder(byMethod.keys()).map((method) => {
    const byLayer = groupBy(byMethod.get(method)!, (r) => String(r.layer));
    const mark = bestLayer?.(method);
    return [
      method,
      ...layers.map((l) => {
        const vals = (byLayer.get(String(l)) ?? []).map(value).filter((x): x is number => x !== null && x !== undefined);
        if (vals.length === 0) return '—';
        const s = stats(vals);
        if (s.n === 0) return '—';
        return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}${l === mark ? '*' : ' '}`;
      }),
    ];
  });
  return [title, ...align([header, ...body])].join('\n');
}

/** Left-align the first column, right-align the rest, two spaces between columns. */
function align(table: string[][]): string[] {
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => [...r[c]].length)));
  const lines = table.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines;
}
