// Trainer checkpoints: saving after some steps and resuming in a fresh model and trainer gives
// bit-identical weights to training straight through; files are written atomically; a damaged
// or mismatched checkpoint is refused and changes nothing.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadCheckpointFile, RecurFormatError, saveCheckpointFile, Sequential, type LayerDescription,
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
const dir = mkdtempSync(join(tmpdir(), 'recur-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each<[string, TrainerOptions]>([
  ['adam', { loss: 'crossEntropy', optimizer: 'adam', lr: 0.01 }],
  ['sgd with momentum', { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.1, momentum: 0.9 }],
])('checkpoint with %s', (_name, options) => {
  it('resuming gives exactly the weights of training straight through', async () => {
    const straight = await Sequential.create({ layers: LAYERS });
    const ts = new Trainer(straight, options);
    for (let k = 0; k < 5; k++) ts.step(batch(k).x, batch(k).y, { seqLen: T, batch: B });

    const first = await Sequential.create({ layers: LAYERS });
    const t1 = new Trainer(first, options);
    for (let k = 0; k < 3; k++) t1.step(batch(k).x, batch(k).y, { seqLen: T, batch: B });
    const path = join(dir, `${options.optimizer}.ckpt`);
    await saveCheckpointFile(t1, path);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);   // no temporary left

    const resumed = await Sequential.create({ layers: LAYERS.map((l) => ({ ...l, seed: 99 })) });
    const t2 = new Trainer(resumed, options);
    await loadCheckpointFile(t2, path);
    expect(t2.stepCount).toBe(3);
    for (let k = 3; k < 5; k++) t2.step(batch(k).x, batch(k).y, { seqLen: T, batch: B });
    expect(resumed.stateDict()).toEqual(straight.stateDict());
    expect(t2.stepCount).toBe(5);
  });
});

describe('refused checkpoints', () => {
  it('truncated, from another architecture or another optimizer: RecurFormatError, nothing changed', async () => {
    const m = await Sequential.create({ layers: LAYERS });
    const t = new Trainer(m, { loss: 'crossEntropy', optimizer: 'adam' });
    t.step(batch(0).x, batch(0).y, { seqLen: T, batch: B });
    const bytes = t.saveCheckpoint();

    const other = await Sequential.create({ layers: LAYERS });
    const to = new Trainer(other, { loss: 'crossEntropy', optimizer: 'adam' });
    const before = other.stateDict();
    for (const cut of [0, 7, 100, bytes.length - 1]) {
      expect(() => to.loadCheckpoint(bytes.subarray(0, cut))).toThrow(RecurFormatError);
    }
    const wider = await Sequential.create({ layers: [LAYERS[0], { ...LAYERS[1], hiddenSize: 7 } as LayerDescription, { ...LAYERS[2], inFeatures: 7 } as LayerDescription] });
    expect(() => new Trainer(wider, { loss: 'crossEntropy', optimizer: 'adam' }).loadCheckpoint(bytes)).toThrow(/another architecture/);
    expect(() => new Trainer(other, { loss: 'crossEntropy', optimizer: 'sgd', lr: 0.1 }).loadCheckpoint(bytes)).toThrow(/Adam|adam/);
    expect(other.stateDict()).toEqual(before);
    expect(to.stepCount).toBe(0);
  });

  it('an interrupted save leaves the previous checkpoint intact', async () => {
    const m = await Sequential.create({ layers: LAYERS });
    const t = new Trainer(m, { loss: 'crossEntropy', optimizer: 'adam' });
    const path = join(dir, 'power-loss.ckpt');
    await saveCheckpointFile(t, path);
    const good = readFileSync(path);
    // A save that fails while writing (here: bytes that cannot be written) must not touch the file.
    const { writeFileAtomic } = await import('../src/node/index.js');
    await expect(writeFileAtomic(path, { length: 1 } as unknown as Uint8Array)).rejects.toThrow();
    expect(readFileSync(path)).toEqual(good);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
