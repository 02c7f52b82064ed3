// Natural logarithm of float32 values, in double precision (f64x2), so each result is the float32
// nearest the exact logarithm as the host's Math.log loop gives it (both are accurate to a few
// ulps of a double before the one rounding to float32; they can differ only where the exact value
// lies within ~1e-16 of halfway between two floats).
//
//   x = 2^e · m, m ∈ [√½, √2):   log x = e·ln 2 + 2·atanh(s),  s = (m − 1) / (m + 1), |s| ≤ 0.1716,
//   2·atanh(s) = 2s·(1 + s²/3 + s⁴/5 + … + s²²/23)   (the next term is below 2⁻⁵³ of the sum),
// the series summed by Estrin's scheme.
// Zeros, negatives, subnormals, infinities and NaN go value by value (logScalar); so does the tail.
// (Not AssemblyScript's Math.log: its tables would add 4 kB to the module.)

const LN2: f64 = 0.6931471805599453;
// a_k = 1/(2k + 3), k = 0 … 10: the series 1/3 + z/5 + … + z¹⁰/23, lowest first.
const SERIES = memory.data<f64>([1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11, 1.0 / 13, 1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23, 0]);

// y[i] = log(x[i]) for i < n; y may be x.
export function logArray(x: usize, y: usize, n: i32): void {
  const n4 = n & ~3;
  const minNormal = i32x4.splat(0x00800000), span = i32x4.splat(0x7f800000 - 0x00800000);
  for (let i = 0; i < n4; i += 4, x += 16, y += 16) {
    const v = v128.load(x);
    // Positive, normal and finite in every lane? (bits − 2^23 < 0x7f000000, unsigned)
    if (i32x4.all_true(i32x4.lt_u(i32x4.sub(v, minNormal), span))) {
      v128.store(y, log4(v, 0));
    } else {
      for (let k: usize = 0; k < 16; k += 4) store<f32>(y + k, logScalar(load<f32>(x + k)));
    }
  }
  for (let i = n4; i < n; i++, x += 4, y += 4) store<f32>(y, logScalar(load<f32>(x)));
}

// log of one float32: NaN for NaN and x < 0, −∞ for ±0, ∞ for ∞.
function logScalar(x: f32): f32 {
  if (isNaN(x) || x < 0) return NaN;
  if (x == 0) return -Infinity;
  if (x == Infinity) return Infinity;
  const subnormal = x < 1.17549435e-38;                  // then log(x·2^23) − 23·ln 2
  return f32x4.extract_lane(log4(f32x4.splat(subnormal ? x * 8388608.0 : x), subnormal ? -23 : 0), 0);
}

// log(v · 2^shift) of four positive, normal, finite float32 (as f32x4).
function log4(v: v128, shift: i32): v128 {
  // m ∈ [1, 2) from the mantissa; then [√½, √2) by halving m when it is past √2 (exactly).
  let e = i32x4.sub(i32x4.shr_u(v, 23), i32x4.splat(127 - shift));
  let m = v128.or(v128.and(v, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(f32x4.mul(m, f32x4.splat(0.70710677)), f32x4.splat(1));   // m > √2
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big);                                                       // big lanes are −1: e + 1
  const one = f64x2.splat(1);
  // Lanes 0, 1 and 2, 3 in double: s, z = s², then the series in z, both halves side by side.
  const mLo = f64x2.promote_low_f32x4(m), mHi = f64x2.promote_low_f32x4(i64x2.shuffle(m, m, 1, 0));
  const sLo = f64x2.div(f64x2.sub(mLo, one), f64x2.add(mLo, one));
  const sHi = f64x2.div(f64x2.sub(mHi, one), f64x2.add(mHi, one));
  const zLo = f64x2.mul(sLo, sLo), zHi = f64x2.mul(sHi, sHi);
  const pLo = series(zLo), pHi = series(zHi);
  const ln2 = f64x2.splat(LN2), two = f64x2.splat(2);
  const rLo = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(e), ln2), f64x2.mul(f64x2.mul(two, sLo), f64x2.add(one, f64x2.mul(pLo, zLo))));
  const rHi = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(i64x2.shuffle(e, e, 1, 0)), ln2),
    f64x2.mul(f64x2.mul(two, sHi), f64x2.add(one, f64x2.mul(pHi, zHi))));
  return i64x2.shuffle(f32x4.demote_f64x2_zero(rLo), f32x4.demote_f64x2_zero(rHi), 0, 2);
}

// Σ a_k z^k by Estrin's scheme (pairs, then pairs of pairs): a short dependency chain, where
// Horner's rule would wait on eleven multiply-adds in a row.
// @ts-ignore: decorator
@inline function series(z: v128): v128 {
  const z2 = f64x2.mul(z, z), z4 = f64x2.mul(z2, z2);
  const q0 = pair(z, 0), q1 = pair(z, 2), q2 = pair(z, 4), q3 = pair(z, 6), q4 = pair(z, 8), q5 = pair(z, 10);
  const r0 = f64x2.add(q0, f64x2.mul(q1, z2)), r1 = f64x2.add(q2, f64x2.mul(q3, z2)), r2 = f64x2.add(q4, f64x2.mul(q5, z2));
  return f64x2.add(r0, f64x2.mul(z4, f64x2.add(r1, f64x2.mul(z4, r2))));
}

// a_k + a_{k+1}·z.
// @ts-ignore: decorator
@inline function pair(z: v128, k: i32): v128 {
  const at = SERIES + (<usize>k << 3);
  return f64x2.add(f64x2.splat(load<f64>(at)), f64x2.mul(f64x2.splat(load<f64>(at + 8)), z));
}
