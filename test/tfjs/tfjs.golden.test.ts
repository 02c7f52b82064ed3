// TensorFlow.js models imported into recur compute what tfjs computes: each model is built with
// tf.layers (cpu backend, float32), given random weights, saved exactly as tfjs writes model.json
// and its weight file, imported with importTfjs, and run by both on the same inputs for several
// batch sizes and sequence lengths. GRU reset_after: true, which tfjs-layers cannot run, is
// checked against Keras's equations written out below (themselves checked against tfjs on
// reset_after: false).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/node/index.js';
import { importTfjs, lastStep, tfjsArchitecture } from '../../src/tfjs/index.js';
import {
  expectMatch, predict, prng, randomizeWeights, saveTfjs, savedTensors, setUpTfjs, tf, uniform, withWeights, worst,
} from './helpers.js';

beforeAll(async () => { await setUpTfjs(); await init(); });
afterAll(() => console.log(`tfjs golden: worst error ${worst.error.toExponential(2)} of the largest magnitude (${worst.where})`));

const F = 5;                                   // input features
const SHAPES: [batch: number, seqLen: number][] = [[1, 1], [1, 9], [3, 5], [4, 17]];
const SIGMOID = { recurrentActivation: 'sigmoid' } as const;   // tfjs-layers defaults to hard_sigmoid

interface Case {
  name: string;
  build: () => tf.LayersModel;
  vocab?: number;                  // the model takes token ids below vocab
  dropSoftmax?: boolean;
}

/** Builds, randomizes, saves, imports and compares the model on every shape. */
async function compare({ name, build, vocab, dropSoftmax }: Case, seed: number): Promise<void> {
  const model = build();
  randomizeWeights(model, seed);
  const saved = await saveTfjs(model);
  const arch = tfjsArchitecture(saved.modelJson, { dropSoftmax });
  const recur = await importTfjs(saved.modelJson, saved.weights, { dropSoftmax });
  const random = prng(seed + 1);
  try {
    for (const [B, T] of SHAPES) {
      const input = vocab
        ? Int32Array.from({ length: B * T }, () => Math.floor(random() * vocab))
        : uniform(B * T * F, 1, random);
      const expected = predict(model, input, vocab ? [B, T] : [B, T, F]);
      let actual = recur.forward(input, { batch: B, seqLen: T }).output;
      if (arch.lastStepOnly) actual = lastStep(actual, { batch: B, seqLen: T });
      if (arch.droppedSoftmax) actual = softmax(actual, expected.length / (B * (arch.lastStepOnly ? 1 : T)));
      expectMatch(actual, expected, `${name} batch ${B} seqLen ${T}`);
    }
  } finally {
    recur.dispose();
    model.dispose();
  }
}

function softmax(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += classes) {
    const row = logits.subarray(r, r + classes);
    const max = Math.max(...row);
    const exps = Array.from(row, (v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, k) => { out[r + k] = e / sum; });
  }
  return out;
}

const seq = (...layers: tf.layers.Layer[]) => tf.sequential({ layers });
const input = { inputShape: [null, F] };

const CASES: Case[] = [
  { name: 'LSTM 5→7', build: () => seq(tf.layers.lstm({ units: 7, returnSequences: true, ...SIGMOID, ...input })) },
  { name: 'GRU 5→6, reset_after false', build: () => seq(tf.layers.gru({ units: 6, returnSequences: true, ...SIGMOID, ...input })) },
  { name: 'SimpleRNN tanh', build: () => seq(tf.layers.simpleRNN({ units: 6, returnSequences: true, ...input })) },
  { name: 'SimpleRNN relu', build: () => seq(tf.layers.simpleRNN({ units: 6, activation: 'relu', returnSequences: true, ...input })) },
  {
    name: 'stacked LSTMs 5→8→6 → Dense 3',
    build: () => seq(
      tf.layers.lstm({ units: 8, returnSequences: true, ...SIGMOID, ...input }),
      tf.layers.lstm({ units: 6, returnSequences: true, ...SIGMOID }),
      tf.layers.dense({ units: 3 })),
  },
  {
    name: 'LSTM return_sequences false → Dense (last step)',
    build: () => seq(tf.layers.lstm({ units: 7, ...SIGMOID, ...input }), tf.layers.dense({ units: 4 })),
  },
  {
    name: 'GRU → GRU return_sequences false',
    build: () => seq(tf.layers.gru({ units: 5, returnSequences: true, ...SIGMOID, ...input }), tf.layers.gru({ units: 4, ...SIGMOID })),
  },
  {
    name: 'Bidirectional(LSTM) → Dense',
    build: () => seq(
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 6, returnSequences: true, ...SIGMOID }) as tf.RNN, mergeMode: 'concat', ...input }),
      tf.layers.dense({ units: 3 })),
  },
  {
    name: 'Bidirectional(GRU) → Bidirectional(SimpleRNN relu)',
    build: () => seq(
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true, ...SIGMOID }) as tf.RNN, ...input }),
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3, activation: 'relu', returnSequences: true }) as tf.RNN })),
  },
  {
    name: 'Embedding → LSTM → Dense',
    vocab: 11,
    build: () => seq(
      tf.layers.embedding({ inputDim: 11, outputDim: 6, inputShape: [null] }),
      tf.layers.lstm({ units: 8, returnSequences: true, ...SIGMOID }),
      tf.layers.dense({ units: 11 })),
  },
  {
    name: 'use_bias false: LSTM, GRU, SimpleRNN, Dense',
    build: () => seq(
      tf.layers.lstm({ units: 6, useBias: false, returnSequences: true, ...SIGMOID, ...input }),
      tf.layers.gru({ units: 5, useBias: false, returnSequences: true, ...SIGMOID }),
      tf.layers.simpleRNN({ units: 4, useBias: false, returnSequences: true }),
      tf.layers.dense({ units: 3, useBias: false })),
  },
  {
    name: 'Dense → LSTM (a projection before the recurrent layer)',
    build: () => seq(tf.layers.dense({ units: 4, ...input }), tf.layers.lstm({ units: 5, returnSequences: true, ...SIGMOID })),
  },
  {
    name: 'LSTM → Dropout → TimeDistributed(Dense)',
    build: () => seq(
      tf.layers.lstm({ units: 6, returnSequences: true, ...SIGMOID, ...input }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3 }) })),
  },
  {
    name: 'dropout and recurrent_dropout are inference no-ops',
    build: () => seq(tf.layers.lstm({ units: 6, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4, ...SIGMOID, ...input })),
  },
  {
    name: 'Embedding → GRU → Dense softmax (dropped; probabilities by softmax of recur\'s logits)',
    vocab: 9, dropSoftmax: true,
    build: () => seq(
      tf.layers.embedding({ inputDim: 9, outputDim: 4, inputShape: [null] }),
      tf.layers.gru({ units: 6, ...SIGMOID }),
      tf.layers.dense({ units: 9, activation: 'softmax' })),
  },
  {
    name: 'functional chain: Input → GRU → Dropout → Dense',
    build: () => {
      const x = tf.input({ shape: [null, F] });
      const h = tf.layers.gru({ units: 6, returnSequences: true, ...SIGMOID }).apply(x) as tf.SymbolicTensor;
      const d = tf.layers.dropout({ rate: 0.2 }).apply(h) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(d) as tf.SymbolicTensor });
    },
  },
];

describe('importTfjs matches tf.LayersModel.predict', () => {
  CASES.forEach((c, i) => it(c.name, () => compare(c, 100 + i)));

  it('a stateful layer runs from zero state, as tfjs\'s first predict after reset does', async () => {
    const model = seq(tf.layers.lstm({ units: 5, returnSequences: true, stateful: true, batchInputShape: [2, 6, F], ...SIGMOID }));
    randomizeWeights(model, 7);
    const saved = await saveTfjs(model);
    const recur = await importTfjs(saved.modelJson, saved.weights);
    const x = uniform(2 * 6 * F, 1, prng(8));
    expectMatch(recur.forward(x, { batch: 2, seqLen: 6 }).output, predict(model, x, [2, 6, F]), 'stateful LSTM');
    recur.dispose(); model.dispose();
  });

  it('describes the Sequential it creates: batch-first layers under the Keras names', async () => {
    const model = seq(
      tf.layers.embedding({ inputDim: 11, outputDim: 6, inputShape: [null], name: 'embed' }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true, ...SIGMOID }) as tf.RNN, name: 'bi' }),
      tf.layers.lstm({ units: 3, ...SIGMOID, name: 'lstm' }),
      tf.layers.dense({ units: 2, name: 'head' }));
    const arch = tfjsArchitecture((await saveTfjs(model)).modelJson);
    expect(arch).toEqual({
      description: { layers: [
        { name: 'embed', type: 'embedding', numEmbeddings: 11, embeddingDim: 6 },
        { name: 'bi', type: 'gru', inputSize: 6, hiddenSize: 4, numLayers: 1, bias: true, batchFirst: true, bidirectional: true, linearBeforeReset: false },
        { name: 'lstm', type: 'lstm', inputSize: 8, hiddenSize: 3, numLayers: 1, bias: true, batchFirst: true, bidirectional: false },
        { name: 'head', type: 'linear', inFeatures: 3, outFeatures: 2, bias: true },
      ] },
      lastStepOnly: true,
      droppedSoftmax: false,
      layerNames: { embed: 'embed', bi: 'bi', lstm: 'lstm', head: 'head' },
    });
    model.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// GRU reset_after: true (Keras 2.3+'s and Keras 3's default; tfjs-layers refuses it)

/**
 * Keras's GRUCell, in float64, batch-first x [B, T, I] → [B, T, H]. Gates z, r, h in kernel
 * [I, 3H] and recurrent_kernel [H, 3H]; bias [3H] (reset_after false) or [2, 3H] (input bias,
 * recurrent bias). h' = z ⊙ h + (1 − z) ⊙ ĥ with
 *   reset_after:  ĥ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h))
 *   otherwise:    ĥ = tanh(x W_h + b_h + (r ⊙ h) U_h)
 */
function kerasGru(x: Float32Array, B: number, T: number, I: number, H: number, kernel: Float32Array,
                  recurrentKernel: Float32Array, bias: Float32Array | undefined, resetAfter: boolean, backwards = false): Float32Array {
  const out = new Float32Array(B * T * H);
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(H);
    for (let s = 0; s < T; s++) {
      const t = backwards ? T - 1 - s : s;
      const mx = new Float64Array(G), mh = new Float64Array(G);
      for (let j = 0; j < G; j++) {
        mx[j] = bias ? bias[j] : 0;
        for (let i = 0; i < I; i++) mx[j] += x[(b * T + t) * I + i] * kernel[i * G + j];
        mh[j] = bias && resetAfter ? bias[G + j] : 0;
        for (let k = 0; k < H; k++) mh[j] += h[k] * recurrentKernel[k * G + j];
      }
      const z = Float64Array.from({ length: H }, (_, j) => sigmoid(mx[j] + mh[j]));
      const r = Float64Array.from({ length: H }, (_, j) => sigmoid(mx[H + j] + mh[H + j]));
      const next = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        let recurrent = 0;
        if (resetAfter) recurrent = r[j] * mh[2 * H + j];
        else for (let k = 0; k < H; k++) recurrent += r[k] * h[k] * recurrentKernel[k * G + 2 * H + j];
        next[j] = z[j] * h[j] + (1 - z[j]) * Math.tanh(mx[2 * H + j] + recurrent);
      }
      h = next;
      for (let j = 0; j < H; j++) out[(b * T + t) * H + j] = h[j];
    }
  }
  return out;
}

describe('GRU reset_after: true', () => {
  const H = 6;

  it('the Keras GRU written out above matches tfjs (reset_after: false)', async () => {
    const model = seq(tf.layers.gru({ units: H, returnSequences: true, ...SIGMOID, ...input }));
    randomizeWeights(model, 31);
    const [kernel, recurrentKernel, bias] = model.getWeights().map((w) => w.dataSync() as Float32Array);
    for (const [B, T] of SHAPES) {
      const x = uniform(B * T * F, 1, prng(B * 100 + T));
      expectMatch(kerasGru(x, B, T, F, H, kernel, recurrentKernel, bias, false), predict(model, x, [B, T, F]), `reference GRU batch ${B} seqLen ${T}`);
    }
    model.dispose();
  });

  for (const [bidirectional, useBias] of [[false, true], [false, false], [true, true]] as const) {
    it(`${bidirectional ? 'Bidirectional(GRU)' : 'GRU'}${useBias ? '' : ' without bias'} imports as linearBeforeReset: true`, async () => {
      // tfjs saves the model with reset_after: false; the config and weights are rewritten to
      // what Keras writes with reset_after: true (bias [2, 3H]).
      const gru = tf.layers.gru({ units: H, returnSequences: true, useBias, ...SIGMOID });
      const model = seq(bidirectional ? tf.layers.bidirectional({ layer: gru as tf.RNN, ...input }) : tf.layers.gru({ units: H, returnSequences: true, useBias, ...SIGMOID, ...input }));
      const json = JSON.parse((await saveTfjs(model)).modelJson);
      const layer = json.modelTopology.config.layers[0];
      (bidirectional ? layer.config.layer.config : layer.config).reset_after = true;
      const random = prng(41);
      const tensors = json.weightsManifest[0].weights.map(({ name, shape }: { name: string; shape: number[] }) => {
        const s = name.endsWith('/bias') ? [2, ...shape] : shape;
        return { name, shape: s, values: uniform(s.reduce((a, b) => a * b, 1), 0.5, random) };
      });
      const saved = withWeights(json, tensors);
      const recur = await importTfjs(saved.modelJson, saved.weights);
      expect((recur.toJSON().layers[0] as { linearBeforeReset: boolean }).linearBeforeReset).toBe(true);
      const w = (direction: string, key: string) => tensors.find((t: { name: string }) => t.name.includes(direction) && t.name.endsWith(`/${key}`))?.values;
      for (const [B, T] of SHAPES) {
        const x = uniform(B * T * F, 1, prng(B * 100 + T));
        let expected: Float32Array;
        if (!bidirectional) {
          expected = kerasGru(x, B, T, F, H, w('', 'kernel')!, w('', 'recurrent_kernel')!, w('', 'bias'), true);
        } else {
          // Keras's Bidirectional: the backward layer's outputs, turned back to forward time, concatenated.
          const fwd = kerasGru(x, B, T, F, H, w('forward', 'kernel')!, w('forward', 'recurrent_kernel')!, w('forward', 'bias'), true);
          const bwd = kerasGru(x, B, T, F, H, w('backward', 'kernel')!, w('backward', 'recurrent_kernel')!, w('backward', 'bias'), true, true);
          expected = new Float32Array(B * T * 2 * H);
          for (let row = 0; row < B * T; row++) {
            expected.set(fwd.subarray(row * H, (row + 1) * H), row * 2 * H);
            expected.set(bwd.subarray(row * H, (row + 1) * H), row * 2 * H + H);
          }
        }
        expectMatch(recur.forward(x, { batch: B, seqLen: T }).output, expected, `GRU reset_after bidirectional=${bidirectional} bias=${useBias} batch ${B} seqLen ${T}`);
      }
      recur.dispose(); model.dispose();
    });
  }

  it('the rewritten reset_after model differs from reset_after: false (the test can fail)', async () => {
    const model = seq(tf.layers.gru({ units: H, returnSequences: true, ...SIGMOID, ...input }));
    randomizeWeights(model, 5);
    const saved = await saveTfjs(model);
    const tensors = savedTensors(saved);
    const bias = tensors[2];
    tensors[2] = { ...bias, shape: [2, 3 * H], values: Float32Array.from([...bias.values, ...uniform(3 * H, 0.5, prng(6))]) };
    const json = JSON.parse(saved.modelJson);
    json.modelTopology.config.layers[0].config.reset_after = true;
    const after = withWeights(json, tensors);
    const a = await importTfjs(after.modelJson, after.weights), b = await importTfjs(saved.modelJson, saved.weights);
    const x = uniform(2 * 4 * F, 1, prng(9));
    const ya = a.forward(x, { batch: 2, seqLen: 4 }).output, yb = b.forward(x, { batch: 2, seqLen: 4 }).output;
    expect(Math.max(...ya.map((v, i) => Math.abs(v - yb[i])))).toBeGreaterThan(1e-3);
    a.dispose(); b.dispose(); model.dispose();
  });
});
