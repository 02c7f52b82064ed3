// ∂L/∂h_t (and an LSTM's ∂L/∂c_t) for every step, layer and direction, against PyTorch autograd:
// the networks unrolled step by step with retain_grad() (test/fixtures/memory/make_hidden_grads.py).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/node/index.js';
import { relativeError } from './helpers.js';

interface Case {
  name: string; mode: 'lstm' | 'gru' | 'rnn_tanh';
  inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; batch: number; seqLen: number;
  tensors: Record<string, Float32Array>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/memory/hidden_grads.json', import.meta.url), 'utf8'));
const cases: Case[] = fixture.cases.map((c: any) => ({
  ...c,
  tensors: Object.fromEntries(Object.entries<any>(c.tensors).map(([k, t]) => {
    const bytes = Buffer.from(t.data, 'base64');
    return [k, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))];
  })),
}));

const EXTRA = /^(input|h0|c0|dOutput|dh_n|dc_n|hidden_grad_.*|cell_grad_.*)$/;

describe('∂L/∂h_t matches PyTorch retain_grad() within 1e-4', () => {
  it('has the cases', () => expect(cases.length).toBe(4));
  for (const c of cases) {
    it(c.name, async () => {
      const options = { inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional };
      const layer = c.mode === 'lstm' ? await LSTM.create(options) : c.mode === 'gru' ? await GRU.create(options) : await RNN.create(options);
      const t = c.tensors;
      layer.loadStateDict(Object.fromEntries(Object.entries(t).filter(([k]) => !EXTRA.test(k))));
      const { tape } = layer.forward(t.input, { seqLen: c.seqLen, batch: c.batch, h0: t.h0, c0: t.c0, train: true });
      const g = tape!.backward({ output: t.dOutput, h: t.dh_n, c: t.dc_n, diagnostics: true });
      const D = c.bidirectional ? 2 : 1;
      expect(g.diagnostics).toHaveLength(c.numLayers * D);
      for (const d of g.diagnostics!) {
        const suffix = `_l${d.layer}${d.reverse ? '_reverse' : ''}`;
        const expected = t[`hidden_grad${suffix}`];
        expect(relativeError(d.hiddenGrads, expected)).toBeLessThan(1e-4);
        if (c.mode === 'lstm') expect(relativeError(d.cellGrads!, t[`cell_grad${suffix}`])).toBeLessThan(1e-4);
        else expect(d.cellGrads).toBeUndefined();
        // The norms are of the same vectors.
        const H = c.hiddenSize, B = c.batch;
        d.hiddenGradNorms.forEach((n, step) => {
          const row = expected.subarray(step * B * H, (step + 1) * B * H);
          const ref = Math.hypot(...row);
          expect(Math.abs(n - ref)).toBeLessThan(1e-4 * Math.max(ref, 1));
        });
      }
      layer.dispose();
    });
  }
});
