// Optimizer and gradient-clipping kernels: element-wise over flat f32 ranges.
//
// A layer keeps all its parameters in one block and its gradients in a twin block of the same
// layout (src/train/optimizer.ts calls these once per such "slot"), so every function here walks
// n floats at byte pointers, four at a time, the ragged end through loadN/storeN (lanes past n
// are read as 0 and never written). Padding entries of the packed layouts have value 0 and
// gradient 0 and stay exactly 0 under every update below.
//
// Matching torch 1.13 (torch/optim/sgd.py, adam.py, adamw.py, the single-tensor paths its CPU
// optimizers take by default) to float32 rounding means doing its operations in its order:
//   * scalars (lr, betas, 1 − β, step size, …) are Python doubles, rounded to f32 once when a
//     kernel receives them, so the f64 arguments here are rounded the same way;
//   * `a.add(b, alpha=s)` and `a.addcmul_(b, c, value=s)` run as one fused multiply-add on every
//     CPU torch vectorises for (vec::fmadd: AVX2/AVX-512 FMA, NEON vfma). Wasm SIMD has no
//     deterministic FMA, so fma4 below computes a·b + c in f64, where the product of two f32 is
//     exact, and rounds once more to f32 (a double rounding that can differ from a true FMA only
//     on exact f32 half-way cases, which we have not seen in any fixture);
//   * `addcdiv_(m, d, value=s)` is p + (s·m)/d, not fused; `mul_` and `sqrt` are plain.

import { loadN, storeN } from './vec';

// fl32(a·b + c), lanes in f32; b is an f64x2 splat of an f32 value (the scalar of add/addcmul).
// @ts-ignore: decorator
@inline function fma4(a: v128, b: v128, c: v128): v128 {
  const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(a), b), f64x2.promote_low_f32x4(c));
  const ah = v128.shuffle<f32>(a, a, 2, 3, 0, 1);
  const ch = v128.shuffle<f32>(c, c, 2, 3, 0, 1);
  const hi = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(ah), b), f64x2.promote_low_f32x4(ch));
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// fl32(a·b + c) with a vector b (addcmul's second factor).
// @ts-ignore: decorator
@inline function fmaV(a: v128, b: v128, c: v128): v128 {
  const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b)),
                       f64x2.promote_low_f32x4(c));
  const ah = v128.shuffle<f32>(a, a, 2, 3, 0, 1);
  const bh = v128.shuffle<f32>(b, b, 2, 3, 0, 1);
  const ch = v128.shuffle<f32>(c, c, 2, 3, 0, 1);
  const hi = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(ah), f64x2.promote_low_f32x4(bh)),
                       f64x2.promote_low_f32x4(ch));
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// A torch scalar: the double rounded to f32, as an f64x2 splat for fma4.
// @ts-ignore: decorator
@inline function scalar2(x: f64): v128 { return f64x2.splat(<f64><f32>x); }

// −1 in each of the first `left` lanes of x that is NaN or ±Infinity (all exponent bits set), else
// 0; lanes past `left` (the ragged end, computed from zeros) never count.
// @ts-ignore: decorator
@inline function nonFinite(x: v128, left: i32): v128 {
  const mask = i32x4.splat(0x7f800000);
  const lanes = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(left));
  return v128.and(i32x4.eq(v128.and(x, mask), mask), lanes);
}

// The lanes of a nonFinite() count vector, summed (each counted lane holds −1).
// @ts-ignore: decorator
@inline function countOf(bad: v128): i32 {
  return -(i32x4.extract_lane(bad, 0) + i32x4.extract_lane(bad, 1) + i32x4.extract_lane(bad, 2) + i32x4.extract_lane(bad, 3));
}

// torch.optim.SGD, one step:
//   d = g + wd·p                                   (if wd ≠ 0)
//   buf = firstStep ? d : momentum·buf + (1 − dampening)·d        (if momentum ≠ 0)
//   d = nesterov ? d + momentum·buf : buf                          (if momentum ≠ 0)
//   p = p − lr·d
// p, g: [n] f32; buf: [n] f32 momentum buffer, or 0 when momentum = 0 (read only after step 1).
// Both optimizer kernels return how many of the new p and state values are NaN or ±Infinity,
// and store them only if `write` is 1: the host calls them with write = 0 first, so an update
// that would overflow (a huge lr or decay) is refused before it touches anything.
export function sgdStep(p: usize, g: usize, buf: usize, n: i32, lr: f64, momentum: f64,
                        dampening: f64, nesterov: i32, weightDecay: f64, firstStep: i32, write: i32): i32 {
  const wd = scalar2(weightDecay), mom = f32x4.splat(<f32>momentum), mom2 = scalar2(momentum);
  const keep = scalar2(1.0 - dampening), negLr = scalar2(-lr);
  const useMomentum = momentum != 0 && buf != 0;
  let bad = i32x4.splat(0);
  for (let i = 0; i < n; i += 4) {
    const left = n - i, off = <usize>i << 2;
    const pv = loadN(p + off, left);
    let d = loadN(g + off, left);
    if (weightDecay != 0) d = fma4(pv, wd, d);
    if (useMomentum) {
      let b: v128;
      if (firstStep) b = d;
      else b = fma4(d, keep, f32x4.mul(loadN(buf + off, left), mom));
      bad = i32x4.add(bad, nonFinite(b, left));
      if (write) storeN(buf + off, b, left);
      d = nesterov ? fma4(b, mom2, d) : b;
    }
    const next = fma4(d, negLr, pv);
    bad = i32x4.add(bad, nonFinite(next, left));
    if (write) storeN(p + off, next, left);
  }
  return countOf(bad);
}

// torch.optim.Adam (decoupled = 0) or AdamW (decoupled = 1), one step:
//   Adam:  g = g + wd·p                 AdamW: p = p·(1 − lr·wd)
//   m = β1·m + (1 − β1)·g               v = β2·v + (1 − β2)·g·g
//   p = p + (−lr/bc1)·m / (sqrt(v)/sqrt(bc2) + eps)
// with the bias corrections bc1 = 1 − β1^t, bc2 = 1 − β2^t of step t (t = 1 on the first step),
// computed by the host in f64 as Python does. g = 0 from the start keeps m = v = 0 and gives an
// update of exactly 0 (0 / eps), so zero padding stays zero.
// p, g, m, v: [n] f32. Returns the non-finite count and writes only if `write`, as sgdStep.
export function adamStep(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64,
                         beta2: f64, eps: f64, weightDecay: f64, decoupled: i32,
                         biasCorrection1: f64, biasCorrection2: f64, write: i32): i32 {
  const b1 = f32x4.splat(<f32>beta1), b2 = f32x4.splat(<f32>beta2);
  const c1 = scalar2(1.0 - beta1), c2 = f32x4.splat(<f32>(1.0 - beta2));
  const wd = scalar2(weightDecay), shrink = f32x4.splat(<f32>(1.0 - lr * weightDecay));
  const negStep = f32x4.splat(<f32>(-(lr / biasCorrection1)));
  const bc2Sqrt = f32x4.splat(<f32>Math.sqrt(biasCorrection2));
  const e = f32x4.splat(<f32>eps);
  const l2 = !decoupled && weightDecay != 0;
  let bad = i32x4.splat(0);
  for (let i = 0; i < n; i += 4) {
    const left = n - i, off = <usize>i << 2;
    let pv = loadN(p + off, left);
    let gv = loadN(g + off, left);
    if (decoupled) pv = f32x4.mul(pv, shrink);
    else if (l2) gv = fma4(pv, wd, gv);
    const mv = fma4(gv, c1, f32x4.mul(loadN(m + off, left), b1));
    const vv = fmaV(f32x4.mul(c2, gv), gv, f32x4.mul(loadN(v + off, left), b2));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), bc2Sqrt), e);
    const next = f32x4.add(pv, f32x4.div(f32x4.mul(negStep, mv), denom));
    bad = i32x4.add(bad, i32x4.add(i32x4.add(nonFinite(mv, left), nonFinite(vv, left)), nonFinite(next, left)));
    if (write) {
      storeN(m + off, mv, left);
      storeN(v + off, vv, left);
      storeN(p + off, next, left);
    }
  }
  return countOf(bad);
}

// Σ x², accumulated in f64 (the square of an f32 is exact there), so the global gradient norm
// over millions of entries keeps f32 accuracy. x: [n] f32
export function sumSquares(x: usize, n: i32): f64 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    const a = loadN(x + (<usize>i << 2), n - i);
    const al = f64x2.promote_low_f32x4(a);
    const ah = f64x2.promote_low_f32x4(v128.shuffle<f32>(a, a, 2, 3, 0, 1));
    lo = f64x2.add(lo, f64x2.mul(al, al));
    hi = f64x2.add(hi, f64x2.mul(ah, ah));
  }
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

// max |x| (NaN if any x is NaN, as torch's max does; 0 for n = 0). x: [n] f32
export function maxAbs(x: usize, n: i32): f32 {
  let mx = f32x4.splat(0);
  for (let i = 0; i < n; i += 4) mx = f32x4.max(mx, f32x4.abs(loadN(x + (<usize>i << 2), n - i)));
  return max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)),
             max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
}

// x = x·s. x: [n] f32
export function scale(x: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  for (let i = 0; i < n; i += 4) {
    const p = x + (<usize>i << 2);
    storeN(p, f32x4.mul(loadN(p, n - i), sv), n - i);
  }
}

// x = min(max(x, lo), hi), NaN kept (torch.clamp_). x: [n] f32
export function clampValues(x: usize, n: i32, lo: f32, hi: f32): void {
  const l = f32x4.splat(lo), h = f32x4.splat(hi);
  for (let i = 0; i < n; i += 4) {
    const p = x + (<usize>i << 2);
    storeN(p, f32x4.min(f32x4.max(loadN(p, n - i), l), h), n - i);
  }
}

// Number of NaN and ±Infinity entries (all exponent bits set). x: [n] f32
export function countNonFinite(x: usize, n: i32): i32 {
  const mask = i32x4.splat(0x7f800000);
  let count = i32x4.splat(0);
  for (let i = 0; i < n; i += 4) {
    const bits = v128.and(loadN(x + (<usize>i << 2), n - i), mask);
    count = i32x4.sub(count, i32x4.eq(bits, mask));   // true lanes are −1
  }
  return i32x4.extract_lane(count, 0) + i32x4.extract_lane(count, 1)
       + i32x4.extract_lane(count, 2) + i32x4.extract_lane(count, 3);
}
