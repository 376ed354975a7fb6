/**
 * Models: the one resolver from a model name to a validated model directory, used by the
 * API (submission checks, logit lens), the workers (extraction) and the CLI (offline
 * extraction, registration). Built-ins first (use-lite is converted on first use),
 * then the tenant's registered directories, which must still lie inside the model root
 * (checked again on every use: a symlink in it may have changed since registration).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../infra/config.ts';
import type { Queryable } from '../infra/db/pool.ts';
import { findModel, listModels as listStoredModels, upsertModel } from '../infra/db/models.ts';
import { createTenant } from '../infra/db/tenants.ts';
import { BUILTIN_MODELS, builtinModel, isBuiltinModel } from '../lib/models/builtin.ts';
import { inspectModelDir, loadModelDir } from '../lib/models/model-dir.ts';
import type { ModelManifest } from '../lib/models/types.ts';
import { ensureUseLite } from '../lib/models/use-lite/index.ts';
import { NotFoundError } from '../lib/errors.ts';

export interface ResolvedModel {
  name: string;
  dir: string;
  manifest: ModelManifest;
  builtin: boolean;
}

/** What a submission needs to know about a model without touching its files. */
export interface ModelInfo {
  name: string;
  kind: 'encoder' | 'decoder';
  layers: number[];
  hidden_size: number | null;
  builtin: boolean;
}

const modelRoot = (config: Pick<Config, 'dataDir'>) => path.join(config.dataDir, 'models');

/** The model a tenant means by `name`, as a loaded and validated directory. */
export async function resolveModel(deps: { config: Config; db: Queryable }, tenantId: string, name: string): Promise<ResolvedModel> {
  const committed = builtinModel(name)?.dir;
  if (committed) return { name, ...(await loadModelDir(committed)), builtin: true };
  if (name === 'use-lite') return { name, ...(await loadModelDir(await ensureUseLite(deps.config.dataDir))), builtin: true };
  const row = await findModel(deps.db, tenantId, name);
  if (!row) throw NotFoundError.of(`model "${name}"`);
  return { name, ...(await loadModelDir(row.path, { root: modelRoot(deps.config) })), builtin: row.builtin };
}

/** Layers and kind of a model from the built-in list or the stored manifest (no file access). */
export async function modelInfo(deps: { db: Queryable }, tenantId: string, name: string): Promise<ModelInfo> {
  const b = BUILTIN_MODELS.find((m) => m.name === name);
  if (b) return { name, kind: b.kind, layers: Array.from({ length: b.layers }, (_, i) => i), hidden_size: b.hidden_size, builtin: true };
  const row = await findModel(deps.db, tenantId, name);
  if (!row) throw NotFoundError.of(`model "${name}"`);
  const m = row.manifest as Partial<ModelManifest>;
  return { name, kind: row.kind, layers: (m.layers ?? []).map((l) => l.index), hidden_size: m.hidden_size ?? null, builtin: row.builtin };
}

export interface ModelListing {
  id: string | null;
  name: string;
  kind: string;
  sha256: string | null;
  layers: number | null;
  hidden_size: number | null;
  builtin: boolean;
  license: string | null;
  source: string | null;
}

export async function listModels(deps: { db: Queryable }, tenantId: string): Promise<ModelListing[]> {
  const builtins = BUILTIN_MODELS.map((m) => ({
    id: null, name: m.name, kind: m.kind, sha256: null, layers: m.layers, hidden_size: m.hidden_size,
    builtin: true, license: m.license, source: m.source,
  }));
  const registered = (await listStoredModels(deps.db, tenantId)).map((m) => {
    const manifest = m.manifest as { layers?: unknown[]; hidden_size?: number; license?: string; source?: string };
    return {
      id: m.id, name: m.name, kind: m.kind, sha256: m.sha256, layers: manifest.layers?.length ?? null,
      hidden_size: manifest.hidden_size ?? null, builtin: m.builtin, license: manifest.license ?? null, source: manifest.source ?? null,
    };
  });
  return [...builtins, ...registered];
}

/**
 * Registration (`sonde models add PATH --tenant NAME | --builtin`): validate and hash the
 * directory, which must lie inside the model root every worker sees, and store it.
 */
export async function registerModel(
  deps: { config: Config; db: Queryable },
  dir: string,
  opts: { tenant: string | null; name?: string },
) {
  const info = await inspectModelDir(dir, { root: modelRoot(deps.config) });
  const tenantId = opts.tenant ? (await createTenant(deps.db, opts.tenant)).id : null;
  const row = await upsertModel(deps.db, tenantId, {
    name: opts.name ?? info.manifest.name, kind: info.manifest.kind, sha256: info.sha256, path: info.dir, manifest: info.manifest, bytes: info.bytes,
  });
  return { info, row };
}

/**
 * Offline (no server, no database): `use-lite`, a directory path, or a model name under
 * the model root, as `sonde extract` takes it.
 */
export async function resolveModelOffline(config: Config, model: string): Promise<ResolvedModel> {
  const committed = builtinModel(model)?.dir;
  if (committed) return { name: model, ...(await loadModelDir(committed)), builtin: true };
  if (model === 'use-lite') return { name: model, ...(await loadModelDir(await ensureUseLite(config.dataDir))), builtin: true };
  for (const candidate of [path.resolve(model), path.join(modelRoot(config), model)]) {
    if ((await fs.stat(candidate).catch(() => null))?.isDirectory()) {
      return { name: model, ...(await loadModelDir(candidate)), builtin: isBuiltinModel(model) };
    }
  }
  throw NotFoundError.of(`model "${model}" (not use-lite, not a directory, not in ${modelRoot(config)})`);
}

/** Model directories under the model root, for `sonde models list`. */
export async function localModelDirs(config: Config): Promise<{ name: string; dir: string; manifest: ModelManifest }[]> {
  const root = modelRoot(config);
  const out: { name: string; dir: string; manifest: ModelManifest }[] = [];
  for (const e of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory() || e.name.startsWith('.') || isBuiltinModel(e.name)) continue;
    try {
      out.push({ name: e.name, dir: path.join(root, e.name), manifest: JSON.parse(await fs.readFile(path.join(root, e.name, 'sonde.json'), 'utf8')) });
    } catch {
      // Not a model directory (no or bad sonde.json): `sonde models add` says why.
    }
  }
  return out;
}
