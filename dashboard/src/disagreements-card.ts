/**
 * Where the model disagrees with the labels (GET /v1/jobs/{id}/disagreements): for a chosen
 * method and layer, the labelled items whose mean credence over seeds confidently
 * contradicts their label, most confident first, with the item's text — label errors or
 * model misconceptions. The choice survives the page's redraws.
 */
import { h, clear, fmt } from './dom.ts';
import { cachedJson } from './fetch-cache.ts';
import { conditionRows, type ResultRow } from './aggregate.ts';

interface Group {
  layer: number;
  method: string;
  n_labelled: number;
  n_disagreeing: number;
  items: { item: number; dataset_row: number | null; text: string | null; label: number; credence: number; confidence: number; seeds: number }[];
}
interface Answer { min_confidence: number; groups: Group[] }

const choices = new Map<string, { method: string; layer: number; minConfidence: number }>();
const THRESHOLDS = [0.1, 0.25, 0.4];

export function disagreementsCard(jobId: string, version: string, rows: readonly ResultRow[], methods: readonly string[], bestLayer: (method: string) => number | undefined): HTMLElement {
  const clean = conditionRows(rows, null);
  const labelled = clean.some((r) => typeof r.accuracy === 'number');
  const box = h('section', { class: 'card', id: 'disagreements' }, h('h2', {}, 'Where the probes disagree with the labels'));
  if (!labelled) {
    box.append(h('p', { class: 'muted' }, 'This job has no labelled items, so there is no label to disagree with; the per-item credences are at GET /v1/jobs/{id}/credences.'));
    return box;
  }
  const present = methods.filter((m) => clean.some((r) => r.method === m));
  const layers = [...new Set(clean.map((r) => r.layer))].sort((a, b) => a - b);
  const choice = choices.get(jobId) ?? { method: present[0], layer: bestLayer(present[0]) ?? layers[layers.length - 1], minConfidence: 0.25 };
  choices.set(jobId, choice);
  const table = h('div', { id: 'disagreements-body' }, 'loading…');

  const load = () => {
    const q = new URLSearchParams({ method: choice.method, layer: String(choice.layer), min_confidence: String(choice.minConfidence), limit: '25' });
    cachedJson<Answer>(`/v1/jobs/${jobId}/disagreements?${q}`, version).then((a) => {
      clear(table);
      table.append(groupTable(a.groups.find((g) => g.method === choice.method && g.layer === choice.layer), choice.minConfidence));
    }).catch((e) => { clear(table); table.append(h('p', { class: 'error' }, (e as Error).message)); });
  };
  const select = (id: string, options: (string | number)[], value: string | number, set: (v: string) => void, label: (v: string | number) => string = String) =>
    h('select', { id, onchange: (e: Event) => { set((e.target as HTMLSelectElement).value); load(); } },
      ...options.map((o) => h('option', { value: o, selected: String(o) === String(value) }, label(o))));
  box.append(
    h('p', { class: 'muted' }, 'Labelled items whose credence p̃, averaged over seeds (and templates), falls on the other side of ½ from their label by at least the chosen margin, most confident first. At the top are the likeliest label errors, or what the model gets confidently wrong.'),
    h('div', { class: 'toolbar' },
      h('label', {}, 'method ', select('disagreements-method', present, choice.method, (v) => { choice.method = v; })),
      h('label', {}, 'layer ', select('disagreements-layer', layers, choice.layer, (v) => { choice.layer = Number(v); })),
      h('label', {}, '|p̃ − ½| ≥ ', select('disagreements-min', THRESHOLDS, choice.minConfidence, (v) => { choice.minConfidence = Number(v); }))),
    table);
  load();
  return box;
}

function groupTable(g: Group | undefined, minConfidence: number): HTMLElement {
  if (!g) return h('p', { class: 'muted' }, 'No credences are stored for this method and layer.');
  return h('div', {},
    h('p', { id: 'disagreements-count', 'data-method': g.method, 'data-layer': g.layer, 'data-n': g.n_disagreeing, 'data-labelled': g.n_labelled },
      `${g.n_disagreeing} of ${g.n_labelled} labelled items confidently contradict their label (|p̃ − ½| ≥ ${minConfidence})`, g.n_disagreeing > g.items.length ? `; the first ${g.items.length} shown.` : '.'),
    g.items.length
      ? h('div', { class: 'table-scroll tall' }, h('table', { class: 'numbers', id: 'disagreements-table' },
        h('thead', {}, h('tr', {}, ...['rank', 'item', 'dataset row', 'label', 'credence p̃', 'confidence', 'seeds', 'text'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...g.items.map((it, i) => h('tr', { 'data-item': it.item },
          h('td', {}, i + 1), h('td', {}, it.item), h('td', {}, it.dataset_row ?? '–'), h('td', {}, it.label),
          h('td', { 'data-col': 'credence', 'data-value': it.credence.toFixed(6) }, fmt(it.credence)),
          h('td', { 'data-col': 'confidence' }, fmt(it.confidence)), h('td', {}, it.seeds),
          h('td', { class: 'text' }, it.text ?? '–'))))))
      : null);
}
