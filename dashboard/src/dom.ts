/**
 * Element building without innerHTML: every string from the API goes in as text, so a
 * dataset or model name can never inject markup (the page's CSP forbids inline script too).
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

export const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export function fmtTime(iso: string | null): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function fmtDuration(fromIso: string | null, toIso: string | null): string {
  if (!fromIso) return '–';
  const s = Math.max(0, ((toIso ? Date.parse(toIso) : Date.now()) - Date.parse(fromIso)) / 1000);
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status status-${status}`, 'data-status': status }, status);
}

/** A progress bar for a job's current stage: `extract 120/400`, or the bare status when idle. */
export function progressBar(p: { stage: string | null; done: number; total: number }, status: string): HTMLElement {
  const pct = p.total > 0 ? Math.min(100, (100 * p.done) / p.total) : status === 'completed' ? 100 : 0;
  const label = p.stage && p.total > 0 ? `${p.stage} ${p.done}/${p.total}` : status;
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(pct), 'aria-label': label },
    h('div', { class: 'progress-fill' }), h('span', { class: 'progress-label' }, label));
  (bar.firstChild as HTMLElement).style.width = `${pct}%`;
  return bar;
}
