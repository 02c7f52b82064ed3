// Twenty training steps of a small character model (embedding → LSTM → linear, cross-entropy)
// against PyTorch doing the same (test/fixtures/trajectory/make_trajectory.py): the loss and
// the gradient norm at every step, the first step's gradients and the weights after step 1 and
// step 20 agree within 1e-4 — for SGD with momentum and clip_grad_norm_ (never and often
// clipping) and for Adam.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sequential } from '../src/node/index.js';
import { Trainer, type TrainerOptions } from '../src/train/index.js';
import { relativeError } from './helpers.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/trajectory/char_sgd.json', import.meta.url), 'utf8'));
const decode = (t: { data: string }) => {
  const b = Buffer.from(t.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const dict = (d: Record<string, { data: string }>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, decode(v)]));
const TOL = 1e-4;

async function model() {
  const m = await Sequential.create({ layers: [
    { name: 'embed', type: 'embedding', numEmbeddings: 16, embeddingDim: 8 },
    { name: 'lstm', type: 'lstm', inputSize: 8, hiddenSize: 12 },
    { name: 'head', type: 'linear', inFeatures: 12, outFeatures: 16 },
  ] });
  m.loadStateDict(dict(fixture.initialState));
  return m;
}

const ids = (step: number, key: 'inputs' | 'targets') => Int32Array.from((fixture[key][step] as number[][]).flat());
const { batch, seqLen } = fixture;

const variants: [string, TrainerOptions][] = [
  ['sgd', { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.5, momentum: 0.9, clipNorm: 1.0 }],
  ['sgdClip', { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.5, momentum: 0.9, clipNorm: 0.2 }],
  ['adam', { loss: 'crossEntropy', optimizer: 'adam', lr: 0.01 }],
];

describe('training trajectory matches PyTorch', () => {
  it('first step: every gradient', async () => {
    const m = await model();
    const { output, tape } = m.forward(ids(0, 'inputs'), { seqLen, batch, train: true });
    // d mean CE / d logits = (softmax − onehot) / N, computed here in float64.
    const C = 16, N = seqLen * batch, t = ids(0, 'targets');
    const d = new Float32Array(output.length);
    for (let r = 0; r < N; r++) {
      const row = output.subarray(r * C, (r + 1) * C);
      const max = Math.max(...row);
      const e = Array.from(row, (v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < C; c++) d[r * C + c] = (e[c] / sum - (c === t[r] ? 1 : 0)) / N;
    }
    const g = tape!.backward({ output: d });
    const want = dict(fixture.gradStep0);
    for (const [name, w] of Object.entries(want)) expect(relativeError(g.params[name], w), name).toBeLessThan(TOL);
    m.dispose();
  });

  it.each(variants)('%s: 20 steps', async (name, options) => {
    const m = await model();
    const trainer = new Trainer(m, options);
    const ref = fixture[name];
    for (let step = 0; step < fixture.steps; step++) {
      const r = trainer.step(ids(step, 'inputs'), ids(step, 'targets'), { seqLen, batch });
      expect(r.skipped).toBe(false);
      expect(Math.abs(r.loss - ref.loss[step]) / ref.loss[step], `loss at step ${step}`).toBeLessThan(TOL);
      expect(Math.abs(r.gradNorm - ref.gradNorm[step]) / ref.gradNorm[step], `grad norm at step ${step}`).toBeLessThan(TOL);
      if (step === 0) {
        const after = m.stateDict();
        for (const [k, w] of Object.entries(dict(ref.stateAfterStep1))) expect(relativeError(after[k], w), `${k} after step 1`).toBeLessThan(TOL);
      }
    }
    const final = m.stateDict();
    for (const [k, w] of Object.entries(dict(ref.finalState))) expect(relativeError(final[k], w), `${k} after 20 steps`).toBeLessThan(TOL);
    expect(trainer.stepCount).toBe(20);
    trainer.dispose(); m.dispose();
  });
});
