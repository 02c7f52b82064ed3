// Silent or misleading results (issue #15): inputs that used to give a wrong answer without an
// error — a layer name that rewrites an object's prototype, an empty logits vector sampled as
// token 0, a TF.js class name found on Object.prototype, a fractional token id truncated, a
// runtime without WebAssembly — are refused with a typed RecurError that says why.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, root } from './cli/helpers.js';
import { defaultWasmUrl } from './helpers.js';
import { importTfjs } from '../src/tfjs/index.js';
import {
  sampleLogits, Sequential, RecurError, RecurFormatError, RecurOptionError, RecurShapeError, RecurValueError, RecurWasmError, Runtime,
} from '../src/node/index.js';

type ErrorClass = abstract new (...args: never[]) => RecurError;

async function failure(fn: () => unknown, cls: ErrorClass, message: RegExp): Promise<RecurError> {
  let error: unknown;
  try { await fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect((error as Error).message).toMatch(message);
  return error as RecurError;
}

describe('Sequential layer names', () => {
  it.each(['__proto__', 'constructor', 'prototype'])("a layer named '%s' is refused (it would rewrite forward().states)", async (name) => {
    await failure(() => Sequential.create({ layers: [{ name, type: 'lstm', inputSize: 2, hiddenSize: 3 }] }), RecurOptionError,
      new RegExp(`Sequential: layer name '${name}' is reserved`));
  });

  it('ordinary names still work, and states has one own entry per recurrent layer', async () => {
    const model = await Sequential.create({ layers: [{ name: 'proto', type: 'gru', inputSize: 2, hiddenSize: 3 }] });
    const { states } = model.forward(new Float32Array(4));
    expect(Object.keys(states)).toEqual(['proto']);
    expect(Object.getPrototypeOf(states)).toBe(Object.prototype);
    model.dispose();
  });
});

describe('sampleLogits', () => {
  it('an empty logits vector is a RecurShapeError, not token 0', async () => {
    await failure(() => sampleLogits(new Float32Array(0), 1), RecurShapeError, /sampleLogits: logits must hold at least one value, got 0/);
    await failure(() => sampleLogits(new Float32Array(0), 0), RecurShapeError, /got 0/);
    await failure(() => sampleLogits(null as never, 1), RecurShapeError, /sampleLogits: logits must be an array of numbers, got null/);
  });

  it('a NaN logit or temperature is refused, not silently the argmax', async () => {
    await failure(() => sampleLogits(new Float32Array([0.5, NaN, 0.1]), 1), RecurValueError, /sampleLogits: logits\[1\] is NaN/);
    await failure(() => sampleLogits(new Float32Array([0.5, 0.1]), NaN), RecurOptionError, /sampleLogits: temperature must be a number ≥ 0, got NaN/);
  });

  it('ordinary logits still sample', () => {
    expect(sampleLogits(new Float32Array([0.1, 3, 0.2]), 0)).toBe(1);
    expect(sampleLogits([0.1, 3, 0.2], 1, () => 0)).toBe(0);
  });
});

describe('TF.js class names are looked up as own properties', () => {
  /** A Sequential model.json with one layer of the given class (an LSTM's config and weights). */
  const modelJson = (className: string, wrapped?: string) => {
    const lstm = { units: 4, activation: 'tanh', recurrent_activation: 'sigmoid', return_sequences: true, name: 'rec', batch_input_shape: [null, null, 3] };
    const layer = wrapped
      ? { class_name: className, config: { name: 'wrap', merge_mode: 'concat', layer: { class_name: wrapped, config: lstm } } }
      : { class_name: className, config: lstm };
    return {
      format: 'layers-model',
      modelTopology: { class_name: 'Sequential', config: { name: 'm', layers: [layer] } },
      weightsManifest: [{ paths: ['w.bin'], weights: [
        { name: 'rec/kernel', shape: [3, 16], dtype: 'float32' },
        { name: 'rec/recurrent_kernel', shape: [4, 16], dtype: 'float32' },
        { name: 'rec/bias', shape: [16], dtype: 'float32' }] }],
    };
  };
  const weights = new ArrayBuffer((48 + 64 + 16) * 4);

  it.each(['toString', 'constructor', 'hasOwnProperty', '__proto__'])("class_name '%s' is an unsupported layer, named as such", async (name) => {
    await failure(() => importTfjs(modelJson(name), weights), RecurFormatError, new RegExp(`unsupported layers? ${name.replace(/_/g, '_')} 'rec'`));
  });

  it("Bidirectional(toString) is an unsupported layer too", async () => {
    await failure(() => importTfjs(modelJson('Bidirectional', 'toString'), weights), RecurFormatError, /unsupported layers? Bidirectional\(toString\) 'wrap'/);
  });

  it('the same file with class_name LSTM imports', async () => {
    (await importTfjs(modelJson('LSTM'), weights)).dispose();
  });
});

describe('a runtime without WebAssembly', () => {
  it('Runtime.create is a RecurWasmError saying WebAssembly is unavailable', async () => {
    const bytes = new Uint8Array(readFileSync(defaultWasmUrl()));
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!;
    Reflect.deleteProperty(globalThis, 'WebAssembly');
    try {
      await failure(() => Runtime.create(bytes), RecurWasmError, /WebAssembly is unavailable in this JavaScript runtime/);
    } finally {
      Object.defineProperty(globalThis, 'WebAssembly', saved);
    }
  });

  it('node --jitless (no WebAssembly global): creating a layer is a RecurWasmError, not a ReferenceError', async () => {
    await ensureBuilt();
    const script = `import('./dist/node.js').then(async (r) => {
      try { await r.LSTM.create({ inputSize: 2, hiddenSize: 3 }); console.log('created'); }
      catch (e) { console.log(e.name + ': ' + e.message); }
    });`;
    const r = spawnSync(process.execPath, ['--jitless', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stdout.trim()).toMatch(/^RecurWasmError: WebAssembly is unavailable in this JavaScript runtime \(node --jitless/);
  }, 120_000);
});

describe('ONNX recurrent attributes', () => {
  it('clip = NaN is refused (it was ignored); clip = Infinity clamps nothing', async () => {
    const { cellAttributes } = await import('../src/onnx/recurrent.js');
    const attr = (f: number) => new Map([['clip', { f, ints: [], floats: [], strings: [] }]]);
    const fail = (m: string): never => { throw new RecurFormatError(m); };
    expect(() => cellAttributes('lstm', attr(NaN), fail)).toThrow(/clip = NaN/);
    expect(cellAttributes('gru', attr(Infinity), fail).clip).toBeUndefined();
    expect(cellAttributes('rnn', attr(0.5), fail).clip).toBe(0.5);
  });
});
