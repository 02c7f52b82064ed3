// Cross-entropy and MSE losses: value and gradient against torch 1.13
// (test/fixtures/optim/optim.json), against a float64 reference and its finite differences,
// and the kernel's own loss differentiated numerically; ignored rows, stability, typed errors.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, RecurOptionError, RecurShapeError, type Runtime } from '../../src/node/index.js';
import { crossEntropy, mse, type Reduction } from '../../src/train/loss.js';
import { relativeError } from '../helpers.js';

interface Encoded { shape: number[]; data: string; dtype?: 'int32' }
interface CECase {
  name: string; N: number; C: number; reduction: Reduction; ignoreIndex: number;
  loss: number; loss64: number; tensors: Record<'logits' | 'targets' | 'dlogits', Encoded>;
}
interface MSECase {
  name: string; n: number; reduction: Reduction; loss: number; loss64: number;
  tensors: Record<'pred' | 'target' | 'dpred', Encoded>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim/optim.json', import.meta.url), 'utf8'));

function bytes(e: Encoded): ArrayBuffer {
  const b = Buffer.from(e.data, 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}
const f32 = (e: Encoded) => new Float32Array(bytes(e));
const i32 = (e: Encoded) => new Int32Array(bytes(e));

let rt: Runtime;
beforeAll(async () => { rt = await init(); });

/** Copies values into a fresh wasm block; returns its pointer. */
function put(values: Float32Array): number {
  const p = rt.alloc(values.length * 4);
  rt.f32(p, values.length).set(values);
  return p;
}

/** |a − b| ≤ tol·|b| (or exactly equal, for 0 and NaN). */
function expectRel(a: number, b: number, tol: number, what: string): void {
  if (Object.is(a, b)) return;
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.abs(b));
}

/** Cross-entropy in float64, written from the definition: mean/sum of log Σ exp(x) − x_t. */
function crossEntropy64(x: ArrayLike<number>, N: number, C: number, targets: Int32Array, ignoreIndex: number,
                        reduction: Reduction): number {
  let sum = 0, count = 0;
  for (let r = 0; r < N; r++) {
    const t = targets[r];
    if (t === ignoreIndex) continue;
    let m = -Infinity;
    for (let j = 0; j < C; j++) m = Math.max(m, x[r * C + j]);
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(x[r * C + j] - m);
    sum += Math.log(s) + m - x[r * C + t];
    count++;
  }
  return reduction === 'sum' ? sum : sum / count;
}

/** Central differences of a float64 function, element by element (h relative to |x|). */
function numericGradient(f: (x: Float64Array) => number, x0: ArrayLike<number>): Float32Array {
  const x = Float64Array.from(x0), g = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const v = x[j], h = 1e-6 * Math.max(1, Math.abs(v));
    x[j] = v + h; const up = f(x);
    x[j] = v - h; const down = f(x);
    x[j] = v;
    g[j] = (up - down) / (2 * h);
  }
  return g;
}

/** The kernel's loss and gradient for float32 logits (loss only when grad is false). */
function ceKernel(logits: Float32Array, N: number, C: number, targets: Int32Array, ignoreIndex: number,
                  reduction: Reduction, grad = true): { loss: number; dlogits: Float32Array } {
  const x = put(logits), d = grad ? rt.alloc(N * C * 4) : 0;
  try {
    const loss = crossEntropy(rt, x, N, C, targets, { ignoreIndex, reduction }, d);
    return { loss, dlogits: grad ? rt.read(d, N * C) : new Float32Array(0) };
  } finally { rt.free(x); if (d) rt.free(d); }
}

describe('cross-entropy against torch 1.13', () => {
  for (const c of fixture.crossEntropy as CECase[]) {
    it(c.name, () => {
      const logits = f32(c.tensors.logits), targets = i32(c.tensors.targets);
      const { loss, dlogits } = ceKernel(logits, c.N, c.C, targets, c.ignoreIndex, c.reduction);
      expectRel(loss, c.loss, 1e-6, 'loss vs torch float32');
      expectRel(loss, c.loss64, 1e-7, 'loss vs torch float64');
      expect(relativeError(dlogits, f32(c.tensors.dlogits))).toBeLessThanOrEqual(1e-6);
      for (let r = 0; r < c.N; r++) {
        if (targets[r] === c.ignoreIndex) expect(dlogits.subarray(r * c.C, (r + 1) * c.C).every((v) => v === 0)).toBe(true);
      }
    });
  }
});

describe('cross-entropy gradient is the derivative of the loss', () => {
  for (const c of fixture.crossEntropy as CECase[]) {
    it(`${c.name}: float64 finite differences; the kernel's own loss along a direction`, () => {
      const logits = f32(c.tensors.logits), targets = i32(c.tensors.targets);
      const { N, C, ignoreIndex, reduction } = c;
      const { loss, dlogits } = ceKernel(logits, N, C, targets, ignoreIndex, reduction);
      // The float64 definition: same value, and its numerical gradient is the kernel's.
      const f = (x: Float64Array) => crossEntropy64(x, N, C, targets, ignoreIndex, reduction);
      expectRel(loss, f(Float64Array.from(logits)), 1e-7, 'loss vs float64 definition');
      expect(relativeError(dlogits, numericGradient(f, logits))).toBeLessThanOrEqual(1e-6);
      // The kernel alone: (L(x + εu) − L(x − εu)) / 2ε ≈ ⟨dlogits, u⟩, with the perturbed
      // logits rounded to f32 and the actual step used, so only the kernel's rounding remains.
      let seed = 12345;
      const u = logits.map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
      const eps = 1e-2;
      const up = logits.map((x, j) => x + eps * u[j]), down = logits.map((x, j) => x - eps * u[j]);
      let predicted = 0;
      for (let j = 0; j < u.length; j++) predicted += (dlogits[j] + 0) * (up[j] - down[j]);
      const actual = ceKernel(up, N, C, targets, ignoreIndex, reduction, false).loss
                   - ceKernel(down, N, C, targets, ignoreIndex, reduction, false).loss;
      expect(Math.abs(actual - predicted)).toBeLessThanOrEqual(2e-3 * Math.abs(predicted) + 1e-6);
    });
  }
});

describe('cross-entropy: options, ignored rows, stability, errors', () => {
  const N = 4, C = 6;
  const logits = Float32Array.from({ length: N * C }, (_, i) => Math.sin(i * 1.7) * 3);
  const targets = Int32Array.from([1, 5, 0, 3]);

  it('defaults to mean with ignoreIndex -100; sum = mean · count', () => {
    const mean = ceKernel(logits, N, C, Int32Array.from([1, -100, 0, 3]), -100, 'mean');
    const x = put(logits);
    try {
      expect(crossEntropy(rt, x, N, C, Int32Array.from([1, -100, 0, 3]))).toBe(mean.loss);
    } finally { rt.free(x); }
    const sum = ceKernel(logits, N, C, Int32Array.from([1, -100, 0, 3]), -100, 'sum');
    expectRel(sum.loss, 3 * mean.loss, 1e-15, 'sum');
    expect(relativeError(sum.dlogits, mean.dlogits.map((v) => v * 3))).toBeLessThan(1e-6);
  });

  it('every row ignored: mean is NaN (as torch), sum is 0, gradients 0', () => {
    const all = Int32Array.from([-100, -100, -100, -100]);
    const mean = ceKernel(logits, N, C, all, -100, 'mean');
    expect(mean.loss).toBeNaN();
    expect(mean.dlogits.every((v) => v === 0)).toBe(true);
    expect(ceKernel(logits, N, C, all, -100, 'sum').loss).toBe(0);
  });

  it('loss only (dlogits 0) and in place (dlogits = logits) give the same results', () => {
    const ref = ceKernel(logits, N, C, targets, -100, 'mean');
    expect(ceKernel(logits, N, C, targets, -100, 'mean', false).loss).toBe(ref.loss);
    const x = put(logits);
    try {
      expect(crossEntropy(rt, x, N, C, targets, {}, x)).toBe(ref.loss);
      expect(rt.read(x, N * C)).toEqual(ref.dlogits);
    } finally { rt.free(x); }
  });

  it('huge logits (±1e4, ±3e38) neither overflow nor lose the loss', () => {
    const big = Float32Array.from([1e4, -1e4, 0, 5e3, -3e38, 3e38, 1, 2]);
    for (const t of [[0, 1], [2, 1], [3, 0], [1, 2]]) {
      const tg = Int32Array.from(t);
      const { loss, dlogits } = ceKernel(big, 2, 4, tg, -100, 'sum');
      expect(Number.isFinite(loss)).toBe(true);
      expectRel(loss, crossEntropy64(big, 2, 4, tg, -100, 'sum'), 1e-12, `targets ${t}`);
      expect(dlogits.every(Number.isFinite)).toBe(true);
      for (let r = 0; r < 2; r++) {
        const row = dlogits.subarray(r * 4, r * 4 + 4);
        expect(Math.abs(row.reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);   // softmax − onehot sums to 0
      }
    }
  });

  it('C not a multiple of 4 and C = 1', () => {
    for (const C2 of [1, 2, 3, 5, 7, 8, 9, 33]) {
      const x = Float32Array.from({ length: 3 * C2 }, (_, i) => Math.cos(i) * 4);
      const t = Int32Array.from([0, C2 - 1, (C2 / 2) | 0]);
      const { loss, dlogits } = ceKernel(x, 3, C2, t, -100, 'mean');
      const f = (z: Float64Array) => crossEntropy64(z, 3, C2, t, -100, 'mean');
      expectRel(loss, f(Float64Array.from(x)), 1e-7, `C=${C2}`);
      expect(relativeError(dlogits, numericGradient(f, x))).toBeLessThanOrEqual(1e-6);
    }
  });

  it('rejects out-of-range targets naming the position, and bad shapes or options', () => {
    const x = put(logits);
    try {
      const call = (t: Int32Array, o = {}) => () => crossEntropy(rt, x, N, C, t, o);
      expect(call(Int32Array.from([1, 6, 0, 3]))).toThrow(RecurShapeError);
      expect(call(Int32Array.from([1, 6, 0, 3]))).toThrow('targets[1] = 6 is not a class id in [0, 6) nor ignoreIndex -100');
      expect(call(Int32Array.from([1, 2, -1, 3]))).toThrow(/targets\[2\] = -1/);
      expect(call(Int32Array.from([1, 2, -100, 3]), { ignoreIndex: 0 })).toThrow(/targets\[2\] = -100 .* ignoreIndex 0/);
      expect(call(Int32Array.from([1, 2, 3]))).toThrow(/targets should be an Int32Array of N=4 class ids, got length 3/);
      expect(call(targets, { reduction: 'none' })).toThrow(RecurOptionError);
      expect(call(targets, { ignoreIndex: 0.5 })).toThrow(RecurOptionError);
      expect(() => crossEntropy(rt, x, 0, C, new Int32Array(0))).toThrow(RecurShapeError);
      expect(() => crossEntropy(rt, rt.memoryBytes - 16, N, C, targets)).toThrow(/end past wasm memory/);
      expect(() => crossEntropy(rt, x, N, C, targets, {}, 3)).toThrow(/dlogits must be a nonzero 4-byte-aligned/);
    } finally { rt.free(x); }
  });

  it('frees its scratch memory', () => {
    const x = put(logits);
    const before = rt.bytesInUse;
    crossEntropy(rt, x, N, C, targets, {}, x);
    expect(() => crossEntropy(rt, x, N, C, Int32Array.from([9, 9, 9, 9]))).toThrow(RecurShapeError);
    expect(rt.bytesInUse).toBe(before);
    rt.free(x);
  });
});

describe('MSE against torch 1.13', () => {
  for (const c of fixture.mse as MSECase[]) {
    it(c.name, () => {
      const pred = f32(c.tensors.pred), target = f32(c.tensors.target);
      const p = put(pred), d = rt.alloc(c.n * 4), t = put(target);
      try {
        const loss = mse(rt, p, target, c.n, { reduction: c.reduction }, d);
        expectRel(loss, c.loss, 1e-6, 'loss vs torch float32');
        expectRel(loss, c.loss64, 1e-7, 'loss vs torch float64');
        const grad = rt.read(d, c.n);
        expect(relativeError(grad, f32(c.tensors.dpred))).toBeLessThanOrEqual(1e-6);
        expect(grad[0]).toBe(0);   // the exact-zero difference
        // target already in wasm memory: the same
        expect(mse(rt, p, t, c.n, { reduction: c.reduction })).toBe(loss);
        // float64 definition and its finite differences
        const f = (x: Float64Array) => {
          let s = 0;
          for (let i = 0; i < c.n; i++) s += (x[i] - target[i]) ** 2;
          return c.reduction === 'sum' ? s : s / c.n;
        };
        expectRel(loss, f(Float64Array.from(pred)), 1e-7, 'loss vs float64 definition');
        expect(relativeError(grad, numericGradient(f, pred))).toBeLessThanOrEqual(1e-6);
      } finally { rt.free(p); rt.free(d); rt.free(t); }
    });
  }

  it('rejects bad shapes and options', () => {
    const p = put(new Float32Array(5));
    try {
      expect(() => mse(rt, p, new Float32Array(4), 5)).toThrow(/target should be a Float32Array of n=5 values, got length 4/);
      expect(() => mse(rt, p, new Float32Array(5), 5, { reduction: 'max' as never })).toThrow(RecurOptionError);
      expect(() => mse(rt, p, new Float32Array(0), 0)).toThrow(RecurShapeError);
      expect(() => mse(rt, p, rt.memoryBytes, 5)).toThrow(/target: 5 floats at byte/);
    } finally { rt.free(p); }
  });
});
