// Options for long memory beyond PyTorch's cells: skip connections through time (dilation d:
// step t reads h_{t−d}, Chang et al. 2017) and leaky units (h_t = (1 − α) h_{t−d} + α h̃_t, α
// fixed or learned per unit). Their gradients are checked against PyTorch in
// memory.options.golden.test.ts and by finite differences in gradients.finite-difference.test.ts;
// this file states the rest: what a dilation means, that streams equal forward() bit for bit,
// that model files and state snapshots keep the options, and the options' errors.

import { describe, expect, it } from 'vitest';
import {
  GRU, loadModel, LSTM, RecurFormatError, RecurOptionError, RNN, saveModel, Sequential, type LayerDescription,
} from '../src/node/index.js';
import { Trainer } from '../src/train/index.js';

function inputs(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2);
}

const I = 4;

describe('a dilation d runs d interleaved sequences', () => {
  it.each([['lstm', 3], ['gru', 2], ['rnn', 4]] as const)('%s, d = %i: forward() equals the plain layer over the d sub-sequences t ≡ r (mod d)', async (type, d) => {
    const T = 4 * d, B = 2, H = 5;
    const make = { lstm: LSTM, gru: GRU, rnn: RNN }[type];
    const dilated = await make.create({ inputSize: I, hiddenSize: H, dilation: d, seed: 1 });
    const plain = await make.create({ inputSize: I, hiddenSize: H, seed: 1 });
    const x = inputs(T * B * I, 2);
    // [T, B, I] → [T/d, d·B, I]: row (k, r, b) is step k·d + r of sequence b.
    const sub = new Float32Array(x.length);
    for (let t = 0; t < T; t++) sub.set(x.subarray(t * B * I, (t + 1) * B * I), (Math.floor(t / d) * d * B + (t % d) * B) * I);
    const a = dilated.forward(x, { seqLen: T, batch: B });
    const b = plain.forward(sub, { seqLen: T / d, batch: d * B });
    for (let t = 0; t < T; t++) {
      const row = (Math.floor(t / d) * d * B + (t % d) * B) * H;
      expect(a.output.subarray(t * B * H, (t + 1) * B * H)).toEqual(b.output.subarray(row, row + B * H));
    }
    // The final state is step T − 1's: the last sub-sequence's.
    expect(a.h).toEqual(a.output.subarray((T - 1) * B * H));
    dilated.dispose(); plain.dispose();
  });

  it('every sub-sequence starts from h0 (and c0)', async () => {
    const lstm = await LSTM.create({ inputSize: I, hiddenSize: 3, dilation: 3, seed: 2 });
    const plain = await LSTM.create({ inputSize: I, hiddenSize: 3, seed: 2 });
    const x = inputs(3 * I, 3), h0 = inputs(3, 4), c0 = inputs(3, 5);
    const a = lstm.forward(x, { seqLen: 3, batch: 1, h0, c0 });
    for (let t = 0; t < 3; t++) {
      const b = plain.forward(x.subarray(t * I, (t + 1) * I), { seqLen: 1, batch: 1, h0, c0 });
      expect(a.output.subarray(t * 3, (t + 1) * 3)).toEqual(b.output);
    }
    lstm.dispose(); plain.dispose();
  });
});

describe('leaky units', () => {
  it('leak α mixes the cell output into the state it read: h_t = h_{t−1} + α (h̃_t − h_{t−1})', async () => {
    const alpha = 0.25;
    const leaky = await RNN.create({ inputSize: I, hiddenSize: 6, leak: alpha, seed: 3 });
    const plain = await RNN.create({ inputSize: I, hiddenSize: 6, seed: 3 });
    const x = inputs(5 * I, 6);
    const out = leaky.forward(x, { seqLen: 5 }).output;
    let h = new Float32Array(6);
    for (let t = 0; t < 5; t++) {
      const cell = plain.forward(x.subarray(t * I, (t + 1) * I), { seqLen: 1, h0: h }).output;
      const next = h.map((v, j) => v + alpha * (cell[j] - v));
      for (let j = 0; j < 6; j++) expect(out[t * 6 + j]).toBeCloseTo(next[j], 6);
      h = out.slice(t * 6, (t + 1) * 6);
    }
    leaky.dispose(); plain.dispose();
  });

  it('learnLeak starts every unit at α = leak (default ½) through leak_logit = log(α / (1 − α))', async () => {
    const a = await GRU.create({ inputSize: I, hiddenSize: 3, numLayers: 2, learnLeak: true, leak: 0.2, seed: 4 });
    expect(a.stateDict().leak_logit_l1).toEqual(new Float32Array(3).fill(Math.log(0.2 / 0.8)));
    const b = await LSTM.create({ inputSize: I, hiddenSize: 3, bidirectional: true, learnLeak: true });
    expect(Object.keys(b.stateDict()).filter((k) => k.startsWith('leak'))).toEqual(['leak_logit_l0', 'leak_logit_l0_reverse']);
    expect(b.stateDict().leak_logit_l0).toEqual(new Float32Array(3));
    a.dispose(); b.dispose();
  });

  it('leak 1 is no leak: the same numbers as PyTorch\'s cell, and not recorded', async () => {
    const a = await LSTM.create({ inputSize: I, hiddenSize: 5, leak: 1, seed: 5 });
    const b = await LSTM.create({ inputSize: I, hiddenSize: 5, seed: 5 });
    const x = inputs(6 * I, 7);
    expect(a.forward(x).output).toEqual(b.forward(x).output);
    expect(a.toJSON()).toEqual(b.toJSON());
    a.dispose(); b.dispose();
  });
});

const STREAMED: [string, LayerDescription][] = [
  ['LSTM, 2 layers, dilation [2, 3], learned leak', { name: 'r', type: 'lstm', inputSize: I, hiddenSize: 7, numLayers: 2, dilation: [2, 3], learnLeak: true, leak: 0.3, seed: 1 }],
  ['GRU, dilation 4, leak 0.5', { name: 'r', type: 'gru', inputSize: I, hiddenSize: 9, dilation: 4, leak: 0.5, seed: 2 }],
  ['GRU (original), learned leak', { name: 'r', type: 'gru', inputSize: I, hiddenSize: 5, linearBeforeReset: false, learnLeak: true, seed: 3 }],
  ['RNN relu, 3 layers, dilation [1, 2, 5], leak 0.7', { name: 'r', type: 'rnn', inputSize: I, hiddenSize: 4, numLayers: 3, nonlinearity: 'relu', dilation: [1, 2, 5], leak: 0.7, seed: 4 }],
  ['LSTM, dilation 20 (longer than the sequence)', { name: 'r', type: 'lstm', inputSize: I, hiddenSize: 33, dilation: 20, seed: 5 }],
];

describe('streams equal forward() bit for bit', () => {
  for (const B of [1, 3]) {
    it.each(STREAMED)(`batch ${B}, %s: step() T times, steps() in two calls, and a snapshot taken half-way`, async (_name, layer) => {
      const model = await Sequential.create({ layers: [layer] });
      const T = 13, H = (layer as { hiddenSize: number }).hiddenSize;
      const x = inputs(T * B * I, 8);
      const whole = model.forward(x, { seqLen: T, batch: B }).output;
      const s = model.stream({ batch: B });
      let half: Uint8Array | undefined;
      for (let t = 0; t < T; t++) {
        expect(s.step(x.subarray(t * B * I, (t + 1) * B * I))).toEqual(whole.subarray(t * B * H, (t + 1) * B * H));
        if (t === 6) half = s.saveState();
      }
      const resumed = model.stream({ batch: B });
      resumed.loadState(half!);
      expect(resumed.steps(x.subarray(7 * B * I), T - 7)).toEqual(whole.subarray(7 * B * H));
      resumed.reset();
      expect(resumed.steps(x.subarray(0, 5 * B * I), 5)).toEqual(whole.subarray(0, 5 * B * H));
      expect(resumed.steps(x.subarray(5 * B * I), T - 5)).toEqual(whole.subarray(5 * B * H));
      s.dispose(); resumed.dispose(); model.dispose();
    });
  }

  it('a snapshot whose ring slot (phase) is not an integer in [0, d) is refused', async () => {
    const model = await Sequential.create({ layers: [STREAMED[1][1]] });
    const s = model.stream();
    s.step(inputs(I, 9));
    const bytes = s.saveState();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    // Tensors: h ring (4·9 floats), then the phase (1 float), after a 20 + 2·4 byte header.
    const phaseAt = 28 + 4 * 36;
    expect(view.getFloat32(phaseAt, true)).toBe(1);
    for (const bad of [4, -1, 1.5, NaN, 1e9]) {
      view.setFloat32(phaseAt, bad, true);
      expect(() => s.loadState(bytes)).toThrow(RecurFormatError);
      expect(() => s.loadState(bytes)).toThrow(/phase_l0\[0\] is .*an integer in \[0, 4\)/);
    }
    s.dispose(); model.dispose();
  });
});

describe('model files record the options', () => {
  it.each(STREAMED)('%s: saveModel → loadModel gives the same description, parameters and outputs', async (_name, layer) => {
    const model = await Sequential.create({ layers: [layer] });
    const loaded = await loadModel(saveModel(model), { runtime: model.runtime });
    expect(loaded.toJSON()).toEqual(model.toJSON());
    const x = inputs(9 * 2 * I, 10);
    expect(loaded.forward(x, { seqLen: 9, batch: 2 }).output).toEqual(model.forward(x, { seqLen: 9, batch: 2 }).output);
    model.dispose(); loaded.dispose();
  });

  it('toJSON: one dilation for every layer is a number, different ones an array; defaults are left out', async () => {
    const a = await LSTM.create({ inputSize: 2, hiddenSize: 3, numLayers: 2, dilation: [4, 4], leak: 0.5 });
    expect(a.toJSON()).toMatchObject({ dilation: 4, leak: 0.5 });
    const b = await RNN.create({ inputSize: 2, hiddenSize: 3, numLayers: 2, dilation: [1, 8], learnLeak: true });
    expect(b.toJSON()).toMatchObject({ dilation: [1, 8], learnLeak: true });
    const c = await GRU.create({ inputSize: 2, hiddenSize: 3, dilation: 1, learnLeak: false });
    expect(Object.keys(c.toJSON())).not.toContain('dilation');
    expect(Object.keys(c.toJSON())).not.toContain('learnLeak');
    a.dispose(); b.dispose(); c.dispose();
  });
});

describe('training', () => {
  it('a learned leak is trained like any parameter; a dilated model refuses tbptt and checkpointEvery', async () => {
    const model = await Sequential.create({ layers: [
      { name: 'rnn', type: 'lstm', inputSize: I, hiddenSize: 6, dilation: 2, learnLeak: true, seed: 1 },
      { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 1, seed: 2 },
    ] });
    const trainer = new Trainer(model, { loss: 'mse', optimizer: 'adam', lr: 0.05 });
    const x = inputs(8 * 2 * I, 11), y = inputs(8 * 2, 12);
    const before = model.stateDict()['rnn.leak_logit_l0'];
    const first = trainer.step(x, y, { seqLen: 8, batch: 2, diagnostics: true });
    expect(first.diagnostics).toBeDefined();
    let loss = first.loss;
    for (let i = 0; i < 30; i++) loss = trainer.step(x, y, { seqLen: 8, batch: 2 }).loss;
    expect(loss).toBeLessThan(first.loss);
    expect(model.stateDict()['rnn.leak_logit_l0']).not.toEqual(before);
    expect(() => new Trainer(model, { loss: 'mse', tbptt: { stepsPerUpdate: 4 } })).toThrow(/rnn has a dilation.*full BPTT/);
    expect(() => new Trainer(model, { loss: 'mse', checkpointEvery: 4 })).toThrow(RecurOptionError);
    trainer.dispose(); model.dispose();
  });
});

describe('option errors name the option and the value', () => {
  it.each([
    [{ dilation: 0 }, /dilation must be a positive integer, got 0/],
    [{ dilation: 1.5 }, /dilation must be a positive integer/],
    [{ dilation: 2 ** 20 }, /dilation must be at most 65536/],
    [{ numLayers: 2, dilation: [1] }, /dilation has 1 entries, one per layer is 2/],
    [{ numLayers: 2, dilation: [1, 'x'] }, /dilation\[1\] must be a positive integer/],
    [{ leak: 0 }, /leak must be a rate α in \(0, 1\]/],
    [{ leak: 1.5 }, /leak must be a rate α in \(0, 1\]/],
    [{ leak: Number.NaN }, /leak must be/],
    [{ learnLeak: true, leak: 1 }, /leak must be the initial rate α in \(0, 1\)/],
    [{ learnLeak: 'yes' }, /learnLeak must be true or false/],
  ])('%j', async (bad, message) => {
    await expect(LSTM.create({ inputSize: 2, hiddenSize: 3, ...(bad as object) })).rejects.toThrow(RecurOptionError);
    await expect(LSTM.create({ inputSize: 2, hiddenSize: 3, ...(bad as object) })).rejects.toThrow(message);
  });
});
