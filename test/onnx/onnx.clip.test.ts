// ONNX's cell clip: LSTM, GRU (both forms) and RNN nodes with clip = 0.7 import with recur's
// `clip` option and give onnxruntime's outputs (test/fixtures/onnx/clip, made by
// make_clip_models.py and ort_reference.mjs; ONNX 1.12's reference code has no clip). The
// "saturating" input drives the LSTM cell state past the clip, which onnxruntime — and recur —
// leave unclipped: only gate pre-activations are clamped.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/index.js';
import { LSTM, RecurOptionError } from '../../src/node/index.js';
import { relativeError } from '../helpers.js';

const dir = new URL('../fixtures/onnx/clip/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8'));

describe('cell clip', () => {
  for (const model of ['lstm', 'gru0', 'gru1', 'rnn']) {
    it(`${model}: recur's clip equals onnxruntime's on both inputs`, async () => {
      const net = await importOnnx(readFileSync(new URL(`${model}.onnx`, dir)));
      const layer = net.layers[0].layer as unknown as { clip?: number };
      expect(layer.clip).toBeCloseTo(0.7, 6);
      for (const c of Object.values<any>(expected.cases)) {
        const y = net.forward(Float32Array.from(c.input), { seqLen: c.seqLen, batch: 2 }).output;
        expect(relativeError(y, Float32Array.from(c.outputs[model]))).toBeLessThan(1e-5);
        // Streaming runs the same clipped kernels.
        const s = net.stream({ batch: 2 });
        expect(s.steps(Float32Array.from(c.input), c.seqLen)).toEqual(y);
      }
      net.dispose();
    });
  }

  it('a clip no pre-activation reaches changes nothing; training a clipped cell is refused', async () => {
    const plain = await LSTM.create({ inputSize: 3, hiddenSize: 4, seed: 1 });
    const wide = await LSTM.create({ inputSize: 3, hiddenSize: 4, seed: 1, clip: 1e6 });
    const x = Float32Array.from({ length: 5 * 3 }, (_, i) => Math.sin(i));
    expect(wide.forward(x).output).toEqual(plain.forward(x).output);
    expect(() => wide.forward(x, { train: true })).toThrow(/inference only/);
    await expect(LSTM.create({ inputSize: 3, hiddenSize: 4, clip: -1 })).rejects.toBeInstanceOf(RecurOptionError);
    expect(wide.toJSON().clip).toBe(1e6);
    plain.dispose(); wide.dispose();
  });
});
