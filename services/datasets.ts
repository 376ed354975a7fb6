/**
 * Datasets: upload (parse, validate, hash, quota, store), listing, and the one resolver
 * from a dataset name (a built-in name or an upload id) to its summary (submission checks)
 * or its items (the extract stage).
 */
import type { Config } from '../infra/config.ts';
import type { Queryable } from '../infra/db/pool.ts';
import { getDataset, insertDataset, listDatasets as listStored } from '../infra/db/datasets.ts';
import { builtinDatasets, fieldNames, labelSetNames, loadBuiltinDataset, parseDataset, type Dataset, type DatasetKind } from '../lib/data/index.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import { assertStorageQuota } from './quota.ts';

export interface DatasetSummary {
  name: string;
  kind: DatasetKind;
  has_labels: boolean;
  n_items: number;
  n_labelled: number;
  answers: [string, string] | null;
  /** Field columns (template placeholders, item filters) and extra label columns. */
  fields: string[];
  label_sets: string[];
  /** Each item's fields, for checking a job's item filters at submission. */
  itemFields: (Record<string, string> | undefined)[];
}

const isBuiltin = (name: string) => builtinDatasets().some((d) => d.name === name);

function unknownName(name: string): BadInputError {
  return new BadInputError(`dataset "${name}" is neither a built-in (${builtinDatasets().map((d) => d.name).join(', ')}) nor an uploaded dataset id`);
}

/** What a submission needs to check a job against its dataset. */
export async function datasetSummary(db: Queryable, tenantId: string, name: string): Promise<DatasetSummary> {
  const d = await loadDataset(db, tenantId, name);
  return {
    name, kind: d.kind, has_labels: d.items.some((it) => it.label !== undefined), n_items: d.items.length,
    n_labelled: d.items.filter((it) => it.label !== undefined).length, answers: d.answers ?? null,
    fields: fieldNames(d.items), label_sets: labelSetNames(d.items), itemFields: d.items.map((it) => it.fields),
  };
}

/** The dataset's items, for the extract stage. */
export async function loadDataset(db: Queryable, tenantId: string, name: string): Promise<Dataset> {
  if (isBuiltin(name)) return loadBuiltinDataset(name);
  if (!isUuid(name)) throw unknownName(name);
  const d = await getDataset(db, tenantId, name);
  if (!d) throw NotFoundError.of(`dataset ${name}`);
  return {
    name: d.name, kind: d.kind, items: d.items, answers: d.answers ?? null, sha256: d.sha256, has_labels: d.has_labels,
    n_labelled: d.items.filter((it) => it.label !== undefined).length, fields: fieldNames(d.items), label_sets: labelSetNames(d.items), preset: null,
  } as Dataset;
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
    has_labels: parsed.has_labels, answers: parsed.answers ?? null, bytes,
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
