// A Conv whose weight is a windowed Fourier basis (an STFT, as Silero VAD spells it) runs as an
// FFT (src/graph/ops/stft.ts, assembly/fft.ts): each value is the exact DFT of the windowed
// frames rounded to float32 (within an ulp, which a float32 matrix product does not reach), on frame lengths 4 … 512, strides, pads, batches, odd frame counts
// and both signs of the sine rows; a weight one ulp-and-a-bit off the basis, or of another shape,
// is an ordinary Conv. With fft off it is summed as onnxruntime-node sums it: each value over n
// from 0 with fused multiply-adds (the plain build emulates them; relaxed SIMD has them), equal to
// onnxruntime-node's bit for bit on Silero legacy's basis and speech.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import '../../src/node/index.js';
import { init } from '../../src/runtime/runtime.js';
import { loadGraphKernels } from '../../src/graph/kernels.js';
import { convOps } from '../../src/graph/ops/conv.js';
import { stftBasis } from '../../src/graph/ops/stft.js';
import { evaluateNode } from '../../src/graph/op.js';
import { decodeModel, tensorFloats, type OnnxAttribute, type OnnxNode } from '../../src/onnx/onnx.js';
import { seededRandom } from '../../src/stream/sample.js';
import { loadOnnxGraph } from '../../src/graph/model.js';
import { RecurOptionError } from '../../src/errors.js';
import { readWav } from '../../src/vad/index.js';
import { attr, encodeModel, FLOAT, node as onnxNode, tensor, valueInfo } from './onnx-builder.js';

const ints = (name: string, ints: number[]): [string, OnnxAttribute] => [name, { name, ints, floats: [], strings: [], other: false }];

/** W [2F, 1, N]: Hann (or another) window times cos, then ∓ sin (as torch-stft builds its basis). */
function basis(N: number, window: (n: number) => number, imSign = 1): Float32Array {
  const F = N / 2 + 1, W = new Float32Array(2 * F * N);
  for (let k = 0; k < F; k++) {
    for (let n = 0; n < N; n++) {
      const angle = (2 * Math.PI * ((k * n) % N)) / N;
      W[k * N + n] = window(n) * Math.cos(angle);
      W[(F + k) * N + n] = -imSign * window(n) * Math.sin(angle);
    }
  }
  return W;
}
const hann = (N: number) => (n: number) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N);

/** The exact transform in double precision, [B, 2F, Lo], from the f32 window row of W. */
function exactStft(x: Float32Array, B: number, L: number, W: Float32Array, N: number, stride: number, pad: number, Lo: number, imSign: number) {
  const F = N / 2 + 1, y = new Float64Array(B * 2 * F * Lo);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Lo; t++) {
      for (let k = 0; k < F; k++) {
        let re = 0, im = 0;
        for (let n = 0; n < N; n++) {
          const p = t * stride + n - pad;
          const v = p >= 0 && p < L ? W[n] * x[b * L + p] : 0;
          const angle = (2 * Math.PI * ((k * n) % N)) / N;
          re += v * Math.cos(angle);
          im -= imSign * v * Math.sin(angle);
        }
        y[(b * 2 * F + k) * Lo + t] = re;
        y[(b * 2 * F + F + k) * Lo + t] = im;
      }
    }
  }
  return y;
}

describe('STFT as a Conv: recognised and run by FFT', () => {
  it('equals the exact transform to float32 rounding', async () => {
    const rt = await init();
    await loadGraphKernels(rt);
    const cases = fc.record({
      log2N: fc.integer({ min: 2, max: 9 }), B: fc.integer({ min: 1, max: 2 }), frames: fc.integer({ min: 1, max: 7 }),
      strideFraction: fc.integer({ min: 1, max: 4 }), pad: fc.integer({ min: 0, max: 8 }), imSign: fc.constantFrom(1, -1),
      seed: fc.integer(),
    });
    fc.assert(fc.property(cases, (c) => {
      const N = 2 ** c.log2N, stride = Math.max(1, (N * c.strideFraction) >> 2), F = N / 2 + 1;
      const L = (c.frames - 1) * stride + N - c.pad;
      if (L < 1) return;
      const random = seededRandom(c.seed);
      const W = basis(N, hann(N), c.imSign);
      expect(stftBasis(W, 2 * F, 1, N)?.imSign).toBe(c.imSign);
      const x = Float32Array.from({ length: c.B * L }, () => random() * 2 - 1);
      const node: OnnxNode = {
        name: 'stft', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'],
        attributes: new Map([ints('strides', [stride]), ints('pads', [c.pad, 0])]),
      };
      const [y] = evaluateNode(convOps.Conv, node, [{ type: 'float', dims: [c.B, 1, L], data: x }, { type: 'float', dims: [2 * F, 1, N], data: W }], { opset: 17, rt, fft: true });
      const Lo = y.dims[2];
      expect(Lo).toBe(Math.floor((L + c.pad - N) / stride) + 1);
      const exact = exactStft(x, c.B, L, W, N, stride, c.pad, Lo, c.imSign);
      // Each value the exact one rounded to float32 (within an ulp): computed in double precision.
      // A float32 sum of N products (the matrix product this replaces) misses this by far.
      const got = y.data as Float32Array;
      for (let i = 0; i < exact.length; i++) expect(Math.abs(got[i] - exact[i])).toBeLessThanOrEqual(1.2e-7 * Math.abs(exact[i]) + 1e-10);
    }), { numRuns: 80, seed: 7 });
  });

  it('is not taken for weights that are not a windowed Fourier basis', () => {
    const N = 64, F = N / 2 + 1, W = basis(N, hann(N));
    expect(stftBasis(W, 2 * F, 1, N)).toBeDefined();
    const off = W.slice(); off[5 * N + 17] += 4e-7;              // one weight a few ulps off
    expect(stftBasis(off, 2 * F, 1, N)).toBeUndefined();
    expect(stftBasis(W.subarray(0, 2 * F * N - N), 2 * F - 1, 1, N)).toBeUndefined();   // rows missing
    expect(stftBasis(basis(48, hann(48)), 50, 1, 48)).toBeUndefined();                 // not a power of two
    expect(stftBasis(new Float32Array(2 * F * N), 2 * F, 1, N)).toBeUndefined();       // all zero
    const swapped = W.slice(); swapped.copyWithin(0, F * N, 2 * F * N);               // sines where cosines go
    expect(stftBasis(swapped, 2 * F, 1, N)).toBeUndefined();
  });

  it('is the default of loadOnnxGraph; fft: false keeps the matrix product', async () => {
    const N = 16, F = N / 2 + 1, L = 40;
    const bytes = encodeModel({ opset: 17, graph: {
      nodes: [onnxNode('Conv', ['x', 'w'], ['y'], [attr.ints('strides', [4])])],
      initializers: [tensor('w', FLOAT, [2 * F, 1, N], basis(N, hann(N)))],
      inputs: [valueInfo('x', FLOAT, [1, 1, L])], outputs: [valueInfo('y', FLOAT)],
    } });
    const x = Float32Array.from({ length: L }, (_, i) => Math.sin(i * 0.7) + 0.01 * i);
    const run = async (fft?: boolean) => {
      const model = await loadOnnxGraph(bytes, fft === undefined ? {} : { fft });
      const y = model.run({ x: { dims: [1, 1, L], data: x } }).y.data as Float32Array;
      model.dispose();
      return y;
    };
    const byFft = await run(), byGemm = await run(false);
    const exact = exactStft(x, 1, L, basis(N, hann(N)), N, 4, 0, byFft.length / (2 * F), 1);
    let gemmOff = 0;
    for (let i = 0; i < exact.length; i++) {
      expect(Math.abs(byFft[i] - exact[i])).toBeLessThanOrEqual(1.2e-7 * Math.abs(exact[i]) + 1e-10);   // the exact DFT, rounded
      expect(Math.abs(byGemm[i] - exact[i])).toBeLessThan(1e-5);
      gemmOff = Math.max(gemmOff, Math.abs(byGemm[i] - exact[i]) - 1.2e-7 * Math.abs(exact[i]));
    }
    expect(gemmOff).toBeGreaterThan(1e-10);                        // float32 sums land further off
    await expect(loadOnnxGraph(bytes, { fft: 'yes' as unknown as boolean })).rejects.toThrow(RecurOptionError);
  });

  it('the FFT path equals the matrix product it replaces within float32 rounding', async () => {
    const rt = await init();
    await loadGraphKernels(rt);
    const N = 256, F = N / 2 + 1, stride = 128, L = 640, random = seededRandom(3);
    const W = basis(N, hann(N));
    const x = Float32Array.from({ length: L }, () => random() * 2 - 1);
    const node: OnnxNode = { name: 'stft', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: new Map([ints('strides', [stride])]) };
    const inputs = [{ type: 'float' as const, dims: [1, 1, L], data: x }, { type: 'float' as const, dims: [2 * F, 1, N], data: W }];
    const [fft] = evaluateNode(convOps.Conv, node, inputs, { opset: 17, rt, fft: true });
    const [loops] = evaluateNode(convOps.Conv, node, inputs, { opset: 17, rt });  // fft off: recur's GEMM
    const a = fft.data as Float32Array, b = loops.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe("STFT by FFT in single precision (fft: 'f32', Silero v5/v6's default)", () => {
  // Every step rounds to float32 (four frames a vector), so a bin is off by a few ulps of the
  // frame's largest bins, not of itself: measured ≤ 2.3e-7·peak on these cases (N ≤ 512), bound 4e-7.
  it('is the exact transform, and the double-precision FFT, within 4e-7 of each frame\'s largest bin', async () => {
    const rt = await init();
    await loadGraphKernels(rt);
    const cases = fc.record({
      log2N: fc.integer({ min: 2, max: 9 }), B: fc.integer({ min: 1, max: 2 }), frames: fc.integer({ min: 1, max: 9 }),
      strideFraction: fc.integer({ min: 1, max: 4 }), pad: fc.integer({ min: 0, max: 8 }), imSign: fc.constantFrom(1, -1),
      seed: fc.integer(),
    });
    let differ = 0;
    fc.assert(fc.property(cases, (c) => {
      const N = 2 ** c.log2N, stride = Math.max(1, (N * c.strideFraction) >> 2), F = N / 2 + 1;
      const L = (c.frames - 1) * stride + N - c.pad;
      if (L < 1) return;
      const random = seededRandom(c.seed);
      const W = basis(N, hann(N), c.imSign);
      const x = Float32Array.from({ length: c.B * L }, () => (random() * 2 - 1) * (random() < 0.3 ? 1e-3 : 1));
      const node: OnnxNode = {
        name: 'stft', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'],
        attributes: new Map([ints('strides', [stride]), ints('pads', [c.pad, 0])]),
      };
      const inputs = [{ type: 'float' as const, dims: [c.B, 1, L], data: x }, { type: 'float' as const, dims: [2 * F, 1, N], data: W }];
      const [single] = evaluateNode(convOps.Conv, node, inputs, { opset: 17, rt, fft: 'f32' });
      const [double] = evaluateNode(convOps.Conv, node, inputs, { opset: 17, rt, fft: true });
      const Lo = single.dims[2];
      expect(single.dims).toEqual(double.dims);
      const exact = exactStft(x, c.B, L, W, N, stride, c.pad, Lo, c.imSign);
      const got = single.data as Float32Array, d = double.data as Float32Array;
      for (let b = 0; b < c.B; b++) {
        for (let t = 0; t < Lo; t++) {
          let peak = 0;
          for (let k = 0; k < 2 * F; k++) peak = Math.max(peak, Math.abs(exact[(b * 2 * F + k) * Lo + t]));
          for (let k = 0; k < 2 * F; k++) {
            const i = (b * 2 * F + k) * Lo + t;
            if (got[i] !== d[i]) differ++;
            expect(Math.abs(got[i] - exact[i])).toBeLessThanOrEqual(4e-7 * peak + 1e-30);
            expect(Math.abs(got[i] - d[i])).toBeLessThanOrEqual(4e-7 * peak + 1e-30);
          }
        }
      }
    }), { numRuns: 120, seed: 5 });
    expect(differ).toBeGreaterThan(0);                               // its own path, not the double one
  });

  it("loadOnnxGraph takes fft: 'f32'", async () => {
    const N = 16, F = N / 2 + 1, L = 40;
    const bytes = encodeModel({ opset: 17, graph: {
      nodes: [onnxNode('Conv', ['x', 'w'], ['y'], [attr.ints('strides', [4])])],
      initializers: [tensor('w', FLOAT, [2 * F, 1, N], basis(N, hann(N)))],
      inputs: [valueInfo('x', FLOAT, [1, 1, L])], outputs: [valueInfo('y', FLOAT)],
    } });
    const x = Float32Array.from({ length: L }, (_, i) => Math.sin(i * 0.7) + 0.01 * i);
    const model = await loadOnnxGraph(bytes, { fft: 'f32' });
    const y = model.run({ x: { dims: [1, 1, L], data: x } }).y.data as Float32Array;
    model.dispose();
    const exact = exactStft(x, 1, L, basis(N, hann(N)), N, 4, 0, y.length / (2 * F), 1);
    let peak = 0;
    for (const v of exact) peak = Math.max(peak, Math.abs(v));
    for (let i = 0; i < exact.length; i++) expect(Math.abs(y[i] - exact[i])).toBeLessThanOrEqual(4e-7 * peak);
  });
});

/** [B, 2F, Lo]: each value summed over n from 0 as f32(acc + w·x), one rounding a step (an FMA's, but for a rare double rounding). */
function fusedStft(x: Float32Array, B: number, L: number, W: Float32Array, M: number, N: number, stride: number, pad: number, Lo: number) {
  const y = new Float32Array(B * M * Lo);
  for (let b = 0; b < B; b++) {
    for (let m = 0; m < M; m++) {
      for (let t = 0; t < Lo; t++) {
        let acc = 0;
        for (let n = 0; n < N; n++) {
          const p = t * stride + n - pad;
          acc = Math.fround(acc + W[m * N + n] * (p >= 0 && p < L ? x[b * L + p] : 0));
        }
        y[(b * M + m) * Lo + t] = acc;
      }
    }
  }
  return y;
}

describe('STFT as a Conv with fft off: summed as onnxruntime-node sums it', () => {
  it('each value is the sum over n from 0 with fused multiply-adds', async () => {
    const rt = await init();
    await loadGraphKernels(rt);
    const cases = fc.record({
      log2N: fc.integer({ min: 2, max: 8 }), B: fc.integer({ min: 1, max: 2 }), frames: fc.integer({ min: 1, max: 7 }),
      strideFraction: fc.integer({ min: 1, max: 4 }), pad: fc.integer({ min: 0, max: 8 }), seed: fc.integer(),
    });
    fc.assert(fc.property(cases, (c) => {
      const N = 2 ** c.log2N, stride = Math.max(1, (N * c.strideFraction) >> 2), M = N + 2;
      const L = (c.frames - 1) * stride + N - c.pad;
      if (L < 1) return;
      const random = seededRandom(c.seed);
      const W = basis(N, hann(N));
      const x = Float32Array.from({ length: c.B * L }, () => (random() * 2 - 1) * (random() < 0.5 ? 1e-4 : 1));
      const node: OnnxNode = {
        name: 'stft', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'],
        attributes: new Map([ints('strides', [stride]), ints('pads', [c.pad, 0])]),
      };
      const [y] = evaluateNode(convOps.Conv, node, [{ type: 'float', dims: [c.B, 1, L], data: x }, { type: 'float', dims: [M, 1, N], data: W }], { opset: 17, rt });
      const got = y.data as Float32Array, want = fusedStft(x, c.B, L, W, M, N, stride, c.pad, y.dims[2]);
      // The plain build rounds as this reference does. The relaxed build sums on its GEMM, whose
      // FMA rounds once (and frames shorter than 8 taps on direct loops without FMA): there each
      // value is within the sum's rounding error, N·2⁻²⁴·Σ|w·x|, of the reference.
      if (rt.build === 'simd') expect(got).toEqual(want);
      else {
        const bound = fusedStft(x.map(Math.abs), c.B, L, W.map(Math.abs), M, N, stride, c.pad, y.dims[2]);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(N * 2 ** -24 * bound[i]);
      }
    }), { numRuns: 60, seed: 11 });
  });

  it("equals onnxruntime-node's bit for bit on Silero legacy's basis and speech", async () => {
    const file = new URL('../../node_modules/@ricky0123/vad-web/dist/silero_vad_legacy.onnx', import.meta.url).pathname;
    const legacy = decodeModel(readFileSync(file));
    const w = legacy.graph.initializers.get('model.feature_extractor.forward_basis_buffer')!;   // [258, 1, 256]
    const [M, , N] = w.dims, L = 704, stride = 64;                                                // a 512-sample frame, padded
    const bytes = encodeModel({ opset: 17, graph: {
      nodes: [onnxNode('Conv', ['x', 'w'], ['y'], [attr.ints('strides', [stride])])],
      initializers: [tensor('w', FLOAT, [M, 1, N], tensorFloats(w, 'w'))],
      inputs: [valueInfo('x', FLOAT, [1, 1, L])], outputs: [valueInfo('y', FLOAT)],
    } });
    const session = await ort.InferenceSession.create(bytes);
    const model = await loadOnnxGraph(bytes, { fft: false });
    const samples = readWav(readFileSync(new URL('../fixtures/audio/speech-mix-16k.wav', import.meta.url))).samples;
    let values = 0, differ = 0;
    for (let at = 0; at + L <= samples.length; at += 4 * 512) {    // 94 frames: speech, silence, noise
      const x = samples.slice(at, at + L);
      const theirs = (await session.run({ x: new ort.Tensor('float32', x, [1, 1, L]) })).y.data as Float32Array;
      const ours = model.run({ x: { dims: [1, 1, L], data: x } }).y.data as Float32Array;
      values += ours.length;
      for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differ++;
    }
    model.dispose();
    expect(values).toBeGreaterThan(190_000);
    expect(differ).toBe(0);                                         // summed without FMA: 64% of them differ
  });
});

describe('STFT magnitude fused by the plan', () => {
  it('Sqrt(Pow(re, 2) + Pow(im, 2)) of its halves (through Slices) gives the bits of those nodes run apart (either precision)', async () => {
    const N = 32, F = N / 2 + 1, L = 96, stride = 8;
    const c = (name: string, v: number[]) => tensor(name, 7, [v.length], v);   // INT64
    const model = (alsoStft: boolean, swap: boolean) => encodeModel({ opset: 17, graph: {
      nodes: [
        onnxNode('Conv', ['x', 'w'], ['s'], [attr.ints('strides', [stride])]),
        onnxNode('Slice', ['s', 'zero', 'big', 'one'], ['all']),                // Silero slices the whole first
        onnxNode('Slice', ['all', 'zero', 'f', 'one'], ['re']),
        onnxNode('Slice', ['all', 'f', 'big', 'one'], ['im']),
        onnxNode('Pow', ['re', 'two'], ['re2']), onnxNode('Pow', ['im', 'two'], ['im2']),
        onnxNode('Add', swap ? ['im2', 're2'] : ['re2', 'im2'], ['sum']), onnxNode('Sqrt', ['sum'], ['mag']),
        onnxNode('Neg', ['mag'], ['y']),
      ],
      initializers: [tensor('w', FLOAT, [2 * F, 1, N], basis(N, hann(N))), tensor('two', FLOAT, [], [2]),
        c('zero', [0]), c('f', [F]), c('big', [1 << 20]), c('one', [1])],
      inputs: [valueInfo('x', FLOAT, [1, 1, L])], outputs: [valueInfo('y', FLOAT), ...(alsoStft ? [valueInfo('s', FLOAT)] : [])],
    } });
    const random = seededRandom(3);
    for (const [swap, fft] of [[false, true], [true, true], [false, 'f32'], [true, 'f32']] as const) {
      const fused = await loadOnnxGraph(model(false, swap), { fft }), apart = await loadOnnxGraph(model(true, swap), { fft });
      for (let i = 0; i < 3; i++) {
        const x = Float32Array.from({ length: L }, () => random() * 2 - 1);
        const a = fused.run({ x: { dims: [1, 1, L], data: x } }), b = apart.run({ x: { dims: [1, 1, L], data: x } });
        expect(a.y.dims).toEqual([1, F, (L - N) / stride + 1]);
        expect(Array.from(a.y.data)).toEqual(Array.from(b.y.data));
      }
      fused.dispose();
      apart.dispose();
    }
  });
});

describe('reflect Pad fused into the STFT by the plan', () => {
  it('gives the bits of the Pad run apart (its output also a graph output: not fused; either precision)', async () => {
    const N = 32, F = N / 2 + 1, L = 90, stride = 8;
    const model = (alsoPad: boolean, begin: number, end: number) => encodeModel({ opset: 17, graph: {
      nodes: [
        onnxNode('Pad', ['x', 'pads'], ['p'], [attr.s('mode', 'reflect')]),
        onnxNode('Unsqueeze', ['p', 'axis'], ['u']),
        onnxNode('Conv', ['u', 'w'], ['s'], [attr.ints('strides', [stride])]),
        onnxNode('Neg', ['s'], ['y']),
      ],
      initializers: [tensor('w', FLOAT, [2 * F, 1, N], basis(N, hann(N))), tensor('pads', 7, [4], [0, begin, 0, end]), tensor('axis', 7, [1], [1])],
      inputs: [valueInfo('x', FLOAT, [1, L])], outputs: [valueInfo('y', FLOAT), ...(alsoPad ? [valueInfo('p', FLOAT)] : [])],
    } });
    const random = seededRandom(9);
    for (const [begin, end, fft] of [[0, 6, true], [5, 0, true], [3, 14, true], [20, 20, true], [0, 6, 'f32'], [3, 14, 'f32'], [20, 20, 'f32']] as const) {
      const fused = await loadOnnxGraph(model(false, begin, end), { fft }), apart = await loadOnnxGraph(model(true, begin, end), { fft });
      const x = Float32Array.from({ length: L }, () => random() * 2 - 1);
      const a = fused.run({ x: { dims: [1, L], data: x } }), b = apart.run({ x: { dims: [1, L], data: x } });
      expect(a.y.dims).toEqual([1, 2 * F, Math.floor((L + begin + end - N) / stride) + 1]);
      expect(Array.from(a.y.data)).toEqual(Array.from(b.y.data));
      fused.dispose();
      apart.dispose();
    }
  });
});
