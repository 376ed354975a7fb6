/**
 * One job: live progress while it runs, then (and already during the fit stage, as layers
 * commit) accuracy-by-layer curves with seed bands, the method × layer heatmap, the best
 * layer per method, the controls of Farquhar et al. 2023, and probe downloads.
 */
import { getJson, download, isActive, type BestLayerRow, type Job, type Results } from './api.ts';
import { h, append, clear, fmt, fmtTime, fmtDuration, statusBadge, progressBar } from './dom.ts';
import { layerCurves, controlCurves, controlsPresent, probeIndex, orderMethods, agreementGrid, templateCurves, METRICS, METRIC_LABELS, type Metric, type Spread, type ResultRow, type ProbeLink } from './aggregate.ts';
import { lineChart, heatmap, methodColors, pruneCharts, paintCell } from './charts.ts';
import { phaseCard } from './phase-card.ts';
import { diagnosticsCard } from './diagnostics-card.ts';
import { disagreementsCard } from './disagreements-card.ts';
import { elkCard, hasElk } from './elk-card.ts';

const POLL_MS = 2000;

interface View {
  metric: Metric;
  spread: Spread;
}

export async function jobPage(root: HTMLElement, id: string): Promise<() => void> {
  const progressBox = h('section', { id: 'progress', class: 'card' }, 'loading…');
  const resultsBox = h('div', { id: 'results' });
  clear(root);
  root.append(h('p', {}, h('a', { href: '/dashboard', 'data-nav': true }, '← all jobs')), progressBox, resultsBox);

  const view: View = { metric: 'accuracy', spread: 'minmax' };
  let job: Job | null = null;
  let results: Results | null = null;
  let resultsAt = '';
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const drawResults = () => {
    if (job && results) renderResults(resultsBox, job, results, view, drawResults);
  };

  const tick = async () => {
    try {
      job = await getJson<Job>(`/v1/jobs/${id}`);
      renderProgress(progressBox, job);
      // Results appear layer by layer during the fit stage; refetch when the count moves.
      const stamp = `${job.status}:${job.progress.stage}:${job.progress.done}`;
      if (stamp !== resultsAt && (job.progress.stage === 'fit' || !isActive(job.status))) {
        results = await getJson<Results>(`/v1/jobs/${id}/results`);
        resultsAt = stamp;
        drawResults();
      }
      if (!results && isActive(job.status)) {
        clear(resultsBox);
        resultsBox.append(h('section', { class: 'card muted' }, 'Results appear here as layers finish fitting.'));
      }
    } catch (e) {
      clear(progressBox);
      progressBox.append(h('p', { class: 'error', role: 'alert' }, (e as Error).message));
      if ((e as { status?: number }).status === 401) throw e;
    }
    if (!stopped && job && isActive(job.status)) timer = setTimeout(poll, POLL_MS);
  };
  // A hidden tab keeps its timer but skips the requests (rate limits are per key).
  const poll = () => {
    if (document.hidden) timer = setTimeout(poll, POLL_MS);
    else void tick().catch(onFatal);
  };
  const onFatal = (e: unknown) => window.dispatchEvent(new CustomEvent('sonde:unauthorized', { detail: (e as Error).message }));
  await tick().catch(onFatal);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function renderProgress(box: HTMLElement, job: Job): void {
  clear(box);
  const methods = job.spec.methods ?? [];
  box.dataset.status = job.status;
  append(box,
    h('h1', {}, 'Job ', h('code', {}, job.id), ' ', statusBadge(job.status)),
    progressBar(job.progress, job.status),
    h('dl', { class: 'facts' },
      h('dt', {}, 'model'), h('dd', {}, job.model),
      h('dt', {}, 'dataset'), h('dd', {}, job.dataset),
      h('dt', {}, 'methods'), h('dd', {}, methods.join(', ') || '–'),
      h('dt', {}, 'seeds'), h('dd', {}, String(job.spec.seeds ?? '–')),
      h('dt', {}, 'submitted'), h('dd', {}, fmtTime(job.created_at)),
      h('dt', {}, 'started'), h('dd', {}, fmtTime(job.started_at)),
      h('dt', {}, 'finished'), h('dd', {}, fmtTime(job.finished_at)),
      h('dt', {}, 'running time'), h('dd', {}, fmtDuration(job.started_at, job.finished_at))),
    job.error ? h('p', { class: 'error', role: 'alert' }, `error: ${job.error.message ?? JSON.stringify(job.error)}`) : null,
    job.history?.length
      ? h('details', {}, h('summary', {}, `history (${job.history.length})`),
        h('ol', { class: 'history' }, ...job.history.map((e) => h('li', {}, `${fmtTime(e.at)} — ${e.status}${e.detail ? `: ${e.detail}` : ''}`))))
      : null,
  );
}

function renderResults(box: HTMLElement, job: Job, res: Results, view: View, redraw: () => void): void {
  pruneCharts();
  clear(box);
  const rows = res.results;
  if (rows.length === 0) {
    box.append(h('section', { class: 'card muted' }, isActive(job.status) ? 'No layer has finished fitting yet.' : 'This job has no results.'));
    return;
  }
  const methods = orderMethods(rows.map((r) => r.method), job.spec.methods ?? []);
  const colors = methodColors(methods);
  const curves = layerCurves(rows, { metric: view.metric, methodOrder: methods });

  const metricSelect = h('select', { id: 'metric', onchange: (e: Event) => { view.metric = (e.target as HTMLSelectElement).value as Metric; redraw(); } },
    ...METRICS.map((m) => h('option', { value: m, selected: m === view.metric }, METRIC_LABELS[m])));
  const spreadSelect = h('select', { id: 'spread', onchange: (e: Event) => { view.spread = (e.target as HTMLSelectElement).value as Spread; redraw(); } },
    h('option', { value: 'minmax', selected: view.spread === 'minmax' }, 'min–max over seeds'),
    h('option', { value: 'std', selected: view.spread === 'std' }, 'mean ± 1 std over seeds'));

  // The cards that read another route refetch only when the results change.
  const version = `${job.status}:${rows.length}`;
  const bestAccuracyLayer = (m: string) => res.best_layers.find((b) => b.method === m && b.control === null && b.metric === 'accuracy')?.best_layer;
  append(box,
    job.spec.activations ? phaseCard(job.id, version, colors) : null,
    h('section', { class: 'card', id: 'curves' },
      h('h2', {}, 'Accuracy by layer'),
      h('div', { class: 'toolbar' }, h('label', {}, 'metric ', metricSelect), h('label', {}, 'band ', spreadSelect)),
      lineChart({
        id: 'accuracy-by-layer',
        title: `${METRIC_LABELS[view.metric]} on the test split, mean over seeds (line) and ${view.spread === 'minmax' ? 'min–max' : '± 1 std'} (band)`,
        yLabel: view.metric,
        layers: curves.layers,
        series: curves.curves.map((c) => ({ name: c.method, color: colors.get(c.method)!, stats: c.stats })),
        spread: view.spread,
      }),
      heatmap('method-layer-heatmap', `${METRIC_LABELS[view.metric]}: method × layer, mean over seeds`, curves)),
    summaryCard(res.best_layers.filter((b) => b.control === null && b.metric === view.metric).sort((a, b) => methods.indexOf(a.method) - methods.indexOf(b.method)), view.metric),
    diagnosticsCard(rows, res.skipped ?? [], methods),
    disagreementsCard(job.id, version, rows, methods, bestAccuracyLayer),
    hasElk(rows) ? elkCard(job.id, version, methods, colors) : null,
    ...controlsPresent(rows).map((control) => controlCard(rows, res.best_layers, control, methods, colors)),
    rows.some((r) => r.template !== null) ? templateCard(rows, methods, colors) : null,
    res.agreements?.length ? agreementCard(res.agreements, methods) : null,
    probesCard(job.id, probeIndex(rows, methods)),
  );
}

/** Best layers come from the server (the best_layers view), for whichever metric is shown. */
function summaryCard(best: BestLayerRow[], metric: Metric): HTMLElement {
  return h('section', { class: 'card', id: 'summary' },
    h('h2', {}, `Best layer per method (${METRIC_LABELS[metric]})`),
    h('table', { class: 'numbers' },
      h('thead', {}, h('tr', {}, ...['method', 'best layer', 'mean', 'std', 'min', 'max', 'seeds'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...best.map((b) =>
        h('tr', { 'data-method': b.method }, h('th', { scope: 'row' }, b.method), h('td', {}, b.best_layer), h('td', {}, fmt(b.mean)), h('td', {}, fmt(b.std)), h('td', {}, fmt(b.min)), h('td', {}, fmt(b.max)), h('td', {}, b.n_seeds))))));
}

function controlCard(rows: ResultRow[], best: BestLayerRow[], control: string, methods: string[], colors: Map<string, string>): HTMLElement {
  const cc = controlCurves(rows, control, methods);
  const bestOf = (method: string, metric: string) => best.find((b) => b.method === method && b.control === control && b.metric === metric);
  const series = cc.truth.flatMap((t, i) => [
    { name: `${t.method} · truth`, color: colors.get(t.method)!, stats: t.stats },
    { name: `${t.method} · ${control}`, color: colors.get(t.method)!, dashed: true, stats: cc.planted[i].stats },
  ]);
  const table = h('table', { class: 'numbers' },
    h('thead', {}, h('tr', {}, ...['method', 'best truth accuracy (layer)', `best agreement with ${cc.label} (layer)`].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...cc.truth.map((t, i) => {
      const bt = bestOf(t.method, 'accuracy');
      const bp = bestOf(t.method, cc.column);
      return h('tr', { 'data-method': t.method }, h('th', { scope: 'row' }, t.method),
        h('td', {}, bt ? `${fmt(bt.mean)} (L${bt.best_layer})` : '–'),
        h('td', {}, bp ? `${fmt(bp.mean)} (L${bp.best_layer})` : '–'));
    })));
  return h('section', { class: 'card control', id: `control-${control}`, 'data-control': control },
    h('h2', {}, `Control: ${control}`),
    h('p', { class: 'muted' },
      `Solid: accuracy against the ground truth under the ${control} prompts. Dashed: agreement with ${cc.label}. `,
      'A probe that tracks the dashed line found the planted feature, not knowledge (Farquhar et al. 2023).'),
    lineChart({ id: `control-${control}-chart`, title: `${control}: truth vs ${cc.label}, mean over seeds`, yLabel: 'accuracy', layers: cc.layers, series, spread: null }),
    table);
}

function templateCard(rows: ResultRow[], methods: string[], colors: Map<string, string>): HTMLElement {
  const tc = templateCurves(rows, methods);
  return h('section', { class: 'card', id: 'control-template-sensitivity', 'data-control': 'template-sensitivity' },
    h('h2', {}, 'Control: template sensitivity'),
    h('p', { class: 'muted' }, `Each of the ${tc.nTemplates} templates fitted and tested on its own (clean prompts). `,
      'Line: mean over templates and seeds; band: min–max. A wide band means the answer depends on the wording (Farquhar et al. 2023, §4.4).'),
    lineChart({
      id: 'template-sensitivity-chart',
      title: 'accuracy (oracle sign) per template, mean and min–max over templates × seeds',
      yLabel: 'accuracy',
      layers: tc.layers,
      series: tc.curves.map((c) => ({ name: c.method, color: colors.get(c.method)!, stats: c.stats })),
      spread: 'minmax',
    }));
}

function agreementCard(rows: Results['agreements'], methods: string[]): HTMLElement {
  const grid = agreementGrid(rows, null, methods);
  return h('section', { class: 'card', id: 'agreement' },
    h('h2', {}, 'Control: agreement between methods'),
    h('p', { class: 'muted' }, 'Each cell: share of test items two methods label alike (sign-free, max(f, 1 − f)) / |cosine| of their directions, mean over seeds, clean prompts. Methods that find the same feature agree near 1.'),
    h('div', { class: 'table-scroll' }, h('table', { class: 'agreement' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'pair \\ layer'), ...grid.layers.map((l) => h('th', { scope: 'col' }, l)))),
      h('tbody', {}, ...grid.pairs.map((p) => h('tr', { 'data-pair': `${p.a}|${p.b}` }, h('th', { scope: 'row' }, `${p.a} ↔ ${p.b}`),
        ...p.agreement.map((st, i) => {
          const cos = p.cosine[i];
          const td = h('td', { 'data-layer': grid.layers[i], 'data-value': st ? st.mean.toFixed(6) : '' }, st ? `${fmt(st.mean, 2)} / ${fmt(cos?.mean, 2)}` : '–');
          if (st) paintCell(td, st.mean);
          return td;
        })))))));
}

function probesCard(jobId: string, probes: ProbeLink[]): HTMLElement {
  const groups = new Map<string, ProbeLink[]>();
  for (const p of probes) {
    const k = `${p.control ?? 'clean'}\u0000${p.method}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(p);
  }
  const link = (p: ProbeLink, format: 'npy' | 'json' | 'safetensors') => {
    const href = `/v1/jobs/${jobId}/probes/${p.probeId}?format=${format}`;
    const name = `probe-${p.method}-L${p.layer}-s${p.seed}.${format}`;
    return h('a', { href, class: 'probe-link', 'data-probe-id': p.probeId, 'data-format': format, download: name,
      onclick: (e: Event) => { e.preventDefault(); void download(href, name).catch((err) => alert((err as Error).message)); } }, format);
  };
  return h('section', { class: 'card', id: 'probes' },
    h('h2', {}, `Probes (${probes.length})`),
    h('p', { class: 'muted' }, 'Directions in the normalised activation space; JSON includes the normaliser state. Links need the API key (sent as a Bearer header).'),
    ...[...groups.values()].map((list) =>
      h('details', { 'data-method': list[0].method, 'data-control': list[0].control ?? 'clean' },
        h('summary', {}, `${list[0].method} — ${list[0].control ?? 'clean'} (${list.length})`),
        h('ul', { class: 'probe-list' }, ...list.map((p) =>
          h('li', {}, `layer ${p.layer}, seed ${p.seed}: `, link(p, 'npy'), ' · ', link(p, 'json'), ' · ', link(p, 'safetensors')))))));
}
