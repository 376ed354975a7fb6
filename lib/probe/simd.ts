/**
 * WebAssembly SIMD kernels (f32x4) for the CCS objective's two data passes, four restarts
 * at a time: the forward projections and the gradient accumulation. Plain JS loops run one
 * scalar multiply-add at a time (~1 GFLOP/s here); f32x4 lanes do four. Source:
 * wasm/ccs-kernels.wat. Loaded synchronously (the module is ~1 KB); when WebAssembly SIMD is
 * unavailable `simdKernels()` returns null and callers keep their JS loops.
 */
import type { Mat } from '../tensor.ts';
import { CCS_KERNELS_WASM } from './wasm/ccs-kernels.wasm.ts';

interface Exports {
  memory: WebAssembly.Memory;
  forward4(P: number, N: number, T: number, n: number, dp: number, outP: number, outN: number): void;
  backward4(P: number, N: number, G: number, n: number, dp: number, CP: number, CN: number): void;
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

/** Largest pair set placed in wasm memory (bytes); bigger inputs use the JS loops. */
const MAX_BYTES = 1 << 30;

/**
 * A pair set resident in the kernels' linear memory (rows zero-padded to a multiple of 4).
 * The memory is shared by every SimdPairs; `bind()` re-uploads when another set took it.
 */
export class SimdPairs {
  private static owner: SimdPairs | null = null;
  readonly dp: number;
  readonly n: number;
  P = 0; N = 0; T = 0; G = 0; OP = 0; ON = 0; CP = 0; CN = 0;
  /** f32 view of the whole memory, valid after bind(). */
  f32 = new Float32Array(0);

  private constructor(private readonly k: Exports, private readonly pos: Mat, private readonly neg: Mat) {
    this.n = pos.rows;
    this.dp = Math.ceil(pos.cols / 4) * 4;
  }

  static create(pos: Mat, neg: Mat): SimdPairs | null {
    const k = simdKernels();
    if (!k) return null;
    const dp = Math.ceil(pos.cols / 4) * 4;
    const bytes = 4 * (2 * pos.rows * dp + 8 * dp + 4 * 4 * pos.rows);
    return bytes > MAX_BYTES ? null : new SimdPairs(k, pos, neg);
  }

  bind(): Exports {
    if (SimdPairs.owner === this) return this.k;
    const { n, dp } = this;
    const d = this.pos.cols;
    const floats = 2 * n * dp + 8 * dp + 16 * n;
    const mem = this.k.memory;
    const need = Math.ceil((floats * 4) / 65536) - mem.buffer.byteLength / 65536;
    if (need > 0) mem.grow(need);
    this.P = 0;
    this.N = this.P + n * dp * 4;
    this.T = this.N + n * dp * 4;
    this.G = this.T + 4 * dp * 4;
    this.OP = this.G + 4 * dp * 4;
    this.ON = this.OP + 16 * n;
    this.CP = this.ON + 16 * n;
    this.CN = this.CP + 16 * n;
    this.f32 = new Float32Array(mem.buffer);
    const f = this.f32;
    for (const [src, base] of [[this.pos, this.P], [this.neg, this.N]] as const) {
      const b = base / 4;
      if (dp === d) f.set(src.data, b);
      else for (let i = 0; i < n; i++) {
        f.set(src.data.subarray(i * d, (i + 1) * d), b + i * dp);
        f.fill(0, b + i * dp + d, b + (i + 1) * dp);
      }
    }
    SimdPairs.owner = this;
    return this.k;
  }
}
