// Fuzzing (issue #15): the cases `npm run fuzz` (bench/fuzz.js) found, each made into a test,
// and a short run of the same fuzzer with a fixed seed, which must see only valid loads and
// typed RecurErrors: no untyped error, no hang, no wasm memory left allocated.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RecurError, RecurFormatError, RecurOptionError } from '../src/node/index.js';
import { SileroVad, encodeWav, readWav, resample } from '../src/vad/index.js';

type ErrorClass = abstract new (...args: never[]) => RecurError;

async function failure(fn: () => unknown, cls: ErrorClass, message: RegExp): Promise<RecurError> {
  let error: unknown;
  try { await fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect((error as Error).message).toMatch(message);
  return error as RecurError;
}

const silero = readFileSync(new URL('../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx', import.meta.url));

describe('cases the fuzzer found', () => {
  it('wav: a file that claims 1 Hz is not upsampled 16,000-fold (it took 30 s and 6 GB)', async () => {
    const file = encodeWav(new Float32Array(6000).fill(0.25), 1);
    const audio = readWav(file);
    expect(audio.sampleRate).toBe(1);
    const t0 = performance.now();
    await failure(() => resample(audio.samples, audio.sampleRate, 16000), RecurOptionError,
      /resample: from 1 Hz to 16000 Hz is upsampling 16000-fold; at most 64-fold is supported/);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(resample(new Float32Array(100), 250, 16000).length).toBe(6400);   // 64-fold still works
  });
});
