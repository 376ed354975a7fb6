/**
 * The planted lab's phase diagram (GET /v1/jobs/{id}/phase), for a job on an activation set
 * whose meta records an `axis`: x is the swept setting (distractor / truth strength), not
 * the layer; per method a solid line for accuracy against the truth and a dashed one for
 * agreement with the distractor bit, each with its min–max band over seeds, and the same
 * numbers in a table. Farquhar et al. 2023 predict PCA to switch at a ratio of about 1.
 */
import { h, fmt } from './dom.ts';
import { lineChart } from './charts.ts';
import { cachedJson } from './fetch-cache.ts';
import type { Stat } from './aggregate.ts';

interface PhaseStat { n_seeds: number; mean: number | null; std: number | null; min: number | null; max: number | null }
interface Flip { at: number | null; starts: 'truth' | 'distractor' | null }
export interface PhaseDiagram {
  axis: { name: string; values: number[] } | null;
  truth_label: string;
  distractor_label: string | null;
  methods: { method: string; flip: Flip & { per_seed: (Flip & { seed: number })[] }; points: { layer: number; x: number; truth: PhaseStat; distractor: PhaseStat }[] }[];
}

const asStat = (s: PhaseStat): Stat | null => (s.n_seeds && s.mean !== null ? { n: s.n_seeds, mean: s.mean, std: s.std ?? 0, min: s.min ?? s.mean, max: s.max ?? s.mean } : null);
const flipText = (f: Flip) => (f.at !== null ? `≈ ${f.at.toFixed(2)}` : f.starts === 'distractor' ? 'from the start' : 'never');

/** A card that fills itself once the diagram arrives; it stays hidden for a job without an axis. */
export function phaseCard(jobId: string, version: string, colors: Map<string, string>): HTMLElement {
  const box = h('section', { class: 'card', id: 'phase', hidden: true });
  cachedJson<PhaseDiagram>(`/v1/jobs/${jobId}/phase`, version).then((d) => {
    if (!d.axis || !d.methods.length) return;
    box.hidden = false;
    box.append(...phaseContent(d, colors));
  }).catch((e) => {
    box.hidden = false;
    box.append(h('p', { class: 'error' }, `phase diagram: ${(e as Error).message}`));
  });
  return box;
}

function phaseContent(d: PhaseDiagram, colors: Map<string, string>): HTMLElement[] {
  const axis = d.axis!;
  const series = d.methods.flatMap((m) => [
    { name: `${m.method} · truth`, color: colors.get(m.method) ?? '#333', stats: m.points.map((p) => asStat(p.truth)) },
    { name: `${m.method} · ${d.distractor_label}`, color: colors.get(m.method) ?? '#333', dashed: true, stats: m.points.map((p) => asStat(p.distractor)) },
  ]);
  const head = h('tr', {}, h('th', { scope: 'col' }, axis.name), ...d.methods.flatMap((m) => [h('th', { scope: 'col' }, `${m.method} truth`), h('th', { scope: 'col' }, `${m.method} ${d.distractor_label}`)]));
  const rows = axis.values.map((x, i) => h('tr', { 'data-x': x }, h('th', { scope: 'row' }, fmt(x, 2)),
    ...d.methods.flatMap((m) => (['truth', 'distractor'] as const).map((kind) => {
      const s = m.points[i][kind];
      const winner = (kind === 'truth') === ((m.points[i].truth.mean ?? 0) >= (m.points[i].distractor.mean ?? 0));
      return h('td', { 'data-method': m.method, 'data-kind': kind, 'data-value': s.mean === null ? '' : s.mean.toFixed(6), class: winner ? 'lead' : null,
        title: `${m.method}, ${axis.name} = ${x}: ${kind} mean ${fmt(s.mean)} ± ${fmt(s.std)}, range ${fmt(s.min)}–${fmt(s.max)} over ${s.n_seeds} seed(s)` },
      `${fmt(s.mean, 2)} ± ${fmt(s.std, 2)}`);
    }))));
  return [
    h('h2', {}, `Phase diagram: truth vs ${d.distractor_label} against ${axis.name}`),
    h('p', { class: 'muted' },
      `Each setting of the planted set is one "layer". Solid: accuracy against the truth labels; dashed: agreement with the planted ${d.distractor_label} bit `,
      '(both oracle sign, test split; line: mean over seeds, band: min–max). ',
      'A method whose dashed line rises above its solid one found the distractor. PCA follows the higher-variance feature, so it is expected to switch near a ratio of 1 (Farquhar et al. 2023, §3–4); CCS has both features as loss minima (their Theorem 1).'),
    lineChart({ id: 'phase-diagram', title: `truth accuracy (solid) and ${d.distractor_label} agreement (dashed) vs ${axis.name}, mean and min–max over seeds`, yLabel: 'accuracy', layers: axis.values, series, spread: 'minmax', x: { label: axis.name, incrs: [0.1, 0.25, 0.5, 1, 2, 5, 10] } }),
    h('ul', { class: 'flips' }, ...d.methods.map((m) => h('li', { 'data-method': m.method, 'data-flip': m.flip.at ?? '' },
      h('strong', {}, m.method), ' ', m.flip.at !== null ? `switches to the ${d.distractor_label} at ${axis.name} ≈ ${m.flip.at.toFixed(2)}`
        : m.flip.starts === 'distractor' ? `follows the ${d.distractor_label} from the first setting` : `never switches to the ${d.distractor_label}`,
      h('span', { class: 'muted' }, ` (per seed: ${m.flip.per_seed.map((s) => `${s.seed}: ${flipText(s)}`).join(', ')})`)))),
    h('div', { class: 'table-scroll' }, h('table', { class: 'numbers', id: 'phase-table' }, h('thead', {}, head), h('tbody', {}, ...rows))),
  ];
}
