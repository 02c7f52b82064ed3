// int8 and f16 weights: the int8 kernels compute what the dequantized weights would (so the only
// error is the weights' rounding and the activations' 15-bit rounding), models stay close to
// f32, int8 files round-trip the exact int8 values, and streams on int8 equal forward() bit for bit.

import { describe, expect, it } from 'vitest';
import {
  GRU, Linear, LSTM, loadModel, quantize, RecurOptionError, RNN, saveModel, Sequential, type LayerDescription,
} from '../src/node/index.js';
import { relativeError } from './helpers.js';

function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * scale);
}

const LAYERS: LayerDescription[] = [
  { name: 'embed', type: 'embedding', numEmbeddings: 30, embeddingDim: 16, seed: 1 },
  { name: 'lstm', type: 'lstm', inputSize: 16, hiddenSize: 45, numLayers: 2, seed: 2 },
  { name: 'gru', type: 'gru', inputSize: 45, hiddenSize: 33, linearBeforeReset: false, seed: 3 },
  { name: 'rnn', type: 'rnn', inputSize: 33, hiddenSize: 20, nonlinearity: 'relu', seed: 4 },
  { name: 'head', type: 'linear', inFeatures: 20, outFeatures: 30, seed: 5 },
];
const T = 19, B = 3;
const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 7 + 2) % 30);

describe('int8 weights', () => {
  it('each layer kind with int8 weights equals the same layer with the dequantized f32 weights, up to activation rounding', async () => {
    for (const [name, make] of [
      ['lstm', (q?: 'int8') => LSTM.create({ inputSize: 37, hiddenSize: 50, bidirectional: true, peephole: true, quantize: q, seed: 6 })],
      ['gru', (q?: 'int8') => GRU.create({ inputSize: 37, hiddenSize: 50, numLayers: 2, quantize: q, seed: 7 })],
      ['gru lbr0', (q?: 'int8') => GRU.create({ inputSize: 37, hiddenSize: 18, linearBeforeReset: false, quantize: q, seed: 8 })],
      ['rnn', (q?: 'int8') => RNN.create({ inputSize: 37, hiddenSize: 50, quantize: q, seed: 9 })],
    ] as const) {
      const q = await make('int8');
      const f = await make();
      f.loadStateDict(q.stateDict());          // the dequantized weights, as f32
      const x = random(T * B * 37, 10);
      const a = q.forward(x, { seqLen: T, batch: B }), b = f.forward(x, { seqLen: T, batch: B });
      const err = relativeError(a.output, b.output);
      expect(err, name).toBeLessThan(2e-4);     // int16 activations: ≈ 3e-5 per product
      q.dispose(); f.dispose();
    }
  });

  it('a whole model quantized with quantize(model, "int8") stays within 2% of f32 and 4× smaller in its matrices', async () => {
    const model = await Sequential.create({ layers: LAYERS });
    const q8 = await quantize(model, 'int8');
    const a = model.forward(ids, { seqLen: T, batch: B }).output, b = q8.forward(ids, { seqLen: T, batch: B }).output;
    expect(relativeError(b, a)).toBeLessThan(2e-2);
    expect(model.stateDict()).not.toEqual(q8.stateDict());
    expect(q8.toJSON().layers.filter((l) => (l as { quantize?: string }).quantize === 'int8')).toHaveLength(4);
    const before = model.runtime.bytesInUse;
    const bigF = await Linear.create({ inFeatures: 512, outFeatures: 512 }, model.runtime);
    const f32Bytes = model.runtime.bytesInUse - before;
    const bigQ = await Linear.create({ inFeatures: 512, outFeatures: 512, quantize: 'int8' }, model.runtime);
    const q8Bytes = model.runtime.bytesInUse - before - f32Bytes;
    expect(q8Bytes / f32Bytes).toBeLessThan(0.27);
    bigF.dispose(); bigQ.dispose(); model.dispose(); q8.dispose();
  });

  it('int8 files: saveModel(…, { dtype: "int8" }) writes I8 + row scales, and loading keeps the int8 values', async () => {
    const model = await Sequential.create({ layers: LAYERS });
    const bytes = saveModel(model, { dtype: 'int8' });
    expect(bytes.length).toBeLessThan(saveModel(model).length * 0.4);
    const loaded = await loadModel(bytes);
    const q8 = await quantize(model, 'int8');
    expect(loaded.forward(ids, { seqLen: T, batch: B }).output).toEqual(q8.forward(ids, { seqLen: T, batch: B }).output);
    // Saving the loaded model again reproduces the same int8 model.
    const again = await loadModel(saveModel(loaded, { dtype: 'int8' }));
    expect(again.forward(ids, { seqLen: T, batch: B }).output).toEqual(loaded.forward(ids, { seqLen: T, batch: B }).output);
    model.dispose(); loaded.dispose(); q8.dispose(); again.dispose();
  });

  it('a stream on an int8 model equals its forward() bit for bit', async () => {
    const model = await quantize(await Sequential.create({ layers: LAYERS }), 'int8');
    const whole = model.forward(ids, { seqLen: T, batch: B }).output;
    const s = model.stream({ batch: B });
    for (let t = 0; t < T; t++) expect(s.step(ids.subarray(t * B, (t + 1) * B))).toEqual(whole.subarray(t * B * 30, (t + 1) * B * 30));
    s.dispose(); model.dispose();
  });

  it('int8 layers refuse training, with a clear message', async () => {
    const q = await LSTM.create({ inputSize: 3, hiddenSize: 4, quantize: 'int8' });
    expect(() => q.forward(new Float32Array(6), { train: true })).toThrow(RecurOptionError);
    expect(() => q.forward(new Float32Array(6), { train: true })).toThrow(/train the float model and quantize/);
    q.dispose();
  });
});

describe('f16 weights', () => {
  it('quantize(model, "f16") rounds weights to half precision; saving as f16 is then lossless', async () => {
    const model = await Sequential.create({ layers: LAYERS });
    const h = await quantize(model, 'f16');
    expect(relativeError(h.forward(ids, { seqLen: T, batch: B }).output, model.forward(ids, { seqLen: T, batch: B }).output)).toBeLessThan(2e-3);
    const loaded = await loadModel(saveModel(h, { dtype: 'f16' }));
    expect(loaded.stateDict()).toEqual(h.stateDict());
    model.dispose(); h.dispose(); loaded.dispose();
  });
});
