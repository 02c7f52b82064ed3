// The spellings of a TensorFlow.js Layers model that importTfjs reads: model.json as text or
// object or as tf.io ModelArtifacts; the weight file whole, in shards or in several manifest
// groups; quantized weights (float16, uint8, uint16, as tensorflowjs_converter writes them,
// checked against tfjs's own decoding); optimizer state saved alongside; and the model.json of a
// Python Keras model converted by tensorflowjs_converter (model_config, `<layer>/lstm_cell/kernel`
// names, Keras 3's functional inbound_nodes), rewritten here from tfjs-saved models.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32ToFloat16 } from '../../src/formats/f16.js';
import { init, type Sequential } from '../../src/node/index.js';
import { importTfjs, tfjsArchitecture } from '../../src/tfjs/index.js';
import {
  expectMatch, predict, prng, randomizeWeights, saveTfjs, savedTensors, setUpTfjs, tf, uniform, withWeights, worst, type Saved,
} from './helpers.js';

beforeAll(async () => { await setUpTfjs(); await init(); });
afterAll(() => console.log(`tfjs formats: worst error ${worst.error.toExponential(2)} of the largest magnitude (${worst.where})`));

const F = 4;
const SIGMOID = { recurrentActivation: 'sigmoid' } as const;

/** Embedding-free model with every recurrent kind: Bidirectional(LSTM) → GRU → SimpleRNN → Dense. */
function buildModel(): tf.LayersModel {
  const model = tf.sequential({ layers: [
    tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 5, returnSequences: true, ...SIGMOID }) as tf.RNN, inputShape: [null, F] }),
    tf.layers.gru({ units: 4, returnSequences: true, ...SIGMOID }),
    tf.layers.simpleRNN({ units: 3, returnSequences: true }),
    tf.layers.dense({ units: 2 }),
  ] });
  randomizeWeights(model, 77);
  return model;
}

let model: tf.LayersModel;
let saved: Saved;
const x = uniform(3 * 6 * F, 1, prng(3));
beforeAll(async () => { model = buildModel(); saved = await saveTfjs(model); });

async function expectSameAsTfjs(recur: Sequential, what: string, reference: tf.LayersModel = model): Promise<void> {
  expectMatch(recur.forward(x, { batch: 3, seqLen: 6 }).output, predict(reference, x, [3, 6, F]), what);
  recur.dispose();
}

describe('model.json and weight data spellings', () => {
  it('model.json as text, as an object, and as tf.io ModelArtifacts', async () => {
    await expectSameAsTfjs(await importTfjs(saved.modelJson, saved.weights), 'text');
    await expectSameAsTfjs(await importTfjs(JSON.parse(saved.modelJson), new Uint8Array(saved.weights)), 'object');
    let artifacts: any;
    await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    await expectSameAsTfjs(await importTfjs(artifacts, artifacts.weightData), 'ModelArtifacts');
  });

  it('the weight file in shards, at unaligned offsets, or as a view into a larger buffer', async () => {
    const bytes = new Uint8Array(saved.weights);
    const cuts = [0, 3, 501, 1001, bytes.length];
    const shards = cuts.slice(1).map((end, i) => bytes.slice(cuts[i], end).buffer);
    await expectSameAsTfjs(await importTfjs(saved.modelJson, shards), 'ArrayBuffer shards');
    await expectSameAsTfjs(await importTfjs(saved.modelJson, shards.map((s) => new Uint8Array(s))), 'Uint8Array shards');
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    await expectSameAsTfjs(await importTfjs(saved.modelJson, padded.subarray(3, 3 + bytes.length)), 'unaligned view');
  });

  it('a manifest of several groups (weights in manifest order)', async () => {
    const json = JSON.parse(saved.modelJson);
    const weights = json.weightsManifest[0].weights;
    json.weightsManifest = [
      { paths: ['group1-shard1of1.bin'], weights: weights.slice(0, 4) },
      { paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'], weights: weights.slice(4) },
    ];
    await expectSameAsTfjs(await importTfjs(json, saved.weights), 'two groups');
  });

  it('optimizer state saved with includeOptimizer (group: optimizer, an int32 iter) is skipped', async () => {
    const trained = buildModel();
    trained.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    await trained.fit(tf.tensor(x, [3, 6, F]), tf.zeros([3, 6, 2]), { epochs: 1, verbose: 0 });
    let artifacts: any;
    await trained.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    expect(artifacts.weightSpecs.some((s: any) => s.group === 'optimizer' && s.dtype === 'int32')).toBe(true);
    await expectSameAsTfjs(await importTfjs(artifacts, artifacts.weightData), 'with optimizer state', trained);
    trained.dispose();
  });
});

describe('quantized weights decode as tfjs decodes them', () => {
  /** The saved weights re-encoded with tensorflowjs_converter's quantization. */
  function quantize(kind: 'float16' | 'uint8' | 'uint16'): { json: any; bytes: Uint8Array } {
    const tensors = savedTensors(saved);
    const json = JSON.parse(saved.modelJson);
    const parts: Uint8Array[] = [];
    json.weightsManifest[0].weights = tensors.map(({ name, shape, values }) => {
      if (kind === 'float16') {
        parts.push(new Uint8Array(float32ToFloat16(values).buffer));
        return { name, shape, dtype: 'float32', quantization: { dtype: 'float16' } };
      }
      const levels = kind === 'uint8' ? 255 : 65535;
      const min = Math.min(...values), scale = (Math.max(...values) - min) / levels;
      const codes = Array.from(values, (v) => Math.round((v - min) / scale));
      parts.push(kind === 'uint8' ? Uint8Array.from(codes) : new Uint8Array(Uint16Array.from(codes).buffer));
      return { name, shape, dtype: 'float32', quantization: { dtype: kind, min, scale } };
    });
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => { bytes.set(p, at); return at + p.length; }, 0);
    return { json, bytes };
  }

  for (const kind of ['float16', 'uint8', 'uint16'] as const) {
    it(kind, async () => {
      const { json, bytes } = quantize(kind);
      const reference = await tf.loadLayersModel(tf.io.fromMemory({
        modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bytes.slice().buffer,
      }));
      // uint8 weights have an odd byte count, so the float data after them is unaligned.
      await expectSameAsTfjs(await importTfjs(json, bytes), `quantized ${kind}`, reference);
      reference.dispose();
    });
  }
});

describe('Python Keras models converted by tensorflowjs_converter', () => {
  /**
   * The saved model as the converter writes a Keras 2 model: modelTopology.model_config, Keras
   * layer names, an InputLayer in the Sequential config, and weights named
   * `<layer>/<cell>/kernel` (`<layer>/forward_lstm/lstm_cell/kernel` in a Bidirectional).
   */
  function asKerasConverted(): { json: any; bytes: ArrayBuffer } {
    const json = JSON.parse(saved.modelJson);
    const names: Record<string, string> = {};
    const layers = json.modelTopology.config.layers;
    const kerasNames = ['bidirectional', 'gru', 'simple_rnn', 'dense'];
    layers.forEach((l: any, i: number) => { names[l.config.name] = kerasNames[i]; l.config.name = kerasNames[i]; delete l.config.batch_input_shape; });
    layers[0].config.layer.config.name = 'lstm';
    layers.unshift({ class_name: 'InputLayer', config: { batch_input_shape: [null, null, F], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } });
    const cells: Record<string, string> = { bidirectional: 'lstm_cell', gru: 'gru_cell', simple_rnn: 'simple_rnn_cell' };
    for (const w of json.weightsManifest[0].weights) {
      const [layer, ...rest] = w.name.split('/');
      const k = names[layer];
      const key = rest[rest.length - 1];
      const direction = rest.length > 1 ? (rest[0].startsWith('forward') ? 'forward_lstm/' : 'backward_lstm/') : '';
      w.name = k === 'dense' ? `dense/${key}` : `${k}/${direction}${cells[k]}/${key}`;
    }
    json.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: json.modelTopology, training_config: { loss: 'mse' } };
    json.generatedBy = 'keras v2.15.0';
    json.convertedBy = 'TensorFlow.js Converter v4.22.0';
    return { json, bytes: saved.weights };
  }

  it('Keras 2 Sequential: model_config, InputLayer, <layer>/<cell>/kernel names', async () => {
    const { json, bytes } = asKerasConverted();
    expect(json.weightsManifest[0].weights[0].name).toBe('bidirectional/forward_lstm/lstm_cell/kernel');
    await expectSameAsTfjs(await importTfjs(json, bytes), 'Keras 2 converted');
    expect(tfjsArchitecture(json).layerNames).toEqual({ bidirectional: 'bidirectional', gru: 'gru', simple_rnn: 'simple_rnn', dense: 'dense' });
  });

  it('old Keras: the Sequential config as a bare list of layers', async () => {
    const { json, bytes } = asKerasConverted();
    json.modelTopology.model_config.config = json.modelTopology.model_config.config.layers;
    await expectSameAsTfjs(await importTfjs(json, bytes), 'bare list');
  });

  it('Keras 3 functional: class Functional, batch_shape, inbound_nodes with keras_history', async () => {
    const { json, bytes } = asKerasConverted();
    const layers = json.modelTopology.model_config.config.layers;
    layers[0].config.batch_shape = layers[0].config.batch_input_shape;
    delete layers[0].config.batch_input_shape;
    layers.forEach((l: any, i: number) => {
      l.name = l.config.name;
      l.inbound_nodes = i === 0 ? [] : [{
        args: [{ class_name: '__keras_tensor__', config: { shape: [null, null, 8], dtype: 'float32', keras_history: [layers[i - 1].config.name, 0, 0] } }],
        kwargs: { training: false, mask: null },
      }];
    });
    json.modelTopology.model_config = {
      class_name: 'Functional',
      config: { name: 'functional', layers, input_layers: ['input_1', 0, 0], output_layers: ['dense', 0, 0] },
    };
    await expectSameAsTfjs(await importTfjs(json, bytes), 'Keras 3 functional');
  });

  it('layer names that are not identifiers become recur names', async () => {
    const json = JSON.parse(saved.modelJson);
    const rename: Record<string, string> = {};
    json.modelTopology.config.layers.forEach((l: any, i: number) => {
      rename[l.config.name] = ['9-bi.x', 'gru/1', 'gru:1', 'dense'][i];
      l.config.name = rename[l.config.name];
    });
    // A '/' in a layer name cannot round-trip through weight names; keep weights under the others.
    json.modelTopology.config.layers[1].config.name = 'gru.1';
    rename[Object.keys(rename)[1]] = 'gru.1';
    for (const w of json.weightsManifest[0].weights) {
      const [layer, ...rest] = w.name.split('/');
      w.name = [rename[layer], ...rest].join('/');
    }
    const arch = tfjsArchitecture(json);
    expect(arch.layerNames).toEqual({ '9-bi.x': '_9_bi_x', 'gru.1': 'gru_1', 'gru:1': 'gru_1_2', dense: 'dense' });
    await expectSameAsTfjs(await importTfjs(json, saved.weights), 'renamed');
  });
});

describe('withWeights (test helper) writes what savedTensors reads', () => {
  it('round trip', () => {
    const tensors = savedTensors(saved);
    const again = withWeights(saved.modelJson, tensors);
    expect(new Uint8Array(again.weights)).toEqual(new Uint8Array(saved.weights));
  });
});
