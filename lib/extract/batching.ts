/**
 * Pure batching and pooling: group tokenised texts by length, pad them into dense
 * [batch, seq] inputs with attention masks, and pool [batch, seq, dim] hidden states back
 * to one row per text. No ONNX Runtime here, so it is cheap to test.
 */
import type { Pooling } from '../models/types.ts';
import { halfTable } from '../npy.ts';

/**
 * Batches of text indices, shortest first: sorting by length keeps the padding in each
 * batch small. A batch holds at most `batchSize` texts and `maxTokens` padded tokens
 * (always at least one text).
 */
export function planBatches(lengths: readonly number[], batchSize: number, maxTokens: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    // Sorted ascending, so the newest text sets the padded length of the batch.
    if (cur.length > 0 && (cur.length >= batchSize || (cur.length + 1) * lengths[i] > maxTokens)) {
      batches.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) batches.push(cur);
  return batches;
}

export interface DenseBatch {
  rows: number;
  seq: number;
  ids: Int32Array;
  mask: Int32Array;
  /** HF position ids: count of real tokens before each position, 0 on padding. */
  positions: Int32Array;
  /** Per row: index of the first and last real token in the padded sequence. */
  first: Int32Array;
  last: Int32Array;
}

/** Pads token lists to the batch's longest, on the left (decoders) or right (encoders). */
export function padBatch(tokens: readonly number[][], padId: number, side: 'left' | 'right'): DenseBatch {
  const rows = tokens.length;
  const seq = Math.max(1, ...tokens.map((t) => t.length));
  const ids = new Int32Array(rows * seq).fill(padId);
  const mask = new Int32Array(rows * seq);
  const positions = new Int32Array(rows * seq);
  const first = new Int32Array(rows);
  const last = new Int32Array(rows);
  tokens.forEach((t, r) => {
    const offset = side === 'left' ? seq - t.length : 0;
    for (let j = 0; j < t.length; j++) {
      ids[r * seq + offset + j] = t[j];
      mask[r * seq + offset + j] = 1;
      positions[r * seq + offset + j] = j;
    }
    first[r] = offset;
    last[r] = offset + t.length - 1;
  });
  return { rows, seq, ids, mask, positions, first, last };
}

/**
 * One pooled vector per row of a [rows, seq, dim] hidden-state tensor, written into
 * `out` at row `targets[r]`. `mean` averages the real tokens only (the mask), special
 * tokens such as BOS included, as the model saw them.
 */
export function poolHidden(
  hidden: Float32Array, batch: DenseBatch, dim: number, pooling: Pooling,
  out: Float32Array, targets: readonly number[],
): void {
  const { seq } = batch;
  const row = (r: number, p: number) => hidden.subarray((r * seq + p) * dim, (r * seq + p + 1) * dim);
  for (let r = 0; r < batch.rows; r++) {
    const dst = out.subarray(targets[r] * dim, (targets[r] + 1) * dim);
    if (pooling === 'mean') {
      // Summed in float32 straight into the output row: sentences are at most a few
      // thousand tokens, far from float32 rounding trouble, and this is the hot loop.
      const first = batch.first[r];
      const last = batch.last[r];
      dst.set(row(r, first));
      for (let p = first + 1; p <= last; p++) {
        const h = row(r, p);
        for (let k = 0; k < dim; k++) dst[k] += h[k];
      }
      const inv = 1 / (last - first + 1);
      for (let k = 0; k < dim; k++) dst[k] *= inv;
    } else {
      dst.set(row(r, pooling === 'last' ? batch.last[r] : batch.first[r]));
    }
  }
}

/**
 * Per-token pooling weights [rows, seq] for the in-graph pooling of pooled-graph.ts:
 * `mean` puts 1/n on each real token, `last`/`first` put 1 on that token, padding gets 0.
 */
export function poolWeights(batch: DenseBatch, pooling: Pooling): Float32Array {
  const w = new Float32Array(batch.rows * batch.seq);
  for (let r = 0; r < batch.rows; r++) {
    const base = r * batch.seq;
    if (pooling === 'mean') {
      const inv = 1 / (batch.last[r] - batch.first[r] + 1);
      for (let p = batch.first[r]; p <= batch.last[r]; p++) w[base + p] = inv;
    } else w[base + (pooling === 'last' ? batch.last[r] : batch.first[r])] = 1;
  }
  return w;
}

/** float16 bit patterns → float32 (IEEE 754 binary16, by lib/npy.ts's table). */
export function halfToFloat32(src: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}
