// The ONNX operator's own example cases for LSTM, GRU and RNN (onnx/backend/test/case/node/
// {lstm,gru,rnn}.py, written by test/fixtures/onnx/make_onnx_fixtures.py in onnx's backend-test
// layout): import → forward → compare with output_*.pb within 1e-5 of the largest magnitude.
//
// In these cases W, R and B (and sequence_lens, P) are graph inputs fed at run time; a recur
// model needs its weights when it is made, so the test appends those inputs' test data to the
// graph as initializers (what keep_initializers_as_inputs files look like) and keeps the
// initial states (initial_h, initial_c) as inputs, which forward() takes as states.

import { describe, expect, it } from 'vitest';
import { importOnnx, readTensorProto } from '../../src/onnx/index.js';
import '../../src/node/index.js';
import { relativeError } from '../helpers.js';
import { fixture, fixtureDir, fixtureJson, jsonTensor, runAsGraph, withInitializers, type Feed } from './helpers.js';

const TOLERANCE = 1e-5;
/** Inputs that stay graph inputs: the sequence and the initial states. */
const RUNTIME_INPUTS = new Set(['X', 'initial_h', 'initial_c']);

const cases = fixtureDir('node');

function loadCase(name: string) {
  const dir = `node/${name}/test_data_set_0/`;
  const files = fixtureDir(dir);
  const read = (kind: string) => files.filter((f) => f.startsWith(kind)).sort((a, b) => parseInt(a.slice(kind.length + 1)) - parseInt(b.slice(kind.length + 1)))
    .map((f) => ({ bytes: fixture(dir + f), ...readTensorProto(fixture(dir + f)) }));
  return { model: fixture(`node/${name}/model.onnx`), inputs: read('input'), outputs: read('output') };
}

describe('ONNX operator example cases (onnx 1.12 backend node tests)', () => {
  it('has the LSTM, GRU and RNN cases', () => {
    expect(cases).toEqual([
      'test_gru_batchwise', 'test_gru_defaults', 'test_gru_seq_length', 'test_gru_with_initial_bias',
      'test_lstm_batchwise', 'test_lstm_defaults', 'test_lstm_with_initial_bias', 'test_lstm_with_peepholes',
      'test_rnn_seq_length', 'test_simple_rnn_batchwise', 'test_simple_rnn_defaults', 'test_simple_rnn_with_initial_bias',
    ]);
  });

  it.each(cases)('%s', async (name) => {
    const { model, inputs, outputs } = loadCase(name);
    const constants = inputs.filter((t) => !RUNTIME_INPUTS.has(t.name)).map((t) => t.bytes);
    const imported = await importOnnx(withInitializers(model, constants));
    try {
      const feeds: Record<string, Feed> = {};
      for (const t of inputs) if (RUNTIME_INPUTS.has(t.name)) feeds[t.name] = { dims: t.dims, data: t.data as Float32Array };
      const results = runAsGraph(imported, feeds);
      expect(outputs.length).toBeGreaterThan(0);
      for (const expected of outputs) {
        expect(relativeError(results[expected.name], expected.data as Float32Array), expected.name).toBeLessThanOrEqual(TOLERANCE);
      }
    } finally {
      imported.dispose();
    }
  });

  it('maps test_lstm_with_peepholes onto a peephole LSTM whose initial states are forward() states', async () => {
    const { model, inputs } = loadCase('test_lstm_with_peepholes');
    const imported = await importOnnx(withInitializers(model, inputs.filter((t) => !RUNTIME_INPUTS.has(t.name)).map((t) => t.bytes)));
    expect(imported.toJSON().layers).toEqual([{
      name: 'rnn0', type: 'lstm', inputSize: 4, hiddenSize: 3, numLayers: 1, bias: true, batchFirst: false,
      bidirectional: false, peephole: true,
    }]);
    expect(imported.onnx.initialStates).toEqual([
      { input: 'initial_h', layer: 'rnn0', state: 'h' }, { input: 'initial_c', layer: 'rnn0', state: 'c' }]);
    expect(imported.onnx.outputs).toEqual([{ name: 'Y_h', from: 'state', layer: 'rnn0', state: 'h', rows: [0, 1] }]);
    imported.dispose();
  });

  it('maps layout = 1 onto batchFirst and linear_before_reset = 0 onto linearBeforeReset: false', async () => {
    const { model, inputs } = loadCase('test_gru_batchwise');
    const imported = await importOnnx(withInitializers(model, inputs.filter((t) => !RUNTIME_INPUTS.has(t.name)).map((t) => t.bytes)));
    expect(imported.toJSON().layers[0]).toMatchObject({ type: 'gru', batchFirst: true, linearBeforeReset: false, bias: false });
    expect(imported.onnx.input).toEqual({ name: 'X', ids: false, axes: ['batch', 'seq', 'features'] });
    imported.dispose();
  });

  it('rejects the cases as shipped, whose weights are run-time inputs, naming the problem', async () => {
    const { model } = loadCase('test_lstm_defaults');
    await expect(importOnnx(model, { as: 'layers' })).rejects.toThrow(/input W must be a constant/);
    await expect(importOnnx(model)).rejects.toThrow(/\(LSTM\): W must be a constant/);
  });

  it('rejects sequence_lens fed at run time (per-example lengths)', async () => {
    const { model, inputs } = loadCase('test_lstm_with_peepholes');
    const keep = new Set([...RUNTIME_INPUTS, 'sequence_lens']);
    const bytes = withInitializers(model, inputs.filter((t) => !keep.has(t.name)).map((t) => t.bytes));
    await expect(importOnnx(bytes, { as: 'layers' })).rejects.toThrow(/sequence_lens .*not supported/);
    await expect(importOnnx(bytes)).rejects.toThrow(/\(LSTM\): sequence_lens must be a constant/);
  });
});

describe('hand-made graphs (test/fixtures/onnx/graphs), against onnx\'s reference helpers', () => {
  // Random weights: unlike the example cases above (all weights equal), these catch gate-order mistakes.
  const graphs = fixtureDir('graphs').filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5));

  it('has the random-weight single nodes and the sliced initial state', () => {
    expect(graphs).toEqual(['gru_batchwise_random', 'gru_lbr0_random', 'gru_lbr1_random', 'lstm_batchwise_random', 'lstm_h0_slice_to_end', 'lstm_peepholes_random']);
  });

  it.each(graphs)('%s', async (name) => {
    const json = fixtureJson(`graphs/${name}.json`);
    const model = await importOnnx(fixture(`graphs/${name}.onnx`));
    try {
      const feeds = Object.fromEntries(Object.entries<any>(json.inputs).map(([k, t]) => [k, jsonTensor(t)]));
      const results = runAsGraph(model, feeds);
      for (const [output, t] of Object.entries<any>(json.outputs)) {
        expect(relativeError(results[output], jsonTensor(t).data), output).toBeLessThanOrEqual(TOLERANCE);
      }
      const stateInputs = Object.keys(json.inputs).filter((k) => k !== 'X' && k !== 'x');
      expect(model.onnx.initialStates.map((s) => s.input).sort()).toEqual(stateInputs.sort());
    } finally {
      model.dispose();
    }
  });
});
