// Hostile API arguments (issue #15): null, a missing options object or a tensor of the wrong
// kind is a typed RecurError that names what is wrong, never a TypeError from deep inside, and a
// refused load changes nothing.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  LSTM, Linear, Sequential, Runtime, init, RecurError, RecurOptionError, RecurShapeError, RecurStateDictError, type LayerDescription,
} from '../src/node/index.js';
import { Trainer } from '../src/train/index.js';

type ErrorClass = abstract new (...args: never[]) => RecurError;

async function failure(fn: () => unknown, cls: ErrorClass, message: RegExp): Promise<RecurError> {
  let error: unknown;
  try { await fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect((error as Error).message).toMatch(message);
  return error as RecurError;
}

const LAYERS: LayerDescription[] = [
  { name: 'embed', type: 'embedding', numEmbeddings: 5, embeddingDim: 3, seed: 1 },
  { name: 'lstm', type: 'lstm', inputSize: 3, hiddenSize: 4, seed: 2 },
  { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 5, seed: 3 },
];
const ids = Int32Array.from([1, 2, 3, 4, 0, 1]);

let rt: Runtime;
let model: Sequential;
beforeAll(async () => {
  rt = await init();
  model = await Sequential.create({ layers: LAYERS }, rt);
});

describe('state dicts', () => {
  it('loadStateDict(null) and loadStateDict(undefined) are RecurStateDictErrors', async () => {
    await failure(() => model.loadStateDict(null as never), RecurStateDictError, /Sequential\.loadStateDict: state dict must be an object of tensors by name, got null/);
    await failure(() => model.loadStateDict(undefined as never), RecurStateDictError, /got undefined/);
    const lstm = await LSTM.create({ inputSize: 3, hiddenSize: 4 }, rt);
    await failure(() => lstm.loadStateDict(null as never), RecurStateDictError, /lstm\.loadStateDict: state dict must be an object of tensors by name, got null/);
    lstm.dispose();
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /head\.bias: expected a Float32Array \(or an array of numbers\), got null/],
    ['a BigInt64Array', new BigInt64Array(5), /head\.bias: expected a Float32Array \(or an array of numbers\), got BigInt64Array/],
    ['a string', 'abcde', /head\.bias: expected a Float32Array .*got string/],
    ['a plain object', { length: 5 }, /head\.bias: expected a Float32Array .*got Object/],
  ])('a tensor that is %s is a RecurStateDictError naming it, and nothing is loaded', async (_, value, message) => {
    const before = model.stateDict();
    const dict: Record<string, unknown> = { ...before, 'lstm.weight_ih_l0': before['lstm.weight_ih_l0'].map((v) => v + 1), 'head.bias': value };
    await failure(() => model.loadStateDict(dict as never), RecurStateDictError, message);
    expect(model.stateDict()).toEqual(before);
  });

  it('a Float64Array or a plain array of numbers still loads', async () => {
    const linear = await Linear.create({ inFeatures: 2, outFeatures: 1 }, rt);
    linear.loadStateDict({ weight: new Float64Array([1, 2]), bias: [3] });
    expect(linear.stateDict()).toEqual({ weight: new Float32Array([1, 2]), bias: new Float32Array([3]) });
    linear.dispose();
  });
});

describe('options objects', () => {
  it('forward(x, null) is a RecurOptionError', async () => {
    await failure(() => model.forward(ids, null as never), RecurOptionError, /Sequential\.forward: options must be an object, got null/);
    const lstm = await LSTM.create({ inputSize: 3, hiddenSize: 4 }, rt);
    await failure(() => lstm.forward(new Float32Array(3), null as never), RecurOptionError, /lstm\.forward: options must be an object, got null/);
    await failure(() => lstm.forward(new Float32Array(3), { train: true }).tape!.backward(null as never), RecurOptionError,
      /lstm backward: the upstream gradients must be an object \{ output, h, c \}, got null/);
    lstm.dispose();
  });

  it('layer options that are not an object are RecurOptionErrors', async () => {
    await failure(() => LSTM.create(null as never, rt), RecurOptionError, /lstm: options must be an object, got null/);
    await failure(() => Linear.create(7 as never, rt), RecurOptionError, /linear: options must be an object, got 7/);
  });

  it('Trainer: a missing model, options or step options are RecurOptionErrors', async () => {
    await failure(() => new Trainer(null as never, { loss: 'crossEntropy' }), RecurOptionError, /Trainer: model must be a Sequential, got null/);
    await failure(() => new Trainer(model, null as never), RecurOptionError, /Trainer: options must be an object, got null/);
    const trainer = new Trainer(model, { loss: 'crossEntropy' });
    await failure(() => (trainer.step as (x: Int32Array, y: Int32Array) => unknown)(ids, ids), RecurOptionError,
      /Trainer\.step: options \{ seqLen, batch \} are required, got undefined/);
    await failure(() => trainer.step(ids, ids, null as never), RecurOptionError, /Trainer\.step: options \{ seqLen, batch \} are required, got null/);
    await failure(() => trainer.step(null as never, ids, { seqLen: 6, batch: 1 }), RecurShapeError, /Trainer\.step: inputs must be a Float32Array or an Int32Array, got null/);
    await failure(() => trainer.step(ids, null as never, { seqLen: 6, batch: 1 }), RecurShapeError, /Trainer\.step: targets must be a Float32Array or an Int32Array, got null/);
    await failure(() => trainer.fit(null as never), RecurOptionError, /Trainer\.fit: dataset must be an iterable, an async iterable or a function returning one, got null/);
    expect(trainer.stepCount).toBe(0);
    trainer.dispose();
  });
});
