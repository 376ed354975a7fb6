/**
 * The WebAssembly SIMD kernels against their plain-JS twins (simd.ts), on awkward shapes:
 * odd row counts, row lengths that are not multiples of 4 (zero padding), every remainder
 * of the 2 × 4 tiles, and helper threads splitting the work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rngFor } from '../../lib/probe/index.ts';
import { Workspace, type Block } from '../../lib/probe/workspace.ts';
import { kernelModule } from '../../lib/probe/simd.ts';
import type { Mat } from '../../lib/tensor.ts';

const mat = (rows: number, cols: number, seed: number): Mat => {
  const r = rngFor(seed, 'kernels');
  return { rows, cols, data: Float32Array.from({ length: rows * cols }, () => r.normal()) };
};
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};
const read = (ws: Workspace, off: number, n: number) => Array.from(ws.f32.subarray(off >> 2, (off >> 2) + n));

test('WebAssembly SIMD with shared memory loads on Node 20', () => {
  assert.ok(kernelModule(), 'the kernel module should compile');
});

for (const threads of [1, 2]) {
  test(`rowdots, addrows, gram1, transpose, sub and splitsign match the JS loops (threads ${threads})`, () => {
    for (const [rows, cols, r] of [[37, 7, 10], [2, 4, 1], [301, 203, 7], [64, 1024, 3], [5, 9, 2]] as const) {
      const X = mat(rows, cols, rows), B = mat(r, cols, cols);
      const run = (kernels: 'auto' | 'js') => {
        const ws = new Workspace({ kernels, threads: kernels === 'js' ? 1 : threads });
        const x = ws.upload([X]), b = ws.upload([B]);
        const out = ws.alloc(rows * r);
        ws.rowdots(x, b, r, out, r);
        const C = ws.alloc(rows), G = ws.alloc(x.ld), P = ws.alloc(rows), G2 = ws.alloc(x.ld);
        ws.write(C, Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 0 : Math.sin(i))));
        ws.addrows(x, C, G);
        ws.gram1(x, b.off, 0.25, 0.5, G2, P);
        const t = ws.transpose(x);
        const y = ws.upload([mat(rows, cols, 99)]);
        const z = ws.subtract(x, y);
        const s: Block = ws.splitSign(z);
        return {
          dots: read(ws, out, rows * r), sums: read(ws, G, cols), gram: read(ws, G2, cols), proj: read(ws, P, rows),
          t: Array.from({ length: cols * rows }, (_, k) => ws.f32[(t.off >> 2) + Math.floor(k / rows) * t.ld + (k % rows)]),
          z: read(ws, z.off, rows * z.ld), s: read(ws, s.off, rows * s.ld),
        };
      };
      const js = run('js'), simd = run('auto');
      const what = `${rows}×${cols}, r=${r}`;
      close(simd.dots, js.dots, 1e-5, `rowdots ${what}`);
      close(simd.sums, js.sums, 1e-5, `addrows ${what}`);
      close(simd.gram, js.gram, 1e-4, `gram1 ${what}`);
      close(simd.proj, js.proj, 1e-5, `gram1 proj ${what}`);
      assert.deepEqual(simd.t, js.t, `transpose ${what}`);
      assert.deepEqual(simd.z, js.z, `sub ${what}`);
      assert.deepEqual(simd.s, js.s, `splitsign ${what}`);
      // The transpose really is one.
      for (let i = 0; i < rows; i += 7) for (let k = 0; k < cols; k += 5) assert.equal(js.t[k * rows + i], X.data[i * cols + k]);
    }
  });
}

test('a reused workspace hands out zeroed memory again', () => {
  const ws = new Workspace();
  const a = ws.alloc(1000);
  ws.f32.fill(7, a >> 2, (a >> 2) + 1000);
  ws.reset();
  const b = ws.alloc(1000);
  assert.ok(read(ws, b, 1000).every((v) => v === 0));
});
