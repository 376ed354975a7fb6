/**
 * Everything about a job that can be checked at submission, against what it names: the
 * model's layers, the datasets (labels, fields), the templates, the controls, the split
 * sizes versus the dataset's size and classes, the activation set. A job the worker could
 * never run is a 400 here instead of a failure after extraction. Returns the sizes the
 * cost estimate needs (lib/job-cost.ts) and warnings that do not stop the job.
 */
import { activationSetLabels, getActivationSet } from '../infra/db/activations.ts';
import type { JobSpec } from '../lib/job-spec.ts';
import type { CostInput } from '../lib/job-cost.ts';
import { checkControlsForDataset, checkControlsForTemplates, parseControls, resolveTemplates, splitCounts, type Template } from '../lib/data/index.ts';
import { TemplateError } from '../lib/data/errors.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { ServiceDeps } from './context.ts';
import { datasetSummary, loadDataset, type DatasetSummary } from './datasets.ts';
import { matchItems, type ItemFilter } from '../lib/fit/index.ts';
import { modelInfo } from './models.ts';

/** Methods that fit on labels: their training split needs items of both classes. */
const SUPERVISED = new Set(['lr', 'mass-mean']);
/** Assumed when a registered model's manifest does not state its width. */
const ASSUMED_HIDDEN_SIZE = 4096;

export interface JobFacts {
  cost: CostInput;
  warnings: string[];
}

/** Items per class after `max_items` (a uniform subsample keeps the proportions, up to rounding). */
function scaledStrata(counts: Record<string, number>, n: number, max: number | null): { strata: Record<string, number>; items: number } {
  const items = max && n > max ? max : n;
  if (items === n) return { strata: { ...counts }, items };
  const strata: Record<string, number> = {};
  for (const [y, c] of Object.entries(counts)) strata[y] = Math.round((c * items) / n);
  return { strata, items };
}

/**
 * Multiclass items are binarised into pairs whose label is the slot the right choice is
 * drawn into (contrast-pairs.ts): about half each way, which is what the split sees.
 */
function pairStrata(d: Pick<DatasetSummary, 'kind' | 'label_counts' | 'n_items'>): Record<string, number> {
  if (d.kind !== 'multiclass') return d.label_counts;
  return { 0: Math.floor(d.n_items / 2), 1: Math.ceil(d.n_items / 2) };
}

const count = (side: Record<string, number>, y: string) => side[y] ?? 0;

/**
 * The split, as trainTestSplit will make it per seed, must leave both sides non-empty (a
 * 400). Labels are another matter (issue 11: discovery without labels): a dataset with few,
 * one-class or no labels still runs — unsupervised methods need none, supervised ones are
 * skipped with the reason, metrics use the labelled rows only — so what labels lack is a
 * warning the job carries, not a refusal.
 */
function checkSplit(spec: JobSpec, what: string, strata: Record<string, number>, items: number, warnings: string[]): void {
  const { train, test } = spec.split;
  if (items < 2) throw new BadInputError(`${what} has ${items} item(s); a train/test split needs at least 2`);
  const filtered = !!(spec.split.train_where || spec.split.test_where);
  const sizes = splitCounts(strata, train, test);
  const total = (side: Record<string, number>) => Object.values(side).reduce((a, b) => a + b, 0);
  if (!filtered) {
    for (const side of ['train', 'test'] as const) {
      if (total(sizes[side]) === 0) {
        throw new BadInputError(`split train ${train} / test ${test} of ${what}'s ${items} items leaves the ${side} set empty; use fractions that give each side at least one item`);
      }
    }
  }
  const labelled = Object.keys(strata).filter((y) => y !== '-1' && strata[y] > 0);
  const supervised = spec.methods.filter((m) => SUPERVISED.has(m));
  if (labelled.length === 0) {
    warnings.push(`${what} has no labels: accuracy and AUROC are not computed${supervised.length ? `, ${supervised.join(', ')} will be skipped` : ''}; the credences and the label-free diagnostics are what this job reports`);
    return;
  }
  if (labelled.length === 1) {
    warnings.push(`every labelled item of ${what} has label ${labelled[0]}: accuracy and AUROC against one class are not meaningful (a one-class evaluation scores 1.0 on noise); the labels still fix the probes' signs`);
    return;
  }
  if (filtered) return; // the pools decide the sides; checked on the items (checkItemFilters)
  for (const y of ['0', '1']) {
    if (count(sizes.test, y) === 0) warnings.push(`split train ${train} / test ${test} of ${what} leaves no label-${y} item in the test set (${count(strata, y)} in all): AUROC is not defined there`);
  }
  if (supervised.length) {
    for (const y of ['0', '1']) {
      if (count(sizes.train, y) === 0) warnings.push(`split train ${train} of ${what} leaves no label-${y} item in the training set: ${supervised.join(', ')} will be skipped`);
    }
  }
}

/** Item filters must name the dataset's fields and leave each side some items. */
async function checkItemFilters(deps: Pick<ServiceDeps, 'db'>, tenantId: string, spec: JobSpec, dataset: DatasetSummary): Promise<void> {
  const filters: [string, ItemFilter | null | undefined][] = [
    ['split.train_where', spec.split.train_where], ['split.test_where', spec.split.test_where],
    ...spec.eval_subsets.map((e): [string, ItemFilter] => [`eval_subsets "${e.name}"`, e.where]),
  ];
  if (!filters.some(([, f]) => f)) return;
  const items = (await loadDataset(deps.db, tenantId, spec.dataset)).items.map((it) => it.fields);
  for (const [what, f] of filters) {
    if (!f) continue;
    const unknown = Object.keys(f).filter((k) => !dataset.fields.includes(k));
    if (unknown.length) throw new BadInputError(`${what} names field(s) ${unknown.join(', ')} that dataset "${spec.dataset}" does not have (its fields: ${dataset.fields.join(', ') || 'none'})`);
    const n = matchItems(items, f).length;
    const fraction = what === 'split.train_where' ? spec.split.train : what === 'split.test_where' ? spec.split.test : 1;
    if (Math.round(fraction * n) === 0) throw new BadInputError(`${what} matches ${n} item(s) of dataset "${spec.dataset}"; at ${fraction} of them that is none`);
  }
}

function resolveFor(spec: JobSpec, d: DatasetSummary, role: string): Template[] {
  try {
    return resolveTemplates(spec.templates as never, d.kind, { fields: d.fields, preset: d.preset });
  } catch (e) {
    if (e instanceof TemplateError && role !== 'dataset') throw new TemplateError(`${role} "${d.name}": ${e.message}`);
    throw e;
  }
}

export async function checkJob(deps: Pick<ServiceDeps, 'db'>, tenantId: string, spec: JobSpec): Promise<JobFacts> {
  const warnings: string[] = [];

  if (spec.activations) {
    const set = await getActivationSet(deps.db, tenantId, spec.activations);
    if (!set) throw NotFoundError.of(`activation set ${spec.activations}`);
    const labels = (await activationSetLabels(deps.db, spec.activations)).labels ?? [];
    const counts: Record<string, number> = labels.length ? {} : { '-1': set.n };
    for (const y of labels) counts[String(y)] = (counts[String(y)] ?? 0) + 1;
    const { strata, items } = scaledStrata(counts, set.n, spec.max_items);
    checkSplit(spec, `activation set ${spec.activations}`, strata, items, warnings);
    return { cost: { items, templates: 1, layers: set.n_layers, hiddenSize: set.dim, transferItems: [], labelled: set.has_labels, uploadedPairs: items }, warnings };
  }

  const model = await modelInfo(deps, tenantId, spec.model);
  if (spec.layers !== 'all' && model.layers.length) {
    const missing = spec.layers.filter((l) => !model.layers.includes(l));
    if (missing.length) throw new BadInputError(`model ${spec.model} has no layer(s) ${missing.join(', ')}; it has ${model.layers.join(', ')}`);
  }
  const layers = spec.layers === 'all' ? Math.max(1, model.layers.length) : spec.layers.length;
  let hiddenSize = model.hidden_size ?? 0;
  if (!hiddenSize) {
    hiddenSize = ASSUMED_HIDDEN_SIZE;
    warnings.push(`model ${spec.model} does not state its hidden size; the cost estimate assumed ${ASSUMED_HIDDEN_SIZE}`);
  }

  const dataset = await datasetSummary(deps.db, tenantId, spec.dataset);
  const templates = resolveFor(spec, dataset, 'dataset');
  const controls = parseControls(spec.controls);
  checkControlsForDataset(controls, dataset);
  checkControlsForTemplates(controls, templates);
  const main = scaledStrata(pairStrata(dataset), dataset.n_items, spec.max_items);
  checkSplit(spec, `dataset "${spec.dataset}"`, main.strata, main.items, warnings);
  await checkItemFilters(deps, tenantId, spec, dataset);

  const transferItems: number[] = [];
  for (const name of spec.eval_datasets) {
    const e = await datasetSummary(deps.db, tenantId, name);
    // A transfer row's metrics use the eval dataset's labels; without any it still gives credences.
    if (!e.has_labels) warnings.push(`eval dataset "${name}" has no labels: its transfer rows report credences and the label-free figures only`);
    resolveFor(spec, e, 'eval dataset');
    const t = scaledStrata(pairStrata(e), e.n_items, spec.max_items);
    const classes = Object.keys(t.strata).filter((y) => y !== '-1' && t.strata[y] > 0);
    if (classes.length < 2) warnings.push(`eval dataset "${name}": every labelled item has label ${classes[0]}; its transfer accuracy is single-class (AUROC undefined)`);
    transferItems.push(t.items);
  }
  return { cost: { items: main.items, templates: templates.length, layers, hiddenSize, transferItems, labelled: dataset.has_labels }, warnings };
}
