// Gradients by central finite differences: for a model mixing every layer kind, and for each
// layer alone, ∂L/∂θ from backward() agrees with (L(θ+ε) − L(θ−ε)) / 2ε for sampled parameters
// and inputs, where L = Σ output ⊙ R for a fixed random R. float32 forward passes limit the
// finite differences to about 1e-3 relative, so the check is 2e-2 of the gradient's scale:
// loose enough for rounding, far too tight for a wrong sign, gate or time step. The options for
// long memory (dilation, leak, learnLeak) are checked the same way.

import { describe, expect, it } from 'vitest';
import { Embedding, GRU, Linear, LSTM, RNN, Sequential } from '../src/node/index.js';

function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * scale);
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * b[i], 0);
const EPS = 1e-2;
const TOL = 2e-2;

/** Compares analytic and numerical gradients for `count` sampled entries of each tensor. */
function checkTensor(name: string, analytic: Float32Array, value: Float32Array, set: (v: Float32Array) => void,
                     loss: () => number, count = 6) {
  const scale = Math.max(1e-3, ...Array.from(analytic, Math.abs));
  const picks = random(count, name.length * 7919 + analytic.length).map((r) => Math.floor(((r + 1) / 2) * value.length));
  for (const i of picks) {
    const keep = value[i];
    const plus = value.slice(); plus[i] = keep + EPS; set(plus);
    const lp = loss();
    const minus = value.slice(); minus[i] = keep - EPS; set(minus);
    const lm = loss();
    set(value);
    const numeric = (lp - lm) / (2 * EPS);
    if (Math.abs(numeric - analytic[i]) > TOL * scale) {
      expect.fail(`${name}[${i}]: backward ${analytic[i]}, finite difference ${numeric} (scale ${scale})`);
    }
  }
}

describe('finite differences', () => {
  it('Sequential embedding → LSTM (2 layers) → GRU (bidirectional) → RNN → Linear: every parameter tensor', async () => {
    const model = await Sequential.create({ layers: [
      { name: 'embed', type: 'embedding', numEmbeddings: 7, embeddingDim: 4, seed: 1 },
      { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 5, numLayers: 2, seed: 2 },
      { name: 'gru', type: 'gru', inputSize: 5, hiddenSize: 3, bidirectional: true, linearBeforeReset: false, seed: 3 },
      { name: 'rnn', type: 'rnn', inputSize: 6, hiddenSize: 4, seed: 4 },
      { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 3, seed: 5 },
    ] });
    const T = 6, B = 2;
    const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 5 + 1) % 7);
    const R = random(T * B * 3, 99);
    const loss = () => dot(model.forward(ids, { seqLen: T, batch: B }).output, R);
    const { tape } = model.forward(ids, { seqLen: T, batch: B, train: true });
    const g = tape!.backward({ output: R });
    const params = model.stateDict();
    for (const [name, value] of Object.entries(params)) {
      checkTensor(name, g.params[name], value, (v) => model.loadStateDict({ ...model.stateDict(), [name]: v }), loss);
    }
    model.dispose();
  });

  it.each([
    ['LSTM with peepholes, h0 and c0', () => LSTM.create({ inputSize: 3, hiddenSize: 4, peephole: true, seed: 6 })],
    ['GRU, batch-first', () => GRU.create({ inputSize: 3, hiddenSize: 4, batchFirst: true, seed: 7 })],
    // relu's kink makes a ±ε difference unreliable; relu gradients are checked against PyTorch.
    ['RNN tanh, bidirectional', () => RNN.create({ inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 8 })],
    // Long memory (dilation: skip connections through time; leak: leaky units, α fixed or learned).
    ['LSTM, 2 layers, dilation [2, 1], learned leak', () => LSTM.create({ inputSize: 3, hiddenSize: 4, numLayers: 2, dilation: [2, 1], learnLeak: true, leak: 0.4, seed: 9 })],
    ['GRU, bidirectional, dilation 3, leak 0.6', () => GRU.create({ inputSize: 3, hiddenSize: 4, bidirectional: true, dilation: 3, leak: 0.6, seed: 10 })],
    ['RNN tanh, bidirectional, learned leak, dilation 2', () => RNN.create({ inputSize: 3, hiddenSize: 4, bidirectional: true, learnLeak: true, dilation: 2, seed: 11 })],
  ] as const)('%s: input, initial state and parameters', async (_name, make) => {
    const layer = await make();
    const T = 5, B = 3, D = layer.numLayers * layer.numDirections, H = layer.hiddenSize;   // D: state rows
    const x = random(T * B * 3, 11);
    const h0 = random(D * B * H, 12, 0.5), c0 = random(D * B * H, 13, 0.5);
    const hasC = layer instanceof LSTM;
    const R = random(T * B * layer.outputSize, 14), Rh = random(D * B * H, 15), Rc = random(D * B * H, 16);
    const run = (input: Float32Array, h: Float32Array, c: Float32Array) => {
      const r = layer.forward(input, { seqLen: T, batch: B, h0: h, ...(hasC ? { c0: c } : {}) });
      return dot(r.output, R) + dot(r.h, Rh) + (hasC ? dot(r.c!, Rc) : 0);
    };
    const { tape } = layer.forward(x, { seqLen: T, batch: B, h0, ...(hasC ? { c0 } : {}), train: true });
    const g = tape!.backward({ output: R, h: Rh, ...(hasC ? { c: Rc } : {}) });
    let xNow = x, hNow = h0, cNow = c0;
    const loss = () => run(xNow, hNow, cNow);
    checkTensor('input', g.input, x, (v) => { xNow = v; }, loss, 10);
    checkTensor('h0', g.h0, h0, (v) => { hNow = v; }, loss, 10);
    if (hasC) checkTensor('c0', g.c0!, c0, (v) => { cNow = v; }, loss, 10);
    for (const [name, value] of Object.entries(layer.stateDict())) {
      checkTensor(name, g.params[name], value, (v) => layer.loadStateDict({ ...layer.stateDict(), [name]: v }), loss);
    }
    layer.dispose();
  });

  it('Linear and Embedding: weights, bias and (Linear) input', async () => {
    const lin = await Linear.create({ inFeatures: 5, outFeatures: 3, seed: 1 });
    const x = random(4 * 5, 2);
    const R = random(4 * 3, 3);
    const { tape } = lin.forwardTrain(x);
    const dx = tape.backward(R);
    let xNow = x;
    const loss = () => dot(lin.forward(xNow), R);
    checkTensor('input', dx, x, (v) => { xNow = v; }, loss, 10);
    const g = lin.gradients();
    for (const [name, value] of Object.entries(lin.stateDict())) {
      checkTensor(name, g[name], value, (v) => lin.loadStateDict({ ...lin.stateDict(), [name]: v }), loss);
    }
    const emb = await Embedding.create({ numEmbeddings: 6, embeddingDim: 3, seed: 4 });
    const ids = Int32Array.of(0, 5, 2, 5, 5);                     // repeated ids accumulate
    const Re = random(5 * 3, 5);
    emb.forwardTrain(ids).tape.backward(Re);
    const ge = emb.gradients().weight;
    const want = new Float32Array(6 * 3);
    ids.forEach((id, i) => { for (let j = 0; j < 3; j++) want[id * 3 + j] += Re[i * 3 + j]; });
    expect(ge).toEqual(want);
    lin.dispose(); emb.dispose();
  });
});
