/** Turning the names in a job request into a model and a dataset the tenant may use. */
import type { Queryable } from '../infra/db/pool.ts';
import { findModel } from '../infra/db/models.ts';
import { getDataset } from '../infra/db/datasets.ts';
import { isBuiltinModel } from '../lib/models/builtin.ts';
import { builtinDatasets, loadBuiltinDataset, DEFAULT_BUILTIN_DATASET } from '../lib/data/index.ts';
import { badRequest, notFound } from './problem.ts';

export const DEFAULT_DATASET = DEFAULT_BUILTIN_DATASET;

export async function resolveModel(db: Queryable, tenantId: string, name: string): Promise<void> {
  if (isBuiltinModel(name)) return;
  if (!(await findModel(db, tenantId, name))) throw notFound(`model "${name}"`);
}

export interface ResolvedDataset {
  name: string;
  kind: string;
  has_labels: boolean;
  n_items: number;
  answers: [string, string] | null;
}

export async function resolveDataset(db: Queryable, tenantId: string, name: string): Promise<ResolvedDataset> {
  if (builtinDatasets().some((d) => d.name === name)) {
    const d = loadBuiltinDataset(name);
    return { name, kind: d.kind, has_labels: d.has_labels, n_items: d.items.length, answers: d.answers ?? null };
  }
  if (!/^[0-9a-f-]{36}$/i.test(name)) {
    throw badRequest(`dataset "${name}" is neither a built-in (${builtinDatasets().map((d) => d.name).join(', ')}) nor an uploaded dataset id`);
  }
  const d = await getDataset(db, tenantId, name);
  if (!d) throw notFound(`dataset ${name}`);
  return { name, kind: d.kind, has_labels: d.has_labels, n_items: d.n_items, answers: d.answers };
}
