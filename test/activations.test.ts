// The SIMD sigmoid and tanh (assembly/activations.ts) against exact float64 values on a dense
// grid and at the edges. The bounds below are what the golden tests' 1e-5 leaves room for, with
// margin: errors of a few float32 ulp (measured: sigmoid 1.2 ulp, tanh 2.5 ulp).

import { beforeAll, describe, expect, it } from 'vitest';
import { init, type Runtime } from '../src/node/index.js';

let rt: Runtime;
beforeAll(async () => { rt = await init(); });

/** Applies a whole-array kernel to xs and returns the float32 results. */
function apply(kernel: 'sigmoidArray' | 'tanhArray', xs: Float32Array): Float32Array {
  const x = rt.alloc(xs.length * 4), y = rt.alloc(xs.length * 4);
  try {
    rt.f32(x, xs.length).set(xs);
    rt.kernels[kernel](x, y, xs.length);
    return rt.read(y, xs.length);
  } finally { rt.free(x); rt.free(y); }
}

function grid(): Float32Array {
  const xs: number[] = [];
  for (let x = -20; x <= 20; x += 1 / 1024) xs.push(x);
  for (let e = -30; e <= 6; e += 0.25) xs.push(2 ** e, -(2 ** e));   // tiny and large magnitudes
  xs.push(0, -0, 0.625, -0.625, 0.62499994, 88, -88, 100, -100, 1e30, -1e30);
  return Float32Array.from(xs);                                        // length not a multiple of 4: tail path too
}

function errors(actual: Float32Array, xs: Float32Array, exact: (x: number) => number) {
  let abs = 0, rel = 0;
  for (let i = 0; i < xs.length; i++) {
    const e = exact(xs[i]);
    const d = Math.abs(actual[i] - e);
    abs = Math.max(abs, d);
    if (Math.abs(e) > 1e-30) rel = Math.max(rel, d / Math.abs(e));   // exp is clamped below e^-87
  }
  return { abs, rel };
}

const ULP1 = 2 ** -23;   // float32 spacing just above 1

describe('SIMD activations', () => {
  const xs = grid();

  it('tanh: within 3 ulp of Math.tanh, odd, and exact at 0 and saturation', () => {
    const y = apply('tanhArray', xs);
    const { abs, rel } = errors(y, xs, Math.tanh);
    console.log(`tanh: max abs error ${abs.toExponential(2)}, max rel error ${rel.toExponential(2)} over ${xs.length} points`);
    expect(abs).toBeLessThan(3 * ULP1);      // the rational approximation's own error is ~2.5 ulp
    expect(rel).toBeLessThan(4 * ULP1);
    const [z, big, small] = apply('tanhArray', Float32Array.of(0, 30, -30));
    expect(z).toBe(0);
    expect(big).toBe(1);
    expect(small).toBe(-1);
    const neg = apply('tanhArray', xs.map((x) => -x));
    for (let i = 0; i < xs.length; i++) if (neg[i] !== -y[i]) expect(neg[i]).toBe(-y[i]);   // odd (±0 alike)
  });

  it('sigmoid: within a few ulp of 1/(1+e^-x), in [0, 1], σ(0) = 0.5', () => {
    const y = apply('sigmoidArray', xs);
    const { abs, rel } = errors(y, xs, (x) => 1 / (1 + Math.exp(-x)));
    console.log(`sigmoid: max abs error ${abs.toExponential(2)}, max rel error ${rel.toExponential(2)} over ${xs.length} points`);
    expect(abs).toBeLessThan(2 * ULP1);
    // Relative error also for tiny σ(x) (x ≪ 0), where exp carries it all.
    expect(rel).toBeLessThan(8 * ULP1);
    for (const v of y) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    expect(apply('sigmoidArray', Float32Array.of(0))[0]).toBe(0.5);
  });
});
