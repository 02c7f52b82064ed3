// The matrix kernels of assembly/gemm.ts against plain JavaScript, at the shapes where their
// blocking changes: two-row blocks and a lone row, three-panel passes and single panels, ragged
// panels; the stream step's two products in one pass; the weight gradient's row chunks (256 rows)
// and the bias gradient. The plain build multiplies then adds, each rounded to float32, so a
// JavaScript loop doing the same in the same order gives the same bits; the relaxed build fuses
// them (one rounding), so there the check is a tolerance.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../src/runtime/runtime.js';
import { defaultWasmUrl } from './helpers.js';

const f = Math.fround;
let rt: Runtime;
let exact: boolean;

beforeAll(async () => {
  rt = await Runtime.create(readFileSync(defaultWasmUrl()));
  exact = rt.build === 'simd';
});

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1);
}

/** a·b + c as the build computes it: two roundings (plain) or one (relaxed FMA; a·b is exact in f64). */
const madd = (a: number, b: number, c: number) => (exact ? f(f(a * b) + c) : f(a * b + c));

/** The same bits in the plain build; within float32 rounding of the sums in the relaxed one. */
function expectSame(actual: Float32Array, expected: Float32Array): void {
  if (exact) { expect(actual).toEqual(expected); return; }
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[i])));
}

/** Copies arrays into fresh wasm blocks; returns their pointers (views are taken after all allocs). */
function put(...arrays: Float32Array[]): number[] {
  const ptrs = arrays.map((a) => rt.alloc(Math.max(4, a.length * 4)));
  arrays.forEach((a, i) => rt.f32(ptrs[i], a.length).set(a));
  return ptrs;
}

/** W [N, K] row-major packed in panels of 16 columns (packWeight with one gate). */
function packed(w: Float32Array, N: number, K: number): number {
  const [src] = put(w);
  const dst = rt.alloc(Math.ceil(N / 16) * 16 * K * 4);
  rt.kernels.packWeight(src, 1, N, K, dst);
  rt.free(src);
  return dst;
}

/** C[M, N] = (acc ? C : 0) + bias + A·Wᵀ, each column summed over k in order from bias (+ C). */
function gemmReference(M: number, N: number, K: number, a: Float32Array, w: Float32Array, bias: Float32Array | null, c: Float32Array, accumulate: boolean): Float32Array {
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = bias ? bias[n] : 0;
      if (accumulate) acc = f(acc + c[m * N + n]);
      for (let k = 0; k < K; k++) acc = madd(w[n * K + k], a[m * K + k], acc);
      out[m * N + n] = acc;
    }
  }
  return out;
}

describe('gemm: C = bias + A·Wᵀ against a JavaScript loop', () => {
  const shapes: [number, number, number][] = [];
  for (const M of [1, 2, 3, 5]) for (const N of [4, 16, 20, 48, 52, 100]) for (const K of [1, 3, 64]) shapes.push([M, N, K]);
  it.each(shapes)('M %i, N %i, K %i', (M, N, K) => {
    const a = values(M * K, M * 7 + K), w = values(N * K, N + K), bias = values(N, N), c0 = values(M * N, 99);
    for (const [withBias, accumulate] of [[false, false], [true, false], [true, true]] as const) {
      const wp = packed(w, N, K);
      const [ap, bp, cp] = put(a, bias, c0);
      rt.kernels.gemm(M, N, K, ap, K, wp, withBias ? bp : 0, cp, N, accumulate ? 1 : 0);
      expectSame(rt.read(cp, M * N), gemmReference(M, N, K, a, w, withBias ? bias : null, c0, accumulate));
      for (const p of [wp, ap, bp, cp]) rt.free(p);
    }
  });
});

describe('gemvPair: a step\'s input and recurrent products in one pass', () => {
  it.each([[4, 3, 5], [48, 64, 128], [112, 5, 28], [512, 64, 128], [20, 1, 1]])('N %i, K1 %i, K2 %i: the bits of gemm, then gemm accumulating', (N, K1, K2) => {
    const x = values(K1, 1), h = values(K2, 2), w1 = values(N * K1, 3), w2 = values(N * K2, 4), b1 = values(N, 5), b2 = values(N, 6);
    const p1 = packed(w1, N, K1), p2 = packed(w2, N, K2);
    const [xp, hp, b1p, b2p] = put(x, h, b1, b2);
    const two = rt.alloc(N * 4), one = rt.alloc(N * 4);
    rt.kernels.gemm(1, N, K1, xp, K1, p1, b1p, two, N, 0);
    rt.kernels.gemm(1, N, K2, hp, K2, p2, b2p, two, N, 1);
    rt.kernels.gemvPair(N, K1, xp, p1, b1p, K2, hp, p2, b2p, one);
    expect(rt.read(one, N)).toEqual(rt.read(two, N));
    rt.kernels.gemvPair(N, K1, xp, p1, 0, K2, hp, p2, 0, one);       // without biases
    rt.kernels.gemm(1, N, K1, xp, K1, p1, 0, two, N, 0);
    rt.kernels.gemm(1, N, K2, hp, K2, p2, 0, two, N, 1);
    expect(rt.read(one, N)).toEqual(rt.read(two, N));
    for (const p of [p1, p2, xp, hp, b1p, b2p, two, one]) rt.free(p);
  });
});

describe('gemmWeightGrad: dW += dYᵀ·X in the packed layout', () => {
  const shapes: [number, number, number][] = [];
  for (const R of [1, 255, 256, 257, 600]) for (const N of [5, 16, 33]) for (const K of [1, 2, 7]) shapes.push([R, N, K]);
  it.each(shapes)('R %i, N %i, K %i (dY row stride N + 3)', (R, N, K) => {
    const ld = N + 3;
    const dy = values(R * ld, R + N), x = values(R * K, K + 1), w0 = values(N * K, 11);
    const xT = new Float32Array(K * R);
    for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) xT[k * R + r] = x[r * K + k];
    const dwp = packed(w0, N, K);
    const [xTp, dyp] = put(xT, dy);
    rt.kernels.gemmWeightGrad(R, N, K, xTp, dyp, ld, dwp);
    const got = rt.read(dwp, Math.ceil(N / 16) * 16 * K);
    const expected = new Float32Array(got.length);
    for (let n = 0; n < Math.ceil(N / 16) * 16; n++) {
      for (let k = 0; k < K; k++) {
        let acc = n < N ? w0[n * K + k] : 0;          // padding columns stay 0
        if (n < N) for (let r = 0; r < R; r++) acc = madd(dy[r * ld + n], x[r * K + k], acc);
        expected[(n >> 4) * K * 16 + k * 16 + (n & 15)] = acc;
      }
    }
    expectSame(got, expected);
    for (const p of [dwp, xTp, dyp]) rt.free(p);
  });
});

describe('addColumnSums: db += Σ_r dY[r, :]', () => {
  it.each([[1, 1], [300, 5], [300, 16], [7, 18]])('R %i, N %i (row stride N + 2)', (R, N) => {
    const ld = N + 2;
    const dy = values(R * ld, R), db0 = values(N, N);
    const [dyp, dbp] = put(dy, db0);
    rt.kernels.addColumnSums(R, N, dyp, ld, dbp);
    const expected = db0.map((v, n) => { let acc = v; for (let r = 0; r < R; r++) acc = f(acc + dy[r * ld + n]); return acc; });
    expect(rt.read(dbp, N)).toEqual(expected);                    // additions only: the same bits in both builds
    rt.free(dyp); rt.free(dbp);
  });
});
