/**
 * Label-free diagnostics of every probe (issue 11): per method × layer on the clean
 * condition, mean over seeds, what a user can read without ground truth — the CCS loss
 * (Burns et al. 2022, eq. 1–2), coverage (share of confident credences), stability across
 * seeds (mean |cos| of directions, share of seeds agreeing in sign) and the bimodality flag
 * (the seeds split into two disagreeing groups, as Farquhar et al. 2023 report for CCS under
 * distractors), and how each sign was fixed. Skipped methods are listed with the reason.
 */
import { h, fmt } from './dom.ts';
import { conditionRows, stat, type ResultRow } from './aggregate.ts';

export interface Skip { method: string; control: string | null; reason: string }

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const meanOf = (rows: ResultRow[], col: string) => stat(rows.map((r) => num(r[col])).filter((v): v is number => v !== null))?.mean ?? null;

export interface DiagnosticRow {
  method: string;
  layer: number;
  seeds: number;
  accuracy: number | null;
  n_test_labelled: number | null;
  ccs_loss: number | null;
  coverage: number | null;
  seed_cosine: number | null;
  seed_sign_agreement: number | null;
  bimodal: boolean;
  sign_rules: string[];
}

/** Per method × layer of the clean, template-pooled rows: means over seeds (the seed_* figures are the same on every seed's row). */
export function diagnosticRows(rows: readonly ResultRow[], methods: readonly string[]): DiagnosticRow[] {
  const clean = conditionRows(rows, null);
  const layers = [...new Set(clean.map((r) => r.layer))].sort((a, b) => a - b);
  return methods.flatMap((method) => layers.flatMap((layer) => {
    const cell = clean.filter((r) => r.method === method && r.layer === layer);
    if (!cell.length) return [];
    return [{
      method, layer, seeds: cell.length,
      accuracy: meanOf(cell, 'accuracy'),
      n_test_labelled: meanOf(cell, 'n_test_labelled'),
      ccs_loss: meanOf(cell, 'ccs_loss'),
      coverage: meanOf(cell, 'coverage'),
      seed_cosine: meanOf(cell, 'seed_cosine'),
      seed_sign_agreement: meanOf(cell, 'seed_sign_agreement'),
      bimodal: cell.some((r) => r.seed_bimodal === 1),
      sign_rules: [...new Set(cell.map((r) => r.sign_rule).filter((s): s is string => typeof s === 'string'))].sort(),
    }];
  }));
}

const COLUMNS: { key: keyof DiagnosticRow; label: string; title: string; digits?: number }[] = [
  { key: 'accuracy', label: 'accuracy', title: 'oracle-sign test accuracy on the labelled test items (– without labels)' },
  { key: 'n_test_labelled', label: 'labelled test items', title: 'test items that carry a label, mean over seeds', digits: 0 },
  { key: 'ccs_loss', label: 'CCS loss', title: 'consistency + confidence loss of the probe on the test split (Burns et al. 2022, eqs. 1–2); label-free' },
  { key: 'coverage', label: 'coverage', title: 'share of items with a confident credence, |p̃ − ½| > 0.25' },
  { key: 'seed_cosine', label: 'seed |cos|', title: 'mean |cosine| between the directions of different seeds' },
  { key: 'seed_sign_agreement', label: 'seed sign agreement', title: "share of seeds whose credences agree in sign with the seeds' mean" },
];

export function diagnosticsCard(rows: readonly ResultRow[], skipped: readonly Skip[], methods: readonly string[]): HTMLElement {
  const diag = diagnosticRows(rows, methods);
  const clean = conditionRows(rows, null);
  const unlabelled = clean.length > 0 && clean.every((r) => r.accuracy === null || r.accuracy === undefined);
  const layers = [...new Set(diag.map((d) => d.layer))].sort((a, b) => a - b);
  const present = methods.filter((m) => diag.some((d) => d.method === m));
  const cellOf = (method: string, layer: number) => diag.find((d) => d.method === method && d.layer === layer);
  // One block of rows per method, one column per layer: the figures stay readable for deep models.
  const lines: { key: string; label: string; title: string; cell: (d: DiagnosticRow) => HTMLElement }[] = [
    ...COLUMNS.map((c) => ({
      key: c.key, label: c.label, title: c.title,
      cell: (d: DiagnosticRow) => {
        const v = d[c.key] as number | null;
        return h('td', { 'data-value': v === null ? '' : v.toFixed(6) }, fmt(v, c.digits ?? 3));
      },
    })),
    { key: 'bimodal', label: 'seeds bimodal', title: 'the seeds split into two groups that agree within (≥ 0.9) and not across (≤ 0.75)',
      cell: (d) => h('td', { class: d.bimodal ? 'bimodal' : null, 'data-value': d.bimodal ? '1' : '0' }, d.bimodal ? 'bimodal' : '·') },
    { key: 'sign_rule', label: 'sign rule', title: 'how the sign was fixed', cell: (d) => h('td', { 'data-value': d.sign_rules.join(',') }, d.sign_rules.join(', ') || '–') },
  ];
  const body = present.flatMap((method) => lines.map((line, i) => h('tr', { 'data-method': method, 'data-col': line.key, class: i === 0 ? 'method-start' : null },
    i === 0 ? h('th', { scope: 'rowgroup', rowspan: lines.length }, method) : null,
    h('th', { scope: 'row', title: line.title, class: 'diag-name' }, line.label),
    ...layers.map((layer) => {
      const d = cellOf(method, layer);
      const td = d ? line.cell(d) : h('td', {}, '–');
      td.setAttribute('data-layer', String(layer));
      if (d?.bimodal) td.classList.add('bimodal-layer');
      return td;
    }))));
  const nBimodal = diag.filter((d) => d.bimodal).length;
  return h('section', { class: 'card', id: 'diagnostics' },
    h('h2', {}, 'Label-free diagnostics'),
    unlabelled
      ? h('p', { class: 'notice', id: 'no-labels' }, 'This job has no labels: accuracy is not defined (shown as –), and supervised methods could not run. Everything else on this card needs no ground truth.')
      : null,
    h('p', { class: 'muted' },
      'Clean prompts, mean over seeds, per method and layer. A probe that found a stable feature has seed |cos| and sign agreement near 1. ',
      'Highlighted layers are bimodal: the seeds split into two groups that disagree, which Farquhar et al. 2023 report for CCS when a distractor is as salient as the truth. ',
      'Sign rule: labels (from up to sign_k labelled training items), reference (correlated with the reference method; no labels), as-fitted, or model (zero-shot). Hover a row name for its definition.'),
    h('p', { id: 'bimodal-count', 'data-n': nBimodal }, nBimodal ? `${nBimodal} method × layer cell(s) with bimodal seeds.` : 'No method × layer has bimodal seeds.'),
    skipped.length
      ? h('div', { id: 'skipped' }, h('strong', {}, 'Skipped: '), h('ul', {}, ...skipped.map((s) => h('li', { 'data-method': s.method }, h('code', {}, s.method), ` (${s.control ?? 'clean'}): ${s.reason}`))))
      : null,
    h('div', { class: 'table-scroll' }, h('table', { class: 'numbers diagnostics', id: 'diagnostics-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'method'), h('th', { scope: 'col' }, 'figure \\ layer'), ...layers.map((l) => h('th', { scope: 'col' }, l)))),
      h('tbody', {}, ...body))));
}
