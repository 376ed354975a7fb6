/**
 * What the model appears to believe about each item, without ground truth: the per-row
 * credences of every probe (JSON pages, CSV, .npy), and the labelled items whose credence
 * confidently contradicts their label — where a researcher finds label errors or model
 * misconceptions.
 */
import { Readable } from 'node:stream';
import type { Queryable } from '../infra/db/pool.ts';
import { credenceRows, listCredences, type CredenceCursor, type CredenceFilter, type StoredCredenceRows, type StoredCredences } from '../infra/db/credences.ts';
import { BadInputError } from '../lib/errors.ts';
import { encodeNpy } from '../lib/npy.ts';
import { getJob } from './jobs.ts';
import { loadDataset } from './datasets.ts';

const SPLITS = ['unused', 'train', 'test'] as const;

const encodeCursor = (c: StoredCredences) => Buffer.from(JSON.stringify([c.layer, c.method, c.seed, c.control ?? 'clean'])).toString('base64url');

function decodeCursor(s: string): CredenceCursor {
  try {
    const [layer, method, seed, control] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown[];
    if (Number.isInteger(layer) && typeof method === 'string' && Number.isInteger(seed) && typeof control === 'string') {
      return { layer: layer as number, method, seed: seed as number, control };
    }
  } catch { /* fall through */ }
  throw new BadInputError('cursor is not valid (use next_cursor from a previous page)');
}

export interface CredenceQuery extends CredenceFilter {
  limit?: number;
  cursor?: string;
}

/** A page of probes (default 20) with their credences, and the row index of each condition they cover. */
export async function credencePage(db: Queryable, tenantId: string, jobId: string, q: CredenceQuery) {
  await getJob(db, tenantId, jobId);
  const limit = q.limit ?? 20;
  const probes = await listCredences(db, jobId, q, { limit: limit + 1, after: q.cursor ? decodeCursor(q.cursor) : undefined });
  const page = probes.slice(0, limit);
  const controls = new Set(page.map((p) => p.control));
  const index = (await credenceRows(db, jobId)).filter((r) => controls.has(r.control)).map(rowIndexJson);
  return {
    job_id: jobId,
    probes: page.map((p) => ({
      layer: p.layer, method: p.method, seed: p.seed, control: p.control, sign_rule: p.sign_rule, n: p.n,
      credences: Array.from(p.credences), split: Array.from(p.split, (s) => SPLITS[s]),
    })),
    rows: index,
    next_cursor: probes.length > limit ? encodeCursor(page[page.length - 1]) : null,
  };
}

function rowIndexJson(r: StoredCredenceRows) {
  return {
    control: r.control, n: r.n, items: Array.from(r.items), templates: Array.from(r.templates), template_ids: r.template_ids,
    labels: r.labels ? Array.from(r.labels, (y) => (y < 0 ? null : y)) : null,
    dataset_rows: r.dataset_rows ? Array.from(r.dataset_rows) : null,
    label_sets: Object.fromEntries(Object.entries(r.label_sets).map(([k, v]) => [k, v.map((y) => (y < 0 ? null : y))])),
  };
}

/** Every matching probe, a page at a time. */
async function* allCredences(db: Queryable, jobId: string, f: CredenceFilter): AsyncGenerator<StoredCredences> {
  let after: CredenceCursor | undefined;
  for (;;) {
    const page = await listCredences(db, jobId, f, { limit: 50, after });
    yield* page;
    if (page.length < 50) return;
    const last = page[page.length - 1];
    after = { layer: last.layer, method: last.method, seed: last.seed, control: last.control ?? 'clean' };
  }
}

const csvCell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));

/**
 * Long format, one line per (probe, pair row): layer, method, seed, control, sign_rule,
 * row, item, template, dataset_row, split, label, label_<set>…, credence.
 */
export async function credencesCsv(db: Queryable, tenantId: string, jobId: string, f: CredenceFilter): Promise<Readable> {
  await getJob(db, tenantId, jobId);
  const index = new Map((await credenceRows(db, jobId)).map((r) => [r.control ?? 'clean', r]));
  const setNames = [...new Set([...index.values()].flatMap((r) => Object.keys(r.label_sets)))].sort();
  async function* lines() {
    yield `${['layer', 'method', 'seed', 'control', 'sign_rule', 'row', 'item', 'template', 'dataset_row', 'split', 'label', ...setNames.map((s) => `label_${s}`), 'credence'].join(',')}\n`;
    for await (const p of allCredences(db, jobId, f)) {
      const ix = index.get(p.control ?? 'clean');
      let chunk = '';
      for (let r = 0; r < p.n; r++) {
        const label = ix?.labels ? ix.labels[r] : -1;
        const extra = setNames.map((s) => { const y = ix?.label_sets[s]?.[r]; return y === undefined || y < 0 ? '' : y; });
        chunk += [p.layer, p.method, p.seed, csvCell(p.control ?? 'clean'), p.sign_rule, r, ix?.items[r] ?? '', ix?.templates[r] ?? '', ix?.dataset_rows?.[r] ?? '',
          SPLITS[p.split[r]], label < 0 ? '' : label, ...extra, p.credences[r]].join(',') + '\n';
      }
      yield chunk;
    }
  }
  return Readable.from(lines());
}

/** An (n_probes × n_rows) float32 .npy of one condition's credences, probes in (layer, method, seed) order. */
export async function credencesNpy(db: Queryable, tenantId: string, jobId: string, f: CredenceFilter): Promise<{ bytes: Uint8Array; probes: string[] }> {
  await getJob(db, tenantId, jobId);
  const probes: StoredCredences[] = [];
  for await (const p of allCredences(db, jobId, f)) probes.push(p);
  if (new Set(probes.map((p) => p.control)).size > 1) {
    throw new BadInputError('format=npy holds one condition (its rows): add control=clean (or another control) to the query');
  }
  if (probes.length > 1_000) throw new BadInputError(`format=npy is limited to 1,000 probes per request (this query has ${probes.length}); filter by layer, method or seed`);
  const n = probes[0]?.n ?? 0;
  const data = new Float32Array(probes.length * n);
  probes.forEach((p, i) => data.set(p.credences, i * n));
  return { bytes: encodeNpy([probes.length, n], data), probes: probes.map((p) => `${p.layer}/${p.method}/${p.seed}`) };
}

export interface Disagreement {
  item: number;
  dataset_row: number | null;
  text: string | null;
  label: number;
  /** Mean oriented credence over the seeds (and templates) of this method and layer. */
  credence: number;
  /** |credence − ½|: how confidently the probe contradicts the label. */
  confidence: number;
  seeds: number;
}

/**
 * Labelled items whose mean credence (over seeds and templates) confidently contradicts the
 * label — (p̃ > ½) ≠ label with |p̃ − ½| ≥ `min_confidence` — per method and layer, most
 * confident first.
 */
export async function disagreements(
  db: Queryable,
  tenantId: string,
  jobId: string,
  q: { layer?: number; method?: string; control?: string | null; limit?: number; min_confidence?: number },
) {
  const job = await getJob(db, tenantId, jobId);
  const control = q.control ?? 'clean';
  const ix = (await credenceRows(db, jobId)).find((r) => (r.control ?? 'clean') === control);
  if (!ix) return { job_id: jobId, control, groups: [] };
  const limit = q.limit ?? 20;
  const minConf = q.min_confidence ?? 0.25;
  const groups = new Map<string, { layer: number; method: string; sum: Float64Array; count: Float64Array; seeds: Set<number> }>();
  const nItems = ix.items.reduce((m, i) => Math.max(m, i), -1) + 1;
  for await (const p of allCredences(db, jobId, { layer: q.layer, method: q.method, control })) {
    const key = `${p.layer}\u0000${p.method}`;
    const g = groups.get(key) ?? { layer: p.layer, method: p.method, sum: new Float64Array(nItems), count: new Float64Array(nItems), seeds: new Set() };
    for (let r = 0; r < p.n; r++) { g.sum[ix.items[r]] += p.credences[r]; g.count[ix.items[r]]++; }
    g.seeds.add(p.seed);
    groups.set(key, g);
  }
  const itemLabel = new Map<number, number>();
  const itemRow = new Map<number, number>();
  for (let r = 0; r < ix.n; r++) {
    if (ix.labels && ix.labels[r] >= 0) itemLabel.set(ix.items[r], ix.labels[r]);
    if (ix.dataset_rows) itemRow.set(ix.items[r], ix.dataset_rows[r]);
  }
  const textOf = await itemTexts(db, tenantId, job.dataset, control);
  const out = [...groups.values()].sort((a, b) => a.layer - b.layer || a.method.localeCompare(b.method)).map((g) => {
    const items: Disagreement[] = [];
    for (const [item, label] of itemLabel) {
      if (!g.count[item]) continue;
      const c = g.sum[item] / g.count[item];
      const confidence = Math.abs(c - 0.5);
      if ((c > 0.5 ? 1 : 0) !== label && confidence >= minConf) {
        const row = itemRow.get(item) ?? null;
        items.push({ item, dataset_row: row, text: row === null ? null : textOf(row), label, credence: c, confidence, seeds: g.seeds.size });
      }
    }
    items.sort((a, b) => b.confidence - a.confidence || a.item - b.item);
    return { layer: g.layer, method: g.method, n_labelled: itemLabel.size, n_disagreeing: items.length, items: items.slice(0, limit) };
  });
  return { job_id: jobId, control, min_confidence: minConf, groups: out };
}

/** The text of a dataset row, for the condition's dataset (none for uploaded activations). */
async function itemTexts(db: Queryable, tenantId: string, dataset: string, control: string): Promise<(row: number) => string | null> {
  const name = control.startsWith('transfer:') ? control.slice('transfer:'.length) : dataset;
  if (name.startsWith('activations:')) return () => null;
  const d = await loadDataset(db, tenantId, name).catch(() => null);
  return (row) => d?.items[row]?.text ?? null;
}
