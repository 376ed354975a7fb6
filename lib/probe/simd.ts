/**
 * WebAssembly SIMD kernels (f32x4) for the passes over the activations: CCS's batched
 * forward/backward (four restarts at a time) and one-vector row dots / weighted row sums
 * (PCA, VINC, LR, k-means). Plain JS loops do one scalar multiply-add at a time
 * (~1 GFLOP/s here); f32x4 lanes do four. Accumulation is float32, which the optimisers
 * tolerate (checked against the float64 JS loops in the tests). Source: wasm/ccs-kernels.wat.
 * The module (~2 KB) is compiled synchronously; without WebAssembly SIMD `simdKernels()` is
 * null and every caller keeps its JS loops.
 */
import type { Mat } from '../tensor.ts';
import { CCS_KERNELS_WASM } from './wasm/ccs-kernels.wasm.ts';

interface Exports {
  memory: WebAssembly.Memory;
  forward4(P: number, N: number, T: number, n: number, dp: number, outP: number, outN: number): void;
  backward4(P: number, N: number, G: number, n: number, dp: number, CP: number, CN: number): void;
  dot1(X: number, n: number, dp: number, V: number, out: number): void;
  axpy1(X: number, n: number, dp: number, C: number, G: number): void;
}

let loaded: Exports | null | undefined;

export function simdKernels(): Exports | null {
  if (loaded === undefined) {
    try {
      const bytes = Uint8Array.from(atob(CCS_KERNELS_WASM), (c) => c.charCodeAt(0));
      loaded = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Exports;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** Largest working set placed in wasm memory (bytes); bigger inputs use the JS loops. */
const MAX_BYTES = 1 << 30;

/**
 * Matrices resident in the kernels' linear memory (rows zero-padded to a multiple of 4) plus
 * a scratch region. The memory is shared by every arena; `bind()` re-uploads when another
 * arena used it since (fits are synchronous, so one arena is active at a time).
 */
export class SimdArena {
  private static owner: SimdArena | null = null;
  readonly dp: number;
  /** Byte offsets of the matrices, then of the scratch region. */
  readonly offsets: number[] = [];
  readonly scratch: number;
  f32 = new Float32Array(0);

  private constructor(readonly k: Exports, private readonly mats: Mat[], scratchFloats: number) {
    this.dp = Math.ceil(mats[0].cols / 4) * 4;
    let at = 0;
    for (const m of mats) {
      this.offsets.push(at);
      at += m.rows * this.dp * 4;
    }
    this.scratch = at;
    this.bytes = at + scratchFloats * 4;
  }

  private readonly bytes: number;

  static create(mats: Mat[], scratchFloats: number): SimdArena | null {
    const k = simdKernels();
    if (!k) return null;
    const dp = Math.ceil(mats[0].cols / 4) * 4;
    const bytes = mats.reduce((s, m) => s + m.rows * dp * 4, 0) + scratchFloats * 4;
    return bytes > MAX_BYTES ? null : new SimdArena(k, mats, scratchFloats);
  }

  bind(): Exports {
    if (SimdArena.owner === this) return this.k;
    const mem = this.k.memory;
    const need = Math.ceil(this.bytes / 65536) - mem.buffer.byteLength / 65536;
    if (need > 0) mem.grow(need);
    this.f32 = new Float32Array(mem.buffer);
    const { dp } = this;
    this.mats.forEach((m, j) => {
      const b = this.offsets[j] / 4;
      if (dp === m.cols) this.f32.set(m.data, b);
      else for (let i = 0; i < m.rows; i++) {
        this.f32.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), b + i * dp);
        this.f32.fill(0, b + i * dp + m.cols, b + (i + 1) * dp);
      }
    });
    SimdArena.owner = this;
    return this.k;
  }
}

/** Row dots and weighted row sums over resident matrices, with the JS-facing copies. */
export class SimdRows {
  private constructor(private readonly arena: SimdArena, private readonly mats: Mat[]) {}

  static create(mats: Mat[]): SimdRows | null {
    const n = Math.max(...mats.map((m) => m.rows));
    const dp = Math.ceil(mats[0].cols / 4) * 4;
    const arena = SimdArena.create(mats, 2 * dp + 2 * n);
    return arena ? new SimdRows(arena, mats) : null;
  }

  /** out[i] = X_j,i · v. */
  dots(j: number, v: ArrayLike<number>, out: Float64Array): Float64Array {
    const k = this.arena.bind();
    const { f32, dp, scratch } = this.arena;
    const m = this.mats[j];
    const V = scratch, O = scratch + 2 * dp * 4;
    f32.fill(0, V / 4, V / 4 + dp);
    for (let q = 0; q < m.cols; q++) f32[V / 4 + q] = v[q];
    k.dot1(this.arena.offsets[j], m.rows, dp, V, O);
    for (let i = 0; i < m.rows; i++) out[i] = f32[O / 4 + i];
    return out;
  }

  /** out += X_jᵀ c. */
  addRowsT(j: number, c: ArrayLike<number>, out: Float64Array): Float64Array {
    const k = this.arena.bind();
    const { f32, dp, scratch } = this.arena;
    const m = this.mats[j];
    const G = scratch + dp * 4, C = scratch + 2 * dp * 4 + m.rows * 4;
    for (let i = 0; i < m.rows; i++) f32[C / 4 + i] = c[i];
    f32.fill(0, G / 4, G / 4 + dp);
    k.axpy1(this.arena.offsets[j], m.rows, dp, C, G);
    for (let q = 0; q < m.cols; q++) out[q] += f32[G / 4 + q];
    return out;
  }
}
