// A stream is forward() cut into steps: for every layer kind and stack, T calls of step() (or one
// call of steps()) give the same outputs and final state as one forward() over the T steps.
// The kernels are the same and every GEMM row is summed in the same order whatever the batch
// (assembly/gemm.ts), so the results are not just close but bit-identical. Batch 1 runs a
// stream's step through the one-row path that does both products in one pass (gemvPair);
// batch 3 through the two-row block plus a lone row.

import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN, Sequential, type LayerDescription } from '../src/node/index.js';

const T = 13;

function inputs(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2);
}

/** Rows of step t for batch B from a time-major [T, B, F] array. */
const stepOf = (a: Float32Array, t: number, F: number, B: number) => a.subarray(t * B * F, (t + 1) * B * F);

const LAYERS: [string, () => Promise<LSTM | GRU | RNN>][] = [
  ['LSTM', () => LSTM.create({ inputSize: 5, hiddenSize: 7, seed: 1 })],
  ['LSTM, 2 layers, peephole, no bias', () => LSTM.create({ inputSize: 5, hiddenSize: 9, numLayers: 2, peephole: true, bias: false, seed: 2 })],
  ['GRU', () => GRU.create({ inputSize: 5, hiddenSize: 20, seed: 3 })],
  ['GRU, linearBeforeReset false, 2 layers', () => GRU.create({ inputSize: 5, hiddenSize: 6, numLayers: 2, linearBeforeReset: false, seed: 4 })],
  ['RNN tanh', () => RNN.create({ inputSize: 5, hiddenSize: 33, seed: 5 })],
  ['RNN relu, 3 layers', () => RNN.create({ inputSize: 5, hiddenSize: 4, numLayers: 3, nonlinearity: 'relu', seed: 6 })],
  // 4·28 = 112 gate columns: one row runs two three-panel passes and a lone panel (gemm.ts)
  ['LSTM, 28 hidden', () => LSTM.create({ inputSize: 5, hiddenSize: 28, seed: 8 })],
];

for (const B of [1, 3]) {
  describe(`batch ${B}: stream of one recurrent layer ≡ forward()`, () => {
    it.each(LAYERS)('%s: step() T times', async (_name, make) => {
      const layer = await make();
      const x = inputs(T * B * 5, 7);
      const whole = layer.forward(x, { seqLen: T, batch: B });
      const s = layer.stream({ batch: B });
      const H = layer.hiddenSize;
      for (let t = 0; t < T; t++) {
        const y = s.step(stepOf(x, t, 5, B));
        expect(y).toEqual(stepOf(whole.output, t, H, B));       // bit-identical
      }
      // The state the stream ends with is forward()'s final h (and c): continuing from it agrees.
      const x2 = inputs(4 * B * 5, 17);
      const next = layer.forward(x2, { seqLen: 4, batch: B, h0: whole.h, ...(whole.c ? { c0: whole.c } : {}) });
      expect(s.steps(x2, 4)).toEqual(next.output);
      s.dispose(); layer.dispose();
    });

    it.each(LAYERS)('%s: steps() in one call, then continuing, equals forward() with h0', async (_name, make) => {
      const layer = await make();
      const x = inputs(T * B * 5, 8);
      const whole = layer.forward(x, { seqLen: T, batch: B });
      const s = layer.stream({ batch: B });
      const first = s.steps(x.subarray(0, 5 * B * 5), 5);
      const rest = s.steps(x.subarray(5 * B * 5), T - 5);
      const H = layer.hiddenSize;
      expect(first).toEqual(whole.output.subarray(0, 5 * B * H));
      expect(rest).toEqual(whole.output.subarray(5 * B * H));
      s.dispose(); layer.dispose();
    });
  });

  describe(`batch ${B}: stream of a Sequential ≡ forward()`, () => {
    const stacks: [string, LayerDescription[], boolean][] = [
      ['embedding → LSTM ×2 → linear', [
        { name: 'embed', type: 'embedding', numEmbeddings: 11, embeddingDim: 6, seed: 1 },
        { name: 'lstm', type: 'lstm', inputSize: 6, hiddenSize: 8, numLayers: 2, seed: 2 },
        { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 11, seed: 3 }], true],
      ['GRU → RNN → linear → linear', [
        { name: 'gru', type: 'gru', inputSize: 4, hiddenSize: 10, seed: 1 },
        { name: 'rnn', type: 'rnn', inputSize: 10, hiddenSize: 5, nonlinearity: 'relu', seed: 2 },
        { name: 'mid', type: 'linear', inFeatures: 5, outFeatures: 17, seed: 3 },
        { name: 'out', type: 'linear', inFeatures: 17, outFeatures: 2, bias: false, seed: 4 }], false],
    ];

    it.each(stacks)('%s', async (_name, layers, ids) => {
      const model = await Sequential.create({ layers });
      const I = ids ? 1 : 4;
      const x = ids ? Int32Array.from({ length: T * B }, (_, i) => (i * 7) % 11) : inputs(T * B * 4, 9);
      const whole = model.forward(x, { seqLen: T, batch: B });
      const O = whole.output.length / (T * B);
      const s = model.stream({ batch: B });
      for (let t = 0; t < T; t++) {
        expect(s.step(x.subarray(t * B * I, (t + 1) * B * I))).toEqual(stepOf(whole.output, t, O, B));
      }
      s.dispose(); model.dispose();
    });
  });
}
