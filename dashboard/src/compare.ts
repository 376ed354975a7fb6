/**
 * Pure reshaping for the comparisons page: several jobs' best layers (each job's /results
 * `best_layers`, the best_layers view of migrations/005) laid out as a method × (model,
 * dataset) grid and as transfer matrices (train dataset × test dataset). Nothing here
 * decides a best layer; it only places the server's. No DOM, so node tests can check it.
 */
import type { BestLayerRow } from './api.ts';
import { orderMethods } from './aggregate.ts';

export interface ComparedJob {
  id: string;
  model: string;
  /** The dataset the job fitted on (built-in name or upload id) and its display name. */
  dataset: string;
  datasetName: string;
  status: string;
  methods: string[];
  best: BestLayerRow[];
}

export interface GridColumn {
  model: string;
  dataset: string;
  datasetName: string;
  jobId: string;
}

export interface GridCell {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
  layer: number;
}

export interface ComparisonGrid {
  methods: string[];
  columns: GridColumn[];
  /** cells[method index][column index]; null where the job has no such result. */
  cells: (GridCell | null)[][];
}

const TRANSFER = 'transfer:';

const cellOf = (b: BestLayerRow | undefined): GridCell | null =>
  b ? { mean: b.mean, std: b.std, min: b.min, max: b.max, n: b.n_seeds, layer: b.best_layer } : null;

/** Models in first-seen order, then datasets in first-seen order: a sweep's expansion order. */
function columnsOf(jobs: readonly ComparedJob[]): GridColumn[] {
  const models = [...new Set(jobs.map((j) => j.model))];
  const datasets = [...new Set(jobs.map((j) => j.dataset))];
  const out: GridColumn[] = [];
  for (const model of models) {
    for (const dataset of datasets) {
      const j = jobs.find((x) => x.model === model && x.dataset === dataset);
      if (j) out.push({ model, dataset, datasetName: j.datasetName, jobId: j.id });
    }
  }
  return out;
}

/** Method × (model, dataset): the clean run's best layer by `metric`, with its spread over seeds. */
export function comparisonGrid(jobs: readonly ComparedJob[], metric: string): ComparisonGrid {
  const columns = columnsOf(jobs);
  const methods = orderMethods(jobs.flatMap((j) => j.best.filter((b) => b.control === null && b.metric === metric).map((b) => b.method)), jobs[0]?.methods ?? []);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const cells = methods.map((m) => columns.map((c) => cellOf(byId.get(c.jobId)!.best.find((b) => b.method === m && b.control === null && b.metric === metric))));
  return { methods, columns, cells };
}

export interface TransferMatrix {
  model: string;
  method: string;
  /** Datasets fitted on (rows) and scored on (columns), as ids with display names. */
  train: { dataset: string; name: string }[];
  test: { dataset: string; name: string }[];
  /** cells[train][test]: the diagonal is the job's own test split, the rest its transfer conditions. */
  cells: (GridCell | null)[][];
}

/**
 * Train dataset × test dataset for each model, for one method: on the diagonal a job's
 * clean best layer, off it the best layer of its `transfer:<test>` condition (Burns et al.
 * 2022, Fig. 7). Only models with at least one transfer condition get a matrix.
 */
export function transferMatrices(jobs: readonly ComparedJob[], metric: string, method: string, names: ReadonlyMap<string, string>): TransferMatrix[] {
  const out: TransferMatrix[] = [];
  for (const model of [...new Set(jobs.map((j) => j.model))]) {
    const own = jobs.filter((j) => j.model === model);
    const transfers = own.flatMap((j) => j.best.filter((b) => b.control?.startsWith(TRANSFER) && b.metric === metric && b.method === method));
    if (!transfers.length) continue;
    const train = own.map((j) => ({ dataset: j.dataset, name: j.datasetName }));
    const testIds = [...new Set([...train.map((t) => t.dataset), ...transfers.map((b) => b.control!.slice(TRANSFER.length))])];
    const test = testIds.map((d) => ({ dataset: d, name: names.get(d) ?? d }));
    const cells = own.map((j) => test.map((t) => cellOf(j.best.find((b) => b.method === method && b.metric === metric &&
      (t.dataset === j.dataset ? b.control === null : b.control === `${TRANSFER}${t.dataset}`)))));
    out.push({ model, method, train, test, cells });
  }
  return out;
}

/** Methods that have a transfer condition somewhere, in the jobs' method order. */
export function transferMethods(jobs: readonly ComparedJob[]): string[] {
  return orderMethods(jobs.flatMap((j) => j.best.filter((b) => b.control?.startsWith(TRANSFER)).map((b) => b.method)), jobs[0]?.methods ?? []);
}
