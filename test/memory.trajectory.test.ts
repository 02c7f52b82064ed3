// Twenty Adam steps on the adding problem with the architectures for long memory, against
// PyTorch training the same models as a PyTorch user writes them
// (test/fixtures/memory/make_adding_trajectory.py; bench/torch/memory.py on branch torchmem):
//   dilated        LSTM(2 → 6, numLayers 2, dilation [1, 3]) + Linear(6 → 1), T = 12; PyTorch:
//                  nn.LSTM(2, 6), then nn.LSTM(6, 6) on the end-padded sequence reshaped to
//                  [T'/3, 3·B, 6] (DilatedRNN, Chang et al. 2017)
//   dilatedPadded  the same with T = 13, not a multiple of 3
//   leaky          LSTM(2 → 6, learnLeak, leak 0.1) + Linear(6 → 1), T = 12; PyTorch: an
//                  nn.LSTMCell loop with h = (1 − σ(a)) ⊙ h + σ(a) ⊙ h̃, a learned
// Trainer { loss: 'mse', optimizer: 'adam', lr: 1e-2, lossSteps: 'last' }, batch 4, a fresh
// stored batch each step: the first step's every gradient, the loss and the gradient norm at
// every step, and every weight after step 1 and after step 20 agree within 1e-4 relative
// (test/helpers.ts relativeError; PyTorch's own float32 run is within 7.2e-6 of its float64 run,
// the file's "float64Check").
//
// Regenerate: /usr/bin/python3 test/fixtures/memory/make_adding_trajectory.py (Debian torch 1.13).
// RECUR_MEMORY_REPORT=1 prints the worst relative errors per case.

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Sequential } from '../src/node/index.js';
import { Trainer } from '../src/train/index.js';
import { relativeError } from './helpers.js';

const TOLERANCE = 1e-4;
const CASE_COUNT = 3;

type Tensor = { shape: number[]; data: string };
interface Case {
  seqLen: number; layers: any[];
  initialState: Record<string, Tensor>; inputs: Tensor; targets: Tensor;
  loss: number[]; gradNorm: number[];
  gradStep0: Record<string, Tensor>; stateAfterStep1: Record<string, Tensor>; finalState: Record<string, Tensor>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/memory/adding_trajectory.json', import.meta.url), 'utf8'));
const decode = (t: Tensor) => {
  const b = Buffer.from(t.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const dict = (d: Record<string, Tensor>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, decode(v)]));
const cases = Object.entries<Case>(fixture.cases);
const { batch, steps } = fixture as { batch: number; steps: number };

// Worst relative error per case and quantity, printed with RECUR_MEMORY_REPORT=1.
const worst: Record<string, Record<string, number>> = {};
function check(name: string, what: string, error: number, message: string) {
  const w = (worst[name] ??= {});
  w[what] = Math.max(w[what] ?? 0, error);
  expect(error, message).toBeLessThan(TOLERANCE);
}
afterAll(() => {
  if (process.env.RECUR_MEMORY_REPORT) for (const [name, w] of Object.entries(worst)) console.log(name, Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.toExponential(2)])));
});

async function model(c: Case) {
  const m = await Sequential.create({ layers: c.layers });
  m.loadStateDict(dict(c.initialState));
  return m;
}

/** Step k's batch: inputs [T, B, 2], targets [B, 1]. */
function data(c: Case, step: number) {
  const x = decode(c.inputs), y = decode(c.targets);
  const n = c.seqLen * batch * 2;
  return { x: x.subarray(step * n, (step + 1) * n), y: y.subarray(step * batch, (step + 1) * batch) };
}

describe('adding-problem training trajectory of dilated and leaky LSTMs matches PyTorch', () => {
  it(`has ${CASE_COUNT} cases`, () => {
    expect(cases.map(([name]) => name)).toEqual(['dilated', 'dilatedPadded', 'leaky']);
    expect(cases.length).toBe(CASE_COUNT);
    expect(steps).toBe(20);
  });

  it.each(cases)('%s: first step, every gradient', async (name, c) => {
    const m = await model(c);
    const T = c.seqLen, { x, y } = data(c, 0);
    const { output, tape } = m.forward(x, { seqLen: T, batch, train: true });
    // d mean((out_{T−1} − y)²) / d out_{T−1} = 2 (out − y) / B; the other steps get no loss.
    const d = new Float32Array(output.length);
    for (let b = 0; b < batch; b++) d[(T - 1) * batch + b] = 2 * (output[(T - 1) * batch + b] - y[b]) / batch;
    const g = tape!.backward({ output: d });
    const want = dict(c.gradStep0);
    expect(Object.keys(g.params).sort()).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) check(name, 'gradStep0', relativeError(g.params[k], w), `grad ${k}`);
    tape!.dispose(); m.dispose();
  });

  it.each(cases)('%s: 20 Adam steps', async (name, c) => {
    const m = await model(c);
    const trainer = new Trainer(m, { loss: 'mse', optimizer: 'adam', lr: 1e-2, lossSteps: 'last' });
    for (let step = 0; step < steps; step++) {
      const { x, y } = data(c, step);
      const r = trainer.step(x, y, { seqLen: c.seqLen, batch });
      expect(r.skipped).toBe(false);
      check(name, 'loss', Math.abs(r.loss - c.loss[step]) / c.loss[step], `loss at step ${step}`);
      check(name, 'gradNorm', Math.abs(r.gradNorm - c.gradNorm[step]) / c.gradNorm[step], `grad norm at step ${step}`);
      if (step === 0) {
        const after = m.stateDict();
        for (const [k, w] of Object.entries(dict(c.stateAfterStep1))) check(name, 'stateAfterStep1', relativeError(after[k], w), `${k} after step 1`);
      }
    }
    const final = m.stateDict();
    expect(Object.keys(final).sort()).toEqual(Object.keys(c.finalState).sort());
    for (const [k, w] of Object.entries(dict(c.finalState))) check(name, 'finalState', relativeError(final[k], w), `${k} after 20 steps`);
    expect(trainer.stepCount).toBe(steps);
    trainer.dispose(); m.dispose();
  });
});
