// Every mistake a caller can make is reported with a typed RecurError whose message names the
// tensor, option or position at fault and says what was expected and what was given.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  Embedding, GRU, Linear, LSTM, RNN, Sequential, Runtime, init,
  RecurDisposedError, RecurError, RecurOptionError, RecurShapeError, RecurStateDictError, RecurValueError,
} from '../src/node/index.js';

type ErrorClass = new (message: string) => RecurError;

/** The error fn throws (or the promise rejects with), after checking its class and message. */
async function failure(fn: () => unknown, cls: ErrorClass, message: RegExp): Promise<RecurError> {
  let error: unknown;
  try {
    await fn();
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a throw').toBeDefined();
  expect(error).toBeInstanceOf(cls);
  expect(error).toBeInstanceOf(RecurError);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).name).toBe(cls.name);
  expect((error as Error).message).toMatch(message);
  return error as RecurError;
}

/** Bit patterns of a float array, so comparisons are exact (distinguishing -0, any NaN). */
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function expectSameStateDict(actual: Record<string, Float32Array>, expected: Record<string, Float32Array>): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const key of Object.keys(expected)) expect(bits(actual[key]), key).toEqual(bits(expected[key]));
}

/** A deep copy of a state dict with every value changed, so a successful load would be visible. */
function shifted(dict: Record<string, Float32Array>, by = 0.25): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(dict).map(([k, v]) => [k, v.map((x) => x + by)]));
}

let rt: Runtime;
beforeAll(async () => { rt = await init(); });

describe('forward input checks (RecurShapeError)', () => {
  // inputSize 3, hiddenSize 4, 2 layers: states are [2, B, 4].
  const lstm = () => LSTM.create({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1 }, rt);

  it('rejects an input whose length is not seqLen·batch·inputSize', async () => {
    const layer = await lstm();
    await failure(() => layer.forward(new Float32Array(7)), RecurShapeError,
      /lstm\.forward: input \[seqLen, batch, inputSize\] should have seqLen·1·3 values, got 7/);
    await failure(() => layer.forward(new Float32Array(12), { batch: 5 }), RecurShapeError,
      /should have seqLen·5·3 values, got 12/);
    await failure(() => layer.forward(new Float32Array(9), { seqLen: 2 }), RecurShapeError,
      /should have 2·1·3 values, got 9/);
  });

  it('rejects an empty input', async () => {
    const layer = await lstm();
    await failure(() => layer.forward(new Float32Array(0)), RecurShapeError, /got 0/);
  });

  it('names the batch-first layout when the layer is batch-first', async () => {
    const layer = await GRU.create({ inputSize: 3, hiddenSize: 4, batchFirst: true }, rt);
    await failure(() => layer.forward(new Float32Array(10), { batch: 2 }), RecurShapeError,
      /gru\.forward: input \[batch, seqLen, inputSize\] should have seqLen·2·3 values, got 10/);
  });

  it('rejects input that is not a Float32Array', async () => {
    const layer = await lstm();
    for (const input of [[1, 2, 3], new Float64Array(3), new Int32Array(3), null, undefined]) {
      await failure(() => layer.forward(input as unknown as Float32Array), RecurShapeError,
        /lstm\.forward: input must be a Float32Array/);
    }
  });

  it('rejects h0 of the wrong length, giving the expected [layers·directions, batch, hidden] shape', async () => {
    const layer = await lstm();
    const input = new Float32Array(2 * 2 * 3);   // T=2, B=2
    await failure(() => layer.forward(input, { batch: 2, h0: new Float32Array(15) }), RecurShapeError,
      /lstm\.forward: h0 \[numLayers·directions, batch, hiddenSize\] = \[2, 2, 4\] should have 16 values, got 15/);
    // The length for batch 1 is wrong at batch 2.
    await failure(() => layer.forward(input, { batch: 2, h0: new Float32Array(8) }), RecurShapeError,
      /h0 .*should have 16 values, got 8/);
  });

  it('rejects h0 that is not a Float32Array, even of the right length', async () => {
    const layer = await lstm();
    await failure(() => layer.forward(new Float32Array(3), { h0: Array(8).fill(0) as unknown as Float32Array }),
      RecurShapeError, /lstm\.forward: h0 must be a Float32Array/);
  });

  it('rejects c0 of the wrong length', async () => {
    const layer = await lstm();
    await failure(() => layer.forward(new Float32Array(3), { h0: new Float32Array(8), c0: new Float32Array(9) }),
      RecurShapeError, /lstm\.forward: c0 .*\[2, 1, 4\] should have 8 values, got 9/);
  });

  it('rejects c0 given to a GRU or an RNN, which have no cell state', async () => {
    const gru = await GRU.create({ inputSize: 3, hiddenSize: 4 }, rt);
    const rnn = await RNN.create({ inputSize: 3, hiddenSize: 4 }, rt);
    await failure(() => gru.forward(new Float32Array(3), { c0: new Float32Array(4) }), RecurShapeError,
      /gru\.forward: c0 is only for LSTM/);
    await failure(() => rnn.forward(new Float32Array(3), { h0: new Float32Array(4), c0: new Float32Array(4) }),
      RecurShapeError, /rnn\.forward: c0 is only for LSTM/);
  });

  it('rejects a batch or seqLen that is not a positive integer (RecurOptionError)', async () => {
    const layer = await lstm();
    await failure(() => layer.forward(new Float32Array(6), { batch: 0 }), RecurOptionError,
      /lstm: batch must be a positive integer, got 0/);
    await failure(() => layer.forward(new Float32Array(6), { batch: 1.5 }), RecurOptionError,
      /batch must be a positive integer, got 1\.5/);
    await failure(() => layer.forward(new Float32Array(6), { seqLen: -2 }), RecurOptionError,
      /seqLen must be a positive integer, got -2/);
  });
});

describe('Linear and Embedding input checks (RecurShapeError)', () => {
  it('Linear rejects an input length that is not a multiple of inFeatures', async () => {
    const linear = await Linear.create({ inFeatures: 3, outFeatures: 2 }, rt);
    await failure(() => linear.forward(new Float32Array(7)), RecurShapeError,
      /linear\.forward: input \[\.\.\., inFeatures=3\] should have a multiple of 3 values, got 7/);
    expect(linear.forward(new Float32Array(6))).toHaveLength(4);   // 2 rows are fine
  });

  it('Linear rejects input that is not a Float32Array', async () => {
    const linear = await Linear.create({ inFeatures: 3, outFeatures: 2 }, rt);
    for (const input of [[1, 2, 3], new Float64Array(3)]) {
      await failure(() => linear.forward(input as unknown as Float32Array), RecurShapeError,
        /linear\.forward: input must be a Float32Array/);
    }
  });

  it('Linear rejects a missing input with a RecurShapeError, like the other layers', async () => {
    const linear = await Linear.create({ inFeatures: 3, outFeatures: 2 }, rt);
    await failure(() => linear.forward(undefined as unknown as Float32Array), RecurShapeError,
      /must be a Float32Array/);
  });

  it('Embedding rejects an id at or above numEmbeddings, naming the id and its position', async () => {
    const embedding = await Embedding.create({ numEmbeddings: 11, embeddingDim: 2 }, rt);
    await failure(() => embedding.forward(Int32Array.of(1, 2, 11, 0)), RecurShapeError,
      /embedding\.forward: id 11 at position 2 is outside \[0, 11\)/);
  });

  it('Embedding rejects a negative id, naming its position', async () => {
    const embedding = await Embedding.create({ numEmbeddings: 11, embeddingDim: 2 }, rt);
    await failure(() => embedding.forward(Int32Array.of(3, 4, 5, 6, -1)), RecurShapeError,
      /id -1 at position 4 is outside \[0, 11\)/);
  });

  it('Embedding accepts the first and last ids', async () => {
    const embedding = await Embedding.create({ numEmbeddings: 11, embeddingDim: 2 }, rt);
    const table = embedding.stateDict().weight;
    expect(embedding.forward(Int32Array.of(0, 10))).toEqual(Float32Array.of(table[0], table[1], table[20], table[21]));
  });

  it('Embedding rejects ids that are not an Int32Array', async () => {
    const embedding = await Embedding.create({ numEmbeddings: 11, embeddingDim: 2 }, rt);
    for (const ids of [Float32Array.of(1, 2), [1, 2]]) {
      await failure(() => embedding.forward(ids as unknown as Int32Array), RecurShapeError,
        /embedding\.forward: ids must be an Int32Array/);
    }
  });

  it('Sequential rejects token ids when the first layer is not an embedding', async () => {
    const model = await Sequential.create({ layers: [{ name: 'rnn', type: 'rnn', inputSize: 2, hiddenSize: 3 }] }, rt);
    await failure(() => model.forward(Int32Array.of(1, 2)), RecurShapeError,
      /Sequential: layer 'rnn' needs Float32Array input \(token ids need an embedding layer first\)/);
  });
});

describe('loadStateDict checks', () => {
  // LSTM(3 → 4): weight_ih_l0 [16, 3], weight_hh_l0 [16, 4], bias_ih_l0 [16], bias_hh_l0 [16].
  const make = () => LSTM.create({ inputSize: 3, hiddenSize: 4, seed: 2 }, rt);

  it('a missing tensor is a RecurStateDictError naming it', async () => {
    const layer = await make();
    const { bias_hh_l0: _, ...dict } = layer.stateDict();
    await failure(() => layer.loadStateDict(dict), RecurStateDictError,
      /state dict does not fit: missing bias_hh_l0$/);
  });

  it('an unexpected tensor is a RecurStateDictError naming it', async () => {
    const layer = await make();
    const dict = { ...layer.stateDict(), weight_ih_l1: new Float32Array(64) };
    await failure(() => layer.loadStateDict(dict), RecurStateDictError, /unexpected weight_ih_l1/);
  });

  it('reports missing and unexpected tensors together', async () => {
    const layer = await make();
    const { weight_hh_l0, ...dict } = layer.stateDict();
    await failure(() => layer.loadStateDict({ ...dict, weight_hh_l0_reverse: weight_hh_l0 }), RecurStateDictError,
      /missing weight_hh_l0; unexpected weight_hh_l0_reverse/);
  });

  it('names tensors with the prefix when one is given', async () => {
    const layer = await make();
    const { 'enc.bias_ih_l0': _, ...dict } = layer.stateDict('enc.');
    await failure(() => layer.loadStateDict(dict, 'enc.'), RecurStateDictError, /missing enc\.bias_ih_l0/);
  });

  it('a wrongly sized tensor is a RecurShapeError naming it, its shape, and expected vs actual size', async () => {
    const layer = await make();
    const dict = layer.stateDict();
    await failure(() => layer.loadStateDict({ ...dict, weight_hh_l0: new Float32Array(63) }), RecurShapeError,
      /weight_hh_l0: expected 64 values \(shape \[16,4\]\), got 63/);
    await failure(() => layer.loadStateDict({ ...dict, bias_ih_l0: new Float32Array(17) }), RecurShapeError,
      /bias_ih_l0: expected 16 values \(shape \[16\]\), got 17/);
  });

  it('a wrongly sized tensor is named with its prefix', async () => {
    const layer = await make();
    const dict = { ...layer.stateDict('enc.'), 'enc.weight_ih_l0': new Float32Array(3) };
    await failure(() => layer.loadStateDict(dict, 'enc.'), RecurShapeError,
      /enc\.weight_ih_l0: expected 48 values \(shape \[16,3\]\), got 3/);
  });

  it('NaN is a RecurValueError naming the tensor and the index', async () => {
    const layer = await make();
    const dict = shifted(layer.stateDict());
    dict.weight_ih_l0[5] = NaN;
    await failure(() => layer.loadStateDict(dict), RecurValueError,
      /weight_ih_l0: value NaN at index 5 is not finite/);
  });

  it('±Infinity is a RecurValueError naming the tensor and the index', async () => {
    const layer = await make();
    const dict = shifted(layer.stateDict());
    dict.bias_hh_l0[15] = Infinity;
    await failure(() => layer.loadStateDict(dict), RecurValueError, /bias_hh_l0: value Infinity at index 15 is not finite/);
    dict.bias_hh_l0[15] = 0;
    dict.weight_hh_l0[0] = -Infinity;
    await failure(() => layer.loadStateDict(dict), RecurValueError, /weight_hh_l0: value -Infinity at index 0 is not finite/);
  });

  it('a plain-array value too large for float32 is rejected as Infinity', async () => {
    const layer = await make();
    const dict: Record<string, ArrayLike<number>> = { ...layer.stateDict() };
    dict.bias_ih_l0 = Array.from({ length: 16 }, (_, i) => (i === 7 ? 1e39 : 0));
    await failure(() => layer.loadStateDict(dict), RecurValueError, /bias_ih_l0: value Infinity at index 7 is not finite/);
  });

  it('a failed load leaves the weights unchanged, whichever tensor is bad', async () => {
    const layer = await make();
    const before = layer.stateDict();
    const x = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const outputBefore = layer.forward(x).output;
    const bad: [Record<string, Float32Array>, ErrorClass][] = [];
    for (const key of Object.keys(before)) {
      // Every other tensor is valid (and different), so a partial write would show.
      const nan = shifted(before);
      nan[key][nan[key].length - 1] = NaN;
      bad.push([nan, RecurValueError]);
      const short = shifted(before);
      short[key] = short[key].subarray(1);
      bad.push([short, RecurShapeError]);
    }
    const extra = { ...shifted(before), weight_peephole_l0: new Float32Array(12) };
    bad.push([extra, RecurStateDictError]);
    for (const [dict, cls] of bad) {
      await failure(() => layer.loadStateDict(dict), cls, /./);
      expectSameStateDict(layer.stateDict(), before);
    }
    expect(bits(layer.forward(x).output)).toEqual(bits(outputBefore));
    // …and a good dict still loads afterwards.
    layer.loadStateDict(shifted(before));
    expectSameStateDict(layer.stateDict(), shifted(before));
  });

  it('Linear and Embedding check their state dicts the same way', async () => {
    const linear = await Linear.create({ inFeatures: 3, outFeatures: 2, seed: 3 }, rt);
    const embedding = await Embedding.create({ numEmbeddings: 5, embeddingDim: 2, seed: 3 }, rt);
    await failure(() => linear.loadStateDict({ weight: new Float32Array(6) }), RecurStateDictError, /missing bias/);
    await failure(() => linear.loadStateDict({ weight: new Float32Array(5), bias: new Float32Array(2) }),
      RecurShapeError, /weight: expected 6 values \(shape \[2,3\]\), got 5/);
    const before = embedding.stateDict();
    const table = before.weight.map((v) => v * 2);
    table[9] = NaN;
    await failure(() => embedding.loadStateDict({ weight: table }), RecurValueError, /weight: value NaN at index 9/);
    expectSameStateDict(embedding.stateDict(), before);
  });
});

describe('create() option checks (RecurOptionError)', () => {
  it.each([
    [0, '0'], [2.5, '2.5'], ['3', '"3"'], [-4, '-4'], [NaN, 'null'], [undefined, 'undefined'],
  ])('rejects hiddenSize %s', async (hiddenSize, shown) => {
    for (const [type, create] of [['lstm', LSTM.create], ['gru', GRU.create], ['rnn', RNN.create]] as const) {
      await failure(() => create({ inputSize: 3, hiddenSize: hiddenSize as number }, rt), RecurOptionError,
        new RegExp(`^${type}: hiddenSize must be a positive integer, got ${shown.replace(/[.]/g, '\\.')}$`));
    }
  });

  it('rejects inputSize and numLayers that are not positive integers', async () => {
    await failure(() => LSTM.create({ inputSize: 0, hiddenSize: 3 }, rt), RecurOptionError,
      /lstm: inputSize must be a positive integer, got 0/);
    await failure(() => GRU.create({ inputSize: 2, hiddenSize: 3, numLayers: 1.5 }, rt), RecurOptionError,
      /gru: numLayers must be a positive integer, got 1\.5/);
  });

  it('rejects an unknown option key, listing the known ones', async () => {
    await failure(() => LSTM.create({ inputSize: 3, hiddenSize: 4, hidenSize: 4 } as never, rt), RecurOptionError,
      /lstm: unknown option hidenSize; known: inputSize, hiddenSize, numLayers, bias, batchFirst, bidirectional, seed, quantize, clip, recurrentInit, forgetBias, chronoMaxLength, dilation, leak, learnLeak, peephole/);
    await failure(() => GRU.create({ inputSize: 3, hiddenSize: 4, dropout: 0.1, proj_size: 2 } as never, rt),
      RecurOptionError, /gru: unknown options dropout, proj_size;/);
  });

  it("rejects an option that belongs to another layer type", async () => {
    await failure(() => GRU.create({ inputSize: 3, hiddenSize: 4, peephole: true } as never, rt), RecurOptionError,
      /gru: unknown option peephole/);
    await failure(() => LSTM.create({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu' } as never, rt),
      RecurOptionError, /lstm: unknown option nonlinearity/);
  });

  it("rejects nonlinearity 'gelu', listing the allowed ones", async () => {
    await failure(() => RNN.create({ inputSize: 3, hiddenSize: 4, nonlinearity: 'gelu' as 'tanh' }, rt), RecurOptionError,
      /rnn: nonlinearity must be one of 'tanh', 'relu', got "gelu"/);
  });

  it('rejects boolean options given as anything but true or false', async () => {
    await failure(() => LSTM.create({ inputSize: 3, hiddenSize: 4, bidirectional: 'yes' as never }, rt), RecurOptionError,
      /lstm: bidirectional must be true or false, got "yes"/);
    await failure(() => GRU.create({ inputSize: 3, hiddenSize: 4, linearBeforeReset: 0 as never }, rt), RecurOptionError,
      /gru: linearBeforeReset must be true or false, got 0/);
    await failure(() => Linear.create({ inFeatures: 3, outFeatures: 4, bias: 1 as never }, rt), RecurOptionError,
      /linear: bias must be true or false, got 1/);
  });

  it.each([[-1], [1.5], [2 ** 32], ['7'], [NaN]])('rejects seed %s for every layer type', async (seed) => {
    const s = seed as number;
    await failure(() => LSTM.create({ inputSize: 3, hiddenSize: 4, seed: s }, rt), RecurOptionError,
      /lstm: seed must be an integer in \[0, 2\^32\)/);
    await failure(() => GRU.create({ inputSize: 3, hiddenSize: 4, seed: s }, rt), RecurOptionError, /gru: seed must be/);
    await failure(() => RNN.create({ inputSize: 3, hiddenSize: 4, seed: s }, rt), RecurOptionError, /rnn: seed must be/);
    await failure(() => Linear.create({ inFeatures: 3, outFeatures: 4, seed: s }, rt), RecurOptionError, /linear: seed must be/);
    await failure(() => Embedding.create({ numEmbeddings: 3, embeddingDim: 4, seed: s }, rt), RecurOptionError,
      /embedding: seed must be/);
  });

  it('accepts the extreme seeds 0 and 2^32 − 1', async () => {
    for (const seed of [0, 2 ** 32 - 1]) {
      const layer = await RNN.create({ inputSize: 1, hiddenSize: 1, seed }, rt);
      expect(Object.keys(layer.stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']);
    }
  });

  it('Linear and Embedding check their sizes and option keys', async () => {
    await failure(() => Linear.create({ inFeatures: 3, outFeatures: 0 }, rt), RecurOptionError,
      /linear: outFeatures must be a positive integer, got 0/);
    await failure(() => Linear.create({ inFeatures: 3, outFeatures: 2, bias_: false } as never, rt), RecurOptionError,
      /linear: unknown option bias_; known: inFeatures, outFeatures, bias, seed, quantize/);
    await failure(() => Embedding.create({ numEmbeddings: 10, embeddingDim: 2.5 }, rt), RecurOptionError,
      /embedding: embeddingDim must be a positive integer, got 2\.5/);
    await failure(() => Embedding.create({ numEmbeddings: 10, embeddingDim: 2, paddingIdx: 0 } as never, rt),
      RecurOptionError, /embedding: unknown option paddingIdx/);
  });
});

describe('use after dispose() (RecurDisposedError)', () => {
  const input = new Float32Array(6);   // T=2, B=1, I=3

  it.each([
    ['lstm', () => LSTM.create({ inputSize: 3, hiddenSize: 2 }, rt)],
    ['gru', () => GRU.create({ inputSize: 3, hiddenSize: 2 }, rt)],
    ['rnn', () => RNN.create({ inputSize: 3, hiddenSize: 2 }, rt)],
  ] as const)('%s: forward, stateDict and loadStateDict throw; dispose() again is harmless', async (type, create) => {
    const layer = await create();
    const dict = layer.stateDict();
    const inUse = rt.bytesInUse;
    layer.dispose();
    expect(layer.isDisposed).toBe(true);
    expect(rt.bytesInUse).toBeLessThan(inUse);
    const message = new RegExp(`^${type}: used after dispose\\(\\)$`);
    await failure(() => layer.forward(input), RecurDisposedError, message);
    await failure(() => layer.stateDict(), RecurDisposedError, message);
    await failure(() => layer.loadStateDict(dict), RecurDisposedError, message);
    const afterFirst = rt.bytesInUse;
    expect(() => layer.dispose()).not.toThrow();
    expect(rt.bytesInUse).toBe(afterFirst);   // nothing freed twice
  });

  it('Linear: forward, stateDict and loadStateDict throw; dispose() again is harmless', async () => {
    const linear = await Linear.create({ inFeatures: 3, outFeatures: 2 }, rt);
    const dict = linear.stateDict();
    linear.dispose();
    await failure(() => linear.forward(input), RecurDisposedError, /^linear: used after dispose\(\)$/);
    await failure(() => linear.stateDict(), RecurDisposedError, /linear: used after dispose/);
    await failure(() => linear.loadStateDict(dict), RecurDisposedError, /linear: used after dispose/);
    const after = rt.bytesInUse;
    expect(() => linear.dispose()).not.toThrow();
    expect(rt.bytesInUse).toBe(after);
  });

  it('Embedding: forward, stateDict and loadStateDict throw; dispose() again is harmless', async () => {
    const embedding = await Embedding.create({ numEmbeddings: 4, embeddingDim: 2 }, rt);
    const dict = embedding.stateDict();
    embedding.dispose();
    await failure(() => embedding.forward(Int32Array.of(1)), RecurDisposedError, /^embedding: used after dispose\(\)$/);
    await failure(() => embedding.stateDict(), RecurDisposedError, /embedding: used after dispose/);
    await failure(() => embedding.loadStateDict(dict), RecurDisposedError, /embedding: used after dispose/);
    const after = rt.bytesInUse;
    expect(() => embedding.dispose()).not.toThrow();
    expect(rt.bytesInUse).toBe(after);
  });

  it('Sequential: forward, stateDict and loadStateDict throw, and its layers are disposed too', async () => {
    const model = await Sequential.create({
      layers: [
        { name: 'embed', type: 'embedding', numEmbeddings: 4, embeddingDim: 3 },
        { name: 'lstm', type: 'lstm', inputSize: 3, hiddenSize: 2 },
      ],
    }, rt);
    const dict = model.stateDict();
    const lstm = model.layer('lstm') as LSTM;
    model.dispose();
    await failure(() => model.forward(Int32Array.of(1, 2)), RecurDisposedError, /^Sequential: used after dispose\(\)$/);
    await failure(() => model.stateDict(), RecurDisposedError, /Sequential: used after dispose/);
    await failure(() => model.loadStateDict(dict), RecurDisposedError, /Sequential: used after dispose/);
    await failure(() => lstm.forward(input), RecurDisposedError, /lstm: used after dispose/);
    const after = rt.bytesInUse;
    expect(() => model.dispose()).not.toThrow();
    expect(rt.bytesInUse).toBe(after);
  });

  it('a layer disposed on its own and then through its Sequential is freed once', async () => {
    const model = await Sequential.create({ layers: [{ name: 'head', type: 'linear', inFeatures: 2, outFeatures: 2 }] }, rt);
    const before = rt.bytesInUse;
    model.layer('head')!.dispose();
    const after = rt.bytesInUse;
    expect(after).toBeLessThan(before);
    expect(() => model.dispose()).not.toThrow();
    expect(rt.bytesInUse).toBe(after);
  });
});
