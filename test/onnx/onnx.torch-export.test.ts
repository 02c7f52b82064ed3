// Models written by torch.onnx.export (test/fixtures/onnx/make_onnx_fixtures.py, torch 1.13,
// opset 14 unless named, dynamic batch and sequence axes): imported, run on the stored input,
// and compared with torch's outputs within 1e-5 of the largest magnitude. The imported layers
// carry the torch module's names, so the state dict has exactly torch's state_dict() names.

import { describe, expect, it } from 'vitest';
import { importOnnx, type OnnxSequential } from '../../src/onnx/index.js';
import '../../src/node/index.js';
import { relativeError } from '../helpers.js';
import { fixture, fixtureJson, jsonTensor, runAsGraph, type Feed } from './helpers.js';

const TOLERANCE = 1e-5;
const MODELS = [
  'embed_lstm_head', 'embed_lstm_head_opset9', 'gru_bidirectional', 'rnn_relu_softmax', 'gru_lstm_stack', 'lstm_states', 'mlp_gemm',
  'lstm_reshape_head', 'embed_gru3',
];

async function load(name: string): Promise<{ model: OnnxSequential; json: any; feeds: Record<string, Feed> }> {
  const json = fixtureJson(`torch/${name}.json`);
  const feeds: Record<string, Feed> = {};
  for (const [input, t] of Object.entries<any>(json.inputs)) {
    feeds[input] = t.ids ? { dims: t.shape, data: Int32Array.from(t.ids) } : jsonTensor(t);
  }
  return { model: await importOnnx(fixture(`torch/${name}.onnx`)), json, feeds };
}

/** softmax / log_softmax over the last axis, as torch applied it after the dropped node. */
function applyFinal(kind: 'softmax' | 'logSoftmax', logits: Float32Array, features: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += features) {
    const row = logits.subarray(r, r + features);
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    for (let k = 0; k < features; k++) out[r + k] = kind === 'softmax' ? Math.exp(row[k] - max) / sum : row[k] - max - Math.log(sum);
  }
  return out;
}

describe('torch.onnx.export models', () => {
  it.each(MODELS)('%s matches torch', async (name) => {
    const { model, json, feeds } = await load(name);
    try {
      const results = runAsGraph(model, feeds);
      for (const [output, t] of Object.entries<any>(json.outputs)) {
        const expected = jsonTensor(t).data;
        const mapping = model.onnx.outputs.find((o) => o.name === output)!;
        let actual = results[output];
        if (mapping.from === 'output' && mapping.activation) actual = applyFinal(mapping.activation, actual, t.shape[t.shape.length - 1]);
        expect(relativeError(actual, expected), `${name} output ${output}`).toBeLessThanOrEqual(TOLERANCE);
      }
      expect(Object.keys(model.stateDict())).toEqual(json.state_dict);
    } finally {
      model.dispose();
    }
  });

  it('folds the two LSTM nodes of nn.LSTM(num_layers=2) into one layer, named after the modules', async () => {
    const { model } = await load('embed_lstm_head');
    expect(model.toJSON().layers).toEqual([
      { name: 'embed', type: 'embedding', numEmbeddings: 12, embeddingDim: 8 },
      { name: 'lstm', type: 'lstm', inputSize: 8, hiddenSize: 16, numLayers: 2, bias: true, batchFirst: false, bidirectional: false, peephole: false },
      { name: 'head', type: 'linear', inFeatures: 16, outFeatures: 12, bias: true },
    ]);
    expect(model.onnx.input).toEqual({ name: 'ids', ids: true, axes: ['seq', 'batch'] });
    expect(model.onnx.finalActivation).toBeUndefined();
    model.dispose();
  });

  it('reads opset 9 files whose initializers are also graph inputs', async () => {
    const { model } = await load('embed_lstm_head_opset9');
    expect(model.onnx.opset).toBe(9);
    expect(model.toJSON().layers.map((l) => l.name)).toEqual(['embed', 'lstm', 'head']);
    model.dispose();
  });

  it('maps batch_first + bidirectional GRU, and h_n as a state output', async () => {
    const { model } = await load('gru_bidirectional');
    expect(model.toJSON().layers[0]).toEqual({
      name: 'gru', type: 'gru', inputSize: 5, hiddenSize: 7, numLayers: 1, bias: true, batchFirst: true, bidirectional: true, linearBeforeReset: true,
    });
    expect(model.onnx.input.axes).toEqual(['batch', 'seq', 'features']);
    expect(model.onnx.outputs[0]).toEqual({ name: model.onnx.outputs[0].name, from: 'output' });
    expect(model.onnx.outputs[1]).toMatchObject({ from: 'state', layer: 'gru', state: 'h', rows: [0, 2] });
    model.dispose();
  });

  it('drops a final softmax and reports it', async () => {
    const { model } = await load('rnn_relu_softmax');
    expect(model.onnx.finalActivation).toBe('softmax');
    expect(model.toJSON().layers[0]).toMatchObject({ name: 'rnn', type: 'rnn', numLayers: 2, nonlinearity: 'relu', batchFirst: true });
    model.dispose();
  });

  it('keeps a GRU and an LSTM as separate layers', async () => {
    const { model } = await load('gru_lstm_stack');
    expect(model.toJSON().layers.map((l) => `${l.name}:${l.type}`)).toEqual(['gru:gru', 'lstm:lstm', 'out:linear']);
    expect(model.onnx.finalActivation).toBe('logSoftmax');
    model.dispose();
  });

  it('takes h0 and c0 graph inputs as forward() states and returns h_n, c_n', async () => {
    const { model } = await load('lstm_states');
    expect(model.onnx.initialStates).toEqual([{ input: 'h0', layer: 'lstm', state: 'h' }, { input: 'c0', layer: 'lstm', state: 'c' }]);
    expect(model.onnx.outputs.map((o) => (o.from === 'state' ? `${o.layer}.${o.state}[${o.rows}]` : 'output'))).toEqual(['output', 'lstm.h[0,4]', 'lstm.c[0,4]']);
    model.dispose();
  });

  it('reads Gemm layers', async () => {
    const { model } = await load('mlp_gemm');
    expect(model.toJSON().layers).toEqual([
      { name: 'first', type: 'linear', inFeatures: 5, outFeatures: 8, bias: true },
      { name: 'second', type: 'linear', inFeatures: 8, outFeatures: 3, bias: true },
    ]);
    model.dispose();
  });
});
