// Hostile checkpoints (issue #15): a checkpoint is validated whole — metadata, weights and the
// optimizer's state — before anything of the trainer changes, so a refused loadCheckpoint leaves
// the weights, the moments, the step counts and the learning rate exactly as they were.

import { describe, expect, it } from 'vitest';
import {
  parseSafetensors, serializeSafetensors, Sequential, RecurError, RecurFormatError, RecurValueError, type LayerDescription, type SafetensorsTensorInput,
} from '../src/node/index.js';
import { Trainer, type TrainerOptions } from '../src/train/index.js';

const LAYERS: LayerDescription[] = [
  { name: 'embed', type: 'embedding', numEmbeddings: 9, embeddingDim: 5, seed: 1 },
  { name: 'gru', type: 'gru', inputSize: 5, hiddenSize: 6, seed: 2 },
  { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 9, seed: 3 },
];
const T = 7, B = 2;
const batch = (k: number) => ({
  x: Int32Array.from({ length: T * B }, (_, i) => (i * 5 + k) % 9),
  y: Int32Array.from({ length: T * B }, (_, i) => (i * 2 + k) % 9),
});

/** A trainer after `steps` updates, from weights seeded by `seed`. */
async function trained(options: TrainerOptions, steps: number, seed: number): Promise<Trainer> {
  const model = await Sequential.create({ layers: LAYERS.map((l) => ({ ...l, seed: (l.seed ?? 0) + seed })) });
  const trainer = new Trainer(model, options);
  for (let k = 0; k < steps; k++) trainer.step(batch(k).x, batch(k).y, { seqLen: T, batch: B });
  return trainer;
}

/** Rewrites a checkpoint's tensors and metadata. */
function tamper(bytes: Uint8Array, edit: (tensors: Record<string, SafetensorsTensorInput>, metadata: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = parseSafetensors(bytes);
  const copy: Record<string, SafetensorsTensorInput> = { ...tensors };
  edit(copy, metadata);
  return serializeSafetensors(copy, metadata);
}

/** An F32 tensor like `t` with values[index] = value. */
function withValue(t: SafetensorsTensorInput, index: number, value: number): SafetensorsTensorInput {
  const values = new Float32Array(new Uint8Array(t.data as Uint8Array).buffer.slice(0));
  values[index] = value;
  return { dtype: 'F32', shape: t.shape, data: new Uint8Array(values.buffer) };
}

/** Everything a loadCheckpoint could change. */
function snapshot(t: Trainer) {
  return {
    weights: t.model.stateDict(),
    moments: t.optimizer.exportState(),
    lr: t.optimizer.lr,
    updates: t.stepCount,
    skipped: t.skippedUpdates,
  };
}

function refusedAndUnchanged(t: Trainer, bytes: Uint8Array, cls: abstract new (...args: never[]) => RecurError, message: RegExp): void {
  const before = snapshot(t);
  let error: unknown;
  try { t.loadCheckpoint(bytes); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect((error as Error).message).toMatch(message);
  expect(snapshot(t)).toEqual(before);
}

describe('a refused checkpoint changes nothing', () => {
  const adam: TrainerOptions = { loss: 'crossEntropy', optimizer: 'adam', lr: 0.01 };

  it('lr 1e999 (Infinity once parsed) is refused before the weights, moments or step count are loaded', async () => {
    const saved = (await trained(adam, 3, 0)).saveCheckpoint();
    const target = await trained(adam, 1, 50);
    const bytes = tamper(saved, (_, m) => { m.trainer = m.trainer.replace(/"lr":[^,}]+/, '"lr":1e999'); });
    refusedAndUnchanged(target, bytes, RecurFormatError, /checkpoint: .*lr.*Infinity/);
  });

  it('a NaN in an Adam moment is refused, naming the buffer', async () => {
    const saved = (await trained(adam, 3, 0)).saveCheckpoint();
    const target = await trained(adam, 1, 50);
    const bytes = tamper(saved, (t) => { t['optimizer.2'] = withValue(t['optimizer.2'], 3, NaN); });
    refusedAndUnchanged(target, bytes, RecurValueError, /optimizer\.2.*NaN at index 3/);
  });

  it("a negative value in Adam's second moment v is refused", async () => {
    const saved = (await trained(adam, 3, 0)).saveCheckpoint();
    const target = await trained(adam, 1, 50);
    const bytes = tamper(saved, (t) => { t['optimizer.1'] = withValue(t['optimizer.1'], 0, -1); });
    refusedAndUnchanged(target, bytes, RecurValueError, /optimizer\.1.*-1 at index 0.*≥ 0/);
  });

  it('an SGD momentum buffer of the wrong length is refused', async () => {
    const sgd: TrainerOptions = { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.1, momentum: 0.9 };
    const saved = (await trained(sgd, 3, 0)).saveCheckpoint();
    const target = await trained(sgd, 1, 50);
    const bytes = tamper(saved, (t) => { t['optimizer.0'] = { dtype: 'F32', shape: [3], data: new Uint8Array(12) }; });
    refusedAndUnchanged(target, bytes, RecurError, /optimizer/);
  });

  it('step counts beyond safe integers are refused', async () => {
    const saved = (await trained(adam, 3, 0)).saveCheckpoint();
    const target = await trained(adam, 1, 50);
    const bytes = tamper(saved, (_, m) => { m.trainer = m.trainer.replace(/"updates":\d+/, '"updates":1e300'); });
    refusedAndUnchanged(target, bytes, RecurFormatError, /checkpoint: .*updates/);
  });

  it('a good checkpoint still loads', async () => {
    const source = await trained(adam, 3, 0);
    const target = await trained(adam, 1, 50);
    target.loadCheckpoint(source.saveCheckpoint());
    expect(snapshot(target)).toEqual(snapshot(source));
  });
});

describe('optimizer buffer indices are bounded by the optimizer', () => {
  const adam: TrainerOptions = { loss: 'crossEntropy', optimizer: 'adam', lr: 0.01 };

  it.each([
    // embed.weight, 4 GRU tensors, head.weight and head.bias: 7 slots, Adam's m and v for each.
    ['optimizer.4294967294', /optimizer\.4294967294.*this trainer's Adam has 14 state buffers/],
    ['optimizer.14', /optimizer\.14.*this trainer's Adam has 14 state buffers/],
    ['optimizer.99999999999999999999', /optimizer\.99999999999999999999/],
    ['optimizer.01', /optimizer\.01/],
  ])('a small checkpoint with a tensor named %s is refused at once', async (name, message) => {
    const saved = (await trained(adam, 1, 0)).saveCheckpoint();
    const target = await trained(adam, 1, 50);
    const bytes = tamper(saved, (t) => { t[name] = { dtype: 'F32', shape: [1], data: new Uint8Array(4) }; });
    refusedAndUnchanged(target, bytes, RecurFormatError, message);
  });

  it('a missing buffer is named', async () => {
    const saved = (await trained(adam, 1, 0)).saveCheckpoint();
    const target = await trained(adam, 1, 50);
    const bytes = tamper(saved, (t) => { delete t['optimizer.5']; });
    refusedAndUnchanged(target, bytes, RecurFormatError, /optimizer buffer 5 is missing/);
  });
});

describe('tensor names that are object machinery', () => {
  it("a checkpoint tensor named '__proto__' is an unexpected tensor, not a new prototype", async () => {
    const adam: TrainerOptions = { loss: 'crossEntropy', optimizer: 'adam', lr: 0.01 };
    const saved = (await trained(adam, 1, 0)).saveCheckpoint();
    const target = await trained(adam, 1, 50);
    const bytes = tamper(saved, (t) => {
      Object.defineProperty(t, '__proto__', { value: { dtype: 'F32', shape: [1], data: new Uint8Array(4) }, enumerable: true });
    });
    refusedAndUnchanged(target, bytes, RecurError, /__proto__/);
  });
});
