// The cells PyTorch lacks, against the ONNX operator definitions (test/fixtures/golden/onnx_rnn.json,
// made by make_onnx_golden.py from the equations of ONNX's LSTM and GRU, cross-checked there with
// onnx's own reference helpers): LSTM with peephole connections, and GRU with
// linear_before_reset = 0 (plus = 1, which must equal PyTorch's GRU).

import { describe, expect, it } from 'vitest';
import { runGolden } from './golden.js';
import { loadGolden } from './helpers.js';

const TOLERANCE = 1e-5;
const cases = loadGolden('onnx_rnn.json');

describe('matches the ONNX operator definitions', () => {
  it('has peephole LSTM and both GRU forms', () => {
    const modes = new Set(cases.map((c) => c.mode));
    expect([...modes].sort()).toEqual(['gru_lbr0', 'gru_lbr1', 'lstm_peephole']);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const err = await runGolden(c);
    expect(err.output).toBeLessThanOrEqual(TOLERANCE);
    expect(err.h).toBeLessThanOrEqual(TOLERANCE);
    expect(err.c).toBeLessThanOrEqual(TOLERANCE);
  });
});
