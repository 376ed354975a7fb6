/**
 * Extract stage of a job: render the contrast pairs for the clean run and every
 * text-changing control (and transfer datasets), run the model once over the unique texts
 * (in the ExtractionClient's own process, so this event loop keeps renewing BullMQ locks)
 * into the content-addressed activation store, then stage the conditions — which rows of
 * which store entry are each condition's x⁺ and x⁻ — and fan out one fit unit per layer.
 * No activations are copied per job: fit units read the store entries directly.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job as BullJob } from 'bullmq';
import type { ExtractPayload } from '../infra/queue.ts';
import type { JobSpec } from '../lib/job-spec.ts';
import { renderContrastPairs, resolveTemplates, parseControls, type Dataset } from '../lib/data/index.ts';
import type { ExtractionClient } from '../lib/extract/index.ts';
import { extractCached } from '../services/extraction.ts';
import { npyToLabels, npyToMat, parseNpy } from '../lib/npy.ts';
import { activationKey } from '../infra/store/activation-store.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { ServiceDeps } from '../services/context.ts';
import { loadDataset } from '../services/datasets.ts';
import { resolveModel } from '../services/models.ts';
import { activationSetForJob, uploadKeyParts } from '../services/activations.ts';
import * as pipeline from '../services/pipeline.ts';

export interface ExtractDeps extends ServiceDeps {
  client: ExtractionClient;
  log: (msg: string, extra?: object) => void;
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
  const row = await pipeline.claimForExtract(db, jobId);
  if (!row) return;
  const spec = row.spec as unknown as JobSpec;
  if (spec.activations) return stageUploadedActivations(deps, jobId, row.tenant_id, spec.activations);

  const model = await resolveModel(deps, row.tenant_id, spec.model);
  const available = model.manifest.layers.map((l) => l.index);
  const layers = spec.layers === 'all' ? available : spec.layers;
  const missing = layers.filter((l) => !available.includes(l));
  if (missing.length) throw new BadInputError(`model ${spec.model} has no layer(s) ${missing.join(', ')}; it has ${available.join(', ')}`);
  const pooling = spec.pooling ?? model.manifest.default_pooling;

  const dataset = limitItems(await loadDataset(db, row.tenant_id, spec.dataset), spec.max_items, spec.split.seed);
  const templates = resolveTemplates(spec.templates, dataset.kind, dataset);
  const controls = parseControls(spec.controls);
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
    pipeline.isCancelled(db, jobId).then((c) => { if (c) abort.abort(); }, () => {});
  }, 1_000);
  const staged: pipeline.StagedCondition[] = [];
  try {
    const rendered = conditions.map((c) => ({ ...c, pairs: renderContrastPairs(c.dataset, templates, { seed: spec.split.seed, control: c.control }) }));
    const total = rendered.reduce((n, r) => n + r.pairs.pos.length * 2, 0);
    let done = 0;
    for (const r of rendered) {
      // Unique texts only: templates without {{text}} differences repeat, and the two sides may coincide.
      const texts = [...new Set([...r.pairs.pos, ...r.pairs.neg])];
      const index = new Map(texts.map((t, i) => [t, i]));
      const base = done;
      const started = performance.now();
      const { layers: acts, hits, computed, key } = await extractCached(client, deps.stores.cache, { modelDir: model.dir, texts, layers, pooling, batchSize: 32 }, {
        onProgress: (d) => {
          done = base + Math.round((d / texts.length) * r.pairs.pos.length * 2);
          pipeline.reportProgress(db, jobId, 'extract', done, total);
          bull.updateProgress({ stage: 'extract', done, total }).catch(() => {});
        },
        signal: abort.signal,
      });
      if (hits.length) deps.log(`job ${jobId} ${r.name}: layers ${hits.join(', ')} from the activation store`);
      if (computed.length) await pipeline.recordExtractStats(db, jobId, texts.length, (performance.now() - started) / 1000);
      done = base + r.pairs.pos.length * 2;
      const dim: Record<string, number> = {};
      for (const layer of layers) dim[layer] = acts.get(layer)!.cols;
      staged.push({
        name: r.name,
        source: { store: 'cache', key, posSide: 'texts', negSide: 'texts', posRows: r.pairs.pos.map((t) => index.get(t)!), negRows: r.pairs.neg.map((t) => index.get(t)!) },
        meta: {
          condition: r.name,
          n_pairs: r.pairs.pos.length,
          labels: r.pairs.labels ? Array.from(r.pairs.labels) : null,
          templates: Array.from(r.pairs.templates),
          template_ids: r.pairs.template_ids,
          items: Array.from(r.pairs.items),
          control_bits: r.pairs.control_bits ? Array.from(r.pairs.control_bits) : null,
          layers,
          dim,
        },
      });
    }
  } catch (e) {
    if (abort.signal.aborted) return; // cancelled: nothing more to do
    // Input the model cannot take (a text longer than its context, a broken manifest): no retry can fix it.
    if (e instanceof BadInputError) throw new BadInputError(`${e.message} (remove or shorten such items, or use a model with a longer context)`, { cause: e });
    throw e;
  } finally {
    clearInterval(poll);
  }
  const keep = [...new Set([...staged.map((s) => s.source.key), ...(await pipeline.pinnedCacheKeys(db))])];
  const pruned = await deps.stores.cache.prune(config.activationCacheMaxBytes, keep);
  if (pruned.removed.length) deps.log(`activation cache: evicted ${pruned.removed.length} entries, ${pruned.bytes} bytes kept`);
  await pipeline.stageAndFanOut(deps, jobId, staged, layers);
}

/** Bring-your-own activations: the uploaded set becomes the clean condition at layer 0. */
async function stageUploadedActivations(deps: ExtractDeps, jobId: string, tenantId: string, setId: string): Promise<void> {
  const set = await activationSetForJob(deps.db, tenantId, setId);
  if (!set) throw NotFoundError.of(`activation set ${setId} (it may have been deleted)`);
  let key = set.store_key;
  if (!key) {
    // Uploaded before the store held activation sets: move its files into the store once.
    const read = async (name: string) => npyToMat(parseNpy(new Uint8Array(await fs.readFile(path.join(set.path!, name))), name));
    const parts = uploadKeyParts(set.sha256);
    key = activationKey(parts);
    await deps.stores.uploads.put(key, parts, 0, 'pos', await read('pos.npy'));
    await deps.stores.uploads.put(key, parts, 0, 'neg', await read('neg.npy'));
    if (set.has_labels && !set.labels) set.labels = Array.from(npyToLabels(parseNpy(new Uint8Array(await fs.readFile(path.join(set.path!, 'labels.npy'))))));
  }
  const condition: pipeline.StagedCondition = {
    name: 'clean',
    source: { store: 'uploads', key, posSide: 'pos', negSide: 'neg', posRows: null, negRows: null },
    meta: {
      condition: 'clean',
      n_pairs: set.n,
      labels: set.labels,
      templates: new Array(set.n).fill(0),
      template_ids: ['uploaded'],
      items: Array.from({ length: set.n }, (_, i) => i),
      control_bits: null,
      layers: [0],
      dim: { 0: set.dim },
    },
  };
  await pipeline.stageAndFanOut(deps, jobId, [condition], [0]);
}
