// A Stream's options and its life cycle: what step() returns with reuseOutput false (a new array
// each step, never touched again) and true (one array, overwritten by every step); correct
// outputs after wasm memory grows between steps; and the typed errors for bad options, bad
// inputs and use after dispose().

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  GRU, LSTM, RNN, RecurDisposedError, RecurOptionError, RecurShapeError, Runtime, Sequential,
} from '../src/node/index.js';

const wasmBytes = readFileSync(new URL('../build/recur.wasm', import.meta.url));

const T = 6, B = 2, I = 3;

function inputs(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2);
}

/** Step t's rows of a time-major [T, B, F] array. */
const stepOf = (a: Float32Array, t: number, F: number) => a.subarray(t * B * F, (t + 1) * B * F);

describe('reuseOutput', () => {
  it('false (the default): each step returns a new array that later steps leave alone', async () => {
    const layer = await GRU.create({ inputSize: I, hiddenSize: 4, seed: 1 });
    const x = inputs(T * B * I, 1);
    const { output } = layer.forward(x, { seqLen: T, batch: B });
    const s = layer.stream({ batch: B });
    expect(s.reuseOutput).toBe(false);
    const ys = Array.from({ length: T }, (_, t) => s.step(stepOf(x, t, I)));
    expect(new Set(ys).size).toBe(T);
    expect(new Set(ys.map((y) => y.buffer)).size).toBe(T);   // not views of one buffer either
    ys.forEach((y, t) => expect(y).toEqual(stepOf(output, t, 4)));
    s.dispose(); layer.dispose();
  });

  it('true: each step returns the same array, overwritten with that step\'s output', async () => {
    const layer = await LSTM.create({ inputSize: I, hiddenSize: 5, numLayers: 2, seed: 2 });
    const x = inputs(T * B * I, 2);
    const { output } = layer.forward(x, { seqLen: T, batch: B });
    const s = layer.stream({ batch: B, reuseOutput: true });
    expect(s.reuseOutput).toBe(true);
    const first = s.step(stepOf(x, 0, I));
    expect(first).toEqual(stepOf(output, 0, 5));
    expect(first.length).toBe(B * 5);
    for (let t = 1; t < T; t++) {
      const y = s.step(stepOf(x, t, I));
      expect(y).toBe(first);
      expect(first).toEqual(stepOf(output, t, 5));
    }
    // The array is the stream's own, not a view of wasm memory that the next allocation could move.
    expect(first.buffer).not.toBe(layer.runtime.memory.buffer);
    s.dispose(); layer.dispose();
  });

  it('true: writing into the returned array does not change the stream', async () => {
    const layer = await RNN.create({ inputSize: I, hiddenSize: 4, seed: 3 });
    const x = inputs(T * B * I, 3);
    const { output } = layer.forward(x, { seqLen: T, batch: B });
    const s = layer.stream({ batch: B, reuseOutput: true });
    for (let t = 0; t < T; t++) {
      const y = s.step(stepOf(x, t, I));
      expect(y).toEqual(stepOf(output, t, 4));
      y.fill(1e6);
    }
    s.dispose(); layer.dispose();
  });

  it('steps() returns a new array whatever reuseOutput says', async () => {
    const layer = await GRU.create({ inputSize: I, hiddenSize: 4, seed: 4 });
    const x = inputs(T * B * I, 4);
    const { output } = layer.forward(x, { seqLen: T, batch: B });
    const s = layer.stream({ batch: B, reuseOutput: true });
    const a = s.steps(x.subarray(0, 3 * B * I), 3);
    const b = s.steps(x.subarray(3 * B * I), 3);
    expect(a).not.toBe(b);
    expect(a).toEqual(output.subarray(0, 3 * B * 4));
    expect(b).toEqual(output.subarray(3 * B * 4));
    s.dispose(); layer.dispose();
  });
});

describe('wasm memory growing between steps', () => {
  it.each([false, true])('reuseOutput %s: outputs stay correct and earlier outputs intact', async (reuseOutput) => {
    const rt = await Runtime.create(wasmBytes);
    const model = await Sequential.create({ layers: [
      { name: 'embed', type: 'embedding', numEmbeddings: 9, embeddingDim: 4, seed: 1 },
      { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 6, seed: 2 },
      { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 9, seed: 3 }] }, rt);
    const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 5 + 2) % 9);
    const { output } = model.forward(ids, { seqLen: T, batch: B });
    const s = model.stream({ batch: B, reuseOutput });
    const kept: Float32Array[] = [];
    const blocks: number[] = [];
    for (let t = 0; t < T; t++) {
      // Grow memory by more than it holds, so every earlier view of it is detached.
      const before = rt.memoryBytes;
      blocks.push(rt.alloc(before));
      expect(rt.memoryBytes).toBeGreaterThan(before);
      const y = s.step(ids.subarray(t * B, (t + 1) * B));
      expect(y).toEqual(stepOf(output, t, 9));
      kept.push(reuseOutput ? y.slice() : y);
    }
    kept.forEach((y, t) => expect(y).toEqual(stepOf(output, t, 9)));
    blocks.forEach((p) => rt.free(p));
    s.dispose(); model.dispose();
  });

  it('steps() and step() interleaved with growth and a larger steps() buffer', async () => {
    const rt = await Runtime.create(wasmBytes);
    const layer = await LSTM.create({ inputSize: I, hiddenSize: 7, numLayers: 2, seed: 5 }, rt);
    const x = inputs(10 * B * I, 5);
    const { output } = layer.forward(x, { seqLen: 10, batch: B });
    const s = layer.stream({ batch: B, reuseOutput: true });
    const got: Float32Array[] = [s.step(stepOf(x, 0, I)).slice()];
    rt.alloc(rt.memoryBytes);
    got.push(s.steps(x.subarray(1 * B * I, 5 * B * I), 4));    // reallocates the step buffers
    got.push(s.step(stepOf(x, 5, I)).slice());
    rt.alloc(rt.memoryBytes);
    got.push(s.step(stepOf(x, 6, I)).slice());
    got.push(s.steps(x.subarray(7 * B * I), 3));
    const flat = Float32Array.from(got.flatMap((y) => Array.from(y)));
    expect(flat).toEqual(output);
    s.dispose(); layer.dispose();
  });
});

describe('options are checked', () => {
  it.each([
    ['an unknown option', { batchSize: 2 }, /unknown option batchSize/],
    ['batch 0', { batch: 0 }, /batch must be a positive integer, got 0/],
    ['batch -1', { batch: -1 }, /batch must be a positive integer/],
    ['batch 1.5', { batch: 1.5 }, /batch must be a positive integer/],
    ['batch "2"', { batch: '2' }, /batch must be a positive integer/],
    ['reuseOutput "yes"', { reuseOutput: 'yes' }, /reuseOutput must be true or false/],
  ])('%s → RecurOptionError', async (_name, options, message) => {
    const layer = await GRU.create({ inputSize: I, hiddenSize: 4, seed: 6 });
    const model = await Sequential.create({ layers: [{ name: 'gru', type: 'gru', inputSize: I, hiddenSize: 4, seed: 6 }] });
    const before = layer.runtime.bytesInUse;
    for (const m of [layer, model]) {
      expect(() => m.stream(options as never)).toThrow(RecurOptionError);
      expect(() => m.stream(options as never)).toThrow(message);
    }
    expect(layer.runtime.bytesInUse).toBe(before);
    layer.dispose(); model.dispose();
  });

  it('stream(null) uses the defaults or throws RecurOptionError, never a TypeError', async () => {
    const layer = await GRU.create({ inputSize: I, hiddenSize: 4, seed: 6 });
    let error: unknown;
    try { layer.stream(null as never).dispose(); } catch (err) { error = err; }
    if (error !== undefined) expect(error).toBeInstanceOf(RecurOptionError);
    layer.dispose();
  });

  it('steps() needs a positive integer T', async () => {
    const layer = await GRU.create({ inputSize: I, hiddenSize: 4, seed: 7 });
    const s = layer.stream();
    for (const bad of [0, -1, 1.5, NaN]) expect(() => s.steps(new Float32Array(I), bad)).toThrow(RecurOptionError);
    s.dispose(); layer.dispose();
  });
});

describe('use after dispose()', () => {
  it('a disposed stream throws RecurDisposedError from everything; dispose() twice is harmless', async () => {
    const layer = await LSTM.create({ inputSize: I, hiddenSize: 4, seed: 8 });
    const s = layer.stream();
    const snapshot = s.saveState();
    s.dispose();
    s.dispose();
    const uses: [string, () => unknown][] = [
      ['step', () => s.step(new Float32Array(I))],
      ['steps', () => s.steps(new Float32Array(2 * I), 2)],
      ['saveState', () => s.saveState()],
      ['loadState', () => s.loadState(snapshot)],
      ['reset', () => s.reset()],
    ];
    for (const [, use] of uses) {
      expect(use).toThrow(RecurDisposedError);
      expect(use).toThrow(/used after dispose/);
    }
    layer.dispose();
  });

  it('a stream whose model was disposed throws RecurDisposedError from step() and steps()', async () => {
    const layer = await GRU.create({ inputSize: I, hiddenSize: 4, seed: 9 });
    const s = layer.stream();
    s.step(new Float32Array(I));
    layer.dispose();
    expect(() => s.step(new Float32Array(I))).toThrow(RecurDisposedError);
    expect(() => s.step(new Float32Array(I))).toThrow(/model was disposed/);
    expect(() => s.steps(new Float32Array(2 * I), 2)).toThrow(RecurDisposedError);
    expect(() => layer.stream()).toThrow(RecurDisposedError);
    s.dispose();
  });

  it('the same for a Sequential', async () => {
    const model = await Sequential.create({ layers: [
      { name: 'embed', type: 'embedding', numEmbeddings: 5, embeddingDim: 3, seed: 1 },
      { name: 'rnn', type: 'rnn', inputSize: 3, hiddenSize: 4, seed: 2 },
      { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 5, seed: 3 }] });
    const s = model.stream();
    s.step(Int32Array.of(1));
    model.dispose();
    expect(() => s.step(Int32Array.of(1))).toThrow(RecurDisposedError);
    expect(() => model.stream()).toThrow(RecurDisposedError);
    s.dispose();
  });
});

describe('inputs are checked before anything runs', () => {
  const layers = [
    { name: 'embed', type: 'embedding' as const, numEmbeddings: 5, embeddingDim: 3, seed: 1 },
    { name: 'lstm', type: 'lstm' as const, inputSize: 3, hiddenSize: 4, seed: 2 },
  ];

  it('token ids out of range → RecurShapeError naming the id and the range; the state is unchanged', async () => {
    const model = await Sequential.create({ layers });
    const s = model.stream({ batch: B });
    s.step(Int32Array.of(1, 2));
    const before = s.saveState();
    expect(() => s.step(Int32Array.of(0, 5))).toThrow(RecurShapeError);
    expect(() => s.step(Int32Array.of(0, 5))).toThrow(/token id 5 at position 1 is outside \[0, 5\)/);
    expect(() => s.step(Int32Array.of(-1, 0))).toThrow(/token id -1 at position 0/);
    expect(() => s.steps(Int32Array.of(0, 1, 2, 3, 4, 7), 3)).toThrow(/token id 7 at position 5/);
    expect(() => s.steps(Int32Array.of(0, 1, 2, 3, 4, -2147483648), 3)).toThrow(RecurShapeError);
    expect(s.saveState()).toEqual(before);
    s.dispose(); model.dispose();
  });

  it('the wrong array type or length → RecurShapeError; the state is unchanged', async () => {
    const model = await Sequential.create({ layers });
    const ids = model.stream({ batch: B });
    const layer = await GRU.create({ inputSize: I, hiddenSize: 4, seed: 10 });
    const floats = layer.stream({ batch: B });
    const before = [ids.saveState(), floats.saveState()];
    const bad: [string, () => unknown][] = [
      ['floats for ids', () => ids.step(Float32Array.of(1, 2) as never)],
      ['too few ids', () => ids.step(Int32Array.of(1))],
      ['too many ids', () => ids.step(Int32Array.of(1, 2, 3))],
      ['ids for floats', () => floats.step(new Int32Array(B * I) as never)],
      ['a plain array', () => floats.step(Array.from({ length: B * I }, () => 0) as never)],
      ['too few floats', () => floats.step(new Float32Array(B * I - 1))],
      ['steps() with a T that does not match', () => floats.steps(new Float32Array(3 * B * I), 2)],
    ];
    for (const [, use] of bad) expect(use).toThrow(RecurShapeError);
    expect(() => floats.step(new Float32Array(5))).toThrow(/should have 6 values, got 5/);
    expect([ids.saveState(), floats.saveState()]).toEqual(before);
    ids.dispose(); floats.dispose(); model.dispose(); layer.dispose();
  });
});
