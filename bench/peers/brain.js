// brain.js 1.6 (the latest release on npm; 2.0 is a beta that needs headless-gl's native build).
// Timed only, never checked against recur: it cannot load PyTorch weights, and its cells are not
// the standard ones — its LSTM's forget gate multiplies the previous *output* h, and no cell
// state c is carried (h = o ⊙ tanh(f ⊙ h + i ⊙ g)); its GRU applies the reset gate before the
// recurrent product (Cho et al. 2014), not after like PyTorch. Same sizes, its own random weights.
//
// Its numeric API, LSTMTimeStep / GRUTimeStep, runs a whole sequence from a zero state per run()
// call and adds an output layer (here of size 1, the smallest) and one extra step (end()); there
// is no way to carry the state across calls, so a "streaming step" is run([x]). It has no batch:
// batch 16 would be 16 separate sequences.

import { CHAR, NotAvailable, T, charBatch, packageVersion } from './common.js';

let brain;

function timeStepNet(model) {
  const Net = model.cell === 'lstm' ? brain.recurrent.LSTMTimeStep : brain.recurrent.GRUTimeStep;
  const net = new Net({ inputSize: model.inputSize, hiddenLayers: [model.hiddenSize], outputSize: 1 });
  net.initialize();
  net.bindEquation();      // what train() would do first; run() refuses an untrained net otherwise
  return net;
}

const rows = (x, n, width) => Array.from({ length: n }, (_, t) => Array.from(x.subarray(t * width, (t + 1) * width)));

export const peer = {
  id: 'brain',
  name: 'brain.js',
  setting: 'JavaScript, non-standard cells',
  weights: 'own (cannot load PyTorch weights; different cell)',

  async load() {
    brain = (await import('brain.js')).default;
    return { version: packageVersion('brain.js') };
  },

  async stream(model) {
    const net = timeStepNet(model);
    return { step: (x) => net.run([x]), dispose() {} };
  },

  async sequence(model, batch) {
    if (batch !== 1) throw new NotAvailable('no batched run: 16 sequences are 16 separate run() calls');
    const net = timeStepNet(model);
    return { prepare: (x) => rows(x, T, model.inputSize), run: (xs) => net.run(xs), dispose() {} };
  },

  // brain.recurrent.LSTM is its character model: an input embedding (inputSize 64) → LSTM 128 →
  // softmax over the vocabulary. train() over 16 strings of 65 characters is 16 forward/backward
  // passes and 16 weight updates (it has no batch), with its own optimizer (RMSProp-like, clipping).
  async train() {
    const { ids, targets } = charBatch();
    const { seqLen: S, batch: B } = CHAR;
    const char = (id) => String.fromCharCode(48 + id);      // 64 distinct printable characters
    const data = Array.from({ length: B }, (_, b) => {
      let s = '';
      for (let t = 0; t < S; t++) s += char(ids[t * B + b]);
      return s + char(targets[(S - 1) * B + b]);
    });
    const net = new brain.recurrent.LSTM({ inputSize: CHAR.embed, hiddenLayers: [CHAR.hiddenSize] });
    return {
      step: () => net.train(data, { iterations: 1, errorThresh: 0, log: false }).error,
      dispose() {},
      note: '16 one-sequence updates (no batch), own optimizer',
    };
  },

  download() {
    return [new URL('../../node_modules/brain.js/browser.min.js', import.meta.url)];
  },
};
