// SIMD activations: exp, sigmoid and tanh on f32x4, accurate to a few float32 ulp.
// Polynomials from Cephes (S. L. Moshier, expf.c and tanhf.c); the measured maximum error
// against Math.tanh / exact sigmoid is checked in test/activations.test.ts, for both builds
// (madd is an FMA in the relaxed-SIMD one).

import { madd } from './vec';

// exp(x) for x in [-87, 88] (clamped): x = n·ln2 + r, |r| ≤ ln2/2, exp(r) by a degree-6
// polynomial, 2^n built directly in the exponent bits.
// @ts-ignore: decorator
@inline export function expf4(x: v128): v128 {
  // pmin/pmax are single instructions; min/max's NaN and ±0 rules cost seven each in V8.
  // NaN still propagates: pmax(NaN, lo) and pmin(NaN, hi) return NaN.
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  // n = round(x·log2 e) by adding 1.5·2²³ (the add rounds to nearest even, as nearest() does);
  // the sum's low bits are then n as an integer, so 2ⁿ needs no float→int conversion.
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912.0));
  const n = f32x4.sub(t, f32x4.splat(12582912.0));
  // Cody–Waite: ln2 split in two so n·C1 is exact.
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  return expReduced(r, t);
}

// e^r · 2ⁿ from the reduced argument r and t = n + 1.5·2²³ (as expf4 computes them).
// @ts-ignore: decorator
@inline function expReduced(r: v128, t: v128): v128 {
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(t, i32x4.splat(127 - 0x4B400000)), 23);
  return f32x4.mul(p, pow2n);
}

// σ(x) = 1 / (1 + e^-x), with e^-x computed as expf4 does but with the negation folded into
// the constants (bit-identical to 1 / (1 + expf4(-x)), three instructions fewer in V8).
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-88.0)), f32x4.splat(87.0));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(-1.44269504088896341)), f32x4.splat(12582912.0));
  const n = f32x4.sub(t, f32x4.splat(12582912.0));
  let r = f32x4.sub(f32x4.mul(n, f32x4.splat(-0.693359375)), x);      // -x - n·ln2, as above
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), expReduced(r, t)));
}

// tanh(x) as a rational function x·P(x²)/Q(x²) (the 13/6 minimax approximation Eigen uses),
// clamped where it reaches ±1: no exp, one division, about 20 operations.
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const c = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-7.90531110763549805)), f32x4.splat(7.90531110763549805));
  const x2 = f32x4.mul(c, c);
  let p = f32x4.splat(-2.76076847742355e-16);
  p = madd(p, x2, f32x4.splat(2.00018790482477e-13));
  p = madd(p, x2, f32x4.splat(-8.60467152213735e-11));
  p = madd(p, x2, f32x4.splat(5.12229709037114e-08));
  p = madd(p, x2, f32x4.splat(1.48572235717979e-05));
  p = madd(p, x2, f32x4.splat(6.37261928875436e-04));
  p = madd(p, x2, f32x4.splat(4.89352455891786e-03));
  p = f32x4.mul(p, c);
  let q = f32x4.splat(1.19825839466702e-06);
  q = madd(q, x2, f32x4.splat(1.18534705686654e-04));
  q = madd(q, x2, f32x4.splat(2.26843463243900e-03));
  q = madd(q, x2, f32x4.splat(4.89352518554385e-03));
  const ax = f32x4.abs(x);
  let r = f32x4.div(p, q);
  if (ASC_FEATURE_RELAXED_SIMD) {
    // At the clamp the quotient is exactly ±1 when rounded twice per step, 1 ulp short of it
    // with FMA; saturation must be exact, so the FMA build sets ±1 there explicitly.
    const one = v128.or(v128.and(x, f32x4.splat(-0.0)), f32x4.splat(1.0));
    r = v128.bitselect(one, r, f32x4.ge(ax, f32x4.splat(7.90531110763549805)));
  }
  // Below 0.0004, tanh(x) = x to float precision.
  return v128.bitselect(x, r, f32x4.lt(ax, f32x4.splat(0.0004)));
}

// x clamped to [lo, hi] (ONNX's cell clip; ±Infinity bounds leave x as it is, NaN stays NaN).
// @ts-ignore: decorator
@inline export function clamp4(x: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, lo), hi);
}

// relu(x) = max(x, 0) (pmax: x < 0 ? 0 : x, so NaN stays NaN).
// @ts-ignore: decorator
@inline export function relu4(x: v128): v128 {
  return f32x4.pmax(x, f32x4.splat(0.0));
}

// In-place spans, [p, p + bytes) with bytes a multiple of 16. Four vectors per iteration: each
// activation is a long dependency chain, and V8's loops overlap little across iterations, so
// four independent chains in one body run 2.2× faster than one (measured, 512 values).
export function sigmoidSpan(p: usize, bytes: usize): void {
  const end = p + bytes;
  for (; p + 64 <= end; p += 64) {
    const a = sigmoid4(v128.load(p)), b = sigmoid4(v128.load(p, 16));
    const c = sigmoid4(v128.load(p, 32)), d = sigmoid4(v128.load(p, 48));
    v128.store(p, a); v128.store(p, b, 16); v128.store(p, c, 32); v128.store(p, d, 48);
  }
  for (; p < end; p += 16) v128.store(p, sigmoid4(v128.load(p)));
}

export function tanhSpan(p: usize, bytes: usize): void {
  const end = p + bytes;
  for (; p + 64 <= end; p += 64) {
    const a = tanh4(v128.load(p)), b = tanh4(v128.load(p, 16));
    const c = tanh4(v128.load(p, 32)), d = tanh4(v128.load(p, 48));
    v128.store(p, a); v128.store(p, b, 16); v128.store(p, c, 32); v128.store(p, d, 48);
  }
  for (; p < end; p += 16) v128.store(p, tanh4(v128.load(p)));
}

// Clamps a span to [-clip, clip] in place (ONNX's cell clip; NaN stays NaN).
export function clipSpan(p: usize, bytes: usize, clip: f32): void {
  const lo = f32x4.splat(-clip), hi = f32x4.splat(clip);
  for (const end = p + bytes; p < end; p += 16) v128.store(p, clamp4(v128.load(p), lo, hi));
}

// Whole-array forms, used by tests to measure the error and by the host for element-wise work.
// x, y: [n] f32 (may alias)
export function sigmoidArray(x: usize, y: usize, n: i32): void {
  if (x != y) memory.copy(y, x, <usize>n << 2);
  const whole = <usize>(n & ~3) << 2;
  sigmoidSpan(y, whole);
  for (let i = n & ~3; i < n; i++) {
    const v = sigmoid4(f32x4.splat(load<f32>(y + (<usize>i << 2))));
    store<f32>(y + (<usize>i << 2), f32x4.extract_lane(v, 0));
  }
}

export function tanhArray(x: usize, y: usize, n: i32): void {
  if (x != y) memory.copy(y, x, <usize>n << 2);
  const whole = <usize>(n & ~3) << 2;
  tanhSpan(y, whole);
  for (let i = n & ~3; i < n; i++) {
    const v = tanh4(f32x4.splat(load<f32>(y + (<usize>i << 2))));
    store<f32>(y + (<usize>i << 2), f32x4.extract_lane(v, 0));
  }
}
