// Graphs that are not a chain of recur's layers (test/fixtures/onnx/bad/: a Conv before the LSTM,
// a head on the last step, a Tanh after it, a bidirectional Y left as [seq, 2, batch, hidden])
// are refused by the layers importer but run on the graph runtime, equal to onnxruntime-node.
// What neither can run is refused at planning time, with the node and the reason.

import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx, OnnxGraphModel } from '../../src/onnx/index.js';
import { RecurFormatError } from '../../src/node/index.js';
import { fixture, fixtureJson } from '../onnx/helpers.js';
import { seededRandom } from '../../src/stream/sample.js';

const reasons: Record<string, string[]> = fixtureJson('bad/bad.json');
const RUNS = ['conv_lstm', 'last_step_classifier', 'lstm_bidirectional_y', 'lstm_last_step', 'lstm_tanh'];
const REFUSED = ['gru_activations', 'lstm_input_forget', 'lstm_reverse', 'rnn_activation', 'lstm_seq_lens'];
/** Sizes for the symbolic axes the fixtures declare (seq, batch). */
const SIZES: Record<string, number> = { T: 5, N: 2, B: 2, seq: 5, batch: 2 };

describe('graphs that are not chains run on the graph runtime', () => {
  it('covers every fixture the layers importer refuses', () => {
    expect([...RUNS, ...REFUSED].sort()).toEqual(Object.keys(reasons).sort());
  });

  it.each(RUNS)('%s equals onnxruntime-node', async (name) => {
    const bytes = fixture(`bad/${name}.onnx`);
    const model = await importOnnx(bytes);
    expect(model).toBeInstanceOf(OnnxGraphModel);
    const graph = model as OnnxGraphModel;
    const session = await ort.InferenceSession.create(bytes);
    const random = seededRandom(7);
    const inputs: Record<string, { dims: number[]; data: Float32Array | number[] }> = {};
    const feeds: Record<string, ort.Tensor> = {};
    for (const i of graph.inputs) {
      const dims = i.dims!.map((d) => (typeof d === 'number' ? d : SIZES[d as string] ?? 3));
      const n = dims.reduce((a, b) => a * b, 1);
      if (i.type === 'float') {
        const data = Float32Array.from({ length: n }, () => random() * 2 - 1);
        inputs[i.name] = { dims, data };
        feeds[i.name] = new ort.Tensor('float32', data, dims);
      } else {
        const data = Array.from({ length: n }, () => Math.floor(random() * 5));
        inputs[i.name] = { dims, data };
        feeds[i.name] = new ort.Tensor('int64', BigInt64Array.from(data, BigInt), dims);
      }
    }
    const ours = graph.run(inputs);
    const theirs = await session.run(feeds);
    for (const o of graph.outputs) {
      expect(ours[o.name].dims).toEqual([...theirs[o.name].dims]);
      const a = ours[o.name].data as Float32Array, b = theirs[o.name].data as Float32Array;
      let worst = 0;
      for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
      expect(worst).toBeLessThan(1e-5);
    }
    graph.dispose();
  });

  it.each(REFUSED)('%s is refused, naming the reason', async (name) => {
    const bytes = fixture(`bad/${name}.onnx`);
    const err = await importOnnx(bytes, { shapes: { X: [5, 2, 4], seq_lens: [2] } }).then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(RecurFormatError);
    expect(err.message).toMatch(/^ONNX node '.*' \((LSTM|GRU|RNN)\): /);
    if (name !== 'lstm_seq_lens') for (const words of reasons[name]) expect(err.message).toContain(words);
    else expect(err.message).toContain('sequence_lens must be a constant');
  });
});
