/**
 * Comparisons across jobs: `/dashboard/compare?sweep=ID` or `?jobs=A,B,…` (or a picker of
 * sweeps and finished jobs). A method × (model, dataset) grid of best-layer accuracy (or
 * AUROC, …) with the spread over seeds printed in each cell, a train × test transfer matrix
 * per model, and each job's control curves side by side. Best layers are the server's
 * (each job's /results `best_layers`, the best_layers view); the page only lays them out.
 */
import { getJson, type Job, type Results } from './api.ts';
import { h, append, clear, fmt, statusBadge } from './dom.ts';
import { controlCurves, controlsPresent, orderMethods, METRICS, METRIC_LABELS, type Metric } from './aggregate.ts';
import { lineChart, methodColors, paintCell, pruneCharts } from './charts.ts';
import { comparisonGrid, transferMatrices, transferMethods, type ComparedJob, type GridCell } from './compare.ts';

interface SweepJob {
  id: string;
  model: string;
  dataset: string;
  dataset_name: string;
  status: Job['status'];
}

interface Sweep {
  id: string;
  name: string | null;
  status: Job['status'];
  progress: { done: number; total: number };
  jobs: SweepJob[];
  created_at: string;
}

interface DatasetListing {
  datasets: { id: string; name: string }[];
}

interface View {
  metric: Metric;
  method: string | null;
  control: string | null;
}

interface Loaded {
  jobs: ComparedJob[];
  results: Map<string, Results>;
  names: Map<string, string>;
}

const MAX_JOBS = 40;

export async function comparisonsPage(root: HTMLElement, params: URLSearchParams): Promise<() => void> {
  clear(root);
  const sweepId = params.get('sweep');
  const jobIds = (params.get('jobs') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  try {
    if (!sweepId && !jobIds.length) await picker(root);
    else await comparison(root, sweepId, jobIds);
  } catch (e) {
    if ((e as { status?: number }).status === 401) {
      window.dispatchEvent(new CustomEvent('sonde:unauthorized', { detail: (e as Error).message }));
    } else {
      root.append(h('section', { class: 'card', id: 'compare-error' }, h('p', { class: 'error', role: 'alert' }, (e as Error).message)));
    }
  }
  return () => {};
}

/** Choose a sweep, or tick finished jobs. */
async function picker(root: HTMLElement): Promise<void> {
  const [sweeps, jobs] = await Promise.all([
    getJson<{ sweeps: Sweep[] }>('/v1/sweeps?limit=20'),
    getJson<{ jobs: Job[] }>('/v1/jobs?status=completed&limit=50'),
  ]);
  const checked = new Set<string>();
  const go = h('button', { type: 'button', id: 'compare-selected', disabled: true, onclick: () => {
    history.pushState(null, '', `/dashboard/compare?jobs=${[...checked].join(',')}`);
    window.dispatchEvent(new PopStateEvent('popstate'));
  } }, 'compare selected jobs');
  root.append(
    h('section', { class: 'card', id: 'sweep-picker' },
      h('h1', {}, 'Compare'),
      h('h2', {}, 'Sweeps'),
      sweeps.sweeps.length
        ? h('ul', { class: 'picker' }, ...sweeps.sweeps.map((s) => h('li', { 'data-sweep-id': s.id },
          h('a', { href: `/dashboard/compare?sweep=${s.id}`, 'data-nav': true }, s.name ?? s.id.slice(0, 8)), ' ', statusBadge(s.status),
          ` ${s.jobs.length} jobs: ${[...new Set(s.jobs.map((j) => j.model))].join(', ')} × ${[...new Set(s.jobs.map((j) => j.dataset_name))].join(', ')}`)))
        : h('p', { class: 'muted' }, 'No sweeps yet: submit one with `sonde sweep submit` or POST /v1/sweeps.')),
    h('section', { class: 'card', id: 'job-picker' },
      h('h2', {}, 'Or pick finished jobs'),
      h('table', { class: 'jobs' },
        h('thead', {}, h('tr', {}, ...['', 'job', 'model', 'dataset', 'methods', 'finished'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...jobs.jobs.map((j) => h('tr', { 'data-job-id': j.id },
          h('td', {}, h('input', { type: 'checkbox', value: j.id, 'aria-label': `compare job ${j.id}`, onchange: (e: Event) => {
            const box = e.target as HTMLInputElement;
            if (box.checked) checked.add(j.id);
            else checked.delete(j.id);
            go.disabled = checked.size === 0;
          } })),
          h('td', {}, h('code', {}, j.id.slice(0, 8))), h('td', {}, j.model), h('td', {}, j.dataset),
          h('td', {}, (j.spec.methods ?? []).join(', ')), h('td', {}, j.finished_at ?? '–'))))),
      h('p', {}, go)));
}

async function load(sweepId: string | null, jobIds: string[]): Promise<{ title: string; sweep: Sweep | null; loaded: Loaded }> {
  const sweep = sweepId ? await getJson<Sweep>(`/v1/sweeps/${sweepId}`) : null;
  const ids = (sweep ? sweep.jobs.map((j) => j.id) : jobIds).slice(0, MAX_JOBS);
  const [jobs, datasets] = await Promise.all([
    Promise.all(ids.map((id) => getJson<Job>(`/v1/jobs/${id}`))),
    getJson<DatasetListing>('/v1/datasets'),
  ]);
  const names = new Map(datasets.datasets.map((d) => [d.id, d.name]));
  const results = new Map<string, Results>();
  await Promise.all(jobs.map(async (j) => results.set(j.id, await getJson<Results>(`/v1/jobs/${j.id}/results`))));
  const compared: ComparedJob[] = jobs.map((j) => ({
    id: j.id, model: j.model, dataset: j.dataset, datasetName: names.get(j.dataset) ?? j.dataset, status: j.status,
    methods: j.spec.methods ?? [], best: results.get(j.id)!.best_layers,
  }));
  const title = sweep ? `Sweep ${sweep.name ?? sweep.id.slice(0, 8)}` : `${jobs.length} jobs`;
  return { title, sweep, loaded: { jobs: compared, results, names } };
}

async function comparison(root: HTMLElement, sweepId: string | null, jobIds: string[]): Promise<void> {
  root.append(h('p', {}, h('a', { href: '/dashboard/compare', 'data-nav': true }, '← pick other jobs')));
  const head = h('section', { class: 'card', id: 'compare-head' }, 'loading…');
  const body = h('div', { id: 'compare-body' });
  root.append(head, body);
  const { title, sweep, loaded } = await load(sweepId, jobIds);
  const methods = orderMethods(loaded.jobs.flatMap((j) => j.best.map((b) => b.method)), loaded.jobs[0]?.methods ?? []);
  const view: View = { metric: 'accuracy', method: transferMethods(loaded.jobs)[0] ?? null, control: null };
  clear(head);
  append(head,
    h('h1', {}, title, ' ', sweep ? statusBadge(sweep.status) : null),
    h('p', { class: 'muted' }, `${loaded.jobs.length} jobs: `, ...loaded.jobs.flatMap((j, i) => [i ? ', ' : '',
      h('a', { href: `/dashboard/jobs/${j.id}`, 'data-nav': true, 'data-job-id': j.id }, `${j.model} × ${j.datasetName}`), ` (${j.status})`])));
  const draw = () => render(body, loaded, methods, view, draw);
  draw();
}

function render(box: HTMLElement, loaded: Loaded, methods: string[], view: View, redraw: () => void): void {
  pruneCharts();
  clear(box);
  const metricSelect = h('select', { id: 'compare-metric', onchange: (e: Event) => { view.metric = (e.target as HTMLSelectElement).value as Metric; redraw(); } },
    ...METRICS.map((m) => h('option', { value: m, selected: m === view.metric }, METRIC_LABELS[m])));
  box.append(h('div', { class: 'toolbar card' }, h('label', {}, 'metric ', metricSelect)));
  box.append(gridCard(loaded, view.metric));
  const tMethods = transferMethods(loaded.jobs);
  if (tMethods.length) box.append(transferCard(loaded, view, tMethods, redraw));
  const controls = [...new Set(loaded.jobs.flatMap((j) => controlsPresent(loaded.results.get(j.id)!.results)))];
  if (controls.length) box.append(controlsCard(loaded, methods, controls, view, redraw));
}

/** The value in full and its spread, printed in the cell; colour from chance (0.5) to 1. */
function valueCell(c: GridCell | null, attrs: Record<string, string>): HTMLElement {
  if (!c) return h('td', { ...attrs, class: 'empty' }, '–');
  const td = h('td', {
    ...attrs, 'data-value': c.mean.toFixed(6), 'data-std': c.std.toFixed(6), 'data-layer': c.layer,
    title: `mean ${fmt(c.mean)} ± ${fmt(c.std)} over ${c.n} seed(s), range ${fmt(c.min)}–${fmt(c.max)}, best layer ${c.layer}`,
  }, h('span', { class: 'cell-mean' }, fmt(c.mean)), h('span', { class: 'cell-spread' }, `± ${fmt(c.std)} · L${c.layer}`));
  paintCell(td, c.mean);
  return td;
}

function gridCard(loaded: Loaded, metric: Metric): HTMLElement {
  const g = comparisonGrid(loaded.jobs, metric);
  const models = [...new Set(g.columns.map((c) => c.model))];
  return h('section', { class: 'card', id: 'comparison-grid-card' },
    h('h2', {}, `Best-layer ${METRIC_LABELS[metric]}: method × (model, dataset)`),
    h('p', { class: 'muted' }, 'Each cell: mean over seeds at the best layer (chosen by the server\'s best_layers view, mean over seeds, ties to the lower layer), ± the standard deviation over seeds, and that layer. Clean prompts; test split of the dataset fitted on.'),
    h('div', { class: 'table-scroll' }, h('table', { class: 'compare', id: 'comparison-grid', 'data-metric': metric },
      h('thead', {},
        h('tr', {}, h('th', { scope: 'col', rowspan: 2 }, 'method'), ...models.map((m) => h('th', { scope: 'colgroup', colspan: g.columns.filter((c) => c.model === m).length, class: 'model' }, m))),
        h('tr', {}, ...g.columns.map((c) => h('th', { scope: 'col', 'data-model': c.model, 'data-dataset': c.dataset }, c.datasetName)))),
      h('tbody', {}, ...g.methods.map((m, i) => h('tr', { 'data-method': m }, h('th', { scope: 'row' }, m),
        ...g.columns.map((c, k) => valueCell(g.cells[i][k], { 'data-model': c.model, 'data-dataset': c.dataset, 'data-job-id': c.jobId }))))))),
    scale());
}

function transferCard(loaded: Loaded, view: View, methods: string[], redraw: () => void): HTMLElement {
  const method = view.method && methods.includes(view.method) ? view.method : methods[0];
  const select = h('select', { id: 'transfer-method', onchange: (e: Event) => { view.method = (e.target as HTMLSelectElement).value; redraw(); } },
    ...methods.map((m) => h('option', { value: m, selected: m === method }, m)));
  const matrices = transferMatrices(loaded.jobs, view.metric, method, loaded.names);
  return h('section', { class: 'card', id: 'transfer-card' },
    h('h2', {}, `Transfer: ${METRIC_LABELS[view.metric]} of probes fitted on one dataset (rows), scored on another (columns)`),
    h('div', { class: 'toolbar' }, h('label', {}, 'method ', select)),
    h('p', { class: 'muted' }, 'Diagonal: the dataset\'s own test split. Off the diagonal: every item of the other dataset, scored by the probe fitted on the row\'s dataset (Burns et al. 2022, Fig. 7); each cell at its condition\'s best layer from the best_layers view. – : not run.'),
    h('div', { class: 'matrices' }, ...matrices.map((mx) => h('figure', { class: 'transfer', 'data-model': mx.model, 'data-method': mx.method },
      h('figcaption', {}, `${mx.model} · ${mx.method}`),
      h('table', { class: 'compare transfer-matrix', 'data-model': mx.model },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'train \\ test'), ...mx.test.map((t) => h('th', { scope: 'col', 'data-dataset': t.dataset }, t.name)))),
        h('tbody', {}, ...mx.train.map((tr, i) => h('tr', { 'data-train': tr.dataset }, h('th', { scope: 'row' }, tr.name),
          ...mx.test.map((te, k) => valueCell(mx.cells[i][k], { 'data-train': tr.dataset, 'data-test': te.dataset, class: tr.dataset === te.dataset ? 'diagonal' : '' }))))))))),
    scale());
}

function controlsCard(loaded: Loaded, methods: string[], controls: string[], view: View, redraw: () => void): HTMLElement {
  const control = view.control && controls.includes(view.control) ? view.control : controls[0];
  const select = h('select', { id: 'compare-control', onchange: (e: Event) => { view.control = (e.target as HTMLSelectElement).value; redraw(); } },
    ...controls.map((c) => h('option', { value: c, selected: c === control }, c)));
  const colors = methodColors(methods);
  const withControl = loaded.jobs.filter((j) => controlsPresent(loaded.results.get(j.id)!.results).includes(control));
  return h('section', { class: 'card', id: 'control-curves' },
    h('h2', {}, `Control curves side by side: ${control}`),
    h('div', { class: 'toolbar' }, h('label', {}, 'control ', select)),
    h('p', { class: 'muted' }, 'Per job, mean over seeds by layer. Solid: accuracy against the ground truth under the control\'s prompts; dashed: agreement with the planted feature. A method on the dashed line found the distractor, not knowledge (Farquhar et al. 2023).'),
    h('div', { class: 'small-multiples' }, ...withControl.map((j) => {
      const cc = controlCurves(loaded.results.get(j.id)!.results, control, methods);
      const series = cc.truth.flatMap((t, i) => [
        { name: `${t.method} · truth`, color: colors.get(t.method)!, stats: t.stats },
        { name: `${t.method} · ${control}`, color: colors.get(t.method)!, dashed: true, stats: cc.planted[i].stats },
      ]);
      return lineChart({ id: `control-${control}-${j.id}`, title: `${j.model} · ${j.datasetName}`, yLabel: 'accuracy', layers: cc.layers, series, spread: null });
    })));
}

function scale(): HTMLElement {
  return h('div', { class: 'scale' }, h('span', {}, '0.5 (chance)'), h('span', { class: 'scale-bar' }), h('span', {}, '1.0'));
}
