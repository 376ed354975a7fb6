/**
 * The datasets that install with Sonde (datasets/, built by scripts/build-datasets.ts from
 * npm data packages; provenance and licences in datasets/manifest.json and docs/datasets.md).
 * Loading re-parses the file with the same validation as an upload and checks its hash
 * against the manifest, so an edited or truncated file is caught rather than used.
 */
import { readFileSync } from 'node:fs';
import { parseDataset, type Dataset, type DatasetKind } from './dataset.ts';
import { DatasetError } from './errors.ts';

export interface DatasetInfo {
  name: string;
  kind: DatasetKind;
  n_items: number;
  has_labels: boolean;
  answers: [string, string] | null;
  description: string;
  /** Canonical-content hash (dataset.ts canonicalContent). */
  sha256: string;
  license: string;
  sources: { package: string; version: string; license: string; file: string; sha256: string }[];
  construction: string;
  file: string;
  /** A preset whose templates the dataset's jobs default to (the lab datasets: the model's own format). */
  preset?: string;
}

/** The dataset the demo and a job without `dataset` use: real review sentences suit the default sentence encoder. */
export const DEFAULT_BUILTIN_DATASET = 'sentiment-reviews';

const DATASETS_DIR = new URL('../../datasets/', import.meta.url);

let manifestCache: DatasetInfo[] | null = null;
const datasetCache = new Map<string, Dataset>();

export function builtinDatasets(): DatasetInfo[] {
  if (!manifestCache) {
    const raw = JSON.parse(readFileSync(new URL('manifest.json', DATASETS_DIR), 'utf8')) as { datasets: DatasetInfo[] };
    manifestCache = raw.datasets;
  }
  return manifestCache.map((d) => ({ ...d }));
}

export function loadBuiltinDataset(name: string): Dataset {
  const cached = datasetCache.get(name);
  if (cached) return cached;
  const info = builtinDatasets().find((d) => d.name === name);
  if (!info) throw new DatasetError(`unknown built-in dataset "${name}"; built-in: ${builtinDatasets().map((d) => d.name).join(', ')}`);
  const content = readFileSync(new URL(info.file, DATASETS_DIR), 'utf8');
  const d = { ...parseDataset({ filename: info.file, content, kind: info.kind, name, answers: info.answers ?? undefined }), preset: info.preset ?? null };
  if (d.sha256 !== info.sha256) {
    throw new DatasetError(`built-in dataset "${name}" does not match its manifest hash (regenerate with scripts/build-datasets.ts)`);
  }
  datasetCache.set(name, d);
  return d;
}
