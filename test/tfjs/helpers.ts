// Models built in TensorFlow.js itself (cpu backend, float32), saved the way tfjs writes them to
// disk, and compared with recur's import of the saved files.

import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { RecurError } from '../../src/node/index.js';
import { relativeError } from '../helpers.js';

export { tf };

/** cpu backend; prod mode silences tfjs's "install tfjs-node" banner. */
export async function setUpTfjs(): Promise<void> {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
}

export interface Saved { modelJson: string; weights: ArrayBuffer }

/**
 * The model.json text and weight file exactly as tfjs writes them: tf.io.http's save() posts
 * both as form fields, which a fake fetch catches.
 */
export async function saveTfjs(model: tf.LayersModel): Promise<Saved> {
  let saved: Saved | undefined;
  await model.save(tf.io.http('http://recur.test/upload', {
    fetchFunc: async (_url: unknown, init?: RequestInit) => {
      const form = init!.body as FormData;
      saved = {
        modelJson: await (form.get('model.json') as Blob).text(),
        weights: await (form.get('model.weights.bin') as Blob).arrayBuffer(),
      };
      return new Response('{}', { status: 200 });
    },
  }));
  return saved!;
}

/** mulberry32: reproducible uniform numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(n: number, bound: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * random() - 1) * bound);
}

/** Every weight of the model set to U(-bound, bound) values from the seed. */
export function randomizeWeights(model: tf.LayersModel, seed: number, bound = 0.5): void {
  const random = prng(seed);
  model.setWeights(model.weights.map((w) => {
    const shape = w.shape as number[];   // weights have no unknown dimensions
    return tf.tensor(uniform(shape.reduce((a, b) => a * b, 1), bound, random), shape);
  }));
}

/** model.predict on float32 input (or int ids) of the given shape, as a Float32Array. */
export function predict(model: tf.LayersModel, input: Float32Array | Int32Array, shape: number[]): Float32Array {
  const x = input instanceof Int32Array ? tf.tensor(Float32Array.from(input), shape) : tf.tensor(input, shape);
  const y = model.predict(x) as tf.Tensor;
  const out = y.dataSync() as Float32Array;
  x.dispose(); y.dispose();
  return Float32Array.from(out);
}

/** Largest error relative to the largest magnitude seen across a test file (for the report). */
export const worst = { error: 0, where: '' };

/**
 * recur's output against tfjs's: max |a − b| / max |b|. tfjs's cpu kernels and recur's differ in
 * float32 rounding (summation order, exp/tanh approximations), a few ulp of the largest value.
 */
export const TOLERANCE = 1e-5;

export function expectMatch(actual: Float32Array, expected: Float32Array, what: string): void {
  const error = relativeError(actual, expected);
  if (error > worst.error) { worst.error = error; worst.where = what; }
  expect(error, what).toBeLessThanOrEqual(TOLERANCE);
}

/** A model.json object with its weights replaced: specs and bytes built from the given tensors. */
export function withWeights(modelJson: string | object, tensors: { name: string; shape: number[]; values: Float32Array }[]): Saved {
  const json = typeof modelJson === 'string' ? JSON.parse(modelJson) : structuredClone(modelJson);
  json.weightsManifest = [{ paths: ['./model.weights.bin'], weights: tensors.map(({ name, shape }) => ({ name, shape, dtype: 'float32' })) }];
  const bytes = new Uint8Array(tensors.reduce((n, t) => n + t.values.byteLength, 0));
  let at = 0;
  for (const t of tensors) { bytes.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), at); at += t.values.byteLength; }
  return { modelJson: JSON.stringify(json), weights: bytes.buffer };
}

/** The saved tensors by manifest name, in manifest order. */
export function savedTensors(saved: Saved): { name: string; shape: number[]; values: Float32Array }[] {
  const specs = JSON.parse(saved.modelJson).weightsManifest.flatMap((g: any) => g.weights);
  let at = 0;
  return specs.map((s: any) => {
    const n = s.shape.reduce((a: number, b: number) => a * b, 1);
    const values = new Float32Array(saved.weights.slice(at, at + 4 * n));
    at += 4 * n;
    return { name: s.name, shape: s.shape, values };
  });
}

/** Awaits fn and checks it throws a RecurError of the class, whose message matches. */
export async function failure(fn: () => unknown, cls: abstract new (...args: never[]) => RecurError, message: RegExp): Promise<Error> {
  let error: unknown;
  try { await fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect((error as Error).message).toMatch(message);
  return error as Error;
}
