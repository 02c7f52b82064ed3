// Hostile TF.js model.json files (issue #15): the functional-model walk is iterative and linear,
// so inbound_nodes nested 20,000 deep are a RecurFormatError (not a stack overflow) and a chain
// of 100,000 Dropout layers imports in one pass over it.

import { beforeAll, describe, expect, it } from 'vitest';
import { init, RecurFormatError } from '../src/node/index.js';
import { importTfjs, tfjsArchitecture } from '../src/tfjs/index.js';

beforeAll(async () => { await init(); });

const LSTM_CONFIG = { units: 4, activation: 'tanh', recurrent_activation: 'sigmoid', return_sequences: true, name: 'rec' };
const WEIGHTS = [
  { name: 'rec/kernel', shape: [3, 16], dtype: 'float32' },
  { name: 'rec/recurrent_kernel', shape: [4, 16], dtype: 'float32' },
  { name: 'rec/bias', shape: [16], dtype: 'float32' }];
const weightData = () => new ArrayBuffer((48 + 64 + 16) * 4);

/** A functional model: input → `dropouts` Dropout layers → LSTM, Keras 2's inbound_nodes. */
function dropoutChain(dropouts: number): object {
  const layers: object[] = [{ class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, null, 3] }, inbound_nodes: [] }];
  let previous = 'in';
  for (let i = 0; i < dropouts; i++) {
    layers.push({ class_name: 'Dropout', name: `d${i}`, config: { name: `d${i}`, rate: 0.1 }, inbound_nodes: [[[previous, 0, 0, {}]]] });
    previous = `d${i}`;
  }
  layers.push({ class_name: 'LSTM', name: 'rec', config: LSTM_CONFIG, inbound_nodes: [[[previous, 0, 0, {}]]] });
  return {
    format: 'layers-model',
    modelTopology: { class_name: 'Functional', config: { name: 'm', layers, input_layers: [['in', 0, 0]], output_layers: [['rec', 0, 0]] } },
    weightsManifest: [{ paths: ['w.bin'], weights: WEIGHTS }],
  };
}

describe('functional model walk', () => {
  it('inbound_nodes nested 20,000 deep (Keras 3 form) are a RecurFormatError, not a RangeError', async () => {
    const json = JSON.stringify(dropoutChain(0));
    // The LSTM's one call, its args wrapped in 20,000 arrays.
    const deep = `${'['.repeat(20_000)}{"config":{"keras_history":["in",0,0]}}${']'.repeat(20_000)}`;
    const text = json.replace('"inbound_nodes":[[["in",0,0,{}]]]', `"inbound_nodes":[{"args":${deep}}]`);
    expect(text).not.toBe(json);
    let error: unknown;
    try { tfjsArchitecture(text); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(RecurFormatError);
    expect((error as Error).message).toMatch(/tfjs: layer 'rec': its inbound_nodes nest deeper than \d+ levels/);
  });

  it('a config value nested 20,000 deep is named in a RecurFormatError, not stringified into a RangeError', async () => {
    const deep = `${'['.repeat(20_000)}"tanh"${']'.repeat(20_000)}`;
    const text = JSON.stringify(dropoutChain(0)).replace('"activation":"tanh"', `"activation":${deep}`);
    let error: unknown;
    try { tfjsArchitecture(text); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(RecurFormatError);
    expect((error as Error).message).toMatch(/LSTM 'rec': has activation/);
  });

  it('Keras 3 inbound_nodes of ordinary depth still import', async () => {
    const text = JSON.stringify(dropoutChain(0)).replace('"inbound_nodes":[[["in",0,0,{}]]]',
      '"inbound_nodes":[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,null,3],"keras_history":["in",0,0]}}],"kwargs":{"training":false}}]');
    (await importTfjs(text, weightData())).dispose();
  });

  // The quadratic walk took 33 s here, the linear one 0.8 s: the test's 20 s limit is a hang
  // guard with a wide margin for a busy machine, not a speed target (those are npm run bench's).
  it('a chain of 100,000 Dropout layers imports (a linear walk)', async () => {
    const model = await importTfjs(dropoutChain(100_000), weightData());
    expect(model.toJSON().layers.map((l) => l.type)).toEqual(['lstm']);
    model.dispose();
  }, 20_000);
});
