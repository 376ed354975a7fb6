/** Client commands: talk to a running Sonde API (SONDE_URL, SONDE_API_KEY). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, required, str, intFlag, UsageError } from '../args.ts';
import { loadConfig } from '../../infra/config.ts';
import {
  BadInputError, ConflictError, ForbiddenError, NotFoundError, QuotaError, SondeError, TooLargeError, UnauthenticatedError, UnavailableError,
} from '../../lib/errors.ts';

export interface ApiClient {
  url: string;
  key: string;
  request<T = any>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  /** A GET whose body is not JSON (CSV, .npy): the response, after the same error mapping. */
  download(route: string): Promise<Response>;
}

/** An API error answer as the error kind its status stands for (lib/errors.ts), so exit codes follow. */
export function apiError(status: number, message: string): SondeError {
  const Kind = status === 401 ? UnauthenticatedError : status === 403 ? ForbiddenError : status === 404 ? NotFoundError
    : status === 409 || status === 422 ? ConflictError : status === 413 ? TooLargeError : status === 429 ? QuotaError
    : status === 503 ? UnavailableError : status < 500 ? BadInputError : SondeError;
  return Object.assign(new Kind(message), { status });
}

export function apiClient(url?: string, key?: string): ApiClient {
  if (url === undefined || key === undefined) {
    const config = loadConfig();
    url ??= config.apiUrl;
    key ??= config.apiKey;
  }
  const send = async (method: string, route: string, body: unknown, headers: Record<string, string>): Promise<Response> => {
    if (!key) throw new UsageError('set SONDE_API_KEY (create one with `sonde keys create --tenant NAME`)');
    const res = await fetch(new URL(route, url), {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    }).catch((e: Error & { cause?: { code?: string } }) => {
      throw new UnavailableError(`cannot reach ${url}: ${e.cause?.code ?? e.message}`);
    });
    if (!res.ok) {
      const text = await res.text();
      let data: { title?: string; detail?: string } | null = null;
      try { data = text ? JSON.parse(text) : null; } catch { /* not problem+json */ }
      throw apiError(res.status, `${res.status} ${data?.title ?? ''}: ${data?.detail ?? text}`);
    }
    return res;
  };
  return {
    url: url!,
    key: key!,
    async request(method, route, body, headers = {}) {
      const text = await (await send(method, route, body, headers)).text();
      return text ? JSON.parse(text) : null;
    },
    async download(route) {
      return send('GET', route, undefined, {});
    },
  };
}

export const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

export async function submitMain(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['watch']);
  let body: Record<string, unknown> = {};
  const file = str(flags, 'job');
  if (file) body = JSON.parse(await fs.readFile(file, 'utf8'));
  const set = (k: string, v: unknown) => { if (v !== undefined) body[k] = v; };
  set('model', str(flags, 'model'));
  set('dataset', str(flags, 'dataset'));
  set('methods', list(str(flags, 'methods')));
  const layers = str(flags, 'layers');
  set('layers', layers === undefined ? undefined : layers === 'all' ? 'all' : list(layers)!.map(Number));
  set('seeds', intFlag(flags, 'seeds'));
  set('controls', list(str(flags, 'controls')));
  set('templates', list(str(flags, 'templates')));
  set('normalize', str(flags, 'normalize'));
  set('pooling', str(flags, 'pooling'));
  set('max_items', intFlag(flags, 'max-items'));
  const api = apiClient();
  const job = await api.request('POST', '/v1/jobs', body);
  console.log(job.id);
  if (flags.watch) return watch(api, job.id);
  return 0;
}

export async function statusMain(argv: string[]): Promise<number> {
  const id = argv[0];
  if (!id) throw new UsageError('usage: sonde status JOB');
  const job = await apiClient().request('GET', `/v1/jobs/${id}`);
  console.log(`${job.id}  ${job.status}  ${job.progress.stage ?? '-'} ${job.progress.done}/${job.progress.total}${job.error ? `  error: ${job.error.detail}` : ''}`);
  return job.status === 'failed' ? 1 : 0;
}

export function bar(done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  return `[${'#'.repeat(Math.round(f * width)).padEnd(width, '.')}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

/** Live progress per stage with an ETA, then the comparison table. */
export async function watch(api: ApiClient, id: string, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  let stage = '';
  let stageStart = Date.now();
  let lastLine = '';
  for (;;) {
    const job = await api.request('GET', `/v1/jobs/${id}`);
    const { done, total } = job.progress;
    if (job.progress.stage !== stage) {
      if (lastLine) out.write('\n');
      stage = job.progress.stage;
      stageStart = Date.now();
    }
    const elapsed = (Date.now() - stageStart) / 1000;
    const eta = done > 0 && total > done ? `ETA ${Math.ceil((elapsed / done) * (total - done))}s` : '';
    const line = `${job.status.padEnd(9)} ${String(stage ?? 'queued').padEnd(8)} ${bar(done, total)} ${done}/${total} ${eta}`;
    if (out.isTTY) out.write(`\r${line.padEnd(lastLine.length)}`);
    else if (line !== lastLine) out.write(`${line}\n`);
    lastLine = line;
    if (['completed', 'failed', 'cancelled'].includes(job.status)) {
      if (out.isTTY) out.write('\n');
      if (job.status === 'failed') {
        console.error(`job failed: ${job.error?.detail ?? 'unknown error'}`);
        return 1;
      }
      if (job.status === 'completed') {
        const res = await api.request('GET', `/v1/jobs/${id}/results`);
        out.write(`\n${res.table}\n`);
      }
      return job.status === 'completed' ? 0 : 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function watchMain(argv: string[]): Promise<number> {
  if (!argv[0]) throw new UsageError('usage: sonde watch JOB');
  return watch(apiClient(), argv[0]);
}

/**
 * `--format csv|parquet [--out FILE]`: the tidy export (docs/exports.md) of `route`; CSV may
 * go to stdout, Parquet (binary) needs a file.
 */
export async function writeExport(api: ApiClient, route: string, format: string, out: string | undefined): Promise<void> {
  if (format !== 'csv' && format !== 'parquet') throw new UsageError(`--format must be table, json, csv or parquet, got "${format}"`);
  if (format === 'parquet' && !out) throw new UsageError('--format parquet writes a binary file: give --out FILE');
  const bytes = Buffer.from(await (await api.download(`${route}?format=${format}`)).arrayBuffer());
  if (!out) {
    process.stdout.write(bytes);
    return;
  }
  await fs.writeFile(out, bytes);
  console.error(`${out}: ${bytes.length} bytes (${format})`);
}

export async function resultsMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ['json', 'csv']);
  if (!positionals[0]) throw new UsageError('usage: sonde results JOB [--format table|json|csv|parquet] [--out FILE]   (--json, --csv: shorthands)');
  const format = str(flags, 'format') ?? (flags.json ? 'json' : flags.csv ? 'csv' : 'table');
  await writeResults(apiClient(), `/v1/jobs/${positionals[0]}/results`, format, str(flags, 'out'));
  return 0;
}

/** A results route as its table or JSON (to stdout or `out`), or as a tidy CSV/Parquet export. */
export async function writeResults(api: ApiClient, route: string, format: string, out: string | undefined): Promise<void> {
  if (format === 'table' || format === 'json') {
    const res = await api.request('GET', route);
    const text = format === 'json' ? JSON.stringify(res, null, 2) : res.table;
    if (out) await fs.writeFile(out, `${text}\n`);
    else console.log(text);
    return;
  }
  await writeExport(api, route, format, out);
}

export async function compareMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ['json']);
  const ids = positionals.join(',');
  if (!ids) throw new UsageError('usage: sonde compare JOB[,JOB...] [--json]');
  const res = await apiClient().request('GET', `/v1/comparisons?jobs=${encodeURIComponent(ids)}`);
  console.log(flags.json ? JSON.stringify(res, null, 2) : res.table);
  return 0;
}

export async function cancelMain(argv: string[]): Promise<number> {
  if (!argv[0]) throw new UsageError('usage: sonde cancel JOB');
  const job = await apiClient().request('DELETE', `/v1/jobs/${argv[0]}`);
  console.log(`${job.id} ${job.status}`);
  return 0;
}

export async function modelsMain(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, ['json']);
  const res = await apiClient().request('GET', '/v1/models');
  if (flags.json) console.log(JSON.stringify(res, null, 2));
  else for (const m of res.models) console.log(`${m.name.padEnd(24)} ${m.kind.padEnd(8)} layers=${m.layers ?? '?'} d=${m.hidden_size ?? '?'} ${m.builtin ? 'built-in' : m.sha256?.slice(0, 12) ?? ''}`);
  return 0;
}

const DATASET_USAGE = 'usage: sonde datasets upload FILE (--kind statements|binary|multiclass | --preset NAME) [--name N] [--answers neg,pos] [--format jsonl|csv|parquet]';

/** Reads a dataset file for POST /v1/datasets: text as is, Parquet (by extension or magic bytes) base64-encoded. */
export async function datasetUploadBody(file: string, flags: Record<string, string | true>): Promise<Record<string, unknown>> {
  const bytes = await fs.readFile(file);
  const ext = path.extname(file).toLowerCase();
  const magic = bytes.length >= 8 && bytes.subarray(0, 4).toString('latin1') === 'PAR1' && bytes.subarray(-4).toString('latin1') === 'PAR1';
  const format = str(flags, 'format') ?? (ext === '.parquet' || magic ? 'parquet' : ext === '.csv' ? 'csv' : 'jsonl');
  const preset = str(flags, 'preset');
  const kind = str(flags, 'kind');
  if (!preset && !kind) throw new UsageError(`--kind or --preset is required (sonde presets lists the presets)\n${DATASET_USAGE}`);
  const body: Record<string, unknown> = { name: str(flags, 'name') ?? path.basename(file, ext), format };
  if (format === 'parquet') Object.assign(body, { content: bytes.toString('base64'), content_encoding: 'base64' });
  else body.content = bytes.toString('utf8');
  if (kind) body.kind = kind;
  if (preset) body.preset = preset;
  const answers = list(str(flags, 'answers'));
  if (answers) body.answers = answers;
  return body;
}

export async function datasetsMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ['json']);
  const api = apiClient();
  if (positionals[0] === 'upload') {
    const file = positionals[1];
    if (!file) throw new UsageError(DATASET_USAGE);
    const d = await api.request('POST', '/v1/datasets', await datasetUploadBody(file, flags));
    if (flags.json) console.log(JSON.stringify(d, null, 2));
    else console.log(`${d.id} ${d.name} ${d.kind} ${d.n_items} items, ${d.n_labelled} labelled${d.preset ? `, preset ${d.preset}` : ''}; templates: ${(d.templates ?? []).join(', ')}`);
    return 0;
  }
  if (positionals[0] !== 'list' && positionals[0] !== undefined) throw new UsageError(`usage: sonde datasets list | ${DATASET_USAGE.replace('usage: ', '')}`);
  const res = await api.request('GET', '/v1/datasets');
  if (flags.json) console.log(JSON.stringify(res, null, 2));
  else for (const d of res.datasets) console.log(`${String(d.id).padEnd(38)} ${d.kind.padEnd(11)} ${String(d.n_items).padStart(6)} ${d.builtin ? 'built-in' : (d.preset ? `preset ${d.preset}` : '')} ${d.name}`);
  return 0;
}

export async function presetsMain(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ['json']);
  const res = await apiClient().request('GET', '/v1/presets');
  const presets = positionals[0] ? res.presets.filter((p: { name: string }) => p.name === positionals[0]) : res.presets;
  if (positionals[0] && !presets.length) throw new BadInputError(`no preset "${positionals[0]}"; known: ${res.presets.map((p: { name: string }) => p.name).join(', ')}`);
  if (flags.json) console.log(JSON.stringify(positionals[0] ? presets[0] : res, null, 2));
  else {
    for (const p of presets) {
      const cols = p.columns.map((c: { name: string; required: boolean }) => `${c.name}${c.required ? '' : '?'}`).join(', ');
      console.log(`${p.name.padEnd(24)} ${p.kind.padEnd(11)} columns: ${cols}; templates: ${p.templates.map((t: { id: string }) => t.id.split('/')[1]).join(', ')}`);
    }
  }
  return 0;
}
