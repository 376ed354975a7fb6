/**
 * The two pictures of a job: lines over layers with a seed-spread band (uPlot, canvas)
 * and a method × layer heatmap (a table, so every cell is readable and selectable).
 * Each chart names its series on `data-series` and in an HTML legend, which the browser
 * test reads back.
 */
import uPlot from 'uplot';
import { h, fmt } from './dom.ts';
import type { Curves, Spread, Stat } from './aggregate.ts';
import { band } from './aggregate.ts';

// Tableau 10: distinct for up to ten methods, readable on white.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function methodColors(methods: readonly string[]): Map<string, string> {
  return new Map(methods.map((m, i) => [m, PALETTE[i % PALETTE.length]]));
}

function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export interface LineSeries {
  name: string;
  color: string;
  dashed?: boolean;
  stats: (Stat | null)[];
}

export interface LineChartOptions {
  id: string;
  title: string;
  yLabel: string;
  layers: number[];
  series: LineSeries[];
  spread: Spread | null;
  /** The x axis when it is not the layer index (`layers` then holds the x values), e.g. a phase diagram's swept ratio. */
  x?: { label: string; incrs?: number[] };
}

/** y from chance (0.5) or lower if a value falls below, to 1: the scale stays comparable across charts. */
function yRange(series: LineSeries[], spread: Spread | null): [number, number] {
  let lo = 0.5;
  for (const s of series) {
    for (const st of s.stats) {
      if (!st) continue;
      lo = Math.min(lo, spread ? (band(st, spread)[0] ?? st.mean) : st.mean);
    }
  }
  return [Math.max(0, Math.floor(lo * 20) / 20), 1];
}

const charts = new Set<{ plot: uPlot; box: HTMLElement }>();
let resizeBound = false;

/** Frees the uPlot instances whose figure left the page (their window listeners go with them). */
export function pruneCharts(): void {
  for (const c of charts) {
    if (c.box.isConnected) continue;
    c.plot.destroy();
    charts.delete(c);
  }
}

function bindResize(): void {
  if (resizeBound) return;
  resizeBound = true;
  window.addEventListener('resize', () => {
    pruneCharts();
    for (const c of charts) c.plot.setSize({ width: c.box.clientWidth, height: c.plot.height });
  });
}

/** A line per series (mean over seeds) with a filled band (min–max or ±std) when `spread` is set. */
export function lineChart(opts: LineChartOptions): HTMLElement {
  const names = opts.series.map((s) => s.name);
  const plotBox = h('div', { class: 'plot' });
  const readout = h('div', { class: 'readout', 'aria-live': 'polite' }, 'hover the chart for values');
  const legend = h('ul', { class: 'legend', 'data-series': names.join(',') },
    ...opts.series.map((s) => {
      const swatch = h('span', { class: s.dashed ? 'swatch swatch-dashed' : 'swatch' });
      swatch.style.borderColor = s.color;
      return h('li', { 'data-name': s.name }, swatch, s.name);
    }));
  const xLabel = opts.x?.label ?? 'layer';
  const figure = h('figure', { class: 'chart', id: opts.id, 'data-chart': opts.id, 'data-series': names.join(','), 'data-layers': opts.layers.join(','), 'data-x-label': xLabel },
    h('figcaption', {}, opts.title), plotBox, legend, readout);

  const data: (number | null)[][] = [opts.layers];
  const series: uPlot.Series[] = [{ label: 'layer' }];
  const bands: uPlot.Band[] = [];
  for (const s of opts.series) {
    data.push(s.stats.map((st) => st?.mean ?? null));
    series.push({ label: s.name, stroke: s.color, width: 2, dash: s.dashed ? [6, 4] : undefined, points: { show: true, size: 6 } });
    if (opts.spread) {
      const lo = data.length;
      data.push(s.stats.map((st) => band(st, opts.spread!)[0]));
      data.push(s.stats.map((st) => band(st, opts.spread!)[1]));
      series.push({ label: `${s.name} low`, stroke: 'transparent', width: 0, points: { show: false } });
      series.push({ label: `${s.name} high`, stroke: 'transparent', width: 0, points: { show: false } });
      bands.push({ series: [lo + 1, lo], fill: withAlpha(s.color, s.dashed ? 0.08 : 0.18) });
    }
  }
  const [xMin, xMax] = [Math.min(...opts.layers), Math.max(...opts.layers)];
  const xPad = opts.x ? 0.03 * (xMax - xMin || 1) : 0.25;
  const plotOpts: uPlot.Options = {
    width: 640,
    height: 300,
    legend: { show: false },
    scales: {
      x: { time: false, range: () => [xMin - xPad, xMax + xPad] },
      y: { range: () => yRange(opts.series, opts.spread) },
    },
    axes: [
      { label: xLabel, incrs: opts.x?.incrs ?? [1, 2, 5, 10, 20, 50], values: (_u, splits) => splits.map((v) => String(+v.toFixed(6))) },
      { label: opts.yLabel, values: (_u, splits) => splits.map((v) => v.toFixed(2)) },
    ],
    series,
    bands,
    hooks: {
      setCursor: [(u) => {
        const i = u.cursor.idx;
        if (i === null || i === undefined) return;
        const parts = opts.series.map((s) => {
          const st = s.stats[i];
          return st ? `${s.name} ${fmt(st.mean)} [${fmt(st.min)}–${fmt(st.max)}, n=${st.n}]` : `${s.name} –`;
        });
        readout.textContent = `${xLabel} ${opts.layers[i]}: ${parts.join(' · ')}`;
      }],
    },
  };
  // Draw once the figure is in the document, at the width it gets there.
  requestAnimationFrame(() => {
    const plot = new uPlot({ ...plotOpts, width: Math.max(320, plotBox.clientWidth) }, data as uPlot.AlignedData, plotBox);
    charts.add({ plot, box: plotBox });
    figure.dataset.rendered = 'true';
    bindResize();
  });
  return figure;
}

// Viridis at five stops (matplotlib), interpolated linearly: perceptually ordered, colour-blind safe.
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c))) as [number, number, number];
}

/** Colours a table cell for a value in [0.5, 1] (chance to perfect). */
export function paintCell(td: HTMLElement, value: number): void {
  const [r, g, b] = viridis((value - 0.5) / 0.5);
  td.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
  // Relative luminance decides dark or light text (WCAG 2 formula, roughly).
  td.style.color = 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 ? '#111' : '#fff';
}

/** Method × layer grid of the mean over seeds, coloured from chance (0.5) to 1. */
export function heatmap(id: string, title: string, curves: Curves): HTMLElement {
  const head = h('tr', {}, h('th', { scope: 'col' }, 'method \\ layer'), ...curves.layers.map((l) => h('th', { scope: 'col' }, l)));
  const rows = curves.curves.map((c) =>
    h('tr', { 'data-method': c.method }, h('th', { scope: 'row' }, c.method),
      ...c.stats.map((st, i) => {
        const td = h('td', { 'data-layer': curves.layers[i], 'data-value': st ? st.mean.toFixed(6) : '', title: st ? `${c.method}, layer ${curves.layers[i]}: mean ${fmt(st.mean)} ± ${fmt(st.std)} over ${st.n} seed(s), range ${fmt(st.min)}–${fmt(st.max)}` : 'no result' }, st ? fmt(st.mean, 2) : '–');
        if (st) paintCell(td, st.mean);
        return td;
      })));
  const scale = h('div', { class: 'scale' }, h('span', {}, '0.5 (chance)'), h('span', { class: 'scale-bar' }), h('span', {}, '1.0'));
  return h('figure', { class: 'heatmap', id, 'data-chart': id, 'data-series': curves.curves.map((c) => c.method).join(',') },
    h('figcaption', {}, title),
    h('div', { class: 'table-scroll' }, h('table', {}, h('thead', {}, head), h('tbody', {}, ...rows))),
    scale);
}
