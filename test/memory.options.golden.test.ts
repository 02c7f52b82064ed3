// Options for long memory against PyTorch autograd: dilation (skip connections through time,
// Chang et al. 2017) and leaky units (h_t = (1 − α) ⊙ prev_t + α ⊙ h̃_t, α fixed by `leak` or
// learned per unit by `learnLeak` as sigmoid(leak_logit_*); Goodfellow et al. §10.9.2) on LSTM,
// GRU and RNN layers. For each case of test/fixtures/memory/long_memory_grads.json (the networks
// written out step by step in float64 with PyTorch's cell equations; exact semantics in the
// generator's docstring): the forward output, h_n and c_n within 1e-5 of the largest magnitude;
// for loss = Σ output·dOutput + Σ h_n·dh_n (+ Σ c_n·dc_n), the gradient of every parameter
// (leak_logit_* too), of the input, h0 and c0 within 1e-4; and the diagnostics' ∂L/∂h_t
// (an LSTM's ∂L/∂c_t) of every layer-direction, as h_t.retain_grad() gives, within 1e-4.
//
// Regenerate: /usr/bin/python3 test/fixtures/memory/make_long_memory_grads.py (Debian torch 1.13).

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/node/index.js';
import { relativeError } from './helpers.js';

const FORWARD_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;
const CASE_COUNT = 7;

interface Case {
  name: string; mode: 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';
  inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; batch: number; seqLen: number;
  dilation: number | number[] | null; leak: number | null; learnLeak: boolean;
  tensors: Record<string, Float32Array>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/memory/long_memory_grads.json', import.meta.url), 'utf8'));
const cases: Case[] = fixture.cases.map((c: any) => ({
  ...c,
  tensors: Object.fromEntries(Object.entries<any>(c.tensors).map(([k, t]) => {
    const bytes = Buffer.from(t.data, 'base64');
    return [k, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))];
  })),
}));

/** Everything in a case's tensors that is not part of the state dict. */
const NOT_PARAMS = /^(input|h0|c0|dOutput|dh_n|dc_n|output|h_n|c_n|grad\..*|hidden_grad_.*|cell_grad_.*)$/;

/** "LSTM, 2 layers, bidirectional, dilation [2, 4], learned leak, T = 9". */
function describeCase(c: Case): string {
  const parts = [{ lstm: 'LSTM', gru: 'GRU', rnn_tanh: 'RNN tanh', rnn_relu: 'RNN relu' }[c.mode], `${c.numLayers} layer${c.numLayers > 1 ? 's' : ''}`];
  if (c.bidirectional) parts.push('bidirectional');
  if (c.dilation !== null) parts.push(`dilation ${Array.isArray(c.dilation) ? `[${c.dilation.join(', ')}]` : c.dilation}`);
  if (c.leak !== null) parts.push(`leak ${c.leak}`);
  if (c.learnLeak) parts.push('learned leak');
  return `${parts.join(', ')}, T = ${c.seqLen}`;
}

async function makeLayer(c: Case) {
  // Only the options the case sets: an unset one exercises the default. (A variable, not a
  // literal, so this file typechecks before the options exist.)
  const options = {
    inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional,
    ...(c.dilation !== null && { dilation: c.dilation }),
    ...(c.leak !== null && { leak: c.leak }),
    ...(c.learnLeak && { learnLeak: true }),
  };
  if (c.mode === 'lstm') return LSTM.create(options);
  if (c.mode === 'gru') return GRU.create(options);
  return RNN.create({ ...options, nonlinearity: c.mode === 'rnn_relu' ? 'relu' : 'tanh' });
}

/** One training forward and backward of the case, with diagnostics. */
async function run(c: Case) {
  const layer = await makeLayer(c);
  try {
    const t = c.tensors;
    layer.loadStateDict(Object.fromEntries(Object.entries(t).filter(([k]) => !NOT_PARAMS.test(k))));
    const forward = layer.forward(t.input, { seqLen: c.seqLen, batch: c.batch, h0: t.h0, c0: t.c0, train: true });
    const backward = forward.tape!.backward({ output: t.dOutput, h: t.dh_n, c: t.dc_n, diagnostics: true });
    return { forward, backward };
  } finally {
    layer.dispose();
  }
}

// RECUR_MEMORY_REPORT=1 prints the worst relative error per tolerance class after the run.
const worst: Record<number, number> = {};
afterAll(() => { if (process.env.RECUR_MEMORY_REPORT) console.log('worst relative error by tolerance:', worst); });

function expectWithin(what: string, actual: Float32Array | undefined, expected: Float32Array, tolerance: number): void {
  if (!actual) expect.fail(`${what}: missing`);
  const err = relativeError(actual, expected);
  if (process.env.RECUR_MEMORY_REPORT) worst[tolerance] = Math.max(worst[tolerance] ?? 0, err);
  if (!(err <= tolerance)) expect.fail(`${what}: relative error ${err.toExponential(2)} > ${tolerance}`);
}

describe('dilation and leaky units match PyTorch autograd (make_long_memory_grads.py)', () => {
  it(`has the ${CASE_COUNT} cases`, () => expect(cases.length).toBe(CASE_COUNT));

  describe.each(cases.map((c) => [describeCase(c), c] as const))('%s', (_label, c) => {
    const t = c.tensors;

    it(`output, h_n${c.mode === 'lstm' ? ' and c_n' : ''} match within ${FORWARD_TOLERANCE}`, async () => {
      const { forward } = await run(c);
      expectWithin('output', forward.output, t.output, FORWARD_TOLERANCE);
      expectWithin('h_n', forward.h, t.h_n, FORWARD_TOLERANCE);
      if (c.mode === 'lstm') expectWithin('c_n', forward.c, t.c_n, FORWARD_TOLERANCE);
      else expect(forward.c).toBeUndefined();
    });

    it(`every parameter's gradient${c.learnLeak ? ' (leak_logit_* too)' : ''}, and the input's, h0's${c.mode === 'lstm' ? ' and c0\'s' : ''}, match within ${GRADIENT_TOLERANCE}`, async () => {
      const g = (await run(c)).backward;
      // The same parameters as PyTorch's state dict: none missing, none extra.
      const names = Object.keys(t).filter((k) => k.startsWith('grad.') && !/^grad\.(input|h0|c0)$/.test(k)).map((k) => k.slice(5));
      expect(Object.keys(g.params).sort()).toEqual(names.sort());
      for (const name of names) expectWithin(`grad.${name}`, g.params[name], t[`grad.${name}`], GRADIENT_TOLERANCE);
      expectWithin('grad.input', g.input, t['grad.input'], GRADIENT_TOLERANCE);
      expectWithin('grad.h0', g.h0, t['grad.h0'], GRADIENT_TOLERANCE);
      if (c.mode === 'lstm') expectWithin('grad.c0', g.c0, t['grad.c0'], GRADIENT_TOLERANCE);
    });

    it(`diagnostics give ∂L/∂h_t${c.mode === 'lstm' ? ' and ∂L/∂c_t' : ''} of every layer and direction within ${GRADIENT_TOLERANCE}`, async () => {
      const g = (await run(c)).backward;
      const D = c.bidirectional ? 2 : 1;
      expect(g.diagnostics).toHaveLength(c.numLayers * D);
      for (const d of g.diagnostics!) {
        const suffix = `_l${d.layer}${d.reverse ? '_reverse' : ''}`;
        expectWithin(`hidden_grad${suffix}`, d.hiddenGrads, t[`hidden_grad${suffix}`], GRADIENT_TOLERANCE);
        if (c.mode === 'lstm') expectWithin(`cell_grad${suffix}`, d.cellGrads, t[`cell_grad${suffix}`], GRADIENT_TOLERANCE);
        else expect(d.cellGrads).toBeUndefined();
      }
    });
  });
});
