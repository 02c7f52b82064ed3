// Diagnostics of memory (issue #17) are exact where the answer is known in closed form:
// per-step gradient norms of a linear RNN, spectra of scaled orthogonal and normal matrices,
// gate statistics of cells whose gates are constants; and they change nothing in training.

import { describe, expect, it } from 'vitest';
import { LSTM, GRU, RNN, Sequential } from '../src/node/index.js';
import { Trainer } from '../src/train/index.js';

/** A random orthogonal n × n matrix (Gram–Schmidt on a seeded Gaussian matrix), row-major f64. */
function orthogonal(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: n }, gauss);
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < i; k++) {
        let d = 0;
        for (let j = 0; j < n; j++) d += row[j] * q[k * n + j];
        for (let j = 0; j < n; j++) row[j] -= d * q[k * n + j];
      }
    }
    const len = Math.hypot(...row);
    for (let j = 0; j < n; j++) q[i * n + j] = row[j] / len;
  }
  return q;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

describe('‖∂L/∂h_t‖ of a linear RNN follows a^k', () => {
  // recur's RNN has tanh or relu; relu is the identity on positive values, so with positive
  // input weights, inputs and W_hh = a·I every h_t > 0 and the network is exactly linear:
  // ∂L/∂h_{T−1−k} = (aI)ᵏ ∂L/∂h_{T−1} when the loss is on the last step. Each backward step
  // multiplies by float32(a) with one rounding, so the ratio is a32ᵏ within k float32 roundings.
  for (const a of [0.9, 1.1, 0.5]) {
    it(`a = ${a}`, async () => {
      const H = 5, T = 40, B = 2;
      const rnn = await RNN.create({ inputSize: 1, hiddenSize: H, nonlinearity: 'relu', bias: false });
      const whh = new Float32Array(H * H);
      for (let j = 0; j < H; j++) whh[j * H + j] = a;
      rnn.loadStateDict({ weight_ih_l0: new Float32Array(H).fill(0.5), weight_hh_l0: whh });
      const { output, tape } = rnn.forward(new Float32Array(T * B).fill(1), { seqLen: T, batch: B, train: true });
      expect(Math.min(...output)).toBeGreaterThan(0);
      const dOut = new Float32Array(T * B * H);
      for (let i = 0; i < B * H; i++) dOut[(T - 1) * B * H + i] = 0.25 + 0.1 * i;   // loss on the last step
      const g = tape!.backward({ output: dOut, diagnostics: true });
      const norms = g.diagnostics![0].hiddenGradNorms;
      expect(norms).toHaveLength(T);
      const a32 = Math.fround(a);
      for (let k = 0; k < T; k++) {
        const expected = a32 ** k * norms[T - 1];
        expect(Math.abs(norms[T - 1 - k] - expected) / expected).toBeLessThanOrEqual((k + 1) * 2 ** -24);
      }
      rnn.dispose();
    });
  }

  it('the lag below a threshold of the peak is where a^k crosses it', async () => {
    const H = 3, T = 60;
    const model = await Sequential.create({ layers: [
      { name: 'rnn', type: 'rnn', inputSize: 1, hiddenSize: H, nonlinearity: 'relu', bias: false },
      { name: 'head', type: 'linear', inFeatures: H, outFeatures: 1, bias: false }] });
    const whh = new Float32Array(H * H);
    for (let j = 0; j < H; j++) whh[j * H + j] = 0.8;
    model.loadStateDict({ 'rnn.weight_ih_l0': new Float32Array(H).fill(0.5), 'rnn.weight_hh_l0': whh, 'head.weight': new Float32Array(H).fill(1) });
    const trainer = new Trainer(model, { loss: 'mse', optimizer: 'sgd', lr: 0, lossSteps: 'last' });
    const r = trainer.step(new Float32Array(T).fill(1), new Float32Array(1), { seqLen: T, batch: 1, diagnostics: { threshold: 0.01 } });
    const d = r.diagnostics!.layers.rnn[0];
    expect(d.peakStep).toBe(T - 1);
    // 0.8^k < 0.01 first at k = 21 (0.8^20 = 0.0115, 0.8^21 = 0.0092).
    expect(d.lag).toBe(21);
    expect(d.spectra![0].spectralRadius).toBeCloseTo(0.8, 6);
    expect(d.gates.perGate.h.saturated).toBeNull();   // relu: no saturation
    trainer.dispose(); model.dispose();
  });
});

describe('spectra of W_hh', () => {
  it('the spectral radius and σ₁ of a scaled orthogonal matrix are its scale (to 1e-5)', async () => {
    const H = 24;
    const rnn = await RNN.create({ inputSize: 2, hiddenSize: H });
    for (const scale of [0.5, 1, 1.7]) {
      const q = orthogonal(H, 7);
      rnn.loadStateDict({ ...rnn.stateDict(), weight_hh_l0: Float32Array.from(q, (v) => scale * v) });
      const [{ gates: [s] }] = rnn.spectra();
      expect(Math.abs(s.spectralRadius - scale) / scale).toBeLessThan(1e-5);
      expect(Math.abs(s.largestSingularValue - scale) / scale).toBeLessThan(1e-5);
    }
    rnn.dispose();
  });

  it('per gate block of an LSTM and a GRU', async () => {
    const H = 16;
    const lstm = await LSTM.create({ inputSize: 3, hiddenSize: H, numLayers: 2 });
    const gru = await GRU.create({ inputSize: 3, hiddenSize: H, bidirectional: true });
    const scales = [0.3, 1.2, 0.9, 2.5];
    const blocks = (n: number, seed: number) => {
      const w = new Float32Array(n * H * H);
      for (let k = 0; k < n; k++) w.set(Float32Array.from(orthogonal(H, seed + k), (v) => scales[k] * v), k * H * H);
      return w;
    };
    lstm.loadStateDict({ ...lstm.stateDict(), weight_hh_l1: blocks(4, 100) });
    gru.loadStateDict({ ...gru.stateDict(), weight_hh_l0_reverse: blocks(3, 200) });
    const ls = lstm.spectra(), gs = gru.spectra();
    expect(ls.map((s) => [s.layer, s.reverse])).toEqual([[0, false], [1, false]]);
    expect(ls[1].gates.map((g) => g.gate)).toEqual(['i', 'f', 'g', 'o']);
    expect(gs[1].gates.map((g) => g.gate)).toEqual(['r', 'z', 'n']);
    ls[1].gates.forEach((g, k) => expect(Math.abs(g.spectralRadius - scales[k]) / scales[k]).toBeLessThan(1e-5));
    gs[1].gates.forEach((g, k) => expect(Math.abs(g.largestSingularValue - scales[k]) / scales[k]).toBeLessThan(1e-5));
    lstm.dispose(); gru.dispose();
  });

  it('a dominant complex pair and a dominant real eigenvalue of a normal matrix', async () => {
    // W = Q D Qᵀ: D holds r·rotation(θ) (eigenvalues r e^{±iθ}) or a real r, then smaller values.
    const H = 12;
    const rnn = await RNN.create({ inputSize: 1, hiddenSize: H });
    for (const [r, complex] of [[1.3, true], [0.95, true], [1.3, false]] as const) {
      const d = new Float64Array(H * H);
      if (complex) { const t = 0.7; d[0] = r * Math.cos(t); d[1] = -r * Math.sin(t); d[H] = r * Math.sin(t); d[H + 1] = r * Math.cos(t); }
      else { d[0] = r; d[H + 1] = 0.5; }
      for (let j = 2; j < H; j++) d[j * H + j] = (j % 2 ? -1 : 1) * r * (0.2 + 0.05 * j);
      const q = orthogonal(H, 3);
      const w = matmul(matmul(q, d, H), transpose(q, H), H);
      rnn.loadStateDict({ ...rnn.stateDict(), weight_hh_l0: Float32Array.from(w) });
      const [{ gates: [s] }] = rnn.spectra();
      expect(s.converged).toBe(true);
      expect(Math.abs(s.spectralRadius - r) / r).toBeLessThan(1e-5);
      expect(Math.abs(s.largestSingularValue - r) / r).toBeLessThan(1e-5);   // normal: σ₁ = ρ
    }
    rnn.dispose();
  });
});

describe('∂L/∂h_t with batchFirst', () => {
  it('is time-major and equal to the seq-first layer fed the same sequences', async () => {
    const T = 5, B = 3, I = 2, H = 4;
    const seqFirst = await GRU.create({ inputSize: I, hiddenSize: H, seed: 3 });
    const batchFirst = await GRU.create({ inputSize: I, hiddenSize: H, seed: 3, batchFirst: true });
    const x = Float32Array.from({ length: T * B * I }, (_, i) => Math.sin(i));                // [T, B, I]
    const dy = Float32Array.from({ length: T * B * H }, (_, i) => Math.cos(i));               // [T, B, H]
    const swap = (a: Float32Array, A: number, C: number, F: number) => {                      // [A, C, F] → [C, A, F]
      const out = new Float32Array(a.length);
      for (let i = 0; i < A; i++) for (let j = 0; j < C; j++) out.set(a.subarray((i * C + j) * F, (i * C + j + 1) * F), (j * A + i) * F);
      return out;
    };
    const a = seqFirst.forward(x, { seqLen: T, batch: B, train: true }).tape!.backward({ output: dy, diagnostics: true });
    const b = batchFirst.forward(swap(x, T, B, I), { seqLen: T, batch: B, train: true }).tape!.backward({ output: swap(dy, T, B, H), diagnostics: true });
    expect(b.diagnostics![0].hiddenGrads).toEqual(a.diagnostics![0].hiddenGrads);
    seqFirst.dispose(); batchFirst.dispose();
  });
});

describe('gate statistics', () => {
  it('an LSTM whose gates are constants (zero weights, set biases)', async () => {
    const H = 6, T = 5, B = 3;
    const lstm = await LSTM.create({ inputSize: 2, hiddenSize: H });
    const b = new Float32Array(4 * H);
    b.fill(0, 0, H); b.fill(6, H, 2 * H); b.fill(3, 2 * H, 3 * H); b.fill(-6, 3 * H);   // i, f, g, o
    lstm.loadStateDict({ weight_ih_l0: new Float32Array(4 * H * 2), weight_hh_l0: new Float32Array(4 * H * H), bias_ih_l0: b, bias_hh_l0: new Float32Array(4 * H) });
    const { tape } = lstm.forward(new Float32Array(T * B * 2).fill(1), { seqLen: T, batch: B, train: true });
    const g = tape!.backward({ output: new Float32Array(T * B * H).fill(1), diagnostics: true });
    const s = g.diagnostics![0].gates;
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    expect(s.perGate.i.mean).toBeCloseTo(0.5, 6);
    expect(s.perGate.f.mean).toBeCloseTo(sig(6), 6);
    expect(s.perGate.g.mean).toBeCloseTo(Math.tanh(3), 6);
    expect(s.perGate.o.mean).toBeCloseTo(sig(-6), 6);
    expect(s.meanForget).toBeCloseTo(sig(6), 6);
    expect(s.sigmoidSaturated).toBeCloseTo(2 / 3, 12);   // f > 0.99 and o < 0.01; i = 0.5
    expect(s.tanhSaturated).toBe(1);                      // tanh(3) = 0.995
    lstm.dispose();
  });
});

describe('training with diagnostics', () => {
  async function run(diagnostics: boolean, checkpointEvery?: number, cell: 'gru' | 'lstm' = 'gru') {
    const model = await Sequential.create({ layers: [
      { name: 'gru', type: cell, inputSize: 3, hiddenSize: 8, numLayers: 2, seed: 1 },
      { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 2, seed: 2 }] });
    const trainer = new Trainer(model, { loss: 'mse', lr: 1e-2, ...(checkpointEvery ? { checkpointEvery } : {}) });
    const T = 12, B = 2;
    const x = Float32Array.from({ length: T * B * 3 }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: T * B * 2 }, (_, i) => Math.cos(i));
    const results = [0, 1, 2].map(() => trainer.step(x, y, { seqLen: T, batch: B, diagnostics }));
    const weights = model.stateDict();
    trainer.dispose(); model.dispose();
    return { results, weights };
  }

  it('changes neither the losses nor the weights, and is absent when off', async () => {
    const off = await run(false), on = await run(true);
    expect(on.results.map((r) => r.loss)).toEqual(off.results.map((r) => r.loss));
    expect(on.weights).toEqual(off.weights);
    expect(off.results[0].diagnostics).toBeUndefined();
    const d = on.results[0].diagnostics!.layers.gru;
    expect(d).toHaveLength(2);
    expect(d[0].gradNorms).toHaveLength(12);
    expect(d[1].spectra!.map((s) => s.gate)).toEqual(['r', 'z', 'n']);
    expect(d[0].gates.meanForget).toBeGreaterThan(0);
  });

  it('checkpointed BPTT records the same per-step norms as full BPTT', async () => {
    const full = await run(true), ckpt = await run(true, 5);
    const a = full.results[0].diagnostics!.layers.gru, b = ckpt.results[0].diagnostics!.layers.gru;
    for (let i = 0; i < 2; i++) {
      expect(b[i].gradNorms).toHaveLength(12);
      b[i].gradNorms.forEach((n, t) => expect(Math.abs(n - a[i].gradNorms[t])).toBeLessThanOrEqual(1e-6 * a[i].gradNorms[t] + 1e-12));
      expect(b[i].gates.meanForget).toBeCloseTo(a[i].gates.meanForget!, 6);
    }
  });

  it("an LSTM's ‖∂L/∂c_t‖ too, joined across checkpointed windows", async () => {
    const full = await run(true, undefined, 'lstm'), ckpt = await run(true, 5, 'lstm');
    const a = full.results[0].diagnostics!.layers.gru, b = ckpt.results[0].diagnostics!.layers.gru;
    for (let i = 0; i < 2; i++) {
      expect(a[i].cell!.gradNorms).toHaveLength(12);
      b[i].cell!.gradNorms.forEach((n, t) => expect(Math.abs(n - a[i].cell!.gradNorms[t])).toBeLessThanOrEqual(1e-6 * a[i].cell!.gradNorms[t] + 1e-12));
    }
    expect((await run(true)).results[0].diagnostics!.layers.gru[0].cell).toBeUndefined();   // a GRU has no cell state
  });

  it('truncated BPTT reports each chunk\'s backward pass over its window; the first equals full BPTT on those steps', async () => {
    const make = () => Sequential.create({ layers: [
      { name: 'lstm', type: 'lstm', inputSize: 3, hiddenSize: 8, seed: 1 },
      { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 2, seed: 2 }] });
    const T = 12, B = 2;
    const x = Float32Array.from({ length: T * B * 3 }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: T * B * 2 }, (_, i) => Math.cos(i));
    const tbptt = { stepsPerUpdate: 4, stepsBack: 6 };
    const [on, off, first] = [await make(), await make(), await make()];
    const a = new Trainer(on, { loss: 'mse', lr: 1e-2, tbptt }), b = new Trainer(off, { loss: 'mse', lr: 1e-2, tbptt });
    const r = a.step(x, y, { seqLen: T, batch: B, diagnostics: true });
    expect(r.loss).toBe(b.step(x, y, { seqLen: T, batch: B }).loss);
    expect(on.stateDict()).toEqual(off.stateDict());
    // Chunks [0, 4), [4, 8), [8, 12), each backpropagated 6 steps: windows [0, 4), [2, 8), [6, 12).
    const chunks = r.diagnostics!.chunks!;
    expect(chunks.map((c) => c.window)).toEqual([{ from: 0, to: 4 }, { from: 2, to: 8 }, { from: 6, to: 12 }]);
    for (const c of chunks) {
      expect(c.layers.lstm[0].gradNorms).toHaveLength(c.window!.to - c.window!.from);
      expect(c.layers.lstm[0].gradNorms[0]).toBeGreaterThan(0);       // the steps before the chunk get gradient too
    }
    expect(r.diagnostics!.layers).toBe(chunks[2].layers);             // the top level is the last chunk's
    expect(r.diagnostics!.window).toEqual({ from: 6, to: 12 });
    // Spectra are of the weights before each chunk's update: the first chunk's are the initial ones.
    expect(chunks[0].layers.lstm[0].spectra).toEqual((first.layers[0].layer as LSTM).spectra()[0].gates);
    expect(chunks[1].layers.lstm[0].spectra).not.toEqual(chunks[0].layers.lstm[0].spectra);
    const full = new Trainer(first, { loss: 'mse', lr: 1e-2 });
    const whole = full.step(x.subarray(0, 4 * B * 3), y.subarray(0, 4 * B * 2), { seqLen: 4, batch: B, diagnostics: true });
    expect(chunks[0].layers).toEqual(whole.diagnostics!.layers);
    for (const t of [a, b, full]) t.dispose();
    for (const m of [on, off, first]) m.dispose();
  });
});
