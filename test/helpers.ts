// Shared test helpers: the golden fixtures and tolerance checks.

import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { supportsRelaxedSimd } from '../src/runtime/features.js';

export interface GoldenCase {
  name: string;
  mode: string;
  inputSize: number; hiddenSize: number; numLayers: number;
  bidirectional: boolean; batch: number; seqLen: number;
  withH0: boolean; bias: boolean; batchFirst: boolean;
  linearBeforeReset?: boolean; peephole?: boolean;
  tensors: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
}

/** Reads a fixture file written by test/fixtures/golden/make_*_golden.py. */
export function loadGolden(file: string): GoldenCase[] {
  const json = JSON.parse(readFileSync(new URL(`./fixtures/golden/${file}`, import.meta.url), 'utf8'));
  return json.cases.map((c: any) => {
    const tensors: Record<string, Float32Array> = {};
    const shapes: Record<string, number[]> = {};
    for (const [name, t] of Object.entries<any>(c.tensors)) {
      const bytes = Buffer.from(t.data, 'base64');
      tensors[name] = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      shapes[name] = t.shape;
    }
    return { ...c, tensors, shapes };
  });
}

/** max |a − b| / max(max |b|, 1e-3): the error relative to the largest magnitude. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0, scale = 1e-3;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

export function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number, what = ''): void {
  const err = relativeError(actual, expected);
  if (!(err <= tolerance)) throw new Error(`${what}: relative error ${err.toExponential(2)} > ${tolerance}`);
}

/**
 * The kernel file this test process's default runtime loads: build/recur-relaxed.wasm in the
 * vitest project that runs relaxed SIMD, build/recur.wasm in the one with RECUR_WASM=simd.
 */
export function defaultWasmUrl(): URL {
  const relaxed = process.env.RECUR_WASM !== 'simd' && supportsRelaxedSimd();
  return new URL(`../build/${relaxed ? 'recur-relaxed' : 'recur'}.wasm`, import.meta.url);
}
