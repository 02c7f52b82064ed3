// The int8 products (assembly/quant.ts) hold a matrix's values in bytes, or — small matrices —
// in 16 bits (src/runtime/pack.ts q8Wide). The two forms must give the same bits: the same
// integer sums, only loaded differently. Checked here at the shapes where the kernel's blocking
// changes (a lone row and several, ragged panels, odd K, more than one i32 flush of 128 pairs),
// and against the dequantized weights; rows blocked in pairs must give each row's own bits. Which matrices are wide is a size rule, checked too.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LSTM } from '../src/node/index.js';
import { packQ8, q8Layout, q8Wide, unpackQ8, WIDE_MAX_BYTES } from '../src/runtime/pack.js';
import { Runtime } from '../src/runtime/runtime.js';
import { defaultWasmUrl } from './helpers.js';

let rt: Runtime;
beforeAll(async () => { rt = await Runtime.create(readFileSync(defaultWasmUrl())); });

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1);
}

/** W [N, K] packed as int8 in wasm memory, bytes or 16-bit; returns its pointer and tagged scales. */
function packed(w: Float32Array, N: number, K: number, wide: boolean): { ptr: number; scales: number } {
  const { bytes, scalesAt } = q8Layout(1, N, K, wide);
  const ptr = rt.alloc(bytes);
  packQ8(w, 1, N, K, new Uint8Array(rt.memory.buffer, ptr, bytes), wide);
  return { ptr, scales: (ptr + scalesAt) | (wide ? 1 : 0) };
}

describe('gemmQ8: 16-bit and 8-bit forms of one int8 matrix', () => {
  const shapes: [number, number, number][] = [];
  for (const M of [1, 2, 3]) for (const N of [4, 16, 37, 64]) for (const K of [1, 5, 64, 300]) shapes.push([M, N, K]);
  it.each(shapes)('M %i, N %i, K %i: the same bits, within rounding of the dequantized product', (M, N, K) => {
    const w = values(N * K, N * 31 + K), a = values(M * K, M + K), bias = values(N, 3), c0 = values(M * N, 4);
    const narrow = packed(w, N, K, false), wide = packed(w, N, K, true);
    const ap = rt.alloc(M * K * 4), bp = rt.alloc(N * 4), c1 = rt.alloc(M * N * 4), c2 = rt.alloc(M * N * 4);
    rt.f32(ap, M * K).set(a); rt.f32(bp, N).set(bias); rt.f32(c1, M * N).set(c0); rt.f32(c2, M * N).set(c0);
    rt.kernels.gemmQ8(M, N, K, ap, K, narrow.ptr, narrow.scales, bp, c1, N, 1);
    rt.kernels.gemmQ8(M, N, K, ap, K, wide.ptr, wide.scales, bp, c2, N, 1);
    const got = rt.read(c2, M * N);
    expect(got).toEqual(rt.read(c1, M * N));
    // and both are the product with the dequantized weights, to the activations' 15 bits
    const dq = unpackQ8(new Uint8Array(rt.memory.buffer, wide.ptr, q8Layout(1, N, K, true).bytes), 1, N, K, true);
    expect(dq).toEqual(unpackQ8(new Uint8Array(rt.memory.buffer, narrow.ptr, q8Layout(1, N, K, false).bytes), 1, N, K, false));
    for (let m = 0; m < M; m++) {
      const amax = Math.max(...a.subarray(m * K, (m + 1) * K).map(Math.abs));
      for (let n = 0; n < N; n++) {
        let exact = bias[n] + c0[m * N + n], bound = 0;
        for (let k = 0; k < K; k++) { exact += dq[n * K + k] * a[m * K + k]; bound += Math.abs(dq[n * K + k]); }
        expect(Math.abs(got[m * N + n] - exact)).toBeLessThanOrEqual(bound * amax / 32767 + 1e-5 * (1 + Math.abs(exact)));
      }
    }
    for (const p of [narrow.ptr, wide.ptr, ap, bp, c1, c2]) rt.free(p);
  });
});

describe('gemmQ8: extreme values', () => {
  // Every weight at ±127 and every activation at ±32767: a 128-pair chunk reaches the largest
  // sum it can hold (256 · 127 · 32767 ≈ 2³⁰), and the byte form's raw vector sums wrap i32 many
  // times before its correction.
  it.each([[false], [true]])('weights negated: %s — exact sums, the same bits in both forms', (negate) => {
    const N = 48, K = 512, M = 3;
    const w = Float32Array.from({ length: N * K }, (_, i) => ((i % N) % 3 === 0 ? -1 : 1) * (negate ? -1 : 1));
    const a = Float32Array.from({ length: M * K }, (_, i) => (i % K) % 7 === 0 && i >= K ? -1 : 1);
    const narrow = packed(w, N, K, false), wide = packed(w, N, K, true);
    const ap = rt.alloc(M * K * 4), c1 = rt.alloc(M * N * 4), c2 = rt.alloc(M * N * 4);
    rt.f32(ap, M * K).set(a);
    rt.kernels.gemmQ8(M, N, K, ap, K, narrow.ptr, narrow.scales, 0, c1, N, 0);
    rt.kernels.gemmQ8(M, N, K, ap, K, wide.ptr, wide.scales, 0, c2, N, 0);
    const got = rt.read(c1, M * N);
    expect(got).toEqual(rt.read(c2, M * N));
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let exact = 0;
        for (let k = 0; k < K; k++) exact += w[n * K + k] * a[m * K + k];
        expect(got[m * N + n]).toBeCloseTo(exact, 2);
      }
    }
    for (const p of [narrow.ptr, wide.ptr, ap, c1, c2]) rt.free(p);
  });
});

describe('gemmQ8: rows in pairs give the bits each row gives alone', () => {
  // Rows go through the kernel two at a time (sharing the weight loads), a last odd row alone;
  // each row's integer sums and f32 steps are its own, so blocking must not change a bit. A lone
  // row with K ≤ 256 goes three panels (48 columns) at a time, the rest panel by panel.
  const cases: [number, number, number, boolean][] = [];
  for (const M of [2, 3, 5]) for (const [N, K] of [[16, 64], [37, 5], [64, 300], [48, 257], [96, 64], [112, 255]] as const) for (const wide of [false, true]) cases.push([M, N, K, wide]);
  it.each(cases)('M %i, N %i, K %i, wide %s: strided rows, with and without bias and accumulation', (M, N, K, wide) => {
    const lda = K + 3, ldc = N + 5;
    const w = values(N * K, N + 7 * K), a = values(M * lda, 11 * M + K), bias = values(N, 5), c0 = values(M * ldc, 6);
    const q = packed(w, N, K, wide);
    const ap = rt.alloc(M * lda * 4), bp = rt.alloc(N * 4), all = rt.alloc(M * ldc * 4), each = rt.alloc(M * ldc * 4);
    rt.f32(ap, M * lda).set(a); rt.f32(bp, N).set(bias);
    for (const [withBias, accumulate] of [[true, 1], [false, 0], [true, 0], [false, 1]] as const) {
      rt.f32(all, M * ldc).set(c0); rt.f32(each, M * ldc).set(c0);
      rt.kernels.gemmQ8(M, N, K, ap, lda, q.ptr, q.scales, withBias ? bp : 0, all, ldc, accumulate);
      for (let m = 0; m < M; m++) {
        rt.kernels.gemmQ8(1, N, K, ap + m * lda * 4, lda, q.ptr, q.scales, withBias ? bp : 0, each + m * ldc * 4, ldc, accumulate);
      }
      const got = rt.read(all, M * ldc), want = rt.read(each, M * ldc);
      expect(got).toEqual(want);
      // the gaps between rows (ldc > N) are never written
      for (let m = 0; m < M; m++) expect(got.subarray(m * ldc + N, (m + 1) * ldc)).toEqual(c0.subarray(m * ldc + N, (m + 1) * ldc));
    }
    for (const p of [q.ptr, ap, bp, all, each]) rt.free(p);
  });
});

describe('which int8 matrices are held in 16 bits', () => {
  it(`those whose 16-bit data fits ${WIDE_MAX_BYTES / 1024} KB: LSTM 64→128's, not LSTM 128→512's`, () => {
    expect(q8Wide(4, 128, 64)).toBe(true);       // W_ih: 512 × 64
    expect(q8Wide(4, 128, 128)).toBe(true);      // W_hh: 512 × 128
    expect(q8Wide(4, 512, 128)).toBe(false);     // W_ih: 2048 × 128 = 512 KB in 16 bits
    expect(q8Wide(4, 512, 512)).toBe(false);
    expect(q8Layout(4, 128, 128).bytes).toBe(512 * 128 * 2 + 512 * 4);
    expect(q8Layout(4, 512, 512).bytes).toBe(2048 * 512 + 2048 * 4);
  });

  it('a layer with one matrix of each form runs, streams and saves like any other', async () => {
    // LSTM 16→256: W_ih (1024 × 16) is wide, W_hh (1024 × 256) is not
    expect(q8Wide(4, 256, 16)).toBe(true);
    expect(q8Wide(4, 256, 256)).toBe(false);
    const q = await LSTM.create({ inputSize: 16, hiddenSize: 256, quantize: 'int8', seed: 3 });
    const f = await LSTM.create({ inputSize: 16, hiddenSize: 256, seed: 4 });
    f.loadStateDict(q.stateDict());
    const x = values(5 * 16, 9);
    const a = q.forward(x, { seqLen: 5, batch: 1 }).output, b = f.forward(x, { seqLen: 5, batch: 1 }).output;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(2e-4);
    const s = q.stream();
    for (let t = 0; t < 5; t++) expect(s.step(x.subarray(t * 16, t * 16 + 16))).toEqual(a.subarray(t * 256, t * 256 + 256));
    const again = await LSTM.create({ inputSize: 16, hiddenSize: 256, quantize: 'int8', seed: 5 });
    again.loadStateDict(q.stateDict());
    expect(again.stateDict()).toEqual(q.stateDict());
    s.dispose(); q.dispose(); f.dispose(); again.dispose();
  });
});
