/**
 * Making a warm ONNX Runtime session for a model directory: the execution provider (CUDA
 * when present, else CPU), the in-graph pooling rewrite (pooled-graph.ts), the tokenizer.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelManifest } from '../models/types.ts';
export { loadModelTokenizer } from '../models/tokenizer.ts';
import { addPooledOutputs } from './pooled-graph.ts';
import { ExtractInputError, type Provider } from './types.ts';

/**
 * Whether onnxruntime-node's CUDA provider library was installed beside its binding (the
 * npm install step downloads it only with --onnxruntime-node-install=cuda12). Checking
 * first avoids ORT's loud error log on every CPU-only start.
 */
function cudaProviderInstalled(): boolean {
  try {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const bin = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return fs.existsSync(path.join(bin, 'libonnxruntime_providers_cuda.so')) || fs.existsSync(path.join(bin, 'onnxruntime_providers_cuda.dll'));
  } catch {
    return false;
  }
}

/** InferenceSession.create has separate overloads for a path and for bytes. */
function createOrtSession(source: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options);
}

export class SessionFactory {
  private chosenProvider: string | null = null;

  constructor(private readonly opts: { threads?: number; provider?: Provider; log: (line: string) => void }) {}

  /** The provider sessions run on, once the first one is made. */
  get provider(): string | null {
    return this.chosenProvider;
  }

  /**
   * CUDA when asked for (or 'auto') and its libraries load, else CPU. Asking ORT for
   * ['cuda', 'cpu'] without the CUDA libraries throws rather than falling back, so the
   * fallback is ours; 'auto' remembers the answer so later models skip the failed try.
   */
  async create(file: string | Uint8Array): Promise<{ session: ort.InferenceSession; provider: string }> {
    const base: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      interOpNumThreads: 1,
      ...(this.opts.threads ? { intraOpNumThreads: this.opts.threads } : {}),
    };
    const want = this.opts.provider ?? 'auto';
    const log = this.opts.log;
    if (want !== 'cpu' && this.chosenProvider !== 'cpu' && !cudaProviderInstalled()) {
      if (want === 'cuda') throw new Error('CUDA execution provider requested but onnxruntime-node was installed without it (npm install --onnxruntime-node-install=cuda12)');
      log('sonde extract: execution provider cpu (onnxruntime-node has no CUDA provider library here)');
      this.chosenProvider = 'cpu';
    } else if (want !== 'cpu' && this.chosenProvider !== 'cpu') {
      try {
        // Severity 4 (fatal only): a missing CUDA library is expected on CPU machines.
        const session = await createOrtSession(file, { ...base, executionProviders: ['cuda', 'cpu'], logSeverityLevel: 4 });
        if (this.chosenProvider !== 'cuda') log('sonde extract: execution provider cuda');
        return { session, provider: (this.chosenProvider = 'cuda') };
      } catch (e) {
        if (want === 'cuda') throw new Error(`CUDA execution provider requested but unavailable: ${(e as Error).message}`);
        log(`sonde extract: execution provider cpu (CUDA unavailable: ${(e as Error).message.split('\n')[0]})`);
      }
    } else if (this.chosenProvider === null) log('sonde extract: execution provider cpu');
    const session = await createOrtSession(file, { ...base, executionProviders: ['cpu'] });
    return { session, provider: (this.chosenProvider = 'cpu') };
  }
}

/**
 * What to load for `file`: the graph with pooled outputs added when possible, else the file
 * itself (JavaScript pooling). `cleanup` removes any temporary file once the session exists.
 */
export function pooledSource(
  file: string, manifest: ModelManifest, enabled: boolean, log: (line: string) => void,
): { source: string | Uint8Array; pooled: Map<string, string>; cleanup: () => void } {
  const plain = { source: file, pooled: new Map<string, string>(), cleanup: () => {} };
  if (!enabled) return plain;
  let graph: ReturnType<typeof addPooledOutputs>;
  try {
    graph = addPooledOutputs(fs.readFileSync(file), manifest.layers.map((l) => l.output));
  } catch (e) {
    graph = `cannot rewrite the graph (${(e as Error).message})`;
  }
  if (typeof graph === 'string') {
    log(`sonde extract: ${manifest.name}: pooling in JavaScript: ${graph}`);
    return plain;
  }
  if (graph.externalFiles.length === 0) return { source: graph.bytes, pooled: graph.pooled, cleanup: () => {} };
  // ORT finds external data relative to the model file (and refuses links that leave its
  // directory): write the rewritten graph beside the original for the time it takes to
  // load it; a read-only directory pools in JavaScript instead.
  const tmp = path.join(path.dirname(file), `.sonde-pooled-${process.pid}-${randomBytes(4).toString('hex')}.onnx`);
  try {
    fs.writeFileSync(tmp, graph.bytes);
  } catch (e) {
    log(`sonde extract: ${manifest.name}: pooling in JavaScript: cannot write beside ${file} (${(e as Error).message})`);
    return plain;
  }
  return { source: tmp, pooled: graph.pooled, cleanup: () => fs.rmSync(tmp, { force: true }) };
}
