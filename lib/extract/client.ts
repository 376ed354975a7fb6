/**
 * ExtractionClient: runs the extraction engine in a child process, because ONNX Runtime's
 * session.run() blocks the event loop for the whole inference (a BullMQ worker would stop
 * renewing its job locks). The child keeps one warm session per model between requests;
 * results come back as typed arrays over IPC with the 'advanced' (structured clone)
 * serialization, without JSON. Aborting kills the child at once; the next request starts
 * a fresh one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mat, type Mat } from '../tensor.ts';
import { ModelManifestError } from '../models/model-dir.ts';
import { halfToFloat32 } from './batching.ts';
import { watchMemory } from '../memory-watch.ts';
import { ExtractInputError, type ChildOptions, type ExtractRequest, type ExtractStats, type FromChild, type Provider, type ToChild } from './types.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** tsx's loader by absolute URL, so the child starts from any working directory. */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

export class ExtractionAbortError extends Error {
  override name = 'AbortError';
  constructor() {
    super('extraction aborted');
  }
}

interface Pending {
  id: number;
  child: ChildProcess;
  layers: Map<number, Mat>;
  onProgress?: (done: number, total: number) => void;
  resolve: (m: Map<number, Mat>) => void;
  reject: (e: Error) => void;
}

/** Rebuilds an error from the child with its class, so callers can map it to exit 2 / HTTP 400. */
function reviveError(name: string, message: string): Error {
  if (name === 'ExtractInputError') return new ExtractInputError(message);
  if (name === 'ModelManifestError') return new ModelManifestError(message);
  const e = new Error(message);
  e.name = name;
  return e;
}

export class ExtractionClient {
  private child: ChildProcess | null = null;
  private pending: Pending | null = null;
  private nextId = 1;
  private chain: Promise<unknown> = Promise.resolve();
  /** Statistics of the last finished request (provider, tokens, time in session.run). */
  lastStats: ExtractStats | null = null;

  /**
   * threads: ONNX Runtime intra-op threads (0: one per core); provider: 'auto' tries CUDA;
   * graphPooling: pool inside the ONNX graph when possible (default true, see pooled-graph.ts).
   */
  constructor(private readonly opts: { threads?: number; provider?: Provider; graphPooling?: boolean; maxRssMb?: number } = {}) {}

  private spawn(): ChildProcess {
    const options: ChildOptions = { threads: this.opts.threads ?? 0, provider: this.opts.provider ?? 'auto', graphPooling: this.opts.graphPooling !== false };
    const child = fork(CHILD, [JSON.stringify(options)], {
      execArgv: ['--import', tsxLoader()],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (msg: FromChild) => this.onMessage(msg));
    let overLimit: Error | null = null;
    const stopWatch = watchMemory(child.pid!, this.opts.maxRssMb ?? 0, (rss) => {
      overLimit = new ExtractInputError(`extraction used ${Math.round(rss)} MiB, over its memory limit of ${this.opts.maxRssMb} MiB (SONDE_EXTRACT_MEMORY_MB); use smaller batches or shorter texts`);
      child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      stopWatch();
      if (this.child === child) this.child = null;
      const p = this.pending;
      // Only this child's request fails: an aborted child may exit after a new one started.
      if (p && p.child === child) {
        this.pending = null;
        p.reject(overLimit ?? new Error(`extraction process exited (${signal ?? `code ${code}`}) before finishing`));
      }
    });
    return child;
  }

  private onMessage(msg: FromChild): void {
    const p = this.pending;
    if (!p || msg.id !== p.id) return;
    if (msg.type === 'progress') p.onProgress?.(msg.done, msg.total);
    else if (msg.type === 'layer') {
      const data = msg.data instanceof Uint16Array ? halfToFloat32(msg.data) : msg.data;
      p.layers.set(msg.layer, mat(msg.rows, msg.cols, data));
    } else if (msg.type === 'done') {
      this.lastStats = msg.stats;
      this.pending = null;
      this.idle();
      p.resolve(p.layers);
    } else if (msg.type === 'error') {
      this.pending = null;
      this.idle();
      p.reject(reviveError(msg.name, msg.message));
    }
  }

  /** An idle child must not keep the parent process alive. */
  private idle(): void {
    this.child?.unref();
    (this.child?.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  private busy(child: ChildProcess): void {
    child.ref();
    (child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  /**
   * Activations of `req.texts`, one n×d Mat per requested layer (float16 requests come
   * back widened to float32, holding exactly the float16 values). Requests run one at a time.
   */
  extract(req: ExtractRequest, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Map<number, Mat>> {
    const run = this.chain.then(() => this.run(req, onProgress, signal));
    this.chain = run.catch(() => {});
    return run;
  }

  private run(req: ExtractRequest, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Map<number, Mat>> {
    if (signal?.aborted) return Promise.reject(new ExtractionAbortError());
    const child = (this.child ??= this.spawn());
    this.busy(child);
    return new Promise<Map<number, Mat>>((resolve, reject) => {
      const id = this.nextId++;
      const onAbort = () => {
        // session.run cannot be interrupted from outside; killing the process is prompt.
        if (this.pending?.id === id) this.pending = null;
        if (this.child === child) this.child = null;
        child.kill('SIGKILL');
        reject(new ExtractionAbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending = {
        id, child, layers: new Map(), onProgress,
        resolve: (m) => { done(); resolve(m); },
        reject: (e) => { done(); reject(e); },
      };
      child.send({ type: 'extract', id, req } satisfies ToChild);
    });
  }

  /** Stops the child (after the current request); the client can still be used afterwards. */
  async close(): Promise<void> {
    await this.chain;
    const child = this.child;
    if (!child) return;
    this.child = null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      if (child.connected) child.send({ type: 'close' } satisfies ToChild);
      else child.kill('SIGKILL');
    });
  }
}
