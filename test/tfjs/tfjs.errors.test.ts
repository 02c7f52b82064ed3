// What importTfjs refuses, and how it says so: every model recur cannot reproduce exactly is a
// RecurFormatError naming the layer and the option (never a silently different output), and bad
// weight data names the expected and the given byte count. Models are built in tfjs where tfjs
// can build them, and otherwise rewritten from a tfjs-saved model.json the way Keras writes it.

import { beforeAll, describe, expect, it } from 'vitest';
import { init, RecurFormatError, RecurOptionError, RecurShapeError, RecurValueError } from '../../src/node/index.js';
import { importTfjs, lastStep, tfjsArchitecture } from '../../src/tfjs/index.js';
import { failure, randomizeWeights, saveTfjs, savedTensors, setUpTfjs, tf, withWeights, type Saved } from './helpers.js';

beforeAll(async () => { await setUpTfjs(); await init(); });

const SIGMOID = { recurrentActivation: 'sigmoid' } as const;
const seq = (...layers: tf.layers.Layer[]) => tf.sequential({ layers });

async function saveOf(model: tf.LayersModel, dispose = true): Promise<Saved> {
  randomizeWeights(model, 1);
  const saved = await saveTfjs(model);
  if (dispose) model.dispose();
  return saved;
}

/** A saved LSTM(6, return_sequences) → LSTM(5, return_sequences) → Dense(3) model, edited. */
async function edited(edit: (json: any) => void): Promise<Saved> {
  const saved = await saveOf(seq(
    tf.layers.lstm({ units: 6, returnSequences: true, ...SIGMOID, inputShape: [null, 4] }),
    tf.layers.lstm({ units: 5, returnSequences: true, ...SIGMOID }),
    tf.layers.dense({ units: 3 })));
  const json = JSON.parse(saved.modelJson);
  edit(json);
  return { modelJson: JSON.stringify(json), weights: saved.weights };
}

const importOf = (s: Saved, options = {}) => () => importTfjs(s.modelJson, s.weights, options);

describe('unsupported layers and options', () => {
  it('lists every unsupported layer (Conv1D, MaxPooling1D) by class and name', async () => {
    const s = await saveOf(seq(
      tf.layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [10, 2], name: 'conv' }),
      tf.layers.maxPooling1d({ poolSize: 2, name: 'pool' }),
      tf.layers.lstm({ units: 3, ...SIGMOID })));
    await failure(importOf(s), RecurFormatError, /unsupported layers Conv1D 'conv', MaxPooling1D 'pool'; recur imports InputLayer, Embedding, LSTM/);
  });

  it("rejects recurrent_activation 'hard_sigmoid', tfjs-layers' default, saying how to fix it", async () => {
    const s = await saveOf(seq(tf.layers.lstm({ units: 3, inputShape: [null, 2], name: 'lstm' })));
    expect(JSON.parse(s.modelJson).modelTopology.config.layers[0].config.recurrent_activation).toBe('hard_sigmoid');
    await failure(importOf(s), RecurFormatError, /LSTM 'lstm': has recurrent_activation 'hard_sigmoid' \(the default of tfjs-layers and of Keras before 2\.3\).*recurrentActivation: 'sigmoid'/);
    const gru = await saveOf(seq(tf.layers.gru({ units: 3, inputShape: [null, 2], name: 'gru' })));
    await failure(importOf(gru), RecurFormatError, /GRU 'gru': has recurrent_activation 'hard_sigmoid'/);
    const bi = await saveOf(seq(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as tf.RNN, inputShape: [null, 2], name: 'bi' })));
    await failure(importOf(bi), RecurFormatError, /Bidirectional\(LSTM\) 'bi': has recurrent_activation 'hard_sigmoid'/);
  });

  it('rejects other activations recur does not compute', async () => {
    await failure(importOf(await saveOf(seq(tf.layers.lstm({ units: 3, activation: 'relu', ...SIGMOID, inputShape: [null, 2] })))),
      RecurFormatError, /has activation "relu"; recur's LSTM uses 'tanh'/);
    await failure(importOf(await saveOf(seq(tf.layers.simpleRNN({ units: 3, activation: 'sigmoid', inputShape: [null, 2] })))),
      RecurFormatError, /has activation "sigmoid"; recur's RNN supports 'tanh' and 'relu'/);
    await failure(importOf(await saveOf(seq(tf.layers.lstm({ units: 3, returnSequences: true, ...SIGMOID, inputShape: [null, 2] }), tf.layers.dense({ units: 2, activation: 'relu', name: 'd' })))),
      RecurFormatError, /Dense 'd': has activation 'relu'; recur's Linear has none/);
    await failure(importOf(await saveOf(seq(tf.layers.lstm({ units: 3, returnSequences: true, ...SIGMOID, inputShape: [null, 2] }), tf.layers.activation({ activation: 'tanh', name: 'act' })))),
      RecurFormatError, /Activation 'act': is 'tanh'; recur has no activation layers/);
  });

  it('rejects go_backwards, return_state and time_major', async () => {
    const s = await saveOf(seq(tf.layers.lstm({ units: 3, goBackwards: true, ...SIGMOID, inputShape: [null, 2], name: 'back' })));
    await failure(importOf(s), RecurFormatError, /LSTM 'back': has go_backwards: true/);
    await failure(importOf(await edited((j) => { j.modelTopology.config.layers[0].config.return_state = true; })), RecurFormatError, /has return_state: true/);
    await failure(importOf(await edited((j) => { j.modelTopology.config.layers[0].config.time_major = true; })), RecurFormatError, /has time_major: true/);
  });

  it("Bidirectional: only merge_mode 'concat', returning sequences, with a matching backward layer", async () => {
    for (const mergeMode of ['sum', 'mul', 'ave'] as const) {
      const s = await saveOf(seq(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true, ...SIGMOID }) as tf.RNN, mergeMode, inputShape: [null, 2], name: 'bi' })));
      await failure(importOf(s), RecurFormatError, new RegExp(`Bidirectional\\(GRU\\) 'bi': has merge_mode "${mergeMode}"; recur's bidirectional layers concatenate`));
    }
    const concat = await saveOf(seq(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true, ...SIGMOID }) as tf.RNN, inputShape: [null, 2], name: 'bi' })));
    const none = JSON.parse(concat.modelJson);
    none.modelTopology.config.layers[0].config.merge_mode = null;
    await failure(() => importTfjs(none, concat.weights), RecurFormatError, /'bi': has merge_mode null/);
    const last = await saveOf(seq(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, ...SIGMOID }) as tf.RNN, inputShape: [null, 2], name: 'bi' })));
    await failure(importOf(last), RecurFormatError, /'bi': has return_sequences: false; Keras then concatenates the backward direction's final state/);
    const bi = await saveOf(seq(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, ...SIGMOID }) as tf.RNN, inputShape: [null, 2] })));
    const json = JSON.parse(bi.modelJson);
    const cfg = json.modelTopology.config.layers[0].config;
    cfg.backward_layer = { class_name: 'LSTM', config: { ...cfg.layer.config, units: 4, go_backwards: true } };
    await failure(importOf({ modelJson: JSON.stringify(json), weights: bi.weights }), RecurFormatError, /backward_layer that differs/);
    cfg.backward_layer.config.units = 3;
    await importTfjs(json, bi.weights).then((m) => m.dispose());   // a matching one is fine
  });

  it('a recurrent layer inside the model must return sequences', async () => {
    const s = await edited((j) => { j.modelTopology.config.layers[0].config.return_sequences = false; });
    await failure(importOf(s), RecurFormatError, /LSTM 'lstm_LSTM\d+': has return_sequences: false but recurrent layer 'lstm_LSTM\d+' follows it; a recurrent layer inside the model must return sequences/);
  });

  it('a final softmax needs { dropSoftmax: true }; a softmax inside the model is rejected', async () => {
    const s = await saveOf(seq(tf.layers.lstm({ units: 3, ...SIGMOID, inputShape: [null, 2] }), tf.layers.dense({ units: 4, activation: 'softmax', name: 'probs' }), tf.layers.dropout({ rate: 0.1 })));
    await failure(importOf(s), RecurFormatError, /Dense 'probs': ends in a softmax.*pass \{ dropSoftmax: true \}/);
    expect(tfjsArchitecture(s.modelJson, { dropSoftmax: true })).toMatchObject({ droppedSoftmax: true, lastStepOnly: true });
    const act = await saveOf(seq(tf.layers.lstm({ units: 3, returnSequences: true, ...SIGMOID, inputShape: [null, 2] }), tf.layers.activation({ activation: 'softmax', name: 'sm' })));
    await failure(importOf(act), RecurFormatError, /Activation 'sm': ends in a softmax/);
    expect(tfjsArchitecture(act.modelJson, { dropSoftmax: true }).droppedSoftmax).toBe(true);
    const inner = await saveOf(seq(tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [null, 2], name: 'early' }), tf.layers.lstm({ units: 3, ...SIGMOID })));
    await failure(importOf(inner, { dropSoftmax: true }), RecurFormatError, /Dense 'early': has a softmax inside the model/);
  });

  it("rejects Embedding mask_zero (Keras would skip padded steps) and an Embedding that isn't first", async () => {
    const s = await saveOf(seq(tf.layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputShape: [null], name: 'emb' }), tf.layers.lstm({ units: 3, ...SIGMOID })));
    await failure(importOf(s), RecurFormatError, /Embedding 'emb': has mask_zero: true/);
    const late = await edited((j) => {
      j.modelTopology.config.layers.splice(1, 0, { class_name: 'Embedding', config: { name: 'late', input_dim: 5, output_dim: 6 } });
    });
    await failure(importOf(late), RecurFormatError, /Embedding 'late': must be the first layer/);
  });

  it('functional models must be one chain', async () => {
    const input = tf.input({ shape: [null, 2] });
    const a = tf.layers.lstm({ units: 3, returnSequences: true, ...SIGMOID, name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.gru({ units: 3, returnSequences: true, ...SIGMOID, name: 'b' }).apply(input) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ name: 'join' }).apply([a, b]) as tf.SymbolicTensor;
    const branchy = await saveOf(tf.model({ inputs: input, outputs: joined }), false);
    await failure(importOf(branchy), RecurFormatError, /layer 'join' takes 2 inputs \(a, b\); recur imports chains/);
    const twoOut = await saveOf(tf.model({ inputs: input, outputs: [a, b] }), false);
    await failure(importOf(twoOut), RecurFormatError, /1 inputs and 2 outputs; recur imports chains/);
    const shared = tf.layers.dense({ units: 2, name: 'shared' });
    const twice = shared.apply(shared.apply(tf.layers.lstm({ units: 2, returnSequences: true, ...SIGMOID }).apply(input) as tf.SymbolicTensor)) as tf.SymbolicTensor;
    await failure(importOf(await saveOf(tf.model({ inputs: input, outputs: twice }))), RecurFormatError, /layer 'shared' is called 2 times/);
  });

  it('rejects graph models and nested model classes', async () => {
    await failure(() => importTfjs({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }, new Uint8Array()), RecurFormatError, /format "graph-model"; recur imports 'layers-model'/);
    await failure(() => importTfjs({ modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Sequential', config: { name: 'inner', layers: [] } }] } }, weightsManifest: [] }, new Uint8Array()),
      RecurFormatError, /unsupported layer Sequential 'inner'/);
    await failure(() => importTfjs('{"modelTopology": ', new Uint8Array()), RecurFormatError, /model.json is not valid JSON/);
    await failure(() => importTfjs({ weightsManifest: [] }, new Uint8Array()), RecurFormatError, /no modelTopology/);
  });
});

describe('weights', () => {
  let s: Saved;
  beforeAll(async () => { s = await edited(() => {}); });

  it('rejects weight data of the wrong byte length, naming both', async () => {
    const n = s.weights.byteLength;
    await failure(() => importTfjs(s.modelJson, s.weights.slice(0, n - 4)), RecurFormatError, new RegExp(`should have ${n} bytes \\(8 weights in the manifest\\), got ${n - 4}`));
    await failure(() => importTfjs(s.modelJson, [s.weights, new ArrayBuffer(2)]), RecurFormatError, new RegExp(`should have ${n} bytes .*got ${n + 2}`));
    await failure(() => importTfjs(s.modelJson, new ArrayBuffer(0)), RecurFormatError, /got 0/);
  });

  it('rejects weight data that is not bytes', async () => {
    await failure(() => importTfjs(s.modelJson, 'weights' as never), RecurOptionError, /weightData must be an ArrayBuffer or Uint8Array, got string/);
    await failure(() => importTfjs(s.modelJson, [s.weights, null] as never), RecurOptionError, /weightData\[1\] must be/);
  });

  it('names a missing weight, a wrongly shaped one and one no layer uses', async () => {
    const tensors = savedTensors(s);
    const without = withWeights(s.modelJson, tensors.filter((t) => !t.name.endsWith('recurrent_kernel') || !t.name.startsWith(tensors[0].name.split('/')[0])));
    await failure(importOf(without), RecurFormatError, /the manifest has no recurrent_kernel weight \(its weights: lstm_LSTM\d+\/kernel, lstm_LSTM\d+\/bias\)/);
    const reshaped = withWeights(s.modelJson, tensors.map((t, i) => (i === 2 ? { ...t, shape: [4, 6] } : t)));
    await failure(importOf(reshaped), RecurFormatError, /weight 'lstm_LSTM\d+\/bias' has shape \[4,6\]; expected \[24\]/);
    const extra = withWeights(s.modelJson, [...tensors, { name: `${tensors[0].name.split('/')[0]}/peephole`, shape: [3], values: new Float32Array(3) }]);
    await failure(importOf(extra), RecurFormatError, /has weights recur does not use: lstm_LSTM\d+\/peephole/);
  });

  it('checks each layer takes the features the layer before gives', async () => {
    const tensors = savedTensors(s);
    const json = JSON.parse(s.modelJson);
    json.modelTopology.config.layers[1].config.units = 6;
    await failure(importOf(withWeights(json, tensors)), RecurFormatError, /LSTM 'lstm_LSTM\d+': weight 'lstm_LSTM\d+\/kernel' has shape \[6,20\]; expected \[6,24\]/);
    const wide = await edited((j) => { j.modelTopology.config.layers[0].config.batch_input_shape = [null, null, 7]; });
    await failure(importOf(wide), RecurFormatError, /kernel' has shape \[4,24\]; expected \[7,24\] \(does the layer take the previous layer's features\?\)/);
  });

  it('rejects malformed specs: unknown dtype or quantization, missing scale, duplicate names', async () => {
    const base = JSON.parse(s.modelJson);
    const variants: [(w: any[]) => void, RegExp][] = [
      [(w) => { w[0].dtype = 'string'; }, /has dtype "string"; recur reads float32 weights/],
      [(w) => { w[0].quantization = { dtype: 'int4' }; }, /quantization dtype "int4"; known: uint8, uint16, float16/],
      [(w) => { w[0].quantization = { dtype: 'uint8', min: 0 }; }, /uint8-quantized but lacks a finite scale and min/],
      [(w) => { w[1].name = w[0].name; }, /is listed twice in the manifest/],
      [(w) => { w[0].shape = [4, -1]; }, /has shape \[4,-1\]; expected an array of sizes/],
    ];
    for (const [edit, message] of variants) {
      const json = structuredClone(base);
      edit(json.weightsManifest[0].weights);
      await failure(() => importTfjs(json, s.weights), RecurFormatError, message);
    }
  });

  it('non-finite weights are a RecurValueError from loadStateDict', async () => {
    const tensors = savedTensors(s);
    tensors[1].values[3] = NaN;
    await failure(importOf(withWeights(s.modelJson, tensors)), RecurValueError, /NaN|finite/);
  });
});

describe('lastStep', () => {
  it('takes step T−1 of each sequence of a batch-first output', () => {
    const out = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i);   // [B=2, T=3, F=2]
    expect(Array.from(lastStep(out, { batch: 2, seqLen: 3 }))).toEqual([4, 5, 10, 11]);
  });
  it('rejects an output that is not [batch, seqLen, features]', async () => {
    await failure(() => lastStep(new Float32Array(7), { batch: 2, seqLen: 3 }), RecurShapeError, /lastStep: output \[batch=2, seqLen=3, features\]/);
  });
});
