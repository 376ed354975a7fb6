/**
 * FitPool: up to `size` fit child processes (workers/fit-child.ts), one unit each at a time.
 * Each child runs under a memory cap (V8 heap limit and a resident-size watchdog) and a
 * time limit; a unit can be aborted (the job was cancelled), which kills its child at
 * once. A child that dies is replaced on the next unit. Failures say what happened:
 *   - the unit's input was bad (BadInputError in the child)   → BadInputError (no retry)
 *   - the child went over its memory or time limit          → FitLimitError (no retry: it would again)
 *   - the child died otherwise (killed from outside)         → a plain Error (retried)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../infra/config.ts';
import { BadInputError, SondeError } from '../lib/errors.ts';
import { watchMemory } from '../lib/memory-watch.ts';
import type { FitUnit } from '../services/pipeline.ts';
import type { FromFitChild, ToFitChild } from './fit-child.ts';
import type { LayerOutcome } from '../lib/fit/index.ts';

const CHILD = fileURLToPath(new URL('./fit-child.ts', import.meta.url));

/** A unit that needs more memory or time than a fit child may use: retrying cannot help. */
export class FitLimitError extends BadInputError {}

export class FitAbortError extends Error {
  override name = 'AbortError';
  constructor() {
    super('fit aborted');
  }
}

function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

interface Slot {
  child: ChildProcess;
  busy: boolean;
}

export class FitPool {
  private slots: Slot[] = [];
  private waiting: ((s: Slot) => void)[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly config: Config, private readonly size = config.fitConcurrency) {}

  private spawn(): Slot {
    const child = fork(CHILD, [], {
      execArgv: ['--import', tsxLoader(), `--max-old-space-size=${this.config.fitMemoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.send({ type: 'init', config: this.config } satisfies ToFitChild);
    const slot: Slot = { child, busy: false };
    child.on('exit', () => {
      this.slots = this.slots.filter((s) => s !== slot);
    });
    this.slots.push(slot);
    return slot;
  }

  private acquire(): Promise<Slot> {
    const idle = this.slots.find((s) => !s.busy && s.child.connected);
    if (idle) return Promise.resolve(idle);
    if (this.slots.length < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    slot.busy = false;
    const next = this.waiting.shift();
    if (!next) return;
    // The slot's child may have been killed (abort, limit): hand over a fresh one.
    next(slot.child.connected && this.slots.includes(slot) ? slot : this.spawn());
  }

  /** Runs one fit unit in a child; rejects as described at the top of the file. */
  async run(unit: FitUnit, signal?: AbortSignal): Promise<LayerOutcome> {
    if (this.closed) throw new Error('fit pool is closed');
    if (signal?.aborted) throw new FitAbortError();
    const slot = await this.acquire();
    slot.busy = true;
    const { child } = slot;
    const id = this.nextId++;
    const limits = this.config;
    try {
      return await new Promise<LayerOutcome>((resolve, reject) => {
        let why: Error | null = null;
        const kill = (e: Error) => {
          why ??= e;
          child.kill('SIGKILL');
        };
        const stopWatch = watchMemory(child.pid!, limits.fitMemoryMb, (rss) =>
          kill(new FitLimitError(`fit of layer ${unit.layer} used ${Math.round(rss)} MiB, over the fit memory limit of ${limits.fitMemoryMb} MiB (SONDE_FIT_MEMORY_MB); fewer seeds, methods, bootstrap resamples or items need less`)));
        const timer = setTimeout(() => kill(new FitLimitError(`fit of layer ${unit.layer} ran longer than ${limits.fitTimeoutS} s (SONDE_FIT_TIMEOUT_S)`)), limits.fitTimeoutS * 1000);
        const onAbort = () => kill(new FitAbortError());
        signal?.addEventListener('abort', onAbort, { once: true });
        const cleanup = () => {
          stopWatch();
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (msg: FromFitChild) => {
          if (msg.id !== id) return;
          cleanup();
          if (msg.type === 'done') resolve(msg.outcome);
          else reject(msg.kind === 'bad-input' ? new BadInputError(msg.message) : new SondeError(msg.message));
        };
        const onExit = (code: number | null, sig: NodeJS.Signals | null) => {
          cleanup();
          // V8 aborts (SIGABRT / 134) when the heap limit is hit.
          if (!why && (sig === 'SIGABRT' || code === 134)) {
            why = new FitLimitError(`fit of layer ${unit.layer} ran out of JavaScript heap (limit ${limits.fitMemoryMb} MiB, SONDE_FIT_MEMORY_MB)`);
          }
          reject(why ?? new Error(`fit process exited (${sig ?? `code ${code}`}) before finishing layer ${unit.layer}`));
        };
        child.on('message', onMessage);
        child.on('exit', onExit);
        child.send({ type: 'fit', id, unit } satisfies ToFitChild);
      });
    } finally {
      this.release(slot);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => new Promise<void>((resolve) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
      s.child.once('exit', () => resolve());
      s.child.kill('SIGTERM');
      setTimeout(() => s.child.kill('SIGKILL'), 2_000).unref();
    })));
    this.slots = [];
  }
}
