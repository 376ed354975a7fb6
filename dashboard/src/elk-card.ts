/**
 * Context shift and several label columns (GET /v1/jobs/{id}/elk; Mallen et al. 2023,
 * "Eliciting Latent Knowledge from Quirky Language Models"): per evaluation subset, each
 * method's AUROC with its own sign against the truth (solid) and against every other label
 * column (dashed) by layer, with the min–max band over seeds; the numbers in a table; and
 * the recovered AUROC gap when the job names its truthful contexts and ran zero-shot.
 */
import { h, fmt } from './dom.ts';
import { lineChart } from './charts.ts';
import { cachedJson } from './fetch-cache.ts';
import { conditionRows, orderMethods, type ResultRow, type Stat } from './aggregate.ts';

interface OverSeeds { control?: string; subset?: string; label_set?: string; method: string; layer: number; n_seeds: number; mean: number | null; std: number | null; min: number | null; max: number | null }
interface Elk { truthful_subset: string | null; auroc: OverSeeds[]; recovered_gap: OverSeeds[] }

const labelName = (s: string) => (s === 'label' ? 'truth' : s);
const asStat = (r: OverSeeds | undefined): Stat | null => (r && r.n_seeds && r.mean !== null ? { n: r.n_seeds, mean: r.mean, std: r.std ?? 0, min: r.min ?? r.mean, max: r.max ?? r.mean } : null);
const order = (xs: Iterable<string>, first: string) => [...new Set(xs)].sort((a, b) => (a === first ? -1 : b === first ? 1 : a.localeCompare(b)));

/** Whether a job's rows carry evaluations beyond the test split against the truth (subsets or extra label columns). */
export function hasElk(rows: readonly ResultRow[]): boolean {
  return conditionRows(rows, null).some((r) => {
    const evals = (r.metrics as { evaluations?: { subset: string; label_set: string }[] } | undefined)?.evaluations ?? [];
    return evals.some((e) => e.subset !== 'test' || e.label_set !== 'label');
  });
}

export function elkCard(jobId: string, version: string, methods: readonly string[], colors: Map<string, string>): HTMLElement {
  const box = h('section', { class: 'card', id: 'elk' }, h('h2', {}, 'Context shift and label columns (ELK)'), h('p', { class: 'muted', id: 'elk-loading' }, 'loading…'));
  cachedJson<Elk>(`/v1/jobs/${jobId}/elk`, version).then((e) => {
    box.querySelector('#elk-loading')?.remove();
    box.append(...elkContent(e, methods, colors));
  }).catch((err) => box.append(h('p', { class: 'error' }, (err as Error).message)));
  return box;
}

function elkContent(e: Elk, jobMethods: readonly string[], colors: Map<string, string>): HTMLElement[] {
  const rows = e.auroc.filter((r) => (r.control ?? 'clean') === 'clean');
  const methods = orderMethods(rows.map((r) => r.method), jobMethods);
  const layers = [...new Set(rows.map((r) => r.layer))].sort((a, b) => a - b);
  const subsets = order(rows.map((r) => r.subset!), 'test');
  const labelSets = order(rows.map((r) => r.label_set!), 'label');
  const find = (list: OverSeeds[], method: string, layer: number, subset: string | null, labelSet: string) =>
    list.find((r) => r.method === method && r.layer === layer && (subset === null || r.subset === subset) && r.label_set === labelSet);

  const charts = subsets.map((subset, i) => lineChart({
    id: `elk-chart-${i}`,
    title: `AUROC with each probe's own sign on "${subset}"${subset === 'test' ? ' (the test split)' : ''}: vs the truth (solid) and vs ${labelSets.filter((l) => l !== 'label').map((l) => `"${l}"`).join(', ') || 'no other column'} (dashed); mean and min–max over seeds`,
    yLabel: 'AUROC',
    layers,
    series: methods.flatMap((m) => labelSets.map((ls) => ({ name: `${m} · vs ${labelName(ls)}`, color: colors.get(m) ?? '#333', dashed: ls !== 'label', stats: layers.map((l) => asStat(find(rows, m, l, subset, ls))) }))),
    spread: 'minmax',
  }));
  charts.forEach((c, i) => c.setAttribute('data-subset', subsets[i]));

  const cell = (r: OverSeeds | undefined) => h('td', { 'data-layer': r?.layer ?? '', 'data-value': r?.mean === null || r?.mean === undefined ? '' : r.mean.toFixed(6), title: r ? `mean ${fmt(r.mean)} ± ${fmt(r.std)}, range ${fmt(r.min)}–${fmt(r.max)} over ${r.n_seeds} seed(s)` : 'no value' },
    r && r.mean !== null ? `${fmt(r.mean, 2)} ± ${fmt(r.std, 2)}` : '–');
  const table = h('table', { class: 'numbers', id: 'elk-table' },
    h('thead', {}, h('tr', {}, ...['method', 'subset', 'vs'].map((t) => h('th', { scope: 'col' }, t)), ...layers.map((l) => h('th', { scope: 'col' }, `L${l}`)))),
    h('tbody', {}, ...methods.flatMap((m) => subsets.flatMap((s) => labelSets.map((ls) =>
      h('tr', { 'data-method': m, 'data-subset': s, 'data-label-set': ls }, h('th', { scope: 'row' }, m), h('td', {}, s), h('td', {}, labelName(ls)),
        ...layers.map((l) => cell(find(rows, m, l, s, ls)))))))));

  const gaps = e.recovered_gap.filter((r) => (r.control ?? 'clean') === 'clean');
  const gapMethods = orderMethods(gaps.map((r) => r.method), jobMethods);
  const gapLabels = order(gaps.map((r) => r.label_set!), 'label');
  const gapTable = gaps.length
    ? h('div', { id: 'elk-gap' },
      h('h3', {}, `Recovered AUROC gap (truthful contexts: "${e.truthful_subset}")`),
      h('p', { class: 'muted' }, '(probe AUROC vs the labels on the test contexts − the model\'s own AUROC there) / (the model\'s AUROC on the truthful contexts − on the test contexts), Mallen et al. 2023; 1 means the probe recovers all the knowledge the model\'s output hides, 0 none. Mean ± std over seeds.'),
      h('div', { class: 'table-scroll' }, h('table', { class: 'numbers', id: 'elk-gap-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'method'), h('th', { scope: 'col' }, 'vs'), ...layers.map((l) => h('th', { scope: 'col' }, `L${l}`)))),
        h('tbody', {}, ...gapMethods.flatMap((m) => gapLabels.map((ls) => h('tr', { 'data-method': m, 'data-label-set': ls }, h('th', { scope: 'row' }, m), h('td', {}, labelName(ls)),
          ...layers.map((l) => cell(find(gaps, m, l, null, ls))))))))))
    : h('p', { class: 'muted' }, 'No recovered AUROC gap: it needs zero-shot among the methods and elk.truthful_subset in the job (Mallen et al. 2023).');

  return [
    h('p', { class: 'muted' },
      'AUROC with each probe\'s own sign (below ½ means it ranks the items the other way round). On a context shift (Mallen et al. 2023: train on Alice\'s truthful contexts, test on Bob\'s), a probe that reads knowledge stays high against the truth on the shifted subset; one that tracks what the model says follows the other label column.'),
    ...charts,
    h('div', { class: 'table-scroll' }, table),
    gapTable,
  ];
}
