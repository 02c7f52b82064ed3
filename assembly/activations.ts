// SIMD activations: exp, sigmoid and tanh on f32x4, accurate to a few float32 ulp.
// Polynomials from Cephes (S. L. Moshier, expf.c and tanhf.c); the measured maximum error
// against Math.tanh / exact sigmoid is checked in test/activations.test.ts.

// exp(x) for x in [-87, 88] (clamped): x = n·ln2 + r, |r| ≤ ln2/2, exp(r) by a degree-6
// polynomial, 2^n built directly in the exponent bits.
// @ts-ignore: decorator
@inline export function expf4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  // Cody–Waite: ln2 split in two so n·C1 is exact.
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2n);
}

// σ(x) = 1 / (1 + e^-x)
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), expf4(f32x4.neg(x))));
}

// tanh(x): odd polynomial for |x| < 0.625 (where 1 - 2/(e^2x + 1) would cancel),
// 1 - 2/(e^{2|x|} + 1) with the sign of x elsewhere.
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = expf4(f32x4.mul(f32x4.min(ax, f32x4.splat(10.0)), f32x4.splat(2.0)));
  const bigAbs = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  const big = v128.or(bigAbs, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.625)));
}

// relu(x) = max(x, 0); NaN-propagating like torch.relu is not needed for finite inputs.
// @ts-ignore: decorator
@inline export function relu4(x: v128): v128 {
  return f32x4.max(x, f32x4.splat(0.0));
}

// Whole-array forms, used by tests to measure the error and by the host for element-wise work.
// x, y: [n] f32 (may alias)
export function sigmoidArray(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), sigmoid4(v128.load(x + (<usize>i << 2))));
  for (; i < n; i++) {
    const v = sigmoid4(f32x4.splat(load<f32>(x + (<usize>i << 2))));
    store<f32>(y + (<usize>i << 2), f32x4.extract_lane(v, 0));
  }
}

export function tanhArray(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), tanh4(v128.load(x + (<usize>i << 2))));
  for (; i < n; i++) {
    const v = tanh4(f32x4.splat(load<f32>(x + (<usize>i << 2))));
    store<f32>(y + (<usize>i << 2), f32x4.extract_lane(v, 0));
  }
}
