// The floor: PyTorch's LSTM and GRU equations as plain JavaScript loops over Float32Arrays — what
// someone writes in an afternoon instead of adding a dependency. Same weights as recur; sums in
// doubles, Math.exp / Math.tanh. Inference only.
//
//   LSTM  i, f, g, o = σ, σ, tanh, σ (W_ih x + b_ih + W_hh h + b_hh);  c' = f c + i g;  h' = o tanh(c')
//   GRU   r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z});  n = tanh(W_in x + b_in + r (W_hn h + b_hn))
//         h' = (1 − z) n + z h

import { NotAvailable, T, torchWeights } from './common.js';

const sigmoid = (v) => 1 / (1 + Math.exp(-v));

/** One step of every row of the batch: x [B, I], h and c [B, H] updated in place; gates scratch [G·H]. */
function makeCell(model) {
  const { cell, inputSize: I, hiddenSize: H } = model;
  const w = torchWeights(model);
  const wih = w.weight_ih_l0, whh = w.weight_hh_l0, bih = w.bias_ih_l0, bhh = w.bias_hh_l0;
  const G = cell === 'lstm' ? 4 : 3;
  const gi = new Float64Array(G * H), gh = new Float64Array(G * H);

  return (x, xOff, h, c, B) => {
    for (let b = 0; b < B; b++) {
      const xo = xOff + b * I, ho = b * H;
      for (let r = 0; r < G * H; r++) {
        let si = bih[r], sh = bhh[r];
        const ri = r * I, rh = r * H;
        for (let k = 0; k < I; k++) si += wih[ri + k] * x[xo + k];
        for (let k = 0; k < H; k++) sh += whh[rh + k] * h[ho + k];
        gi[r] = si; gh[r] = sh;
      }
      if (cell === 'lstm') {
        for (let j = 0; j < H; j++) {
          const i = sigmoid(gi[j] + gh[j]), f = sigmoid(gi[H + j] + gh[H + j]);
          const g = Math.tanh(gi[2 * H + j] + gh[2 * H + j]), o = sigmoid(gi[3 * H + j] + gh[3 * H + j]);
          const cj = f * c[ho + j] + i * g;
          c[ho + j] = cj;
          h[ho + j] = o * Math.tanh(cj);
        }
      } else {
        for (let j = 0; j < H; j++) {
          const r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[H + j] + gh[H + j]);
          const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
          h[ho + j] = (1 - z) * n + z * h[ho + j];
        }
      }
    }
  };
}

export const peer = {
  id: 'naive',
  name: 'naive JS',
  setting: 'plain loops, no SIMD',
  weights: 'same',

  async load() { return { version: '-' }; },

  async stream(model) {
    const step = makeCell(model);
    const h = new Float32Array(model.hiddenSize), c = new Float32Array(model.hiddenSize);
    return { step: (x) => { step(x, 0, h, c, 1); return h.slice(); }, dispose() {} };
  },

  async sequence(model, batch) {
    const step = makeCell(model);
    const { inputSize: I, hiddenSize: H } = model;
    return {
      run(x) {
        const h = new Float32Array(batch * H), c = new Float32Array(batch * H);
        const y = new Float32Array(T * batch * H);
        for (let t = 0; t < T; t++) {
          step(x, t * batch * I, h, c, batch);
          y.set(h, t * batch * H);
        }
        return y;
      },
      dispose() {},
    };
  },

  async train() {
    throw new NotAvailable('inference only (no hand-written backward pass)');
  },

  /** This file: the loops are all there is to ship (weights come as for any peer). */
  download() {
    return [new URL(import.meta.url)];
  },
};
