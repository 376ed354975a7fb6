/**
 * Extraction through the activation store: layers already stored for the same model
 * weights, texts, template, pooling and dtype are read back; only the missing ones run
 * the model. A repeated job is therefore a cache hit that never starts a session.
 */
import { hashModelDir, loadModelDir } from '../lib/models/model-dir.ts';
import type { Mat } from '../lib/tensor.ts';
import { activationKey, textsSha256, type ActivationKeyParts, type ActivationStore, type Side } from '../infra/store/activation-store.ts';
import type { ExtractionClient } from '../lib/extract/client.ts';
import type { ExtractRequest } from '../lib/extract/types.ts';

export interface CachedExtractResult {
  layers: Map<number, Mat>;
  key: string;
  /** Layers read from the store / computed now. */
  hits: number[];
  computed: number[];
}

export async function extractCached(
  client: ExtractionClient,
  store: ActivationStore,
  req: ExtractRequest,
  opts: { template?: string; side?: Side; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<CachedExtractResult> {
  const { dir, manifest } = await loadModelDir(req.modelDir);
  const { sha256 } = await hashModelDir(dir, manifest);
  const parts: ActivationKeyParts = {
    modelSha256: sha256, dataSha256: textsSha256(req.texts), template: opts.template ?? '',
    pooling: req.pooling, dtype: req.dtype ?? 'float32',
  };
  const key = activationKey(parts);
  const side = opts.side ?? 'texts';
  const wanted = req.layers === 'all' ? manifest.layers.map((l) => l.index) : req.layers;
  const layers = new Map<number, Mat>();
  const hits: number[] = [];
  const computed: number[] = [];
  for (const l of wanted) {
    const m = await store.get(key, l, side);
    if (m) {
      layers.set(l, m);
      hits.push(l);
    } else computed.push(l);
  }
  if (computed.length) {
    const fresh = await client.extract({ ...req, layers: computed }, opts.onProgress, opts.signal);
    for (const l of computed) {
      const m = fresh.get(l)!;
      await store.put(key, parts, l, side, m);
      layers.set(l, m);
    }
  } else opts.onProgress?.(req.texts.length, req.texts.length);
  return { layers, key, hits, computed };
}
