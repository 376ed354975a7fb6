/**
 * The dashboard's only way to the data: the public JSON API with a Bearer key. The key
 * is asked for once and kept in localStorage; `?key=` on any dashboard URL sets it and
 * is then removed from the address bar so it stays out of history and bookmarks.
 */
import type { AgreementRow, ResultRow } from './aggregate.ts';
import type { MetricBestLayerRow, SummaryRow } from '../../lib/report/rows.ts';

const STORAGE_KEY = 'sonde.apiKey';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function takeKeyFromUrl(): void {
  const url = new URL(location.href);
  const key = url.searchParams.get('key');
  if (!key) return;
  setKey(key);
  url.searchParams.delete('key');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}

export const getKey = (): string | null => localStorage.getItem(STORAGE_KEY);
export const setKey = (key: string): void => localStorage.setItem(STORAGE_KEY, key.trim());
export const forgetKey = (): void => localStorage.removeItem(STORAGE_KEY);

async function request(path: string): Promise<Response> {
  const key = getKey();
  if (!key) throw new ApiError(401, 'no API key');
  const res = await fetch(path, { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) {
    // Errors are problem+json (RFC 9457); fall back to the status line if not.
    const body = await res.json().catch(() => null) as { detail?: string } | null;
    throw new ApiError(res.status, body?.detail ?? `${res.status} ${res.statusText}`);
  }
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path)).json() as Promise<T>;
}

/** Downloads an authenticated file: a plain link cannot send the Bearer header. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await request(path);
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface Progress {
  stage: string | null;
  done: number;
  total: number;
}

export interface Job {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  model: string;
  dataset: string;
  spec: { methods?: string[]; seeds?: number; layers?: unknown; controls?: unknown[]; [k: string]: unknown };
  progress: Progress;
  error: { message?: string; [k: string]: unknown } | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  history?: { status: string; detail: string | null; at: string }[];
}

export type { SummaryRow, MetricBestLayerRow as BestLayerRow };

export interface Results {
  job_id: string;
  status: string;
  results: ResultRow[];
  summary: SummaryRow[];
  best_layers: MetricBestLayerRow[];
  agreements: AgreementRow[];
  /** Methods that could not run on a condition, with the reason. */
  skipped?: { method: string; control: string | null; reason: string }[];
}

export const isActive = (status: Job['status']): boolean => status === 'queued' || status === 'running';
