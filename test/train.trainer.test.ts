// The Trainer's modes and safeguards: checkpointed BPTT computes exactly full BPTT's gradients;
// truncated BPTT carries detached state between chunks; a non-finite loss or gradient never
// reaches the weights; frozen layers stay put; schedules set the learning rate.

import { describe, expect, it } from 'vitest';
import { RecurOptionError, Sequential, type LayerDescription } from '../src/node/index.js';
import { Trainer } from '../src/train/index.js';
import { relativeError } from './helpers.js';

const LAYERS: LayerDescription[] = [
  { name: 'embed', type: 'embedding', numEmbeddings: 10, embeddingDim: 6, seed: 1 },
  { name: 'lstm', type: 'lstm', inputSize: 6, hiddenSize: 8, numLayers: 2, seed: 2 },
  { name: 'gru', type: 'gru', inputSize: 8, hiddenSize: 7, seed: 3 },
  { name: 'head', type: 'linear', inFeatures: 7, outFeatures: 10, seed: 4 },
];
const T = 23, B = 3;
const inputs = Int32Array.from({ length: T * B }, (_, i) => (i * 7 + 3) % 10);
const targets = Int32Array.from({ length: T * B }, (_, i) => (i * 3 + 1) % 10);

describe('Trainer', () => {
  it('checkpointEvery gives full BPTT’s loss, gradient norm and update, for several segment lengths', async () => {
    const reference = await Sequential.create({ layers: LAYERS });
    const full = new Trainer(reference, { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.1 });
    const want = full.step(inputs, targets, { seqLen: T, batch: B });
    const wantWeights = reference.stateDict();
    for (const k of [1, 4, 7, 22, 23, 50]) {
      const m = await Sequential.create({ layers: LAYERS });
      const t = new Trainer(m, { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.1, checkpointEvery: k });
      const got = t.step(inputs, targets, { seqLen: T, batch: B });
      expect(Math.abs(got.loss - want.loss) / want.loss, `loss, k=${k}`).toBeLessThan(1e-6);
      expect(Math.abs(got.gradNorm - want.gradNorm) / want.gradNorm, `grad norm, k=${k}`).toBeLessThan(1e-5);
      const weights = m.stateDict();
      for (const [name, w] of Object.entries(wantWeights)) expect(relativeError(weights[name], w), `${name}, k=${k}`).toBeLessThan(1e-6);
      t.dispose(); m.dispose();
    }
    full.dispose(); reference.dispose();
  });

  it('truncated BPTT with stepsPerUpdate = seqLen is full BPTT', async () => {
    const a = await Sequential.create({ layers: LAYERS }), b = await Sequential.create({ layers: LAYERS });
    const ra = new Trainer(a, { loss: 'crossEntropy', optimizer: 'adam', lr: 0.01 }).step(inputs, targets, { seqLen: T, batch: B });
    const rb = new Trainer(b, { loss: 'crossEntropy', optimizer: 'adam', lr: 0.01, tbptt: { stepsPerUpdate: T } }).step(inputs, targets, { seqLen: T, batch: B });
    expect(rb.loss).toBe(ra.loss);
    expect(rb.updates).toBe(1);
    expect(b.stateDict()).toEqual(a.stateDict());
  });

  it('truncated BPTT: an update per chunk of k1 steps, state carried (detached) as a hand-written loop does it', async () => {
    const k1 = 5;
    const m = await Sequential.create({ layers: LAYERS });
    const r = new Trainer(m, { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.2, tbptt: { stepsPerUpdate: k1 } })
      .step(inputs, targets, { seqLen: T, batch: B });
    expect(r.updates).toBe(Math.ceil(T / k1));

    // The same by hand with the low-level API: forward with a tape from the carried state,
    // loss on the chunk, backward, SGD; the state passed on is the chunk's final state.
    const h = await Sequential.create({ layers: LAYERS });
    const hand = new Trainer(h, { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.2 });
    let state: Record<string, { h: Float32Array; c?: Float32Array }> | undefined;
    let total = 0, chunks = 0;
    for (let s = 0; s < T; s += k1) {
      const e = Math.min(T, s + k1);
      const x = inputs.subarray(s * B, e * B), y = targets.subarray(s * B, e * B);
      // Trainer.step starts from zero state, so run the chunk through forward() ourselves.
      h.zeroGrad();
      const { output, states, tape } = h.forward(x, { seqLen: e - s, batch: B, states: state, train: true });
      const C = 10, N = (e - s) * B;
      const d = new Float32Array(output.length);
      let loss = 0;
      for (let row = 0; row < N; row++) {
        const o = output.subarray(row * C, (row + 1) * C);
        const max = Math.max(...o);
        const ex = Array.from(o, (v) => Math.exp(v - max));
        const sum = ex.reduce((p, q) => p + q, 0);
        loss += Math.log(sum) + max - o[y[row]];
        for (let c = 0; c < C; c++) d[row * C + c] = (ex[c] / sum - (c === y[row] ? 1 : 0)) / N;
      }
      tape!.backward({ output: d });
      hand.optimizer.step();
      state = states;
      total += loss / N; chunks++;
    }
    expect(Math.abs(r.loss - total / chunks) / r.loss).toBeLessThan(1e-5);
    const want = h.stateDict(), got = m.stateDict();
    for (const [name, w] of Object.entries(want)) expect(relativeError(got[name], w), name).toBeLessThan(1e-5);
  });

  it('truncated BPTT with stepsBack > stepsPerUpdate backpropagates into the previous chunk', async () => {
    const a = await Sequential.create({ layers: LAYERS }), b = await Sequential.create({ layers: LAYERS });
    new Trainer(a, { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.2, tbptt: { stepsPerUpdate: 5 } }).step(inputs, targets, { seqLen: T, batch: B });
    const r = new Trainer(b, { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.2, tbptt: { stepsPerUpdate: 5, stepsBack: 12 } }).step(inputs, targets, { seqLen: T, batch: B });
    expect(r.updates).toBe(5);
    expect(Number.isFinite(r.loss)).toBe(true);
    // Longer truncation changes the recurrent weights' updates.
    expect(relativeError(b.stateDict()['lstm.weight_hh_l0'], a.stateDict()['lstm.weight_hh_l0'])).toBeGreaterThan(1e-6);
    expect(() => new Trainer(a, { loss: 'crossEntropy', tbptt: { stepsPerUpdate: 5, stepsBack: 3 } })).toThrow(RecurOptionError);
  });

  it('a non-finite loss or gradient skips the update and keeps the weights', async () => {
    const m = await Sequential.create({ layers: [
      { name: 'rnn', type: 'rnn', inputSize: 2, hiddenSize: 3, seed: 1 },
      { name: 'out', type: 'linear', inFeatures: 3, outFeatures: 1, seed: 2 }] });
    const t = new Trainer(m, { loss: 'mse', optimizer: 'sgd', lr: 0.1 });
    const before = m.stateDict();
    const x = Float32Array.of(1, NaN, 0.5, 0.5);
    const r = t.step(x, new Float32Array(2), { seqLen: 2, batch: 1 });
    expect(r.skipped).toBe(true);
    expect(t.skippedUpdates).toBe(1);
    expect(t.stepCount).toBe(0);
    expect(m.stateDict()).toEqual(before);
    const ok = t.step(Float32Array.of(1, 0, 0.5, 0.5), Float32Array.of(0.3, -0.2), { seqLen: 2, batch: 1 });
    expect(ok.skipped).toBe(false);
    expect(m.stateDict()['out.bias']).not.toEqual(before['out.bias']);
  });

  it('freeze keeps whole layers, or one layer of a stack, unchanged', async () => {
    const m = await Sequential.create({ layers: LAYERS });
    const before = m.stateDict();
    const t = new Trainer(m, { loss: 'crossEntropy', optimizer: 'adam', lr: 0.05, freeze: ['embed', 'lstm.l0'] });
    t.step(inputs, targets, { seqLen: T, batch: B });
    const after = m.stateDict();
    for (const name of Object.keys(before)) {
      const frozen = name.startsWith('embed.') || /^lstm\..*_l0$/.test(name);
      if (frozen) expect(after[name], name).toEqual(before[name]);
      else expect(after[name], name).not.toEqual(before[name]);
    }
    expect(() => new Trainer(m, { loss: 'crossEntropy', freeze: ['nope'] })).toThrow(RecurOptionError);
  });

  it('schedule sets the learning rate of each update', async () => {
    const m = await Sequential.create({ layers: LAYERS });
    const seen: number[] = [];
    const t = new Trainer(m, { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.1, schedule: (step, base) => base * 0.5 ** step });
    for (let i = 0; i < 3; i++) { t.step(inputs, targets, { seqLen: T, batch: B }); seen.push(t.optimizer.lr); }
    expect(seen).toEqual([0.1, 0.05, 0.025]);
  });

  it('fit runs every example of every epoch and reports progress', async () => {
    const m = await Sequential.create({ layers: LAYERS });
    const t = new Trainer(m, { loss: 'crossEntropy', optimizer: 'adam', lr: 0.02 });
    const data = [0, 1, 2].map((k) => ({ inputs: inputs.map((v) => (v + k) % 10), targets, seqLen: T, batch: B }));
    const progress: number[] = [];
    const last = await t.fit(data, { epochs: 4, onProgress: (p) => progress.push(p.loss) });
    expect(progress).toHaveLength(12);
    expect(last.epoch).toBe(4);
    expect(last.step).toBe(12);
    expect(progress[11]).toBeLessThan(progress[0]);
  });
});

describe('Trainer on an int8 model', () => {
  it('trains f32 master weights and re-quantizes the int8 model after every update', async () => {
    const { quantize } = await import('../src/node/index.js');
    const f32 = await Sequential.create({ layers: LAYERS });
    const q8 = await quantize(f32, 'int8');
    const t = new Trainer(q8, { loss: 'crossEntropy', optimizer: 'adam', lr: 0.02 });
    expect(t.masterModel).not.toBe(q8);
    const first = t.step(inputs, targets, { seqLen: T, batch: B }).loss;
    for (let i = 0; i < 20; i++) t.step(inputs, targets, { seqLen: T, batch: B });
    const last = t.step(inputs, targets, { seqLen: T, batch: B }).loss;
    expect(last).toBeLessThan(first * 0.8);
    // The int8 model now holds the master weights, quantized.
    const requantized = await quantize(t.masterModel, 'int8');
    expect(q8.forward(inputs, { seqLen: T, batch: B }).output).toEqual(requantized.forward(inputs, { seqLen: T, batch: B }).output);
    expect(q8.toJSON().layers.some((l) => (l as { quantize?: string }).quantize === 'int8')).toBe(true);
    t.dispose();
  });
});

describe("lossSteps: 'last'", () => {
  it('puts the loss on the last step only, with targets for that step', async () => {
    const m = await Sequential.create({ layers: [
      { name: 'lstm', type: 'lstm', inputSize: 2, hiddenSize: 8, seed: 1 },
      { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 1, seed: 2 }] });
    const t = new Trainer(m, { loss: 'mse', optimizer: 'sgd', lr: 0.1, lossSteps: 'last' });
    const x = Float32Array.from({ length: 5 * 2 * 2 }, (_, i) => Math.sin(i));
    const y = Float32Array.of(0.5, -0.25);                       // [B, 1]: the last step's targets
    const out = m.forward(x, { seqLen: 5, batch: 2 }).output.subarray(4 * 2, 5 * 2);
    const want = ((out[0] - 0.5) ** 2 + (out[1] + 0.25) ** 2) / 2;
    const r = t.step(x, y, { seqLen: 5, batch: 2 });
    expect(Math.abs(r.loss - want) / want).toBeLessThan(1e-6);
    expect(() => t.step(x, new Float32Array(10), { seqLen: 5, batch: 2 })).toThrow(/last step/);
  });
});
