// Backpropagation through time against PyTorch autograd: for every golden configuration
// (test/fixtures/grads, made by make_torch_grads.py and make_onnx_cells_grads.py), the gradients
// of loss = Σ output·dOutput + Σ h_n·dh_n (+ Σ c_n·dc_n) with respect to every parameter, the
// input and the initial states agree within 1e-4 of the largest magnitude.

import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/node/index.js';
import { loadGolden, relativeError, type GoldenCase } from './helpers.js';

const TOLERANCE = 1e-4;
const NOT_PARAMS = /^(input|h0|c0|dOutput|dh_n|dc_n|grad\..*)$/;

async function makeLayer(c: GoldenCase) {
  const options = {
    inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bias: c.bias,
    batchFirst: c.batchFirst, bidirectional: c.bidirectional,
  };
  if (c.mode === 'lstm') return LSTM.create(options);
  if (c.mode === 'lstm_peephole') return LSTM.create({ ...options, peephole: true });
  if (c.mode === 'gru') return GRU.create(options);
  if (c.mode === 'gru_lbr0') return GRU.create({ ...options, linearBeforeReset: false });
  return RNN.create({ ...options, nonlinearity: c.mode === 'rnn_relu' ? 'relu' : 'tanh' });
}

/** Worst relative error over every gradient the fixture has. */
async function gradientErrors(c: GoldenCase): Promise<Record<string, number>> {
  const layer = await makeLayer(c);
  try {
    const t = c.tensors;
    layer.loadStateDict(Object.fromEntries(Object.entries(t).filter(([n]) => !NOT_PARAMS.test(n))));
    const { tape } = layer.forward(t.input, { seqLen: c.seqLen, batch: c.batch, h0: t.h0, c0: t.c0, train: true });
    const g = tape!.backward({ output: t.dOutput, h: t.dh_n, c: t.dc_n });
    const errors: Record<string, number> = { input: relativeError(g.input, t['grad.input']) };
    if (t['grad.h0']) errors.h0 = relativeError(g.h0, t['grad.h0']);
    if (t['grad.c0']) errors.c0 = relativeError(g.c0!, t['grad.c0']);
    for (const [name, want] of Object.entries(t)) {
      if (name.startsWith('grad.') && name.slice(5) in g.params) errors[name.slice(5)] = relativeError(g.params[name.slice(5)], want);
    }
    expect(Object.keys(errors).length).toBe(Object.keys(t).filter((n) => n.startsWith('grad.')).length);
    return errors;
  } finally {
    layer.dispose();
  }
}

for (const file of ['torch_grads.json', 'onnx_cells_grads.json']) {
  const cases = loadGolden(`../grads/${file}`);
  describe(`gradients match ${file}`, () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const errors = await gradientErrors(c);
      for (const [name, err] of Object.entries(errors)) {
        if (!(err <= TOLERANCE)) expect.fail(`${name}: relative error ${err.toExponential(2)}`);
      }
    });
  });
}
