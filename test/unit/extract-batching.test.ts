/** Length-grouped batching, padding and JavaScript pooling (lib/extract/batching.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { halfToFloat32, padBatch, planBatches, poolHidden } from '../../lib/extract/batching.ts';
import { floatToHalf } from '../../lib/npy.ts';

describe('planBatches', () => {
  it('groups by length, shortest first, within the text and token caps', () => {
    assert.deepEqual(planBatches([5, 1, 3, 2, 4], 2, 1000), [[1, 3], [2, 4], [0]]);
    // 3 texts of length 10 would be 30 padded tokens > 25: cut after 2.
    assert.deepEqual(planBatches([10, 10, 10], 8, 25), [[0, 1], [2]]);
    // A single text longer than the token cap still gets its own batch.
    assert.deepEqual(planBatches([100], 8, 25), [[0]]);
  });
});

describe('padBatch', () => {
  it('pads left with positions counting real tokens only', () => {
    const b = padBatch([[7, 8, 9], [4]], 0, 'left');
    assert.deepEqual([b.rows, b.seq], [2, 3]);
    assert.deepEqual(Array.from(b.ids), [7, 8, 9, 0, 0, 4]);
    assert.deepEqual(Array.from(b.mask), [1, 1, 1, 0, 0, 1]);
    assert.deepEqual(Array.from(b.positions), [0, 1, 2, 0, 0, 0]);
    assert.deepEqual([Array.from(b.first), Array.from(b.last)], [[0, 2], [2, 2]]);
  });

  it('pads right', () => {
    const b = padBatch([[4], [7, 8, 9]], 1, 'right');
    assert.deepEqual(Array.from(b.ids), [4, 1, 1, 7, 8, 9]);
    assert.deepEqual(Array.from(b.positions), [0, 0, 0, 0, 1, 2]);
    assert.deepEqual([Array.from(b.first), Array.from(b.last)], [[0, 0], [0, 2]]);
  });
});

describe('poolHidden', () => {
  // rows 2, seq 3, dim 2; row 1 is left-padded by 2 and holds NaN in its padding.
  const b = padBatch([[1, 2, 3], [4]], 0, 'left');
  const h = Float32Array.from([1, 10, 2, 20, 3, 30, NaN, NaN, NaN, NaN, 5, 50]);
  const run = (p: 'last' | 'first' | 'mean') => {
    const out = new Float32Array(4).fill(-1);
    poolHidden(h, b, 2, p, out, [1, 0]); // written in swapped order
    return Array.from(out);
  };
  it('pools real tokens only, into the target rows', () => {
    assert.deepEqual(run('last'), [5, 50, 3, 30]);
    assert.deepEqual(run('first'), [5, 50, 1, 10]);
    assert.deepEqual(run('mean'), [5, 50, 2, 20]);
  });
});

describe('halfToFloat32', () => {
  it('inverts floatToHalf on representable values', () => {
    const xs = [0, -0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, Infinity];
    assert.deepEqual(Array.from(halfToFloat32(Uint16Array.from(xs, floatToHalf))), xs);
  });
});
