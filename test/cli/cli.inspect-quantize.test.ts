// recur inspect reports layers, shapes, parameters, dtype and size; recur quantize writes int8
// and f16 files that inspect reports as such and that run uses.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequential, saveModel } from '../../src/node/index.js';
import { ensureBuilt, recur, root, tempDir } from './helpers.js';

const tmp = tempDir();
const path = (name: string) => join(tmp.dir, name);
const T = 20;
const csv = Array.from({ length: T }, (_, t) => `${Math.sin(t * 0.3).toFixed(4)},${Math.cos(t * 0.7).toFixed(4)},${(t / T).toFixed(4)}`).join('\n');
let reference: number[][];

beforeAll(async () => {
  await ensureBuilt();
  // 3 inputs → LSTM 16 (2 layers) → linear 2; and a char model with its vocabulary.
  const model = await Sequential.create({ layers: [
    { name: 'lstm', type: 'lstm', inputSize: 3, hiddenSize: 16, numLayers: 2, seed: 1 },
    { name: 'head', type: 'linear', inFeatures: 16, outFeatures: 2, seed: 2 }] });
  writeFileSync(path('sensor.safetensors'), saveModel(model));
  const x = Float32Array.from(csv.split('\n').flatMap((l) => l.split(',').map(Number)));
  const { output } = model.forward(x, { seqLen: T, batch: 1 });
  reference = Array.from({ length: T }, (_, t) => Array.from(output.subarray(t * 2, t * 2 + 2)));
  model.dispose();
  const chars = await Sequential.create({ layers: [
    { name: 'embed', type: 'embedding', numEmbeddings: 5, embeddingDim: 4, seed: 3 },
    { name: 'gru', type: 'gru', inputSize: 4, hiddenSize: 8, seed: 4 },
    { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 5, seed: 5 }] });
  writeFileSync(path('chars.safetensors'), saveModel(chars));
  writeFileSync(path('chars.json'), JSON.stringify({ vocab: ' abc\n', unknown: ' ' }));
  chars.dispose();
}, 120_000);
afterAll(() => tmp.cleanup());

const rows = (stdout: string) => stdout.trim().split('\n').map((l) => l.split(',').map(Number));
const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i][j]))));

describe('recur inspect', () => {
  it('prints format, size, dtype, parameters, each layer and each tensor', async () => {
    const r = await recur(['inspect', path('sensor.safetensors')]);
    expect(r.code).toBe(0);
    const size = statSync(path('sensor.safetensors')).size;
    // LSTM 2 layers: 4·16·(3+16) + 4·16·(16+16) + 4·(4·16) biases = 3,520; head 16·2 + 2 = 34.
    expect(r.stdout).toContain(`${path('sensor.safetensors')}: recur model (version 1)`);
    expect(r.stdout).toContain(`size        ${(size / 1e3).toFixed(1)} kB (${size.toLocaleString('en-US')} bytes)`);
    expect(r.stdout).toContain('weights     f32\n');
    expect(r.stdout).toContain('parameters  3,554\n');
    expect(r.stdout).toMatch(/lstm\s+lstm\s+3 → 16, 2 layers\s+3,520\s+f32/);
    expect(r.stdout).toMatch(/head\s+linear\s+16 → 2\s+34\s+f32/);
    expect(r.stdout).toMatch(/lstm\.weight_hh_l1\s+F32\s+\[64, 16\]\s+4,096/);
  });

  it('--json gives the same as an object', async () => {
    const r = await recur(['inspect', path('chars.safetensors'), '--json']);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ format: 'recur model', dtype: 'f32', parameters: 5 * 4 + (3 * 8 * 12 + 2 * 24) + 8 * 5 + 5, vocabulary: { size: 5 } });
    expect(report.layers.map((l: { name: string }) => l.name)).toEqual(['embed', 'gru', 'head']);
  });
});

describe('recur quantize', () => {
  it('int8: a smaller file that inspect reports as int8 and that run uses, close to f32', async () => {
    const q = await recur(['quantize', path('sensor.safetensors'), path('sensor.int8.safetensors'), '--dtype', 'int8']);
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/sensor\.int8\.safetensors: LSTM 16×2 → linear 2, 3,554 parameters, int8 /);
    expect(statSync(path('sensor.int8.safetensors')).size).toBeLessThan(statSync(path('sensor.safetensors')).size / 2);

    const i = await recur(['inspect', path('sensor.int8.safetensors')]);
    expect(i.stdout).toContain('weights     int8 (recurrent and linear matrices as int8');
    expect(i.stdout).toMatch(/lstm\s+lstm\s+3 → 16, 2 layers\s+3,520\s+int8\+f32/);
    expect(i.stdout).toMatch(/lstm\.weight_ih_l0\s+I8\s+\[64, 3\]\s+192/);
    expect(i.stdout).toMatch(/lstm\.weight_ih_l0_scale\s+F32\s+\[64\]/);

    const f32 = await recur(['run', path('sensor.safetensors'), '--precision', '9'], { input: `x,y,z\n${csv}\n` });
    const int8 = await recur(['run', path('sensor.int8.safetensors'), '--precision', '9'], { input: `${csv}\n` });
    expect(f32.code).toBe(0);
    expect(int8.code).toBe(0);
    expect(maxDiff(rows(f32.stdout), reference)).toBeLessThan(1e-6);       // the CLI runs the model exactly
    const error = maxDiff(rows(int8.stdout), reference);
    expect(error).toBeGreaterThan(0);                                       // it is a different model…
    expect(error).toBeLessThan(0.02);                                       // …close to the f32 one
  });

  it('the shipped sensor model: its calibration sidecar goes with it, and is not called a vocabulary', async () => {
    const q = await recur(['quantize', join(root, 'models/sensor-gru.safetensors'), path('sensor-gru.int8.safetensors')]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).not.toMatch(/vocabulary/);
    expect(q.stdout).toContain(`${path('sensor-gru.int8.json')}: its sidecar (description, errorScale, threshold, warmup)`);
    expect(JSON.parse(readFileSync(path('sensor-gru.int8.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(root, 'models/sensor-gru.json'), 'utf8')));
  });

  it('f16, and the vocabulary sidecar goes with the model', async () => {
    const q = await recur(['quantize', path('chars.safetensors'), path('chars.f16.safetensors'), '--dtype', 'f16']);
    expect(q.code).toBe(0);
    expect(JSON.parse(readFileSync(path('chars.f16.json'), 'utf8'))).toEqual({ vocab: ' abc\n', unknown: ' ' });
    const i = await recur(['inspect', path('chars.f16.safetensors')]);
    expect(i.stdout).toContain('weights     f16 (half precision)');
    expect(i.stdout).toContain('vocabulary  5 characters');
    const g = await recur(['run', path('chars.f16.safetensors'), '--generate', '30', '--seed', '1']);
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(/^[ abc\n]{30}$/);
  });
});
