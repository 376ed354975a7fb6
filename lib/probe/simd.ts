/**
 * The kernels behind every pass over the activations, in two implementations with one
 * signature: WebAssembly SIMD (f32x4, wasm/ccs-kernels.wat, ~4× the scalar JS loops here)
 * and plain JS loops (the fallback without WebAssembly SIMD, and the reference the tests
 * check the SIMD kernels against). Accumulation is float32 in both, which the optimisers
 * tolerate. Pointers are byte offsets into one linear memory; lengths are in floats.
 */
import { CCS_KERNELS_WASM } from './wasm/ccs-kernels.wasm.ts';

export interface Kernels {
  /** out[i·ldo + t] (+)= A_i[0:len] · B_t[0:len] for i < m, t < r (the GEMM A Bᵀ). */
  rowdots(A: number, m: number, lda: number, B: number, r: number, ldb: number, len: number, out: number, ldo: number, acc: number): void;
  /** G[0:len] += Σ_i C[i] X_i[0:len]. */
  addrows(X: number, n: number, ldx: number, len: number, C: number, G: number): void;
  /** proj[i] = (X_i·V − shift)·scale and G += proj[i] X_i, in one read of X. */
  gram1(X: number, n: number, ldx: number, len: number, V: number, shift: number, scale: number, G: number, proj: number): void;
  /** XT[k·ldt + i] = X[i·ldx + k] for i < n, k < len. */
  transpose(X: number, n: number, ldx: number, len: number, XT: number, ldt: number): void;
  /** Z[k] = X[k] − Y[k] for k < len. */
  sub(X: number, Y: number, Z: number, len: number): void;
  /** S_i = [max(X_i, 0) | max(−X_i, 0)] for i < n (S rows lds apart, 2·len wide). */
  splitsign(X: number, n: number, ldx: number, len: number, S: number, lds: number): void;
  /** Y_i = (X_i − M)·s for i < n (Y may be X). */
  affine(X: number, n: number, ldx: number, len: number, M: number, s: number, Y: number, ldy: number): void;
}

export const KERNEL_NAMES = ['rowdots', 'addrows', 'gram1', 'transpose', 'sub', 'splitsign', 'affine'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel module, or null where WebAssembly SIMD or shared memory is missing. */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = Uint8Array.from(atob(CCS_KERNELS_WASM), (c) => c.charCodeAt(0));
      compiled = new WebAssembly.Module(bytes);
      // Probe once: shared memories need cross-origin isolation in browsers, never in Node.
      new WebAssembly.Instance(compiled, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }) } });
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** The same kernels as plain loops over a Float32Array view of the memory (float32 sums, like f32x4). */
export function jsKernels(view: () => Float32Array): Kernels {
  return {
    rowdots(A, m, lda, B, r, ldb, len, out, ldo, acc) {
      const f = view();
      const a = A >>> 2, b = B >>> 2, o = out >>> 2;
      for (let i = 0; i < m; i++) {
        for (let t = 0; t < r; t++) {
          let s = 0;
          const ai = a + i * lda, bt = b + t * ldb;
          for (let k = 0; k < len; k++) s = Math.fround(s + Math.fround(f[ai + k] * f[bt + k]));
          const at = o + i * ldo + t;
          f[at] = acc ? f[at] + s : s;
        }
      }
    },
    addrows(X, n, ldx, len, C, G) {
      const f = view();
      const x = X >>> 2, c = C >>> 2, g = G >>> 2;
      for (let i = 0; i < n; i++) {
        const w = f[c + i];
        if (w === 0) continue;
        for (let k = 0, o = x + i * ldx; k < len; k++) f[g + k] += w * f[o + k];
      }
    },
    gram1(X, n, ldx, len, V, shift, scale, G, proj) {
      const f = view();
      const x = X >>> 2, v = V >>> 2, g = G >>> 2, p = proj >>> 2;
      for (let i = 0; i < n; i++) {
        const o = x + i * ldx;
        let s = 0;
        for (let k = 0; k < len; k++) s = Math.fround(s + Math.fround(f[o + k] * f[v + k]));
        const w = Math.fround((s - shift) * scale);
        f[p + i] = w;
        for (let k = 0; k < len; k++) f[g + k] += w * f[o + k];
      }
    },
    transpose(X, n, ldx, len, XT, ldt) {
      const f = view();
      const x = X >>> 2, xt = XT >>> 2;
      for (let i = 0; i < n; i++) for (let k = 0; k < len; k++) f[xt + k * ldt + i] = f[x + i * ldx + k];
    },
    sub(X, Y, Z, len) {
      const f = view();
      const x = X >>> 2, y = Y >>> 2, z = Z >>> 2;
      for (let k = 0; k < len; k++) f[z + k] = f[x + k] - f[y + k];
    },
    splitsign(X, n, ldx, len, S, lds) {
      const f = view();
      for (let i = 0; i < n; i++) {
        const x = (X >>> 2) + i * ldx, s = (S >>> 2) + i * lds;
        for (let k = 0; k < len; k++) {
          const v = f[x + k];
          f[s + k] = v > 0 ? v : 0;
          f[s + len + k] = v < 0 ? -v : 0;
        }
      }
    },
    affine(X, n, ldx, len, M, s, Y, ldy) {
      const f = view();
      const m = M >>> 2, sc = Math.fround(s);
      for (let i = 0; i < n; i++) {
        const x = (X >>> 2) + i * ldx, y = (Y >>> 2) + i * ldy;
        for (let k = 0; k < len; k++) f[y + k] = Math.fround(Math.fround(f[x + k] - f[m + k]) * sc);
      }
    },
  };
}
