// Hostile sizes (issue #15): a model description can claim any numLayers, hiddenSize or
// vocabulary. Every size is bounded before a loop or an allocation grows with it, and a model
// file's architecture must be paid for by the file's own tensors, so a few hundred bytes can
// never make recur loop for ever or run the heap out.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  Embedding, GRU, Linear, LSTM, RNN, Sequential, Runtime, init, loadModel, serializeSafetensors,
  RecurError, RecurFormatError, RecurOptionError,
} from '../src/node/index.js';

type ErrorClass = abstract new (...args: never[]) => RecurError;

async function failure(fn: () => unknown, cls: ErrorClass, message: RegExp): Promise<RecurError> {
  let error: unknown;
  try { await fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect((error as Error).message).toMatch(message);
  return error as RecurError;
}

/** A model file with no tensors whose metadata claims the given layers. */
const tinyFile = (layers: object[]) =>
  serializeSafetensors({}, { format: 'recur', version: '1', model: JSON.stringify({ layers }) });

let rt: Runtime;
beforeAll(async () => { rt = await init(); });

describe('a tiny model file claiming a huge architecture', () => {
  it.each([
    ['numLayers 2^53', { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 4, numLayers: 2 ** 53 }, /numLayers/],
    ['hiddenSize 2^40', { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 2 ** 40 }, /hiddenSize/],
    ['inputSize 2^40', { name: 'gru', type: 'gru', inputSize: 2 ** 40, hiddenSize: 4 }, /inputSize/],
    ['vocabulary 2^40', { name: 'embed', type: 'embedding', numEmbeddings: 2 ** 40, embeddingDim: 4 }, /numEmbeddings/],
    ['features 2^40', { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 2 ** 40 }, /outFeatures/],
  ])('%s is refused with a typed error before anything is built', async (_, layer, option) => {
    const file = tinyFile([layer]);
    expect(file.byteLength).toBeLessThan(300);
    const memory = rt.memoryBytes;
    const error = await failure(() => loadModel(file, { runtime: rt }), RecurFormatError, /model file: its architecture is invalid/);
    expect(error.message).toMatch(option);
    expect(rt.memoryBytes).toBe(memory);
  });

  it('the same architecture given as options.architecture is a RecurOptionError', async () => {
    const architecture = { layers: [{ name: 'lstm', type: 'lstm' as const, inputSize: 4, hiddenSize: 4, numLayers: 2 ** 53 }] };
    await failure(() => loadModel(serializeSafetensors({}), { architecture, runtime: rt }), RecurOptionError, /lstm: numLayers must be at most/);
  });
});

describe('layer sizes are bounded', () => {
  it('sizes beyond what recur supports are RecurOptionErrors naming the option', async () => {
    await failure(() => LSTM.create({ inputSize: 4, hiddenSize: 4, numLayers: 2 ** 53 }, rt), RecurOptionError,
      /lstm: numLayers must be at most 1024, got 9007199254740992/);
    await failure(() => GRU.create({ inputSize: 4, hiddenSize: 2 ** 40 }, rt), RecurOptionError, /gru: hiddenSize must be at most \d+, got 1099511627776/);
    await failure(() => RNN.create({ inputSize: 2 ** 31, hiddenSize: 4 }, rt), RecurOptionError, /rnn: inputSize must be at most/);
    await failure(() => Embedding.create({ numEmbeddings: 2 ** 40, embeddingDim: 4 }, rt), RecurOptionError, /embedding: numEmbeddings must be at most/);
    await failure(() => Linear.create({ inFeatures: 4, outFeatures: 2 ** 53 }, rt), RecurOptionError, /linear: outFeatures must be at most/);
  });

  it('sizes each in range whose parameters cannot fit wasm32 memory are refused before allocating', async () => {
    const memory = rt.memoryBytes;
    await failure(() => LSTM.create({ inputSize: 2 ** 20, hiddenSize: 2 ** 20, numLayers: 1024 }, rt), RecurOptionError,
      /lstm: \d+ parameters .* more than the 2\^30 .* wasm32/);
    await failure(() => Embedding.create({ numEmbeddings: 2 ** 24, embeddingDim: 2 ** 24 }, rt), RecurOptionError, /embedding: \d+ parameters/);
    await failure(() => Linear.create({ inFeatures: 2 ** 24, outFeatures: 2 ** 24 }, rt), RecurOptionError, /linear: \d+ parameters/);
    await failure(() => Sequential.create({ layers: [{ name: 'e', type: 'embedding', numEmbeddings: 2 ** 24, embeddingDim: 2 ** 24 }] }, rt),
      RecurOptionError, /embedding: \d+ parameters/);
    expect(rt.memoryBytes).toBe(memory);
  });
});
