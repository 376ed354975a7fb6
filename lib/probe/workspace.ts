/**
 * A workspace: one linear memory holding the matrices of a fit (or of a whole layer's
 * fits, see context.ts) in the kernels' layout — rows zero padded to a multiple of four
 * floats — plus their scratch vectors, and the kernel calls over it, split across worker
 * threads when the workspace has more than one. Each workspace owns its memory and
 * WebAssembly instance, so workspaces never evict one another; the memory is shared
 * (SharedArrayBuffer) so helper threads read it without copies, and it only grows (views
 * stay valid, a shared buffer is never detached).
 */
import type { Mat } from '../tensor.ts';
import { jsKernels, kernelModule, type KernelName, type Kernels } from './simd.ts';
import { helpersFor, releaseMemory, runParallel } from './threads.ts';
import { ProbeInputError } from './errors.ts';

/** A matrix resident in a workspace: byte offset, shape, and row stride `ld` (floats, a multiple of 4). */
export interface Block { off: number; rows: number; cols: number; ld: number }

const PAGE = 65536;
/** wasm32's whole address space (4 GiB); byte offsets are handled as unsigned (>>> 2). */
const MAX_PAGES = 65536;
/** Below this many multiply-adds a kernel call is not worth waking helper threads for. */
const SPLIT_WORK = 1 << 18;

export const padded = (cols: number) => Math.ceil(cols / 4) * 4;

export interface WorkspaceOptions {
  /** Threads for the kernel calls (this one included); 1 keeps everything on the caller's thread. */
  threads?: number;
  /** 'js' forces the plain-loop kernels (tests compare them with the SIMD ones). */
  kernels?: 'auto' | 'js';
}

export class Workspace {
  readonly simd: boolean;
  readonly threads: number;
  private readonly memory: WebAssembly.Memory | null;
  private plain: ArrayBuffer | null;
  private view: Float32Array;
  private top = 64;
  private readonly k: Kernels;
  private readonly slots = new Map<string, { off: number; floats: number }>();

  constructor(opts: WorkspaceOptions = {}) {
    const module = opts.kernels === 'js' ? null : kernelModule();
    this.simd = module !== null;
    this.threads = this.simd ? Math.max(1, Math.floor(opts.threads ?? 1)) : 1;
    if (module) {
      this.memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
      this.plain = null;
      this.k = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as Kernels;
    } else {
      this.memory = null;
      this.plain = new ArrayBuffer(PAGE);
      this.k = jsKernels(() => this.f32);
    }
    this.view = new Float32Array(this.memory ? this.memory.buffer : this.plain!);
  }

  /** A float32 view of the whole memory (refreshed after growth). */
  get f32(): Float32Array {
    const bytes = this.memory ? this.memory.buffer.byteLength : this.plain!.byteLength;
    if (this.view.length * 4 !== bytes) this.view = new Float32Array(this.memory ? this.memory.buffer : this.plain!);
    return this.view;
  }

  /** `floats` zeroed floats (unless the caller overwrites all of them), 64-byte aligned; returns the byte offset. */
  alloc(floats: number, zero = true): number {
    const off = this.top;
    const reused = this.reused;
    const end = off + Math.ceil((floats * 4) / 64) * 64;
    const have = this.memory ? this.memory.buffer.byteLength : this.plain!.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (this.memory) {
        if (have / PAGE + pages > MAX_PAGES) throw new ProbeInputError(`these activations need more than the ${MAX_PAGES * PAGE / 2 ** 30} GiB one fit can hold; use fewer pairs or dimensions per fit`);
        this.memory.grow(pages);
      } else {
        const next = new ArrayBuffer(Math.max(have * 2, have + pages * PAGE));
        new Uint8Array(next).set(new Uint8Array(this.plain!));
        this.plain = next;
      }
    }
    this.top = end;
    // Memory handed out before a reset() holds old values; fresh pages are zero already.
    if (zero && reused && off < this.highWater) this.f32.fill(0, off >>> 2, Math.min(end, this.highWater) >>> 2);
    return off;
  }

  private reused = false;
  private highWater = 0;

  /** Forgets every block (their memory is reused by later allocations); for pooling workspaces. */
  reset(): void {
    this.highWater = Math.max(this.highWater, this.top);
    this.top = 64;
    this.reused = true;
    this.slots.clear();
  }

  /** A named scratch region of at least `floats` floats, reused by later calls with the same name. */
  scratch(name: string, floats: number): number {
    const s = this.slots.get(name);
    if (s && s.floats >= floats) return s.off;
    const off = this.alloc(floats);
    this.slots.set(name, { off, floats });
    return off;
  }

  /** out[i] = X_i · v (float32 kernel, float64 result). */
  dots(X: Block, v: ArrayLike<number>, out: Float64Array): Float64Array {
    const V = this.scratch('dots:v', X.ld), O = this.scratch('dots:out', X.rows);
    this.write(V, v, X.cols);
    this.zero(V + X.cols * 4, X.ld - X.cols);
    this.rowdots(X, { off: V, ld: X.ld }, 1, O, 1);
    return this.read(O, out, X.rows);
  }

  /** outs[j][i] = X_i · vs[j]: one read of X for all vectors. */
  dotsMany(X: Block, vs: ArrayLike<number>[], outs: Float64Array[]): void {
    const r = vs.length;
    const B = this.scratch('dotsMany:b', r * X.ld), O = this.scratch('dotsMany:out', r * X.rows);
    const f = this.f32;
    vs.forEach((v, j) => {
      const at = (B >>> 2) + j * X.ld;
      for (let k = 0; k < X.cols; k++) f[at + k] = v[k];
      f.fill(0, at + X.cols, at + X.ld);
    });
    this.rowdots(X, { off: B, ld: X.ld }, r, O, r);
    const g = this.f32;
    for (let i = 0, o = O >>> 2; i < X.rows; i++) for (let j = 0; j < r; j++) outs[j][i] = g[o + i * r + j];
  }

  /** out += Xᵀ c. */
  addRowsT(X: Block, c: ArrayLike<number>, out: Float64Array): Float64Array {
    const C = this.scratch('addrows:c', X.rows), G = this.scratch('addrows:g', X.ld);
    this.write(C, c, X.rows);
    this.zero(G, X.ld);
    this.addrows(X, C, G);
    const f = this.f32;
    const g = G >>> 2;
    for (let k = 0; k < X.cols; k++) out[k] += f[g + k];
    return out;
  }

  get bytes(): number {
    return this.top;
  }

  /** A zeroed rows × cols block. */
  block(rows: number, cols: number): Block {
    const ld = padded(cols);
    return { off: this.alloc(rows * ld), rows, cols, ld };
  }

  /** The matrices' rows stacked into one block (same column count), zero padded. */
  upload(mats: Mat[]): Block {
    const cols = mats[0].cols;
    const rows = mats.reduce((s, m) => s + m.rows, 0);
    // Unpadded rows are overwritten whole; padded ones need their padding zeroed.
    const ld = padded(cols);
    const b: Block = { off: this.alloc(rows * ld, ld !== cols), rows, cols, ld };
    const f = this.f32;
    let at = b.off >>> 2;
    for (const m of mats) {
      if (m.cols !== cols) throw new RangeError('upload: matrices must have the same number of columns');
      if (b.ld === cols) f.set(m.data.subarray(0, m.rows * cols), at);
      else for (let i = 0; i < m.rows; i++) f.set(m.data.subarray(i * cols, (i + 1) * cols), at + i * b.ld);
      at += m.rows * b.ld;
    }
    return b;
  }

  /** Rows [from, from + rows) of a block, as a block (no copy). */
  rowsOf(b: Block, from: number, rows: number): Block {
    return { off: b.off + from * b.ld * 4, rows, cols: b.cols, ld: b.ld };
  }

  /** The transpose (cols × rows, rows padded to a multiple of 4). */
  transpose(b: Block): Block {
    // Rows up to the padded width: the kernel moves whole 4-column blocks (padding is zero).
    const ld = padded(b.rows);
    const t: Block = { off: this.alloc(b.ld * ld), rows: b.cols, cols: b.rows, ld };
    this.split('transpose', b.rows, b.ld, 4, (i0, i1) => [b.off + i0 * b.ld * 4, i1 - i0, b.ld, b.ld, t.off + i0 * 4, t.ld]);
    return t;
  }

  /** Rows of A minus rows of B (same shape), as a new block; split by rows across threads. */
  subtract(A: Block, B: Block): Block {
    const Z: Block = { off: this.alloc(A.rows * A.ld, false), rows: A.rows, cols: A.cols, ld: A.ld };
    this.split('sub', A.rows, A.ld, 1, (i0, i1) => [A.off + i0 * A.ld * 4, B.off + i0 * B.ld * 4, Z.off + i0 * Z.ld * 4, (i1 - i0) * A.ld]);
    return Z;
  }

  /** The split-sign rows [max(x, 0) | max(−x, 0)] of a block (n × 2·ld); split by rows across threads. */
  splitSign(X: Block): Block {
    const S: Block = { off: this.alloc(X.rows * 2 * X.ld, false), rows: X.rows, cols: 2 * X.ld, ld: 2 * X.ld };
    this.split('splitsign', X.rows, X.ld, 1, (i0, i1) => [X.off + i0 * X.ld * 4, i1 - i0, X.ld, X.ld, S.off + i0 * S.ld * 4, S.ld]);
    return S;
  }

  /** Y_i = (X_i − M)·s in place for every row of X (M: a row of X.ld floats at byte offset M). */
  affine(X: Block, M: number, s: number): void {
    this.split('affine', X.rows, X.ld, 1, (i0, i1) => [X.off + i0 * X.ld * 4, i1 - i0, X.ld, X.ld, M, s, X.off + i0 * X.ld * 4, X.ld]);
  }

  /**
   * The first row holding NaN or ±∞, or −1: x·0 is NaN exactly for those values, so one
   * row-dot pass against zeros screens the whole block.
   */
  firstNonFinite(X: Block): number {
    const Z = this.scratch('finite:zero', X.ld), O = this.scratch('finite:out', X.rows);
    this.zero(Z, X.ld);
    this.rowdots(X, { off: Z, ld: X.ld }, 1, O, 1);
    const f = this.f32;
    for (let i = 0, o = O >>> 2; i < X.rows; i++) if (f[o + i] !== 0) return i;
    return -1;
  }

  /** A block's rows as a Mat viewing the workspace memory (no copy; shared memory is never detached). */
  matView(b: Block): Mat | null {
    if (b.ld !== b.cols || !this.memory) return null;
    return { rows: b.rows, cols: b.cols, data: new Float32Array(this.memory.buffer, b.off, b.rows * b.cols) };
  }

  /** Writes a vector (as float32) at a byte offset. */
  write(off: number, v: ArrayLike<number>, len = v.length): void {
    const f = this.f32;
    const at = off >>> 2;
    for (let k = 0; k < len; k++) f[at + k] = v[k];
  }

  /** Reads len floats at a byte offset into `out` (float64). */
  read(off: number, out: Float64Array, len = out.length): Float64Array {
    const f = this.f32;
    const at = off >>> 2;
    for (let k = 0; k < len; k++) out[k] = f[at + k];
    return out;
  }

  zero(off: number, floats: number): void {
    this.f32.fill(0, off >>> 2, (off >>> 2) + floats);
  }

  /**
   * out[i·ldo + t] (+)= A_i · B_t for every row of A and the first r rows of B (the GEMM
   * A Bᵀ over the padded row length); split by rows of A across threads.
   */
  rowdots(A: Block, B: { off: number; ld: number }, r: number, out: number, ldo: number, acc = false, len = A.ld): void {
    this.split('rowdots', A.rows, len * r, 2, (i0, i1) => [A.off + i0 * A.ld * 4, i1 - i0, A.ld, B.off, r, B.ld, len, out + i0 * ldo * 4, ldo, acc ? 1 : 0]);
  }

  /**
   * K = X Xᵀ (rows × rows). Blocked so the operands of each kernel call stay in L2: 256
   * columns at a time, 128 rows of A against all later rows; the lower triangle is mirrored.
   */
  gram(X: Block): Block {
    const m = X.rows;
    const K = this.block(m, m);
    const KB = 256, IB = 128;
    for (let k0 = 0; k0 < X.ld; k0 += KB) {
      const len = Math.min(KB, X.ld - k0);
      for (let i0 = 0; i0 < m; i0 += IB) {
        const A = { off: X.off + (i0 * X.ld + k0) * 4, rows: Math.min(IB, m - i0), cols: len, ld: X.ld };
        this.rowdots(A, { off: A.off, ld: X.ld }, m - i0, K.off + (i0 * K.ld + i0) * 4, K.ld, k0 > 0, len);
      }
    }
    const f = this.f32;
    const k = K.off >>> 2;
    for (let i = IB; i < m; i++) {
      const start = i - (i % IB);
      for (let j = 0; j < start; j++) f[k + i * K.ld + j] = f[k + j * K.ld + i];
    }
    return K;
  }

  /** G += Σ_i C[i] X_i (C: X.rows floats at byte offset C); split by columns across threads. */
  addrows(X: Block, C: number, G: number): void {
    this.split('addrows', X.ld, X.rows, 4, (k0, k1) => [X.off + k0 * 4, X.rows, X.ld, k1 - k0, C, G + k0 * 4]);
  }

  /**
   * One pass of "dots, then weighted row sums" over row blocks small enough to stay in L2
   * between their two uses (the second read costs no memory traffic): for each block,
   * U[i] = X_i·V, then `coef(i0, i1)` fills C for those rows from U, then G += Σ C[i] X_i.
   * With `paired`, X is a stacked [x⁺; x⁻] block and each block holds pairs i and n + i
   * together (coefficients that mix the two sides of a pair, as VINC's).
   */
  dotsThenSums(X: Block, paired: boolean, V: number, U: number, C: number, G: number, coef: (i0: number, i1: number) => void): void {
    const n = paired ? X.rows / 2 : X.rows;
    const rowBytes = X.ld * 4 * (paired ? 2 : 1);
    const step = Math.max(4, Math.floor(((512 << 10) * this.threads) / rowBytes));
    const v = { off: V, ld: X.ld };
    for (let i0 = 0; i0 < n; i0 += step) {
      const m = Math.min(step, n - i0);
      this.rowdots(this.rowsOf(X, i0, m), v, 1, U + i0 * 4, 1);
      if (paired) this.rowdots(this.rowsOf(X, n + i0, m), v, 1, U + (n + i0) * 4, 1);
      coef(i0, i0 + m);
      this.addrows(this.rowsOf(X, i0, m), C + i0 * 4, G);
      if (paired) this.addrows(this.rowsOf(X, n + i0, m), C + (n + i0) * 4, G);
    }
  }

  /**
   * proj[i] = (X_i·V − shift)·scale; G += proj[i] X_i: one pass over X. Several threads take
   * a share of the rows each with a private G, summed at the end.
   */
  gram1(X: Block, V: number, shift: number, scale: number, G: number, proj: number): void {
    const parts = this.threads > 1 && X.rows * X.ld >= SPLIT_WORK ? Math.min(this.threads, X.rows) : 1;
    if (parts === 1) {
      this.k.gram1(X.off, X.rows, X.ld, X.ld, V, shift, scale, G, proj);
      return;
    }
    const privateG = this.scratch('gram1:g', (parts - 1) * X.ld);
    this.zero(privateG, (parts - 1) * X.ld);
    const calls: number[][] = [];
    for (let j = 0, from = 0; j < parts; j++) {
      const to = j === parts - 1 ? X.rows : Math.round((X.rows * (j + 1)) / parts);
      calls.push([X.off + from * X.ld * 4, to - from, X.ld, X.ld, V, shift, scale, j === 0 ? G : privateG + (j - 1) * X.ld * 4, proj + from * 4]);
      from = to;
    }
    runParallel(helpersFor(kernelModule()!, this.memory!, parts - 1), 'gram1', calls, (a) => (this.k.gram1 as (...x: number[]) => void)(...a));
    const f = this.f32;
    for (let j = 1; j < parts; j++) for (let k = 0, g = G >>> 2, p = (privateG >>> 2) + (j - 1) * X.ld; k < X.ld; k++) f[g + k] += f[p + k];
  }

  /**
   * Runs one kernel over [0, extent) cut into `threads` slices aligned to `align`, one per
   * thread, when the work is large enough; `args(from, to)` builds each slice's arguments.
   */
  private split(name: KernelName, extent: number, unitWork: number, align: number, args: (from: number, to: number) => number[]): void {
    const call = (a: number[]) => (this.k[name] as (...x: number[]) => void)(...a);
    const parts = this.threads > 1 && extent * unitWork >= SPLIT_WORK ? Math.min(this.threads, Math.floor(extent / align)) : 1;
    if (parts <= 1) {
      call(args(0, extent));
      return;
    }
    const calls: number[][] = [];
    let from = 0;
    for (let j = 0; j < parts; j++) {
      const to = j === parts - 1 ? extent : Math.min(extent, Math.round((extent * (j + 1)) / parts / align) * align);
      calls.push(args(from, to));
      from = to;
    }
    runParallel(helpersFor(kernelModule()!, this.memory!, parts - 1), name, calls, call);
  }

  /** Lets helper threads drop this memory (call when the workspace is no longer needed). */
  dispose(): void {
    if (this.memory && this.threads > 1) releaseMemory(this.memory);
  }
}

let spareScratch: Workspace | null = null;

/**
 * Runs `fn` with a single-threaded workspace for a one-off computation (scoring a stored
 * probe, a standalone k-means or NMF): one is kept and reset between calls rather than a new
 * memory per call; a nested call gets a fresh one. Nothing `fn` returns may point into it.
 */
export function withScratchWorkspace<T>(fn: (ws: Workspace) => T): T {
  const ws = spareScratch ?? new Workspace();
  spareScratch = null;
  ws.reset();
  try {
    return fn(ws);
  } finally {
    spareScratch = ws;
  }
}
