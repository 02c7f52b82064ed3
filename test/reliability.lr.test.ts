// Hostile learning rates (issue #15): a step never writes a non-finite value into the weights.
// A learning rate float32 cannot hold is refused wherever it enters (Trainer options, the lr
// setter, a schedule, the CLI); one it can hold but whose update still overflows (Adam at 1e38,
// SGD near float32's maximum, AdamW with a huge decay) makes the step skip, with a reason, and
// leaves the weights, the moments and the step count as they were.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSafetensors, serializeSafetensors, RecurFormatError, RecurOptionError, Sequential, type LayerDescription,
} from '../src/node/index.js';
import { Trainer, type TrainerOptions } from '../src/train/index.js';
import { ensureBuilt, recur, root, tempDir } from './cli/helpers.js';

const LAYERS: LayerDescription[] = [
  { name: 'embed', type: 'embedding', numEmbeddings: 10, embeddingDim: 6, seed: 1 },
  { name: 'lstm', type: 'lstm', inputSize: 6, hiddenSize: 8, seed: 2 },
  { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 10, seed: 4 },
];
const T = 5, B = 2;
const inputs = Int32Array.from({ length: T * B }, (_, i) => (i * 7 + 3) % 10);
const targets = Int32Array.from({ length: T * B }, (_, i) => (i * 3 + 1) % 10);

const allFinite = (dict: Record<string, Float32Array>) => Object.values(dict).every((w) => w.every(Number.isFinite));

async function trainer(options: Omit<TrainerOptions, 'loss'>): Promise<Trainer> {
  return new Trainer(await Sequential.create({ layers: LAYERS }), { loss: 'crossEntropy', ...options });
}

describe('a learning rate float32 cannot hold is refused where it enters', () => {
  it.each(['adam', 'adamw', 'sgd'] as const)('Trainer option lr 1e39 (%s)', async (optimizer) => {
    const model = await Sequential.create({ layers: LAYERS });
    expect(() => new Trainer(model, { loss: 'crossEntropy', optimizer, lr: 1e39 }))
      .toThrow(/lr must be a number float32 can hold \(at most 3\.4028e\+38\), got 1e\+39/);
    expect(() => new Trainer(model, { loss: 'crossEntropy', optimizer, lr: 1e39 })).toThrow(RecurOptionError);
    model.dispose();
  });

  it('the lr setter', async () => {
    const t = await trainer({ optimizer: 'adam', lr: 0.01 });
    expect(() => { t.optimizer.lr = 1e39; }).toThrow(RecurOptionError);
    expect(() => { t.optimizer.lr = 3.5e38; }).toThrow(/float32/);
    expect(t.optimizer.lr).toBe(0.01);
    t.optimizer.lr = 3e38;                                   // float32 holds it: accepted
    expect(t.optimizer.lr).toBe(3e38);
  });

  it('a checkpoint whose lr is 1e39 is a RecurFormatError, and nothing is loaded', async () => {
    const source = await trainer({ optimizer: 'adam', lr: 0.01 });
    source.step(inputs, targets, { seqLen: T, batch: B });
    const { tensors, metadata } = parseSafetensors(source.saveCheckpoint());
    metadata.trainer = metadata.trainer.replace(/"lr":[^,}]+/, '"lr":1e39');
    const t = await trainer({ optimizer: 'adam', lr: 0.01 });
    const before = t.model.stateDict();
    expect(() => t.loadCheckpoint(serializeSafetensors({ ...tensors }, metadata))).toThrow(RecurFormatError);
    expect(() => t.loadCheckpoint(serializeSafetensors({ ...tensors }, metadata))).toThrow(/checkpoint: Adam: lr must be .*float32.*1e\+39/);
    expect(t.model.stateDict()).toEqual(before);
    expect(t.optimizer.lr).toBe(0.01);
    expect(t.stepCount).toBe(0);
  });

  it('a schedule returning 1e39 is a RecurOptionError naming the schedule, and nothing is updated', async () => {
    const t = await trainer({ optimizer: 'adam', lr: 0.01, schedule: () => 1e39 });
    const before = t.model.stateDict();
    expect(() => t.step(inputs, targets, { seqLen: T, batch: B })).toThrow(/Trainer: schedule\(0, 0\.01\) returned 1e\+39/);
    expect(() => t.step(inputs, targets, { seqLen: T, batch: B })).toThrow(RecurOptionError);
    expect(t.model.stateDict()).toEqual(before);
    expect(t.stepCount).toBe(0);
    expect(t.optimizer.stepCount).toBe(0);
  });
});

describe('an update that would overflow is skipped with a reason, changing nothing', () => {
  it.each<[string, Omit<TrainerOptions, 'loss'>]>([
    ['Adam lr 1e38', { optimizer: 'adam', lr: 1e38 }],
    ['AdamW lr 1e38', { optimizer: 'adamw', lr: 1e38 }],
    ['SGD lr 3.4e38, weightDecay 10', { optimizer: 'sgd', lr: 3.4e38, weightDecay: 10 }],
    ['SGD with momentum lr 3e38, weightDecay 10', { optimizer: 'sgd', lr: 3e38, momentum: 0.9, weightDecay: 10 }],
    ['AdamW lr 1e20, weightDecay 1e20', { optimizer: 'adamw', lr: 1e20, weightDecay: 1e20 }],
  ])('%s', async (_, options) => {
    const t = await trainer(options);
    const weights = t.model.stateDict();
    const moments = t.optimizer.exportState();
    const r = t.step(inputs, targets, { seqLen: T, batch: B });
    expect(r.skipped).toBe(true);
    expect(r.updates).toBe(0);
    expect(r.reason).toMatch(/the update would make \d+ values? of '[\w.]+' non-finite/);
    expect(allFinite(t.model.stateDict())).toBe(true);
    expect(t.model.stateDict()).toEqual(weights);
    expect(t.optimizer.exportState()).toEqual(moments);
    expect(t.stepCount).toBe(0);
    expect(t.skippedUpdates).toBe(1);
  });

  it('a skipped update says why: a non-finite loss', async () => {
    const t = new Trainer(await Sequential.create({ layers: LAYERS }), { loss: 'mse', optimizer: 'adam', lr: 0.01 });
    const r = t.step(inputs, new Float32Array(T * B * 10).fill(NaN), { seqLen: T, batch: B });
    expect(r.skipped).toBe(true);
    expect(r.reason).toMatch(/loss is NaN/);
  });

  it('an ordinary step still applies and reports no reason', async () => {
    const t = await trainer({ optimizer: 'adam', lr: 0.01 });
    const r = t.step(inputs, targets, { seqLen: T, batch: B });
    expect(r.skipped).toBe(false);
    expect(r.reason).toBeUndefined();
    expect(t.stepCount).toBe(1);
  });
});

describe('recur train --lr', () => {
  const tmp = tempDir();
  beforeAll(async () => {
    await ensureBuilt();
    writeFileSync(join(tmp.dir, 'text.txt'), readFileSync(join(root, 'models/data/jargon-valid.txt'), 'utf8').slice(0, 2000));
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('1e39 is a usage error: exit non-zero, naming --lr, no model written', async () => {
    const r = await recur(['train', join(tmp.dir, 'm.safetensors'), '--data', join(tmp.dir, 'text.txt'), '--steps', '2',
      '--hidden', '8', '--embed', '4', '--batch', '2', '--seq', '8', '--lr', '1e39']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n')[0]).toBe("recur train: --lr must be a positive number that float32 can hold (at most 3.4028e+38), got '1e39'");
    expect(existsSync(join(tmp.dir, 'm.safetensors'))).toBe(false);
  });
});
