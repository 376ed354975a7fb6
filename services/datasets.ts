/**
 * Datasets: upload (decode, parse with a kind or a preset, validate, hash, quota, store),
 * listing, presets, and the one resolver from a dataset name (a built-in name or an upload
 * id) to its summary (submission checks) or its items (the extract stage).
 */
import type { Config } from '../infra/config.ts';
import type { Queryable } from '../infra/db/pool.ts';
import { getDataset, getDatasetProfile, getDatasetSummaries, insertDataset, listDatasets as listStored, setDatasetProfile, type DatasetProfile } from '../infra/db/datasets.ts';
import {
  builtinDatasets, fieldNames, listPresets as presetList, loadBuiltinDataset, parseUpload, resolveTemplates,
  type Dataset, type DatasetItem, type DatasetKind, type PresetInfo, type Template, type TemplateSpec, type TableFormat,
} from '../lib/data/index.ts';
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
  /** Field columns (template placeholders, item filters), extra label columns, and the preset the upload was read with: what templates resolve against. */
  fields: string[];
  label_sets: string[];
  preset: string | null;
  /** Items per primary label ("0", "1"; "-1" unknown; multiclass: the right choice's index). */
  label_counts: Record<string, number>;
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
      builtinSummaries.set(name, {
        name, kind: d.kind, has_labels: d.has_labels, n_items: d.items.length, n_labelled: d.n_labelled, answers: d.answers ?? null,
        fields: d.fields, label_sets: d.label_sets, preset: d.preset ?? null, label_counts: datasetProfile(d.items).label_counts,
      });
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
  return {
    name, kind: d.kind, has_labels: d.has_labels, n_items: d.n_items, n_labelled: d.n_labelled, answers: d.answers,
    fields: d.fields, label_sets: d.label_sets, preset: d.preset, label_counts: profile.label_counts,
  };
}

/**
 * The templates a job's `templates` option gives on this dataset (its fields and preset;
 * empty = the preset's default, else the kind's), so a submission can refuse what the
 * extract stage would fail on.
 */
export function datasetTemplates(dataset: Pick<DatasetSummary, 'kind' | 'fields' | 'preset'>, specs: readonly TemplateSpec[] | undefined): Template[] {
  return resolveTemplates(specs, dataset.kind, { fields: dataset.fields, preset: dataset.preset });
}

/** The dataset's items, for the extract stage. */
export async function loadDataset(db: Queryable, tenantId: string, name: string): Promise<Dataset> {
  if (isBuiltin(name)) return loadBuiltinDataset(name);
  if (!isUuid(name)) throw unknownName(name);
  const d = await getDataset(db, tenantId, name);
  if (!d) throw NotFoundError.of(`dataset ${name}`);
  return {
    name: d.name, kind: d.kind, items: d.items, answers: d.answers ?? null, sha256: d.sha256, has_labels: d.has_labels,
    n_labelled: d.n_labelled, label_sets: d.label_sets, fields: d.fields, preset: d.preset,
  };
}

/** Display names of datasets (built-in names stay; upload ids become their names), for reports and exports. */
export async function datasetNames(db: Queryable, tenantId: string, names: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of names) out.set(n, n);
  for (const d of await getDatasetSummaries(db, tenantId, [...new Set(names)])) out.set(d.id, d.name);
  return out;
}

export interface DatasetUpload {
  /** Default: the preset's name, else "dataset". */
  name?: string;
  /** Required without a preset. */
  kind?: DatasetKind;
  /** Default: detected from the content (Parquet's magic bytes, a leading "{" for JSONL, else CSV). */
  format?: TableFormat;
  content: string;
  /** "base64" for Parquet (bytes in a JSON body); text formats may be either. Default "utf8". */
  content_encoding?: 'utf8' | 'base64';
  answers?: [string, string];
  preset?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The upload's bytes: the text as given, or base64-decoded (refused when it is not base64). */
function uploadContent(body: DatasetUpload): string | Uint8Array {
  if ((body.content_encoding ?? 'utf8') === 'utf8') {
    if (body.format === 'parquet') throw new BadInputError('a Parquet file is binary: send it base64-encoded with "content_encoding": "base64"');
    return body.content;
  }
  const b64 = body.content.replace(/\s+/g, '');
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) throw new BadInputError('content is not valid base64 (content_encoding "base64")');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** The body limit of POST /v1/datasets: a file of SONDE_UPLOAD_LIMIT bytes fits base64-encoded (4/3) with room for the JSON around it. */
export const uploadBodyLimit = (config: Pick<Config, 'uploadLimit'>) => Math.ceil((config.uploadLimit * 4) / 3) + (64 << 10);

export async function uploadDataset(deps: { config: Config; db: Queryable }, tenantId: string, body: DatasetUpload) {
  const content = uploadContent(body);
  const bytes = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.byteLength;
  const name = body.name ?? body.preset ?? 'dataset';
  const { dataset, templates } = await parseUpload(
    {
      filename: body.format ? `${name}.${body.format}` : name, content, format: body.format, kind: body.kind,
      name, answers: body.answers, preset: body.preset,
    },
    { maxRows: deps.config.maxDatasetRows, maxBytes: deps.config.uploadLimit },
  );
  await assertStorageQuota(deps.db, tenantId, bytes);
  const row = await insertDataset(deps.db, tenantId, {
    name: dataset.name, kind: dataset.kind, sha256: dataset.sha256, items: dataset.items, has_labels: dataset.has_labels,
    n_labelled: dataset.n_labelled, answers: dataset.answers ?? null, preset: dataset.preset, fields: dataset.fields,
    label_sets: dataset.label_sets, bytes, profile: datasetProfile(dataset.items),
  });
  return { ...row, builtin: false, created_at: row.created_at.toISOString(), templates: templates.map((t) => t.id) };
}

export async function listDatasets(db: Queryable, tenantId: string) {
  const builtins = builtinDatasets().map((d) => {
    const loaded = loadBuiltinDataset(d.name);
    return {
      id: d.name, name: d.name, kind: d.kind, sha256: d.sha256, n_items: d.n_items, has_labels: d.has_labels, n_labelled: loaded.n_labelled,
      answers: d.answers ?? null, preset: null, fields: loaded.fields, label_sets: loaded.label_sets,
      builtin: true, description: d.description ?? null, created_at: null,
    };
  });
  const uploads = (await listStored(db, tenantId)).map((d) => ({ ...d, builtin: false, created_at: d.created_at.toISOString() }));
  return [...builtins, ...uploads];
}

/** Every preset with its columns and templates (GET /v1/presets). */
export function listPresets(): PresetInfo[] {
  return presetList();
}
