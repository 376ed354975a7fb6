/**
 * Worker threads that run the SIMD kernels on a shared WebAssembly memory, so one fit can
 * use several cores while staying a synchronous function: the caller hands each helper its
 * share of a kernel call through a SharedArrayBuffer, runs its own share, and waits
 * (Atomics.wait) for the helpers. Nothing is copied: every thread reads the same memory.
 * Helpers are started on first use, kept for later fits and unref'd (they never keep the
 * process alive). How many threads a fit uses is the caller's choice (`threads` in
 * fitMethods); a worker that already runs one fit unit per core passes 1.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { KERNEL_NAMES, type KernelName } from './simd.ts';

// Control block per helper (Int32 slots): sequence number written by the caller, the
// sequence the helper finished, the command, the kernel, an error flag, the argument count;
// the arguments follow as float64 from byte 64.
const SEQ = 0, DONE = 1, CMD = 2, KERNEL = 3, FAILED = 4, ARGC = 5;
const RUN = 0, BIND = 1, UNBIND = 2;
const ARGS_AT = 64, MAX_ARGS = 12;

const HELPER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { module, control, port, names } = workerData;
const ctl = new Int32Array(control);
const args = new Float64Array(control, ${ARGS_AT}, ${MAX_ARGS});
let exports = null;
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  try {
    const cmd = ctl[${CMD}];
    if (cmd === ${BIND}) {
      const msg = receiveMessageOnPort(port);
      exports = new WebAssembly.Instance(module, { env: { memory: msg.message } }).exports;
    } else if (cmd === ${UNBIND}) {
      exports = null;
    } else {
      const a = Array.from(args.subarray(0, ctl[${ARGC}]));
      exports[names[ctl[${KERNEL}]]](...a);
    }
    ctl[${FAILED}] = 0;
  } catch (e) {
    ctl[${FAILED}] = 1;
  }
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

interface Helper { worker: Worker; port: MessagePort; ctl: Int32Array; args: Float64Array; seq: number; bound: WebAssembly.Memory | null }

const helpers: Helper[] = [];

function startHelper(module: WebAssembly.Module): Helper {
  const control = new SharedArrayBuffer(ARGS_AT + 8 * MAX_ARGS);
  const { port1, port2 } = new MessageChannel();
  // execArgv [] keeps loaders (tsx) out of the helper: it runs plain JS and wasm only.
  const worker = new Worker(HELPER_SOURCE, {
    eval: true, execArgv: [], workerData: { module, control, port: port2, names: KERNEL_NAMES }, transferList: [port2],
  });
  worker.unref();
  port1.unref();
  return { worker, port: port1, ctl: new Int32Array(control), args: new Float64Array(control, ARGS_AT, MAX_ARGS), seq: 0, bound: null };
}

function signal(h: Helper, cmd: number): void {
  h.ctl[CMD] = cmd;
  h.seq++;
  Atomics.store(h.ctl, SEQ, h.seq);
  Atomics.notify(h.ctl, SEQ);
}

function wait(h: Helper): void {
  for (;;) {
    const done = Atomics.load(h.ctl, DONE);
    if (done === h.seq) break;
    Atomics.wait(h.ctl, DONE, done, 1000);
  }
  if (h.ctl[FAILED]) throw new Error('probe kernel failed in a helper thread');
}

/** Up to `count` helpers bound to `memory` (started and bound on demand). */
export function helpersFor(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number): Helper[] {
  while (helpers.length < count) helpers.push(startHelper(module));
  const out = helpers.slice(0, count);
  for (const h of out) {
    if (h.bound === memory) continue;
    h.port.postMessage(memory);
    signal(h, BIND);
    wait(h);
    h.bound = memory;
  }
  return out;
}

/** Drops helpers' references to `memory`, so a finished workspace can be collected. */
export function releaseMemory(memory: WebAssembly.Memory): void {
  for (const h of helpers) {
    if (h.bound !== memory) continue;
    signal(h, UNBIND);
    wait(h);
    h.bound = null;
  }
}

/**
 * Runs calls[0] on this thread and calls[1..] on helpers, returning when all are done.
 * `local` runs a kernel on this thread's own instance.
 */
export function runParallel(hs: Helper[], name: KernelName, calls: number[][], local: (args: number[]) => void): void {
  const kernel = KERNEL_NAMES.indexOf(name);
  for (let j = 1; j < calls.length; j++) {
    const h = hs[j - 1];
    h.args.set(calls[j]);
    h.ctl[KERNEL] = kernel;
    h.ctl[ARGC] = calls[j].length;
    signal(h, RUN);
  }
  let error: unknown = null;
  try {
    local(calls[0]);
  } catch (e) {
    error = e;
  }
  for (let j = 1; j < calls.length; j++) wait(hs[j - 1]);
  if (error) throw error;
}
