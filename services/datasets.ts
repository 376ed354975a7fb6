/**
 * Datasets: upload (parse, validate, hash, quota, store), listing, and the one resolver
 * from a dataset name (a built-in name or an upload id) to its summary (submission checks)
 * or its items (the extract stage).
 */
import type { Config } from '../infra/config.ts';
import type { Queryable } from '../infra/db/pool.ts';
import { getDataset, getDatasetProfile, insertDataset, listDatasets as listStored, setDatasetProfile, type DatasetProfile } from '../infra/db/datasets.ts';
import { builtinDatasets, fieldNames, loadBuiltinDataset, parseDataset, type Dataset, type DatasetItem, type DatasetKind } from '../lib/data/index.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import { assertStorageQuota } from './quota.ts';

export interface DatasetSummary {
  name: string;
  kind: DatasetKind;
  has_labels: boolean;
  n_items: number;
  answers: [string, string] | null;
  /** Field columns (template placeholders) and items per primary label ("-1": unknown). */
  fields: string[];
  label_counts: Record<string, number>;
  /** The preset the dataset was uploaded with, if any (its templates are the default). */
  preset: string | null;
}

/** Field names and label counts of a dataset's items: what submission checks read instead of the items. */
export function datasetProfile(items: readonly DatasetItem[]): DatasetProfile {
  const label_counts: Record<string, number> = {};
  for (const it of items) {
    const k = String(it.label ?? -1);
    label_counts[k] = (label_counts[k] ?? 0) + 1;
  }
  return { fields: fieldNames(items), label_counts };
}

const builtinSummaries = new Map<string, DatasetSummary>();

const isBuiltin = (name: string) => builtinDatasets().some((d) => d.name === name);

function unknownName(name: string): BadInputError {
  return new BadInputError(`dataset "${name}" is neither a built-in (${builtinDatasets().map((d) => d.name).join(', ')}) nor an uploaded dataset id`);
}

/** What a submission needs to check a job against its dataset. */
export async function datasetSummary(db: Queryable, tenantId: string, name: string): Promise<DatasetSummary> {
  if (isBuiltin(name)) {
    if (!builtinSummaries.has(name)) {
      const d = loadBuiltinDataset(name);
      builtinSummaries.set(name, { name, kind: d.kind, has_labels: d.has_labels, n_items: d.items.length, answers: d.answers ?? null, ...datasetProfile(d.items), preset: d.preset ?? null });
    }
    return builtinSummaries.get(name)!;
  }
  if (!isUuid(name)) throw unknownName(name);
  const d = await getDatasetProfile(db, tenantId, name);
  if (!d) throw NotFoundError.of(`dataset ${name}`);
  let profile = d.profile;
  if (!profile) {
    // Uploaded before profiles were kept (migrations/007): computed once from the items.
    profile = datasetProfile((await getDataset(db, tenantId, name))?.items ?? []);
    await setDatasetProfile(db, name, profile);
  }
  return { name, kind: d.kind, has_labels: d.has_labels, n_items: d.n_items, answers: d.answers, ...profile, preset: null };
}

/** The dataset's items, for the extract stage. */
export async function loadDataset(db: Queryable, tenantId: string, name: string): Promise<Dataset> {
  if (isBuiltin(name)) return loadBuiltinDataset(name);
  if (!isUuid(name)) throw unknownName(name);
  const d = await getDataset(db, tenantId, name);
  if (!d) throw NotFoundError.of(`dataset ${name} (it may have been deleted)`);
  // fields: templates of the extract stage resolve {{field}} placeholders against them, as submission did.
  return { name: d.name, kind: d.kind, items: d.items, answers: d.answers ?? null, sha256: d.sha256, has_labels: d.has_labels, fields: fieldNames(d.items), preset: null } as unknown as Dataset;
}

export interface DatasetUpload {
  name: string;
  kind: DatasetKind;
  format: 'jsonl' | 'csv';
  content: string;
  answers?: [string, string];
}

export async function uploadDataset(deps: { config: Config; db: Queryable }, tenantId: string, body: DatasetUpload) {
  const bytes = Buffer.byteLength(body.content, 'utf8');
  const parsed = parseDataset(
    { filename: `${body.name}.${body.format}`, content: body.content, kind: body.kind, name: body.name, answers: body.answers },
    { maxRows: deps.config.maxDatasetRows, maxBytes: deps.config.uploadLimit },
  );
  await assertStorageQuota(deps.db, tenantId, bytes);
  const row = await insertDataset(deps.db, tenantId, {
    name: parsed.name, kind: parsed.kind, sha256: parsed.sha256, items: parsed.items,
    has_labels: parsed.has_labels, answers: parsed.answers ?? null, bytes, profile: datasetProfile(parsed.items),
  });
  return { ...row, builtin: false, created_at: row.created_at.toISOString() };
}

export async function listDatasets(db: Queryable, tenantId: string) {
  const builtins = builtinDatasets().map((d) => ({
    id: d.name, name: d.name, kind: d.kind, sha256: null, n_items: d.n_items, has_labels: d.has_labels,
    answers: d.answers ?? null, builtin: true, description: d.description ?? null, created_at: null,
  }));
  const uploads = (await listStored(db, tenantId)).map((d) => ({ ...d, builtin: false, created_at: d.created_at.toISOString() }));
  return [...builtins, ...uploads];
}
