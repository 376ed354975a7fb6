/** The in-graph pooling rewrite (lib/extract/pooled-graph.ts) and where it declines. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addPooledOutputs, POOL_WEIGHTS } from '../../lib/extract/pooled-graph.ts';
import { decodeModel, encodeModel } from '../../lib/models/onnx/codec.ts';
import { makeModel, makeNode, valueInfo } from '../../lib/models/onnx/build.ts';
import { DataType } from '../../lib/models/onnx/types.ts';
import { padBatch, poolWeights } from '../../lib/extract/batching.ts';

const MODEL = fileURLToPath(new URL('../fixtures/tiny-decoder/model.onnx', import.meta.url));

describe('addPooledOutputs', () => {
  it('adds one [batch, dim] output per layer and the weights input, keeping the originals', () => {
    const g = addPooledOutputs(fs.readFileSync(MODEL), ['hidden_0', 'hidden_1', 'hidden_2']);
    assert.notEqual(typeof g, 'string');
    if (typeof g === 'string') return;
    assert.deepEqual([...g.pooled.keys()], ['hidden_0', 'hidden_1', 'hidden_2']);
    const m = decodeModel(g.bytes);
    const outs = m.graph!.output!.map((o) => o.name);
    assert.ok(['hidden_0', 'hidden_1', 'hidden_2', ...g.pooled.values()].every((n) => outs.includes(n)));
    assert.ok(m.graph!.input!.some((i) => i.name === POOL_WEIGHTS));
  });

  it('reports external-data files, and declines graphs without shaped float outputs', () => {
    const graph = {
      name: 'g',
      node: [makeNode('Identity', ['x'], ['y'])],
      input: [valueInfo('x', DataType.FLOAT, ['batch', 'seq', 4])],
      output: [valueInfo('y', DataType.FLOAT, ['batch', 'seq', 4])],
      initializer: [{ name: 'w', dims: [1], data_type: DataType.FLOAT, data_location: 1, external_data: [{ key: 'location', value: 'model.onnx.data' }] }],
    };
    const ext = encodeModel(makeModel(graph, { opset: 17, producer: 'test' }));
    const g = addPooledOutputs(ext, ['y']);
    assert.notEqual(typeof g, 'string');
    if (typeof g !== 'string') assert.deepEqual(g.externalFiles, ['model.onnx.data']);
    const noShape = encodeModel(makeModel({ ...graph, initializer: [], output: [valueInfo('y', DataType.FLOAT)] }, { opset: 17, producer: 'test' }));
    assert.match(addPooledOutputs(noShape, ['y']) as string, /no float/);
  });
});

describe('poolWeights', () => {
  it('puts 1/n on real tokens for mean and 1 on the chosen token otherwise', () => {
    const b = padBatch([[5, 6, 7], [8]], 0, 'left');
    assert.deepEqual(Array.from(poolWeights(b, 'mean')), [1 / 3, 1 / 3, 1 / 3, 0, 0, 1].map(Math.fround));
    assert.deepEqual(Array.from(poolWeights(b, 'last')), [0, 0, 1, 0, 0, 1]);
    assert.deepEqual(Array.from(poolWeights(b, 'first')), [1, 0, 0, 0, 0, 1]);
  });
});
