// IEEE 754 binary16 ("half", safetensors F16) and bfloat16 (BF16) ↔ float32, on bit patterns.
//
// half:     1 sign, 5 exponent (bias 15), 10 mantissa bits; largest finite 65504, smallest
//           normal 2^-14, smallest subnormal 2^-24.
// bfloat16: the top 16 bits of a float32 (1 sign, 8 exponent, 7 mantissa bits).
//
// float32 → half rounds to nearest, ties to even, as IEEE 754 and torch's .half() do; results
// below 2^-14 become subnormals, below 2^-25 zero. NaN keeps its sign and the top 10 payload
// bits (a payload that would vanish becomes the quiet bit), so every half survives the trip
// through float32 bit for bit. The array functions work on bits through Uint32Array views, so
// NaN payloads are never canonicalised by the JS engine.

import { RecurValueError } from '../errors.js';

/** Largest finite half: (2 − 2^-10) · 2^15. Float32 values from 65520 up round to Infinity. */
export const FLOAT16_MAX = 65504;

/** Half bits of the float32 with bits `b`: round to nearest even; beyond ±65504 gives ±Infinity. */
function halfFromFloatBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exponent = (b >>> 23) & 0xff;
  const mantissa = b & 0x7fffff;
  if (exponent === 0xff) {                                   // Infinity or NaN
    if (mantissa === 0) return sign | 0x7c00;
    return sign | 0x7c00 | ((mantissa >>> 13) || 0x200);
  }
  const e = exponent - 127 + 15;                             // half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00;                       // ≥ 2^16: overflow
  let half: number, rest: number, halfway: number;
  if (e > 0) {
    // Normal: keep 10 of the 23 mantissa bits. A carry out of the mantissa bumps the exponent,
    // which is exactly right (up to Infinity for values from 65520).
    half = (e << 10) | (mantissa >>> 13);
    rest = mantissa & 0x1fff;
    halfway = 0x1000;
  } else {
    // Subnormal half (value < 2^-14): units of 2^-24. The float's 24-bit significand m stands for
    // m · 2^(exponent − 150), i.e. m / 2^(126 − exponent) units.
    if (exponent < 102) return sign;                         // < 2^-25: rounds to zero
    const significand = mantissa | 0x800000;
    const shift = 126 - exponent;                            // 14 … 24
    half = significand >>> shift;
    rest = significand & ((1 << shift) - 1);
    halfway = 1 << (shift - 1);
  }
  if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
  return sign | half;
}

/** Float32 bits of the half with bits `h` (exact: every half is a float32). */
function floatBitsFromHalf(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;   // Infinity, NaN
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;                                        // ±0
  // Subnormal: mantissa · 2^-24. Normalise: shift the leading 1 up to bit 10.
  let m = mantissa, e = 113;                                                    // 2^-14 is exponent 113
  while ((m & 0x400) === 0) { m <<= 1; e--; }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Half bits nearest to x (ties to even); beyond ±65504 gives ±Infinity, as IEEE 754 says. */
export function float32ToFloat16Bits(x: number): number {
  scratch[0] = x;                     // a number is first rounded to float32, as a Float32Array would
  return halfFromFloatBits(scratchBits[0]);
}

/** The value of the half with bits h. */
export function float16BitsToFloat32(h: number): number {
  scratchBits[0] = floatBitsFromHalf(h & 0xffff);
  return scratch[0];
}

/**
 * Float32 values to half bits for saving. A finite value that would round to ±Infinity (|x| ≥
 * 65520) is a RecurValueError naming `name` and the index: a saved model must not silently
 * change a weight into Infinity. NaN and ±Infinity are passed through.
 */
export function float32ToFloat16(values: Float32Array, name = 'tensor'): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const h = halfFromFloatBits(bits[i]);
    if ((h & 0x7fff) === 0x7c00 && (bits[i] & 0x7f800000) !== 0x7f800000) {
      throw new RecurValueError(`${name}: value ${values[i]} at index ${i} is beyond float16's range (±${FLOAT16_MAX}); save as f32`);
    }
    out[i] = h;
  }
  return out;
}

/** Half bits to float32 values (exact). */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = floatBitsFromHalf(halves[i]);
  return out;
}

/** bfloat16 bits to float32 values (exact: bfloat16 is a float32 without its low 16 bits). */
export function bfloat16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return out;
}
