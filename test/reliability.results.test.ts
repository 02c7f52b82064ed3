// Silent or misleading results (issue #15): inputs that used to give a wrong answer without an
// error — a layer name that rewrites an object's prototype, an empty logits vector sampled as
// token 0, a TF.js class name found on Object.prototype, a fractional token id truncated, a
// runtime without WebAssembly — are refused with a typed RecurError that says why.

import { describe, expect, it } from 'vitest';
import { Sequential, RecurError, RecurOptionError } from '../src/node/index.js';

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
