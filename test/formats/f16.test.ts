// float16 / bfloat16 conversions: every half survives float32 and back bit for bit; float32 →
// half rounds to nearest even, checked against a slow reference that searches the half values
// and against torch 1.13's x.to(torch.float16) (test/fixtures/safetensors/fixtures.json).

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32, float16BitsToFloat32, float16ToFloat32, float32ToFloat16, float32ToFloat16Bits, FLOAT16_MAX,
} from '../../src/formats/f16.js';
import { RecurValueError } from '../../src/node/index.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/safetensors/fixtures.json', import.meta.url), 'utf8'));

/** The value of half bits h, from the definition (slow, in float64). */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Positive finite halves in increasing order: bits 0 … 0x7bff are monotonic in value. */
const POSITIVE = Float64Array.from({ length: 0x7c00 }, (_, h) => halfValue(h));

/**
 * The nearest half to float32 value x by binary search over all halves, ties to the even bit
 * pattern; |x| ≥ 65520 (the midpoint between 65504 and the next power 65536) is ±Infinity.
 */
function slowHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0, hi = POSITIVE.length - 1;                 // POSITIVE[lo] ≤ a < POSITIVE[hi] … or a ≥ max
  if (a >= POSITIVE[hi]) return sign | hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POSITIVE[mid] <= a) lo = mid; else hi = mid;
  }
  const below = a - POSITIVE[lo], above = POSITIVE[hi] - a;   // exact: few significant bits
  if (below < above) return sign | lo;
  if (above < below) return sign | hi;
  return sign | (lo % 2 === 0 ? lo : hi);
}

const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const bitsOf = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

describe('float16 → float32 → float16', () => {
  it('round-trips all 65536 half bit patterns exactly, NaN payloads included', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const floats = float16ToFloat32(halves);
    const back = float32ToFloat16(floats);
    expect(back).toEqual(halves);
    let nans = 0;
    for (let h = 0; h < 65536; h++) {
      const v = halfValue(h);
      if (Number.isNaN(v)) { nans++; expect(floats[h]).toBeNaN(); continue; }
      if (!Object.is(floats[h], v) || !Object.is(float16BitsToFloat32(h), v) || float32ToFloat16Bits(v) !== h) {
        expect.fail(`half 0x${h.toString(16)}: ${floats[h]}, ${float16BitsToFloat32(h)} ≠ ${v}`);
      }
    }
    expect(nans).toBe(2 * 1023);
  });

  it('decodes the landmarks', () => {
    expect(float16BitsToFloat32(0x7bff)).toBe(FLOAT16_MAX);
    expect(float16BitsToFloat32(0x0400)).toBe(2 ** -14);        // smallest normal
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);        // smallest subnormal
    expect(float16BitsToFloat32(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });
});

describe('float32 → float16 rounds to nearest, ties to even', () => {
  it('matches known values', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [65504, 0x7bff],
      [65519.99609375, 0x7bff], [65520, 0x7c00], [-65520, 0xfc00], [1e10, 0x7c00], [Infinity, 0x7c00],
      [1 + 2 ** -11, 0x3c00],                // tie between 1 and 1+2^-10: even (1)
      [1 + 3 * 2 ** -11, 0x3c02],            // tie between 1+2^-10 and 1+2^-9: even (…02)
      [1 + 2 ** -11 + 2 ** -23, 0x3c01],     // just above the tie
      [2 ** -25, 0x0000],                    // half the smallest subnormal: tie to 0
      [f32(bitsOf(2 ** -25) + 1), 0x0001],   // just above: the smallest subnormal
      [3 * 2 ** -25, 0x0002],                // tie between subnormals 1 and 2: even
      [2 ** -14 - 2 ** -25, 0x0400],         // tie between largest subnormal and smallest normal: even (0x400)
      [2 ** -26, 0x0000], [1e-45, 0x0000], [-1e-45, 0x8000],
      [2047, 0x67ff], [2049, 0x6800],       // 2049 ties between 2048 and 2050: even (2048)
      [65488, 0x7bfe], [65496, 0x7bff], [65512, 0x7bff],   // ulp 32 here: 65488 ties 65472 | 65504
    ];
    for (const [x, h] of cases) expect(float32ToFloat16Bits(x), `${x}`).toBe(h);
    expect(float32ToFloat16Bits(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('matches the search-based reference for random float32 values', () => {
    fc.assert(fc.property(fc.float({ noNaN: true }), (x) => float32ToFloat16Bits(x) === slowHalf(x)), { numRuns: 20_000 });
    // Values near the half range, where the interesting roundings are.
    fc.assert(fc.property(fc.float({ min: -70000, max: 70000, noNaN: true }), (x) => float32ToFloat16Bits(x) === slowHalf(x)), { numRuns: 20_000 });
    fc.assert(fc.property(fc.float({ min: -(2 ** -13), max: 2 ** -13, noNaN: true }), (x) => float32ToFloat16Bits(x) === slowHalf(x)), { numRuns: 20_000 });
  });

  it('matches the search-based reference exactly at every midpoint between halves', () => {
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (POSITIVE[h] + POSITIVE[h + 1]) / 2;          // a float32 (one more bit than half)
      if (Math.fround(mid) !== mid) expect.fail(`midpoint ${mid} is not a float32`);
      for (const x of [mid, f32(bitsOf(mid) - 1), f32(bitsOf(mid) + 1)]) {
        if (float32ToFloat16Bits(x) !== slowHalf(x)) expect.fail(`${x}: 0x${float32ToFloat16Bits(x).toString(16)} vs 0x${slowHalf(x).toString(16)}`);
      }
    }
  });

  it("matches torch's x.to(torch.float16) bit for bit", () => {
    const { f32Bits, f16Bits } = fixture.halfRounding as { f32Bits: number[]; f16Bits: number[] };
    expect(f32Bits.length).toBeGreaterThan(300);
    const halves = float32ToFloat16(new Float32Array(new Uint32Array(f32Bits).buffer).map((x) => (Math.abs(x) >= 65520 ? 0 : x)));
    f32Bits.forEach((bits, i) => {
      const x = f32(bits);
      const want = f16Bits[i];
      if (Number.isNaN(x)) return expect(float32ToFloat16Bits(x) & 0x7e00).toBe(0x7e00);
      expect(float32ToFloat16Bits(x), `${x}`).toBe(want);
      if (Math.abs(x) < 65520) expect(halves[i], `${x}`).toBe(want);
    });
  });
});

describe('float32ToFloat16 for saving', () => {
  it('refuses a finite value beyond ±65504 instead of making it Infinity', () => {
    expect(float32ToFloat16(new Float32Array([1, 65519.99, -65504]))).toEqual(new Uint16Array([0x3c00, 0x7bff, 0xfbff]));
    for (const x of [65520, -70000, 3.4e38]) {
      let error: unknown;
      try { float32ToFloat16(new Float32Array([0, 1, x]), 'head.weight'); } catch (err) { error = err; }
      expect(error).toBeInstanceOf(RecurValueError);
      expect((error as Error).message).toMatch(new RegExp(`head\\.weight: value -?[0-9.e+]+ at index 2 is beyond float16's range`));
    }
  });

  it('passes ±Infinity and NaN through (they are not out of range)', () => {
    const out = float32ToFloat16(new Float32Array([Infinity, -Infinity, NaN]));
    expect([...out.slice(0, 2)]).toEqual([0x7c00, 0xfc00]);
    expect(out[2] & 0x7e00).toBe(0x7e00);
  });
});

describe('bfloat16 → float32', () => {
  it('is the top half of the float32 bits, for all 65536 patterns', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const bits = new Uint32Array(bfloat16ToFloat32(halves).buffer);
    for (let h = 0; h < 65536; h++) if (bits[h] !== h * 65536) expect.fail(`bf16 0x${h.toString(16)}`);
    expect(bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x0001]))).toEqual(new Float32Array([1, -2, Infinity, 2 ** -133]));
  });
});
