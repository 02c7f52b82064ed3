// Initialisations for long memory (issue #17): orthogonal and identity W_hh, the forget-gate
// bias, chrono initialisation; each checked for its structure or distribution, for its errors,
// and through a model file.

import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN, RecurOptionError, Sequential, loadModel, saveModel } from '../src/node/index.js';

/** max |WᵀW − I| of one [H, H] block. */
function orthogonalityError(w: Float32Array, H: number): number {
  let worst = 0;
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let k = 0; k < H; k++) s += w[k * H + i] * w[k * H + j];
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

const block = (w: Float32Array, k: number, H: number, cols = H) => w.subarray(k * H * cols, (k + 1) * H * cols);

describe("recurrentInit 'orthogonal' (Saxe et al. 2014)", () => {
  it('every gate block of every W_hh is orthogonal: WᵀW = I to 1e-5', async () => {
    const H = 32;
    for (const layer of [
      await LSTM.create({ inputSize: 5, hiddenSize: H, numLayers: 2, recurrentInit: 'orthogonal', seed: 1 }),
      await GRU.create({ inputSize: 5, hiddenSize: H, bidirectional: true, recurrentInit: 'orthogonal', seed: 2 }),
      await RNN.create({ inputSize: 5, hiddenSize: H, recurrentInit: 'orthogonal', seed: 3 }),
    ]) {
      const dict = layer.stateDict();
      const G = { lstm: 4, gru: 3, rnn: 1 }[layer.type];
      const names = Object.keys(dict).filter((n) => n.startsWith('weight_hh'));
      expect(names.length).toBe(layer.numLayers * layer.numDirections);
      for (const name of names) {
        for (let k = 0; k < G; k++) expect(orthogonalityError(block(dict[name], k, H), H)).toBeLessThan(1e-5);
        if (G > 1) expect(block(dict[name], 0, H)).not.toEqual(block(dict[name], G - 1, H));
      }
      // Everything else keeps PyTorch's U(-1/√H, 1/√H).
      const bound = 1 / Math.sqrt(H);
      for (const [name, t] of Object.entries(dict)) if (!name.startsWith('weight_hh')) expect(Math.max(...t.map(Math.abs))).toBeLessThanOrEqual(bound);
      // Its spectrum, as the diagnostics see it.
      for (const d of layer.spectra()) for (const g of d.gates) {
        expect(g.largestSingularValue).toBeCloseTo(1, 5);
        expect(g.spectralRadius).toBeCloseTo(1, 5);
      }
      layer.dispose();
    }
  });

  it('is reproducible with a seed', async () => {
    const a = await LSTM.create({ inputSize: 3, hiddenSize: 8, recurrentInit: 'orthogonal', seed: 9 });
    const b = await LSTM.create({ inputSize: 3, hiddenSize: 8, recurrentInit: 'orthogonal', seed: 9 });
    expect(a.stateDict()).toEqual(b.stateDict());
    a.dispose(); b.dispose();
  });
});

describe("recurrentInit 'identity' (IRNN, Le et al. 2015)", () => {
  it('an RNN gets W_hh = I and zero biases', async () => {
    const rnn = await RNN.create({ inputSize: 3, hiddenSize: 6, nonlinearity: 'relu', recurrentInit: 'identity' });
    const d = rnn.stateDict();
    expect(Array.from(d.weight_hh_l0)).toEqual(Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0)));
    expect(Array.from(d.bias_ih_l0)).toEqual(new Array(6).fill(0));
    expect(Array.from(d.bias_hh_l0)).toEqual(new Array(6).fill(0));
    rnn.dispose();
  });

  it('is refused for gated cells', async () => {
    await expect(LSTM.create({ inputSize: 3, hiddenSize: 6, recurrentInit: 'identity' })).rejects.toThrow(RecurOptionError);
    await expect(GRU.create({ inputSize: 3, hiddenSize: 6, recurrentInit: 'identity' })).rejects.toThrow(/IRNN/);
  });
});

describe('forgetBias (Jozefowicz et al. 2015)', () => {
  it("sets the LSTM forget gate's bias: bias_ih's f block to the value, bias_hh's to 0", async () => {
    const H = 10;
    const lstm = await LSTM.create({ inputSize: 3, hiddenSize: H, numLayers: 2, forgetBias: 1 });
    const d = lstm.stateDict();
    for (const s of ['_l0', '_l1']) {
      expect(Array.from(block(d[`bias_ih${s}`], 1, H, 1))).toEqual(new Array(H).fill(1));
      expect(Array.from(block(d[`bias_hh${s}`], 1, H, 1))).toEqual(new Array(H).fill(0));
      for (const k of [0, 2, 3]) expect(Math.max(...block(d[`bias_ih${s}`], k, H, 1).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(H));
    }
    lstm.dispose();
  });

  it('is for LSTMs with biases', async () => {
    await expect(GRU.create({ inputSize: 3, hiddenSize: 6, forgetBias: 1 })).rejects.toThrow(/forgetBias is for an LSTM/);
    await expect(LSTM.create({ inputSize: 3, hiddenSize: 6, forgetBias: 1, bias: false })).rejects.toThrow(/bias is false/);
    await expect(LSTM.create({ inputSize: 3, hiddenSize: 6, forgetBias: Number.NaN })).rejects.toThrow(RecurOptionError);
  });
});

describe('chronoMaxLength (chrono initialisation, Tallec & Ollivier 2018)', () => {
  // b ~ log(U(1, T − 1)): in [0, log(T − 1)), mean ((T − 1) log(T − 1) − (T − 2)) / (T − 2).
  const T = 200;
  const mean = ((T - 1) * Math.log(T - 1) - (T - 2)) / (T - 2);   // 4.320

  it('LSTM: b_f ~ log(U(1, T − 1)) and b_i = −b_f, bias_hh of both 0', async () => {
    const H = 256;
    const lstm = await LSTM.create({ inputSize: 3, hiddenSize: H, bidirectional: true, chronoMaxLength: T, seed: 4 });
    const d = lstm.stateDict();
    for (const s of ['_l0', '_l0_reverse']) {
      const bf = block(d[`bias_ih${s}`], 1, H, 1), bi = block(d[`bias_ih${s}`], 0, H, 1);
      expect(Math.min(...bf)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...bf)).toBeLessThan(Math.log(T - 1));
      expect(Array.from(bi)).toEqual(Array.from(bf, (v) => -v));
      expect(Array.from(block(d[`bias_hh${s}`], 0, 2 * H, 1))).toEqual(new Array(2 * H).fill(0));
      // 256 draws: the mean within 4 standard errors (the sd of log U is about 0.9).
      expect(Math.abs(bf.reduce((a, b) => a + b, 0) / H - mean)).toBeLessThan(4 * 0.95 / Math.sqrt(H));
    }
    expect(block(d.bias_ih_l0, 1, H, 1)).not.toEqual(block(d.bias_ih_l0_reverse, 1, H, 1));
    lstm.dispose();
  });

  it("GRU: the update gate's bias (PyTorch's z keeps h) ~ log(U(1, T − 1)); r and n keep the default", async () => {
    const H = 256;
    const gru = await GRU.create({ inputSize: 3, hiddenSize: H, chronoMaxLength: T, seed: 5 });
    const d = gru.stateDict();
    const bz = block(d.bias_ih_l0, 1, H, 1);
    expect(Math.min(...bz)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...bz)).toBeLessThan(Math.log(T - 1));
    expect(Math.abs(bz.reduce((a, b) => a + b, 0) / H - mean)).toBeLessThan(4 * 0.95 / Math.sqrt(H));
    expect(Array.from(block(d.bias_hh_l0, 1, H, 1))).toEqual(new Array(H).fill(0));
    for (const k of [0, 2]) expect(Math.max(...block(d.bias_ih_l0, k, H, 1).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(H));
    gru.dispose();
  });

  it('needs T > 2, gates and biases, and not forgetBias too', async () => {
    await expect(LSTM.create({ inputSize: 3, hiddenSize: 6, chronoMaxLength: 2 })).rejects.toThrow(/above 2/);
    await expect(RNN.create({ inputSize: 3, hiddenSize: 6, chronoMaxLength: 50 })).rejects.toThrow(/no gates/);
    await expect(LSTM.create({ inputSize: 3, hiddenSize: 6, chronoMaxLength: 50, forgetBias: 1 })).rejects.toThrow(/not both/);
    await expect(GRU.create({ inputSize: 3, hiddenSize: 6, chronoMaxLength: 50, bias: false })).rejects.toThrow(/bias is false/);
  });
});

describe('a model file records the initialisation', () => {
  it('round trip: the options and the weights come back', async () => {
    const model = await Sequential.create({ layers: [
      { name: 'lstm', type: 'lstm', inputSize: 2, hiddenSize: 8, recurrentInit: 'orthogonal', chronoMaxLength: 100, seed: 1 },
      { name: 'gru', type: 'gru', inputSize: 8, hiddenSize: 8, chronoMaxLength: 30 },
      { name: 'rnn', type: 'rnn', inputSize: 8, hiddenSize: 8, nonlinearity: 'relu', recurrentInit: 'identity' },
      { name: 'lstm2', type: 'lstm', inputSize: 8, hiddenSize: 4, forgetBias: 1 },
      { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 1 }] });
    const back = await loadModel(saveModel(model));
    expect(back.toJSON()).toEqual(model.toJSON());
    const layers = back.toJSON().layers as unknown as Record<string, unknown>[];
    expect(layers[0]).toMatchObject({ recurrentInit: 'orthogonal', chronoMaxLength: 100 });
    expect(layers[1]).toMatchObject({ chronoMaxLength: 30 });
    expect(layers[2]).toMatchObject({ recurrentInit: 'identity' });
    expect(layers[3]).toMatchObject({ forgetBias: 1 });
    expect(back.stateDict()).toEqual(model.stateDict());
    // Not part of the architecture: a stream snapshot moves to the same model without them.
    const plain = await Sequential.create({ layers: (model.toJSON().layers as unknown as Record<string, unknown>[]).map(
      ({ recurrentInit: _r, chronoMaxLength: _c, forgetBias: _f, seed: _s, ...rest }) => rest) as never });
    const s = model.stream();
    s.step(new Float32Array([0.5, -0.5]));
    const p = plain.stream();
    p.loadState(s.saveState());
    model.dispose(); back.dispose(); plain.dispose();
  });

  it('without the options, the description is as before', async () => {
    const lstm = await LSTM.create({ inputSize: 2, hiddenSize: 3 });
    expect(Object.keys(lstm.toJSON())).not.toContain('recurrentInit');
    expect(Object.keys(lstm.toJSON())).not.toContain('forgetBias');
    lstm.dispose();
  });
});
