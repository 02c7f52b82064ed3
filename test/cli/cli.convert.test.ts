// recur convert: a TensorFlow.js model (built and saved here with @tensorflow/tfjs) and a PyTorch
// ONNX export (test/fixtures/onnx) become recur files whose outputs, through recur run, match the
// originals'.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predict, randomizeWeights, saveTfjs, setUpTfjs, tf } from '../tfjs/helpers.js';
import { ensureBuilt, expectOneLineError, recur, root, tempDir } from './helpers.js';

const tmp = tempDir();
const path = (name: string) => join(tmp.dir, name);
const T = 12, F = 3;
const x = Float32Array.from({ length: T * F }, (_, i) => Math.sin(i * 0.37));
const csv = Array.from({ length: T }, (_, t) => Array.from(x.subarray(t * F, t * F + F)).join(',')).join('\n');
let expected: Float32Array;

beforeAll(async () => {
  await ensureBuilt();
  await setUpTfjs();
  const model = tf.sequential({ layers: [
    tf.layers.lstm({ units: 8, returnSequences: true, inputShape: [null, F], recurrentActivation: 'sigmoid' }),
    tf.layers.dense({ units: 2 })] });
  randomizeWeights(model, 5);
  const saved = await saveTfjs(model);
  // As tfjs writes them to disk: model.json, and the weight file its manifest names beside it.
  mkdirSync(path('tfjs'));
  writeFileSync(path('tfjs/model.json'), saved.modelJson);
  const shard = JSON.parse(saved.modelJson).weightsManifest[0].paths[0];
  writeFileSync(join(path('tfjs'), shard), new Uint8Array(saved.weights));
  expected = predict(model, x, [1, T, F]);
  model.dispose();
}, 120_000);
afterAll(() => tmp.cleanup());

const rows = (stdout: string) => stdout.trim().split('\n').map((l) => l.split(',').map(Number));

describe('recur convert', () => {
  it('TensorFlow.js model.json → recur file with the same outputs', async () => {
    const c = await recur(['convert', path('tfjs/model.json'), path('from-tfjs.safetensors')]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/from-tfjs\.safetensors: LSTM 8 → linear 2, \d+ parameters, f32 .* \(from TensorFlow\.js /);
    const r = await recur(['run', path('from-tfjs.safetensors'), '--precision', '9'], { input: csv });
    expect(r.code).toBe(0);
    const out = rows(r.stdout).flat();
    const scale = Math.max(...Array.from(expected, Math.abs));
    for (let i = 0; i < expected.length; i++) expect(Math.abs(out[i] - expected[i])).toBeLessThan(1e-5 * scale);
    // recur run reads the tfjs files directly too.
    const direct = await recur(['run', path('tfjs/model.json'), '--precision', '9'], { input: csv });
    expect(direct.stdout).toBe(r.stdout);
  });

  it('--dtype f16 writes half the bytes', async () => {
    const c = await recur(['convert', path('tfjs/model.json'), path('from-tfjs.f16.safetensors'), '--dtype', 'f16']);
    expect(c.code).toBe(0);
    const i = await recur(['inspect', path('from-tfjs.f16.safetensors'), '--json']);
    expect(JSON.parse(i.stdout).dtype).toBe('f16');
  });

  it('ONNX (torch.onnx.export of embedding → LSTM × 2 → linear) → recur file with the same logits', async () => {
    const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/onnx/torch/embed_lstm_head.json'), 'utf8'));
    const c = await recur(['convert', join(root, 'test/fixtures/onnx/torch/embed_lstm_head.onnx'), path('from-onnx.safetensors')]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/embedding 12×8 → LSTM 16×2 → linear 12/);
    // ids [T=7, B=3]; run the first sequence, one id per line.
    const [steps, batch] = fixture.inputs.ids.shape;
    const ids = Array.from({ length: steps }, (_, t) => fixture.inputs.ids.ids[t * batch]);
    const r = await recur(['run', path('from-onnx.safetensors'), '--precision', '9'], { input: ids.join('\n') });
    expect(r.code).toBe(0);
    const out = Object.values(fixture.outputs)[0] as { data: string; shape: number[] };
    const logits = new Float32Array(new Uint8Array(Buffer.from(out.data, 'base64')).buffer);
    const V = out.shape[2];
    const got = rows(r.stdout);
    for (let t = 0; t < steps; t++) {
      for (let k = 0; k < V; k++) expect(Math.abs(got[t][k] - logits[(t * batch) * V + k])).toBeLessThan(1e-5);
    }
  });

  it('an ONNX operator outside recur\'s layers is one line naming it (cli.onnx-graph.test.ts: graphs)', async () => {
    const r = await recur(['convert', join(root, 'test/fixtures/onnx/bad/conv_lstm.onnx'), path('bad.safetensors')]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(/^recur convert: .*conv_lstm\.onnx: .*Conv/);
  });

  it('an existing OUT is refused (exit 1, one line, the file untouched) unless --force; quantize too', async () => {
    const out = path('exists.safetensors');
    writeFileSync(out, 'precious');
    const r = await recur(['convert', path('tfjs/model.json'), out]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(/^recur convert: .*exists\.safetensors already exists; pass --force to overwrite it$/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const f = await recur(['convert', path('tfjs/model.json'), out, '--force']);
    expect(f.code).toBe(0);
    expect(readFileSync(out).subarray(8, 9).toString()).toBe('{');
    const other = path('exists.int8.safetensors');
    writeFileSync(other, 'precious');
    const q = await recur(['quantize', out, other]);
    expect(q.code).toBe(1);
    expect(expectOneLineError(q)).toMatch(/^recur quantize: .*exists\.int8\.safetensors already exists; pass --force to overwrite it$/);
    expect(readFileSync(other, 'utf8')).toBe('precious');
    expect((await recur(['quantize', out, out, '--force'])).code).toBe(0);
    const help = await recur(['convert', '--help']);
    expect(help.stdout).toMatch(/--force +overwrite OUT if it exists/);
  });
});
