// Sequential: a chain of named layers whose parameters are exactly a PyTorch module's state_dict()
// (`<attribute>.<PyTorch name>`), checked against torch 1.13 outputs from
// test/fixtures/sequential/make_sequential_golden.py; plus the state-dict round trip of every
// standalone layer type.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Embedding, GRU, Linear, LSTM, RNN, Sequential, Runtime, init,
  RecurError, RecurOptionError, RecurShapeError, RecurStateDictError, RecurValueError,
  type LayerDescription, type SequentialDescription, seededRandom } from '../src/node/index.js';
import { relativeError } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Fixture

interface Encoded { shape: number[]; data: string }
interface EncodedStates { [layer: string]: { h: Encoded; c?: Encoded } }
interface Run { initial?: EncodedStates; output: Encoded; states: EncodedStates }
interface ModelFixture {
  seqLen: number; batch: number;
  ids?: number[]; input?: Encoded;
  stateDict: Record<string, Encoded>;
  runs: { zeroState: Run; givenState: Run };
}
interface Fixture {
  torch: string;
  models: { embed_lstm_head: ModelFixture; gru_head: ModelFixture };
  layouts: Record<string, { options: { type: string } & Record<string, unknown>; torch: [string, number[]][] }>;
}

const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/sequential/sequential.json', import.meta.url), 'utf8'));

function decode(t: Encoded): Float32Array {
  const bytes = Buffer.from(t.data, 'base64');
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  expect(out.length).toBe(t.shape.reduce((a, b) => a * b, 1));
  return out;
}

const decodeDict = (d: Record<string, Encoded>) =>
  Object.fromEntries(Object.entries(d).map(([k, v]) => [k, decode(v)])) as Record<string, Float32Array>;

const decodeStates = (s: EncodedStates) =>
  Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { h: decode(v.h), ...(v.c ? { c: decode(v.c) } : {}) }]));

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Bit patterns, so equality is exact (-0 ≠ 0). */
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function expectBitEqual(actual: Record<string, Float32Array>, expected: Record<string, Float32Array>): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));   // same keys, same order
  for (const key of Object.keys(expected)) expect(bits(actual[key]), key).toEqual(bits(expected[key]));
}

/** mulberry32 (recur's seededRandom), so every run does the same operations. */
const prng = seededRandom;

/** Random values in [-2, 2), with a -0, a subnormal and the largest float32 mixed in, so bit-exactness means something. */
function randomTensor(n: number, random: () => number): Float32Array {
  const t = Float32Array.from({ length: n }, () => random() * 4 - 2);
  const specials = [-0, 1e-40, -3.4028234663852886e38, 1.1754943508222875e-38];
  for (let i = 0; i < Math.min(n, specials.length); i++) t[Math.floor(random() * n)] = specials[i];
  return t;
}

async function failure(fn: () => unknown, cls: new (m: string) => RecurError, message: RegExp): Promise<void> {
  let error: unknown;
  try { await fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect(error).toBeInstanceOf(RecurError);
  expect((error as Error).message).toMatch(message);
}

// ---------------------------------------------------------------------------------------------
// The two reference models

const EMBED_LSTM_HEAD: SequentialDescription = {
  layers: [
    { name: 'embed', type: 'embedding', numEmbeddings: 11, embeddingDim: 6 },
    { name: 'lstm', type: 'lstm', inputSize: 6, hiddenSize: 8, numLayers: 2 },
    { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 11 },
  ],
};

const GRU_HEAD: SequentialDescription = {
  layers: [
    { name: 'rnn', type: 'gru', inputSize: 5, hiddenSize: 7, batchFirst: true, bidirectional: true },
    { name: 'head', type: 'linear', inFeatures: 14, outFeatures: 3 },
  ],
};

const TOLERANCE = 1e-5;

let rt: Runtime;
beforeAll(async () => { rt = await init(); });

describe.each([
  ['embed → 2-layer LSTM → linear (token ids, [T, B])', EMBED_LSTM_HEAD, 'embed_lstm_head'],
  ['bidirectional batch-first GRU → linear (floats, [B, T, 5])', GRU_HEAD, 'gru_head'],
] as const)('Sequential %s, against PyTorch', (_, description, key) => {
  const golden = fixture.models[key];
  const torchDict = decodeDict(golden.stateDict);
  const input = golden.ids ? Int32Array.from(golden.ids) : decode(golden.input!);

  async function loaded(): Promise<Sequential> {
    const model = await Sequential.create(description, rt);
    model.loadStateDict(torchDict);
    return model;
  }

  it.each(['zeroState', 'givenState'] as const)(
    'with PyTorch\'s state_dict, matches its output and per-layer final states (%s) within 1e-5',
    async (runName) => {
      const model = await loaded();
      const run = golden.runs[runName];
      const result = model.forward(input, {
        batch: golden.batch,
        ...(run.initial ? { states: decodeStates(run.initial) } : {}),
      });
      expect(relativeError(result.output, decode(run.output))).toBeLessThanOrEqual(TOLERANCE);
      const expected = decodeStates(run.states);
      expect(Object.keys(result.states)).toEqual(Object.keys(expected));
      for (const [layer, state] of Object.entries(expected)) {
        expect(relativeError(result.states[layer].h, state.h), `${layer}.h`).toBeLessThanOrEqual(TOLERANCE);
        if (state.c) expect(relativeError(result.states[layer].c!, state.c), `${layer}.c`).toBeLessThanOrEqual(TOLERANCE);
        else expect(result.states[layer].c).toBeUndefined();
      }
      model.dispose();
    });

  it('stateDict() returns bit-for-bit what was loaded, under exactly PyTorch\'s keys in PyTorch\'s order', async () => {
    const model = await loaded();
    const dict = model.stateDict();
    expect(Object.keys(dict)).toEqual(Object.keys(golden.stateDict));
    for (const [name, t] of Object.entries(golden.stateDict)) expect(dict[name], name).toHaveLength(product(t.shape));
    expectBitEqual(dict, torchDict);
    model.dispose();
  });

  it('counts parameters as PyTorch does', async () => {
    const model = await Sequential.create(description, rt);
    const torchCount = Object.values(golden.stateDict).reduce((n, t) => n + product(t.shape), 0);
    expect(model.parameterCount).toBe(torchCount);
    model.dispose();
  });

  it('toJSON() round-trips through JSON.stringify into Sequential.create as an identical model', async () => {
    const model = await loaded();
    const json = JSON.parse(JSON.stringify(model.toJSON()));
    expect(json).toEqual(model.toJSON());   // plain JSON: nothing lost in serialisation
    const copy = await Sequential.create(json, rt);
    expect(copy.toJSON()).toEqual(model.toJSON());
    expect(Object.keys(copy.stateDict())).toEqual(Object.keys(model.stateDict()));
    copy.loadStateDict(model.stateDict());
    expectBitEqual(copy.stateDict(), model.stateDict());
    const a = model.forward(input, { batch: golden.batch });
    const b = copy.forward(input, { batch: golden.batch });
    expect(bits(b.output)).toEqual(bits(a.output));
    for (const layer of Object.keys(a.states)) expect(bits(b.states[layer].h)).toEqual(bits(a.states[layer].h));
    model.dispose();
    copy.dispose();
  });

  it('a failed loadStateDict leaves every layer unchanged', async () => {
    const model = await loaded();
    const before = model.stateDict();
    const outputBefore = model.forward(input, { batch: golden.batch }).output;
    const names = Object.keys(torchDict);
    const other = (): Record<string, Float32Array> =>
      Object.fromEntries(names.map((k) => [k, torchDict[k].map((v) => v * 0.5 + 0.125)]));

    // A bad tensor in the last layer: the layers before it load, then must be restored.
    const nan = other();
    nan['head.bias'][2] = NaN;
    await failure(() => model.loadStateDict(nan), RecurValueError, /head\.bias: value NaN at index 2 is not finite/);
    expectBitEqual(model.stateDict(), before);

    const missing = other();
    delete missing['head.weight'];
    await failure(() => model.loadStateDict(missing), RecurStateDictError, /missing head\.weight/);
    expectBitEqual(model.stateDict(), before);

    // A wrongly sized tensor in the first layer.
    const short = other();
    short[names[0]] = short[names[0]].subarray(1);
    await failure(() => model.loadStateDict(short), RecurShapeError,
      new RegExp(`${names[0].replace('.', '\\.')}: expected ${torchDict[names[0]].length} values`));
    expectBitEqual(model.stateDict(), before);

    expect(bits(model.forward(input, { batch: golden.batch }).output)).toEqual(bits(outputBefore));
    model.dispose();
  });
});

describe('Sequential description and state-dict checks', () => {
  const withLayers = (...layers: LayerDescription[]): SequentialDescription => ({ layers });

  it('toJSON() makes every option explicit', async () => {
    const model = await Sequential.create(EMBED_LSTM_HEAD, rt);
    expect(model.toJSON()).toEqual({
      layers: [
        { name: 'embed', type: 'embedding', numEmbeddings: 11, embeddingDim: 6 },
        { name: 'lstm', type: 'lstm', inputSize: 6, hiddenSize: 8, numLayers: 2, bias: true, batchFirst: false,
          bidirectional: false, peephole: false },
        { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 11, bias: true },
      ],
    });
    model.dispose();
  });

  it('layer(name) gives each named layer, of its type', async () => {
    const model = await Sequential.create(EMBED_LSTM_HEAD, rt);
    expect(model.layer('embed')).toBeInstanceOf(Embedding);
    expect(model.layer('lstm')).toBeInstanceOf(LSTM);
    expect(model.layer('head')).toBeInstanceOf(Linear);
    expect(model.layer('nope')).toBeUndefined();
    model.dispose();
  });

  it('rejects a recurrent layer whose inputSize is not the previous layer\'s output size', async () => {
    await failure(() => Sequential.create(withLayers(
      { name: 'embed', type: 'embedding', numEmbeddings: 11, embeddingDim: 6 },
      { name: 'lstm', type: 'lstm', inputSize: 5, hiddenSize: 8 },
    ), rt), RecurOptionError, /Sequential: layer 'lstm' takes 5 features but 'embed' gives 6/);
  });

  it('rejects a linear layer that does not take the previous layer\'s output (2·hidden when bidirectional)', async () => {
    await failure(() => Sequential.create(withLayers(
      { name: 'rnn', type: 'gru', inputSize: 5, hiddenSize: 7, bidirectional: true },
      { name: 'head', type: 'linear', inFeatures: 7, outFeatures: 3 },
    ), rt), RecurOptionError, /layer 'head' takes 7 features but 'rnn' gives 14/);
  });

  it('rejects an embedding anywhere but first', async () => {
    await failure(() => Sequential.create(withLayers(
      { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 4 },
      { name: 'embed', type: 'embedding', numEmbeddings: 4, embeddingDim: 4 },
    ), rt), RecurOptionError, /embedding 'embed' can only be the first layer/);
  });

  it('rejects two layers with the same name', async () => {
    await failure(() => Sequential.create(withLayers(
      { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 4 },
      { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 4 },
    ), rt), RecurOptionError, /two layers are named 'lstm'/);
  });

  it('rejects an unknown layer type, listing the known ones', async () => {
    await failure(() => Sequential.create(withLayers(
      { name: 'attn', type: 'transformer', inputSize: 4 } as never,
    ), rt), RecurOptionError, /layer 'attn' has unknown type "transformer"; known: lstm, gru, rnn, linear, embedding/);
  });

  it('rejects a layer name that is not an identifier (it would not make a PyTorch key prefix)', async () => {
    for (const name of ['head.out', '', '1st', 'a-b', undefined]) {
      await failure(() => Sequential.create(withLayers(
        { name, type: 'linear', inFeatures: 2, outFeatures: 2 } as never,
      ), rt), RecurOptionError, /must be an identifier/);
    }
  });

  it('rejects an empty or missing layer list', async () => {
    await failure(() => Sequential.create({ layers: [] }, rt), RecurOptionError, /layers must be a non-empty array/);
    await failure(() => Sequential.create({} as never, rt), RecurOptionError, /layers must be a non-empty array/);
  });

  it('passes on a layer\'s own option errors', async () => {
    await failure(() => Sequential.create(withLayers(
      { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 0 },
    ), rt), RecurOptionError, /lstm: hiddenSize must be a positive integer, got 0/);
  });

  it('rejects a state dict with a tensor for no layer, naming it and the layers', async () => {
    const model = await Sequential.create(EMBED_LSTM_HEAD, rt);
    const dict = { ...decodeDict(fixture.models.embed_lstm_head.stateDict), 'decoder.weight': new Float32Array(4) };
    await failure(() => model.loadStateDict(dict), RecurStateDictError,
      /state dict has tensors for no layer: decoder\.weight \(layers: embed, lstm, head\)/);
    model.dispose();
  });

  it('rejects a state dict with an unknown tensor under a layer\'s name', async () => {
    const model = await Sequential.create(EMBED_LSTM_HEAD, rt);
    const dict = { ...decodeDict(fixture.models.embed_lstm_head.stateDict), 'lstm.weight_ih_l2': new Float32Array(4) };
    await failure(() => model.loadStateDict(dict), RecurStateDictError, /unexpected lstm\.weight_ih_l2/);
    model.dispose();
  });

  it('names a wrongly sized tensor with its full key and both sizes', async () => {
    const model = await Sequential.create(EMBED_LSTM_HEAD, rt);
    const dict = { ...decodeDict(fixture.models.embed_lstm_head.stateDict), 'lstm.weight_hh_l1': new Float32Array(255) };
    await failure(() => model.loadStateDict(dict), RecurShapeError,
      /lstm\.weight_hh_l1: expected 256 values \(shape \[32,8\]\), got 255/);
    model.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// Standalone layers: stateDict round trip with PyTorch's key names and shapes

type AnyLayer = LSTM | GRU | RNN | Linear | Embedding;

async function createLayer(options: { type: string } & Record<string, unknown>): Promise<AnyLayer> {
  const { type, ...rest } = options;
  switch (type) {
    case 'lstm': return LSTM.create(rest as never, rt);
    case 'gru': return GRU.create(rest as never, rt);
    case 'rnn': return RNN.create(rest as never, rt);
    case 'linear': return Linear.create(rest as never, rt);
    case 'embedding': return Embedding.create(rest as never, rt);
    default: throw new Error(`fixture has unknown type ${type}`);
  }
}

/**
 * PyTorch's keys and shapes for a layout, plus, for a peephole LSTM, weight_peephole_<suffix> [3H]
 * after each layer-direction's other tensors (PyTorch has no peephole LSTM).
 */
function expectedLayout(layout: Fixture['layouts'][string]): [string, number[]][] {
  const { options } = layout;
  if (!options.peephole) return layout.torch;
  const H = options.hiddenSize as number;
  const out: [string, number[]][] = [];
  layout.torch.forEach(([name, shape], i) => {
    out.push([name, shape]);
    const suffix = name.replace(/^(weight|bias)_(ih|hh)/, '');
    const nextSuffix = layout.torch[i + 1]?.[0].replace(/^(weight|bias)_(ih|hh)/, '');
    if (nextSuffix !== suffix) out.push([`weight_peephole${suffix}`, [3 * H]]);
  });
  return out;
}

describe.each(Object.entries(fixture.layouts))('standalone %s', (name, layout) => {
  const expected = expectedLayout(layout);

  it('stateDict() has PyTorch\'s key names, in PyTorch\'s order, with its shapes\' sizes', async () => {
    const layer = await createLayer(layout.options);
    const dict = layer.stateDict();
    expect(Object.keys(dict)).toEqual(expected.map(([k]) => k));
    for (const [key, shape] of expected) expect(dict[key], key).toHaveLength(product(shape));
    expect(layer.parameterCount).toBe(expected.reduce((n, [, shape]) => n + product(shape), 0));
    layer.dispose();
  });

  it('loadStateDict(random tensors) then stateDict() gives them back bit-for-bit', async () => {
    const layer = await createLayer(layout.options);
    const random = prng([...name].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619), 2166136261));
    const tensors = Object.fromEntries(expected.map(([key, shape]) => [key, randomTensor(product(shape), random)]));
    // The loader goes by name, not by order.
    const shuffled = Object.fromEntries(Object.entries(tensors).reverse());
    layer.loadStateDict(shuffled);
    expectBitEqual(layer.stateDict(), tensors);
    // And with a prefix, as inside a Sequential.
    const prefixed = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [`m.${k}`, v.map((x) => -x)]));
    layer.loadStateDict(prefixed, 'm.');
    expectBitEqual(layer.stateDict('m.'), prefixed);
    layer.dispose();
  });

  it('toJSON() describes the layer with the options it was created with', async () => {
    const layer = await createLayer(layout.options);
    expect(layer.toJSON()).toMatchObject(layout.options);
    layer.dispose();
  });
});
