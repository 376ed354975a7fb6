/**
 * Extract stage of a job: render the contrast pairs for the clean run and every
 * text-changing control (and transfer datasets), run the model once over the unique
 * texts (in the ExtractionClient's own process, so this event loop keeps renewing
 * BullMQ locks), store pos/neg activations per layer, then fan out one fit unit per
 * layer to the fit queue.
 */
import { UnrecoverableError, type Job as BullJob } from 'bullmq';
import type { Config } from '../infra/config.ts';
import type { ExtractPayload } from '../infra/queue.ts';
import type { JobSpec } from '../lib/job-spec.ts';
import { selectRows, type Mat } from '../lib/tensor.ts';
import type { Db } from '../infra/db/pool.ts';
import type { Queues } from '../infra/queue.ts';
import * as jobs from '../infra/db/jobs.ts';
import { getDataset } from '../infra/db/datasets.ts';
import { renderContrastPairs, resolveTemplates, parseControls, loadBuiltinDataset, builtinDatasets, type Dataset } from '../lib/data/index.ts';
import { extractCached, type ExtractionClient } from '../lib/extract/index.ts';
import type { ActivationStore } from '../infra/store/activation-store.ts';
import { conditionDir, writeLayer, writePairsMeta } from './job-artifacts.ts';
import { resolveModelDir } from './model-resolver.ts';
import { getActivationSet } from '../infra/db/activations.ts';
import { npyToLabels, npyToMat, parseNpy } from '../lib/npy.ts';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface ExtractDeps {
  config: Config;
  db: Db;
  queues: Queues;
  client: ExtractionClient;
  /** Content-addressed cache: a second job over the same texts and model does not run the model. */
  store: ActivationStore;
  log: (msg: string, extra?: object) => void;
}

/** Bad input that no retry can fix: fails the job at once with this message. */
export class JobInputError extends UnrecoverableError {}

async function loadDataset(db: Db, tenantId: string, name: string): Promise<Dataset> {
  if (builtinDatasets().some((d) => d.name === name)) return loadBuiltinDataset(name);
  const d = await getDataset(db, tenantId, name);
  if (!d) throw new JobInputError(`dataset ${name} no longer exists`);
  return { name: d.name, kind: d.kind, items: d.items, answers: d.answers ?? undefined, sha256: d.sha256, has_labels: d.has_labels } as Dataset;
}

/** Deterministic subsample for `max_items` (a quick look at a big dataset). */
function limitItems(dataset: Dataset, max: number | null, seed: number): Dataset {
  if (!max || dataset.items.length <= max) return dataset;
  const idx = dataset.items.map((_, i) => i);
  let s = (seed * 2654435761 + 1) >>> 0;
  for (let i = idx.length - 1; i > 0; i--) {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    const j = s % (i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const keep = idx.slice(0, max).sort((a, b) => a - b);
  return { ...dataset, items: keep.map((i) => dataset.items[i]) };
}

export async function processExtract(bull: BullJob<ExtractPayload>, deps: ExtractDeps): Promise<void> {
  const { db, config, client } = deps;
  const { jobId } = bull.data;
  const row = await jobs.getJobForWorker(db, jobId);
  if (!row) throw new Error(`job ${jobId} is not visible yet`); // retried with backoff
  if (jobs.TERMINAL.has(row.status)) return;
  await jobs.setStatus(db, jobId, 'running', { detail: 'extracting activations' });
  const spec = row.spec as unknown as JobSpec;
  if (spec.activations) return stageUploadedActivations(deps, jobId, row.tenant_id, spec.activations);

  const model = await resolveModelDir(db, config, row.tenant_id, spec.model);
  const available = model.manifest.layers.map((l) => l.index);
  const layers = spec.layers === 'all' ? available : spec.layers;
  const missing = layers.filter((l) => !available.includes(l));
  if (missing.length) throw new JobInputError(`model ${spec.model} has no layer(s) ${missing.join(', ')}; it has ${available.join(', ')}`);
  const pooling = spec.pooling ?? model.manifest.default_pooling;

  const dataset = limitItems(await loadDataset(db, row.tenant_id, spec.dataset), spec.max_items, spec.split.seed);
  let templates;
  let controls;
  try {
    templates = resolveTemplates(spec.templates, dataset.kind);
    controls = parseControls(spec.controls);
  } catch (e) {
    throw new JobInputError((e as Error).message);
  }
  const conditions: { name: string; dataset: Dataset; control?: (typeof controls)[number] }[] = [{ name: 'clean', dataset }];
  for (const c of controls) {
    if (c.name === 'distractor' || c.name === 'explicit-opinion') conditions.push({ name: c.name, dataset, control: c });
  }
  for (const name of spec.eval_datasets) {
    conditions.push({ name: `transfer:${name}`, dataset: limitItems(await loadDataset(db, row.tenant_id, name), spec.max_items, spec.split.seed) });
  }

  // Cancellation: poll the job's status and abort the extraction promptly.
  const abort = new AbortController();
  const poll = setInterval(() => {
    jobs.getJobForWorker(db, jobId).then((r) => { if (!r || r.status === 'cancelled') abort.abort(); }, () => {});
  }, 1_000);
  try {
    const rendered = conditions.map((c) => {
      const pairs = renderContrastPairs(c.dataset, templates, { seed: spec.split.seed, control: c.control });
      return { ...c, pairs };
    });
    const total = rendered.reduce((n, r) => n + r.pairs.pos.length * 2, 0);
    const usedKeys: string[] = [];
    let done = 0;
    for (const r of rendered) {
      // Unique texts only: templates without {{text}} differences repeat, and the two sides may coincide.
      const texts = [...new Set([...r.pairs.pos, ...r.pairs.neg])];
      const index = new Map(texts.map((t, i) => [t, i]));
      const base = done;
      const started = performance.now();
      const { layers: acts, hits, computed, key: cacheKey } = await extractCached(client, deps.store, { modelDir: model.dir, texts, layers, pooling, batchSize: 32 }, {
        onProgress: (d) => {
          done = base + Math.round((d / texts.length) * r.pairs.pos.length * 2);
          // Progress is best effort: a Postgres or Redis blip must not fail (or crash) the extraction.
          jobs.setProgress(db, jobId, 'extract', done, total).catch(() => {});
          bull.updateProgress({ stage: 'extract', done, total }).catch(() => {});
        },
        signal: abort.signal,
      });
      if (hits.length) deps.log(`job ${jobId} ${r.name}: layers ${hits.join(', ')} from the activation store`);
      if (computed.length) await jobs.addExtractStats(db, jobId, texts.length, (performance.now() - started) / 1000);
      usedKeys.push(cacheKey);
      done = base + r.pairs.pos.length * 2;
      const dir = conditionDir(config.dataDir, jobId, r.name);
      const posIdx = r.pairs.pos.map((t) => index.get(t)!);
      const negIdx = r.pairs.neg.map((t) => index.get(t)!);
      const dim: Record<string, number> = {};
      for (const layer of layers) {
        const m = acts.get(layer) as Mat;
        dim[layer] = m.cols;
        await writeLayer(dir, layer, 'pos', selectRows(m, posIdx));
        await writeLayer(dir, layer, 'neg', selectRows(m, negIdx));
      }
      await writePairsMeta(dir, {
        condition: r.name,
        n_pairs: r.pairs.pos.length,
        labels: r.pairs.labels ? Array.from(r.pairs.labels) : null,
        templates: Array.from(r.pairs.templates),
        template_ids: r.pairs.template_ids,
        items: Array.from(r.pairs.items),
        control_bits: r.pairs.control_bits ? Array.from(r.pairs.control_bits) : null,
        layers,
        dim,
      });
    }
    const pruned = await deps.store.prune(config.activationCacheMaxBytes, usedKeys);
    if (pruned.removed.length) deps.log(`activation cache: evicted ${pruned.removed.length} entries, ${pruned.bytes} bytes kept`);
  } catch (e) {
    if (abort.signal.aborted) return; // cancelled: nothing more to do
    // Input the model cannot take (a text longer than its context, a broken manifest): no retry can fix it.
    const name = (e as Error).name;
    if (name === 'ExtractInputError' || name === 'ModelManifestError' || name.endsWith('InputError')) {
      throw new JobInputError(`${(e as Error).message} (remove or shorten such items, or use a model with a longer context)`);
    }
    throw e;
  } finally {
    clearInterval(poll);
  }
  const now = await jobs.getJobForWorker(db, jobId);
  if (!now || now.status !== 'running') return;
  await jobs.setFitsTotal(db, jobId, layers.length);
  await jobs.setProgress(db, jobId, 'fit', 0, layers.length);
  await deps.queues.enqueueFits(jobId, layers);
}

/** Bring-your-own activations: the uploaded set becomes the clean condition at layer 0. */
async function stageUploadedActivations(deps: ExtractDeps, jobId: string, tenantId: string, setId: string): Promise<void> {
  const set = await getActivationSet(deps.db, tenantId, setId);
  if (!set) throw new JobInputError(`activation set ${setId} no longer exists`);
  const read = async (name: string) => parseNpy(new Uint8Array(await fs.readFile(path.join(set.path, name))), name);
  const pos = npyToMat(await read('pos.npy'));
  const neg = npyToMat(await read('neg.npy'));
  const labels = set.has_labels ? Array.from(npyToLabels(await read('labels.npy'))) : null;
  const dir = conditionDir(deps.config.dataDir, jobId, 'clean');
  await writeLayer(dir, 0, 'pos', pos);
  await writeLayer(dir, 0, 'neg', neg);
  await writePairsMeta(dir, {
    condition: 'clean',
    n_pairs: pos.rows,
    labels,
    templates: new Array(pos.rows).fill(0),
    template_ids: ['uploaded'],
    items: Array.from({ length: pos.rows }, (_, i) => i),
    control_bits: null,
    layers: [0],
    dim: { 0: pos.cols },
  });
  await jobs.setFitsTotal(deps.db, jobId, 1);
  await jobs.setProgress(deps.db, jobId, 'fit', 0, 1);
  await deps.queues.enqueueFits(jobId, [0]);
}
