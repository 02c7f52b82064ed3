// Runs one golden case (test/fixtures/golden) through recur and returns the relative errors.

import { GRU, LSTM, RNN } from '../src/node/index.js';
import { relativeError, type GoldenCase } from './helpers.js';

const OUTPUTS = new Set(['input', 'h0', 'c0', 'output', 'h_n', 'c_n']);

export async function runGolden(c: GoldenCase) {
  const options = {
    inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bias: c.bias,
    batchFirst: c.batchFirst, bidirectional: c.bidirectional,
  };
  const layer =
    c.mode === 'lstm' ? await LSTM.create(options)
    : c.mode === 'lstm_peephole' ? await LSTM.create({ ...options, peephole: true })
    : c.mode === 'gru' || c.mode === 'gru_lbr1' ? await GRU.create(options)
    : c.mode === 'gru_lbr0' ? await GRU.create({ ...options, linearBeforeReset: false })
    : await RNN.create({ ...options, nonlinearity: c.mode === 'rnn_relu' ? 'relu' : 'tanh' });
  try {
    const weights = Object.fromEntries(Object.entries(c.tensors).filter(([name]) => !OUTPUTS.has(name)));
    layer.loadStateDict(weights);
    const { tensors: t } = c;
    const r = layer.forward(t.input, { seqLen: c.seqLen, batch: c.batch, h0: t.h0, c0: t.c0 });
    return {
      output: relativeError(r.output, t.output),
      h: relativeError(r.h, t.h_n),
      c: t.c_n ? relativeError(r.c!, t.c_n) : 0,
    };
  } finally {
    layer.dispose();
  }
}
