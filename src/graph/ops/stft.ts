// A Conv that is an STFT: one input channel, a kernel of N = 2^m taps, 2·(N/2 + 1) output
// channels whose weights are a window times the Fourier basis,
//
//   W[k, 0, n] = w[n]·cos(2πkn/N),   W[N/2 + 1 + k, 0, n] = ∓w[n]·sin(2πkn/N)   (k = 0 … N/2),
//
// as torch-stft-style modules export it (Silero VAD's `stft.forward_basis_buffer`, Hann window,
// N = 256 at 16 kHz and 128 at 8 kHz). Such a Conv runs as an FFT (assembly/fft.ts): ~N/2·log₂N
// butterflies a frame instead of (N + 2)·N multiply-adds — for Silero v5, 12 µs of a 45 µs frame
// become ~2 µs — and, computed in double precision, within an ulp or so of the exact transform.
// With `single` (OnnxGraphOptions.fft 'f32', Silero v5/v6's default) the FFT runs in float32, four
// frames a vector (stftReal32): about half the time (Silero v5 16 kHz: ~2.7 → ~1.2 µs), each bin
// within ~2.3e-7 of its frame's largest instead of an ulp of itself.
//
// Recognised only when every weight is the basis to float32 rounding (each within 2⁻²³ of the
// window's peak: Silero's are within 5.7e-8 of 1.0), so another Conv with this shape is never
// mistaken for one.

import type { Runtime } from '../../runtime/runtime.js';
import { WORK, type Kernel } from '../op.js';
import { graphKernels } from '../kernels.js';
import { addressIn, readableAt, WasmBlock } from '../wasm-block.js';

export interface StftBasis {
  /** N, the frame length (a power of two). */
  size: number;
  /** w [N]: W[0, 0, n]. */
  window: Float32Array;
  /** 1 when the second half holds −w·sin (the DFT's imaginary part), −1 for +w·sin. */
  imSign: number;
}

/** The window and sign if W [M, 1, K] is a windowed Fourier basis, else undefined. */
export function stftBasis(W: Float32Array, M: number, C: number, K: number): StftBasis | undefined {
  if (C !== 1 || K < 4 || K > 1 << 16 || (K & (K - 1)) !== 0 || M !== 2 * (K / 2 + 1)) return undefined;
  const F = K / 2 + 1, window = W.slice(0, K);
  let peak = 0;
  for (const v of window) peak = Math.max(peak, Math.abs(v));
  if (!(peak > 0) || !Number.isFinite(peak)) return undefined;
  const tol = peak * 2 ** -23;
  // The sign of the sine rows, from their largest entry.
  let imSign = 0, big = 0;
  for (let n = 0; n < K; n++) {
    const expected = window[n] * Math.sin((2 * Math.PI * (n % K)) / K);
    if (Math.abs(expected) > big) { big = Math.abs(expected); imSign = Math.sign(-W[(F + 1) * K + n] * expected); }
  }
  if (imSign === 0) return undefined;
  for (let k = 0; k < F; k++) {
    for (let n = 0; n < K; n++) {
      const angle = (2 * Math.PI * ((k * n) % K)) / K;
      if (!(Math.abs(W[k * K + n] - window[n] * Math.cos(angle)) <= tol)) return undefined;
      if (!(Math.abs(W[(F + k) * K + n] + imSign * window[n] * Math.sin(angle)) <= tol)) return undefined;
    }
  }
  return { size: K, window, imSign };
}

/** y [B, 2F, Lo] = the STFT of x [B, 1, L] (frames every `stride` samples from −padBegin), by FFT. */
export function stftKernel(rt: Runtime, basis: StftBasis, B: number, L: number, stride: number, padBegin: number, Lo: number,
                           reserve?: (floats: number) => void, single = false): Kernel {
  const N = basis.size, H = N / 2, F = H + 1;
  // window (N floats), twiddles (N/2 f64 pairs = 2N floats), bit reversal (H), scratch (H·8 floats;
  // single: and four frames of x, 4N)
  const span = single ? 4 * N : 0;
  reserve?.(N + 2 * N + H + 8 * H + span + B * (L + 2 * F * Lo));
  const blocks: WasmBlock[] = [];
  const gk = graphKernels(rt);
  const block = (n: number) => { const b = new WasmBlock(rt, n); blocks.push(b); return b; };
  let w: WasmBlock, tw: WasmBlock, rev: WasmBlock, work: WasmBlock, xs: WasmBlock, ys: WasmBlock, xp: WasmBlock | undefined;
  try {
    w = block(N); tw = block(2 * N); rev = block(H); work = block(8 * H); xs = block(B * L); ys = block(B * 2 * F * Lo);
    if (single) xp = block(span);
  } catch (err) {
    for (const b of blocks) b.free();
    throw err;
  }
  w.view.set(basis.window);
  const twiddles = new Float64Array(rt.memory.buffer, tw.ptr, N);
  for (let j = 0; j < H; j++) { twiddles[2 * j] = Math.cos((2 * Math.PI * j) / N); twiddles[2 * j + 1] = Math.sin((2 * Math.PI * j) / N); }
  const bits = Math.log2(H), order = new Int32Array(rt.memory.buffer, rev.ptr, H);
  for (let j = 0; j < H; j++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((j >> b) & 1) << (bits - 1 - b);
    order[j] = r;
  }
  let magnitude = 0, reflect: { begin: number; length: number } | undefined;
  return {
    outputs: [{ type: 'float', dims: [B, 2 * F, Lo] }],
    fuseMagnitude() { magnitude = 1; },
    fusePad(pad) {
      // x reflected at both ends, then framed from 0: the FFT reads the unpadded row and reflects.
      if (B !== 1 || padBegin !== 0 || pad.begin + pad.length + pad.end !== L || pad.length < 2) return false;
      reflect = pad;
      return true;
    },
    work: B * Lo * (N * Math.log2(N) + N) * WORK.gemm,
    run(ins, outs) {
      const X = ins[0]!.data as Float32Array, Y = outs[0].data as Float32Array;
      const x = readableAt(rt, X, xs);
      const yAt = addressIn(rt, Y), y = yAt < 0 ? ys.ptr : yAt;
      // With a fused Pad (B = 1), x is the unpadded row and the kernel reflects past its ends.
      const Lx = reflect ? reflect.length : L, from = reflect ? reflect.begin : padBegin, mirror = reflect ? 1 : 0;
      for (let b = 0; b < B; b++) {
        const xb = x + 4 * b * Lx, yb = y + 4 * b * 2 * F * Lo;
        if (xp) gk.stftReal32(xb, Lx, N, stride, from, Lo, w.ptr, tw.ptr, rev.ptr, basis.imSign, work.ptr, yb, magnitude, mirror, xp.ptr);
        else gk.stftReal(xb, Lx, N, stride, from, Lo, w.ptr, tw.ptr, rev.ptr, basis.imSign, work.ptr, yb, magnitude, mirror);
      }
      if (yAt < 0) Y.set(ys.view);
    },
    dispose() { for (const b of blocks) b.free(); },
  };
}
