// Seeded initialisation: the wasm generator (assembly/pack.ts fillUniform) produces exactly the
// mulberry32 sequence of src/runtime/random.ts, so a seed means the same weights everywhere.

import { expect, it } from 'vitest';
import { init, LSTM } from '../src/node/index.js';
import { Random } from '../src/runtime/random.js';

it('fillUniform equals (2·next() − 1)·bound in float32, and continues the same stream', async () => {
  const rt = await init();
  const n = 1001, bound = 0.37;
  const js = new Random(12345);
  const want = Float32Array.from({ length: 2 * n }, () => (js.next() * 2 - 1) * bound);
  const wasm = new Random(12345);
  const ptr = rt.alloc(2 * n * 4);
  wasm.uniformInto(rt, ptr, n, bound);
  wasm.uniformInto(rt, ptr + n * 4, n, bound);
  expect(rt.read(ptr, 2 * n)).toEqual(want);
  rt.free(ptr);
});

it('the same seed gives the same weights; another seed does not', async () => {
  const a = await LSTM.create({ inputSize: 5, hiddenSize: 7, seed: 3 });
  const b = await LSTM.create({ inputSize: 5, hiddenSize: 7, seed: 3 });
  const c = await LSTM.create({ inputSize: 5, hiddenSize: 7, seed: 4 });
  expect(a.stateDict()).toEqual(b.stateDict());
  expect(a.stateDict().weight_ih_l0).not.toEqual(c.stateDict().weight_ih_l0);
  const bound = 1 / Math.sqrt(7);
  for (const v of Object.values(a.stateDict()).flatMap((t) => Array.from(t))) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
});
