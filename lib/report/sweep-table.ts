/**
 * A sweep's comparison as plain text (`sonde sweep results`, `sonde sweep watch`): method ×
 * (model, dataset) best-layer accuracy with its spread over seeds, then each transfer
 * pair. Best layers are the best_layers view's (migrations/005); this only lays them out.
 */
import { methodOrder } from './summary.ts';

export interface SweepBest {
  model: string;
  dataset: string;
  dataset_name: string;
  eval_dataset_name: string;
  method: string;
  control: string | null;
  metric: string;
  best_layer: number;
  mean: number;
  std: number;
  n_seeds: number;
}

const cell = (b: SweepBest | undefined, digits: number) => (b ? `${b.mean.toFixed(digits)} ± ${b.std.toFixed(digits)} L${b.best_layer}` : '–');

function grid(title: string, rows: string[], cols: string[], value: (row: string, col: string) => string): string {
  const width = [Math.max(...rows.map((r) => r.length), title.length), ...cols.map((c, j) => Math.max(c.length, ...rows.map((r) => value(r, cols[j]).length)))];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  return [line([title, ...cols]), ...rows.map((r) => line([r, ...cols.map((c) => value(r, c))]))].join('\n');
}

export function sweepTable(best: readonly SweepBest[], opts: { metric?: string; digits?: number } = {}): string {
  const metric = opts.metric ?? 'accuracy';
  const digits = opts.digits ?? 3;
  const own = best.filter((b) => b.metric === metric);
  if (!own.length) return `no ${metric} results yet`;
  const clean = own.filter((b) => b.control === null);
  const cols = [...new Set(clean.map((b) => `${b.model} / ${b.dataset_name}`))];
  const methods = methodOrder(own.map((b) => b.method));
  const parts = [
    `best-layer ${metric} (mean ± std over seeds, best layer), clean prompts`,
    grid('method', methods, cols, (m, c) => cell(clean.find((b) => b.method === m && `${b.model} / ${b.dataset_name}` === c), digits)),
  ];
  const transfer = own.filter((b) => b.control?.startsWith('transfer:'));
  if (transfer.length) {
    const pairs = [...new Set(transfer.map((b) => `${b.model}: ${b.dataset_name} → ${b.eval_dataset_name}`))];
    parts.push('', `transfer: fitted on one dataset, scored on another (${metric})`,
      grid('method', methods, pairs, (m, p) => cell(transfer.find((b) => b.method === m && `${b.model}: ${b.dataset_name} → ${b.eval_dataset_name}` === p), digits)));
  }
  return parts.join('\n');
}
