// The shipped models (models/): they load, and on the first 10,000 characters of the validation
// text they give the bits/char recorded in models/results.json (written by models/eval_char.js,
// quoted in models/README.md); int8 and f16 cost what the README says; the sensor example flags
// the anomalies injected into its sample.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, quantize, type Sequential } from '../../src/node/index.js';
import { ensureBuilt, root } from './helpers.js';

const read = (p: string) => readFileSync(join(root, p));
const results = JSON.parse(read('models/results.json').toString('utf8'));
const readme = read('models/README.md').toString('utf8');
const valid = read('models/data/jargon-valid.txt').toString('utf8');
const models: Sequential[] = [];
afterAll(() => { for (const m of models) m.dispose(); });

function ids(vocab: string, chars: number): Int32Array {
  const index = new Map(Array.from(vocab).map((c, i) => [c, i]));
  return Int32Array.from(Array.from(valid.slice(0, chars + 1)), (c) => index.get(c) ?? index.get(' ')!);
}

/** −log2 p(next | before), the text as one sequence from a zero state (as eval_char.js). */
function bitsPerChar(model: Sequential, x: Int32Array): number {
  const T = x.length - 1;
  const { output } = model.forward(x.subarray(0, T), { seqLen: T, batch: 1 });
  const V = output.length / T;
  let total = 0;
  for (let t = 0; t < T; t++) {
    const row = output.subarray(t * V, t * V + V);
    const max = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    total += Math.log(sum) + max - row[x[t + 1]];
  }
  return total / T / Math.LN2;
}

async function load(path: string, architecture?: object): Promise<Sequential> {
  const m = await loadModel(read(path), architecture ? { architecture: architecture as never } : {});
  models.push(m);
  return m;
}

describe('models/char-lstm (trained by recur)', () => {
  const { slice } = results.charLstm;
  const x = ids(JSON.parse(read('models/char-lstm.json').toString('utf8')).vocab, slice.chars);

  it('f32 and int8 files give the recorded bits/char', async () => {
    const f32 = await load('models/char-lstm.safetensors');
    const int8 = await load('models/char-lstm.int8.safetensors');
    expect(f32.toJSON().layers.map((l) => l.type)).toEqual(['embedding', 'lstm', 'linear']);
    expect(bitsPerChar(f32, x)).toBeCloseTo(slice.f32, 3);
    expect(bitsPerChar(int8, x)).toBeCloseTo(slice.int8, 3);
    expect(slice.int8 / slice.f32 - 1).toBeLessThan(0.01);
  });

  it('the README quotes results.json', () => {
    const full = results.charLstm.validBitsPerChar;
    for (const v of [full.f32, full.int8]) expect(readme).toContain(v.toFixed(3));
  });
});

describe('models/char-lstm-torch (trained by PyTorch): recur ≡ torch, and the cost of f16 and int8', () => {
  const side = JSON.parse(read('models/char-lstm-torch.json').toString('utf8'));
  const { slice, validBitsPerChar: full } = results.charLstmTorch;
  const x = ids(side.vocab, slice.chars);

  it('recur reads the PyTorch state dict and gives torch\'s validation bits/char', () => {
    expect(Math.abs(full.f32 - side.torch.validBitsPerChar)).toBeLessThan(1e-4);
  });

  it('on the slice: f16 within 0.1 % and int8 within 1 % of f32, as recorded', async () => {
    const f32 = await load('models/char-lstm-torch.safetensors', side.architecture);
    const f16 = await quantize(f32, 'f16');
    const int8 = await quantize(f32, 'int8');
    models.push(f16, int8);
    const b = { f32: bitsPerChar(f32, x), f16: bitsPerChar(f16, x), int8: bitsPerChar(int8, x) };
    expect(b.f32).toBeCloseTo(slice.f32, 3);
    expect(b.f16).toBeCloseTo(slice.f16, 3);
    expect(b.int8).toBeCloseTo(slice.int8, 3);
    expect(Math.abs(b.f16 / b.f32 - 1)).toBeLessThan(0.001);
    expect(Math.abs(b.int8 / b.f32 - 1)).toBeLessThan(0.01);
    // The full validation set, as recorded (and quoted in the README).
    expect(Math.abs(full.f16 / full.f32 - 1)).toBeLessThan(0.001);
    expect(Math.abs(full.int8 / full.f32 - 1)).toBeLessThan(0.01);
    for (const v of [full.f32, full.f16, full.int8]) expect(readme).toContain(v.toFixed(4));
  });
});

describe('models/sensor-gru and examples/node-sensor', () => {
  beforeAll(ensureBuilt, 120_000);

  it('the example flags every anomaly injected into its sample, and little else', () => {
    const r = spawnSync(process.execPath, [join(root, 'examples/node-sensor/index.js')], {
      cwd: root, input: read('examples/node-sensor/readings.csv'), encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('tick,reading,prediction,score,flag');
    expect(lines).toHaveLength(3001);
    const flagged = lines.slice(1).filter((l) => l.endsWith(',anomaly')).map((l) => Number(l.split(',')[0]));
    const events: { kind: string; start: number; end: number }[] = JSON.parse(read('examples/node-sensor/anomalies.json').toString('utf8'));
    for (const e of events) expect(flagged.some((t) => t >= e.start && t < e.end + 5), `${e.kind} at ${e.start}`).toBe(true);
    const outside = flagged.filter((t) => !events.some((e) => t >= e.start && t < e.end + 30));
    expect(outside.length).toBeLessThanOrEqual(3);
    expect(r.stderr).toBe(`3000 readings, ${flagged.length} above score 4\n`);
    expect(results.sensorGru.quality.eventRecall).toBeGreaterThan(0.95);
    expect(readme).toContain(results.sensorGru.quality.rocAuc.toFixed(3));
  });
});
