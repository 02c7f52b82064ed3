// recur's LSTM, GRU and RNN against torch.nn.LSTM / GRU / RNN (test/fixtures/golden/torch_rnn.json,
// made by make_torch_golden.py): every cell × 1–2 layers × uni/bidirectional × batch 1/3 ×
// seqLen 1/17 × with/without h0 × bias on/off × batchFirst, plus larger sizes. Output and final
// states must agree within 1e-5 of the largest magnitude (float32 rounding).

import { describe, expect, it } from 'vitest';
import { runGolden } from './golden.js';
import { loadGolden } from './helpers.js';

const TOLERANCE = 1e-5;
const cases = loadGolden('torch_rnn.json');

describe('matches PyTorch 1.13', () => {
  it('covers the full grid of configurations', () => {
    expect(cases.length).toBeGreaterThanOrEqual(512);
    for (const mode of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu']) {
      const of = cases.filter((c) => c.mode === mode && c.inputSize === 3 && c.hiddenSize === 5);
      expect(new Set(of.map((c) => [c.numLayers, c.bidirectional, c.batch, c.seqLen, c.withH0, c.bias, c.batchFirst].join())).size).toBe(128);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const err = await runGolden(c);
    expect(err.output).toBeLessThanOrEqual(TOLERANCE);
    expect(err.h).toBeLessThanOrEqual(TOLERANCE);
    expect(err.c).toBeLessThanOrEqual(TOLERANCE);
  });
});
