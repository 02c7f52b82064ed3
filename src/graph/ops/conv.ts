// Conv and ConvTranspose over one spatial axis (Conv1d / ConvTranspose1d): X [N, C, L].
//
//   Conv:           Y[n, m, t] = B[m] + Σ_{c ∈ group(m), k} W[m, c, k] · X[n, c, t·s + k·d − pad₀]
//                   W [M, C/group, K], Y [N, M, L'], L' = ⌊(L + pad₀ + pad₁ − d·(K−1) − 1) / s⌋ + 1
//   ConvTranspose:  Y[n, m, t·s + k·d − pad₀] += Σ_{c ∈ group(m)} X[n, c, t] · W[c, m', k]
//                   W [C, M/group, K], Y [N, M, L'], L' = s·(L−1) + out_pad + d·(K−1) + 1 − pad₀ − pad₁
//
// A Conv whose groups are wide enough runs as a matrix product per group: the receptive fields
// of all output positions gathered into rows (im2col, [L', C/group·K]) times Wᵀ on recur's GEMM
// (ops/dense.ts), then laid out as [M, L']; one group runs the same sums in one pass (convPanels:
// no im2col, bias or transpose passes; a Relu after it fused by the plan), in both builds.
// Depthwise and other thin groups run as direct loops.
// A Conv whose weight is a windowed Fourier basis (an STFT, as in Silero VAD) runs as an FFT
// (ops/stft.ts), or with `fft` off in the plain build, with onnxruntime-node's fused
// multiply-adds emulated (convFused).

import type { OnnxNode } from '../../onnx/onnx.js';
import { attrInt, attrInts, attrString, constantInput, nodeError, required, WORK, type Kernel, type Op, type OpContext, type ValueInfo } from '../op.js';
import type { Tensor } from '../tensor.js';
import { checkedSize } from './shape.js';
import { Dense } from './dense.js';
import { stftBasis, stftKernel } from './stft.js';
import { graphKernels } from '../kernels.js';
import { addressIn, readableAt, WasmBlock } from '../wasm-block.js';

/** Most floats of gathered receptive fields (im2col) a Conv runs on the GEMM with; past it, direct loops. */
const MAX_IM2COL = 2 ** 24;

interface Geometry {
  N: number; C: number; L: number; M: number; K: number; groups: number;
  stride: number; dilation: number; padBegin: number; padEnd: number; outLength: number;
}

/** Attributes shared by Conv and ConvTranspose, checked for one spatial axis. */
function spatial(node: OnnxNode, K: number) {
  const one = (name: string, fallback: number) => {
    const v = attrInts(node, name);
    if (v === undefined || v.length === 0) return fallback;
    if (v.length !== 1) throw nodeError(node, `${name} [${v.join(', ')}] has ${v.length} values; recur runs 1-D convolutions only`);
    if (!Number.isSafeInteger(v[0]) || v[0] < 1 || v[0] > 1 << 20) throw nodeError(node, `${name} ${v[0]} must be a positive integer`);
    return v[0];
  };
  const kernelShape = attrInts(node, 'kernel_shape');
  if (kernelShape && (kernelShape.length !== 1 || kernelShape[0] !== K)) {
    throw nodeError(node, `kernel_shape [${kernelShape.join(', ')}] does not match W's kernel size ${K}`);
  }
  const pads = attrInts(node, 'pads') ?? [0, 0];
  if (pads.length !== 2 || pads.some((p) => !Number.isSafeInteger(p) || p < 0 || p > 1 << 20)) {
    throw nodeError(node, `pads [${pads.join(', ')}] must be two non-negative integers for a 1-D convolution`);
  }
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) throw nodeError(node, `auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  return { stride: one('strides', 1), dilation: one('dilations', 1), pads, autoPad };
}

function groupsOf(node: OnnxNode, C: number, M: number): number {
  const g = attrInt(node, 'group', 1);
  if (!Number.isSafeInteger(g) || g < 1 || C % g || M % g) throw nodeError(node, `group ${g} must divide the ${C} input and ${M} output channels`);
  return g;
}

function floatInput(node: OnnxNode, inputs: (ValueInfo | undefined)[], k: number, role: string, rank: number): ValueInfo {
  const v = required(node, inputs, k, role);
  if (v.type !== 'float') throw nodeError(node, `${role} is ${v.type}, expected float`);
  if (v.dims.length !== rank) {
    throw nodeError(node, `${role} is [${v.dims.join(', ')}]; recur runs 1-D convolutions, whose ${role} has ${rank} dimensions`);
  }
  return v;
}

function biasOf(node: OnnxNode, inputs: (ValueInfo | undefined)[], M: number): Float32Array | undefined {
  if (!inputs[2]) return undefined;
  const b = constantInput(node, inputs, 2, 'B');
  if (b.type !== 'float' || b.dims.length !== 1 || b.dims[0] !== M) throw nodeError(node, `B is [${b.dims.join(', ')}], expected [${M}]`);
  return b.value.data as Float32Array;
}

// ---------------------------------------------------------------------------------------------
// Conv

const conv: Op = (node, inputs, ctx) => {
  const x = floatInput(node, inputs, 0, 'X', 3);
  const w = constantInput(node, inputs, 1, 'W');
  if (w.type !== 'float' || w.dims.length !== 3) throw nodeError(node, `W is [${w.dims.join(', ')}]; a 1-D convolution's W is [M, C/group, K]`);
  const [N, C, L] = x.dims, [M, Cg, K] = w.dims;
  const groups = groupsOf(node, C, M);
  if (Cg * groups !== C) throw nodeError(node, `W [${w.dims.join(', ')}] has ${Cg} input channels per group; X has ${C} in ${groups} group(s)`);
  if (K < 1) throw nodeError(node, 'W has an empty kernel');
  const { stride, dilation, pads, autoPad } = spatial(node, K);
  const span = dilation * (K - 1) + 1;
  let [padBegin, padEnd] = pads;
  if (autoPad === 'VALID') padBegin = padEnd = 0;
  else if (autoPad !== 'NOTSET') {
    const out = Math.ceil(L / stride), total = Math.max(0, (out - 1) * stride + span - L);
    padBegin = autoPad === 'SAME_UPPER' ? total >> 1 : total - (total >> 1);
    padEnd = total - padBegin;
  }
  const outLength = Math.floor((L + padBegin + padEnd - span) / stride) + 1;
  if (!(outLength >= 1)) throw nodeError(node, `X's length ${L} (padded ${padBegin} + ${padEnd}) is shorter than the kernel's span ${span}`);
  const g: Geometry = { N, C, L, M, K, groups, stride, dilation, padBegin, padEnd, outLength };
  checkedSize(node, [N, M, outLength]);
  const bias = biasOf(node, inputs, M);
  const Mg = M / groups;
  // A windowed Fourier basis (an STFT) runs as an FFT; with `fft` off, summed as onnxruntime-node
  // sums it, with fused multiply-adds: the relaxed build's GEMM has them, the plain build emulates
  // them (convFused). Silero legacy's log spectrum follows the last bits of small bins.
  const basis = ctx.rt && groups === 1 && dilation === 1 && (!bias || bias.every((v) => v === 0))
    ? stftBasis(w.value.data as Float32Array, M, C, K) : undefined;
  if (basis && ctx.fft) return stftKernel(ctx.rt!, basis, N, L, stride, padBegin, outLength, ctx.reserve, ctx.fft === 'f32');
  if (basis && ctx.rt!.build === 'simd') return convFused(g, w.value.data as Float32Array, ctx);
  // A matrix product pays off when each group has several outputs and a long enough dot product
  // (and its gathered receptive fields, [L', C/group·K] a group, fit in reasonable scratch).
  if (ctx.rt && Mg >= 4 && Cg * K >= 8 && outLength * C * K <= MAX_IM2COL) {
    // One group sums the same product in one pass (no im2col, bias, transpose passes), multiplies
    // and adds apart in both builds: within the bounds to onnxruntime-node's FMA everywhere but
    // in an STFT (above), and in the relaxed build faster than its own GEMM at these sizes.
    if (groups === 1 && !basis) return convPanels(g, w.value.data as Float32Array, bias, ctx);
    return convGemm(node, g, w.value.data as Float32Array, bias, ctx);
  }
  if (ctx.rt) return convDirectWasm(g, w.value.data as Float32Array, bias, ctx);
  return convDirect(g, w.value.data as Float32Array, bias);
};

/**
 * Per group, in wasm: cols [L', Cg·K] ← X's receptive fields (im2col1d); Yᵀ [L', Mg] = cols·W_gᵀ + b;
 * Y [Mg, L'] ← Yᵀ transposed. X and Y are the plan's buffers in wasm memory (copied through
 * scratch when they are not, as when folding constants).
 */
function convGemm(node: OnnxNode, g: Geometry, weight: Float32Array, bias: Float32Array | undefined, ctx: OpContext): Kernel {
  const { N, C, L, M, K, groups, stride, dilation, padBegin, outLength: Lo } = g;
  const Cg = C / groups, Mg = M / groups, CK = Cg * K;
  const rt = ctx.rt!, k = rt.kernels, gk = graphKernels(rt);
  ctx.reserve?.(M * (CK + 1) + groups * Lo * (CK + Mg) + N * (C * L + M * Lo));
  const dense: Dense[] = [];
  let xs: WasmBlock | undefined, ys: WasmBlock | undefined;
  try {
    for (let gi = 0; gi < groups; gi++) {
      dense.push(new Dense(rt, node, Mg, CK, weight.subarray(gi * Mg * CK, (gi + 1) * Mg * CK),
        bias?.subarray(gi * Mg, (gi + 1) * Mg), Lo));
    }
    xs = new WasmBlock(rt, N * C * L);
    ys = new WasmBlock(rt, N * M * Lo);
  } catch (err) {
    for (const d of dense) d.dispose();
    xs?.free();
    throw err;
  }
  const xScratch = xs, yScratch = ys;
  const pointwise = K === 1 && stride === 1 && padBegin === 0 && Lo === L;
  return {
    outputs: [{ type: 'float', dims: [N, M, Lo] }],
    work: N * Lo * ((M + C) * CK * WORK.gemm + M),
    run(ins, outs) {
      const X = ins[0]!.data as Float32Array, Y = outs[0].data as Float32Array;
      const x = readableAt(rt, X, xScratch);
      const yAt = addressIn(rt, Y), y = yAt < 0 ? yScratch.ptr : yAt;
      for (let n = 0; n < N; n++) {
        for (let gi = 0; gi < groups; gi++) {
          const d = dense[gi];
          const xg = x + 4 * (n * C + gi * Cg) * L;
          if (pointwise) k.transpose(xg, Cg, L, L, d.inputAt);   // a 1×1 convolution reads Xᵀ
          else gk.im2col1d(xg, Cg, L, K, stride, dilation, padBegin, Lo, d.inputAt);
          d.runAt(Lo, d.inputAt, d.outputAt);
          k.transpose(d.outputAt, Lo, Mg, Mg, y + 4 * (n * M + gi * Mg) * Lo);
        }
      }
      if (yAt < 0) Y.set(yScratch.view);
    },
    dispose() {
      for (const d of dense) d.dispose();
      xScratch.free();
      yScratch.free();
    },
  };
}

/**
 * The matrix product for one group (convPanels1d): X padded once (padRows), then every output
 * summed from it directly, the bias added after and (fuseRelu) max(0, ·) as Relu takes it,
 * written as [M, L'] — the same bits as convGemm's im2col, GEMM, bias and transpose in the plain
 * build (in the relaxed one, whose GEMM fuses multiply-adds, within the summation's rounding).
 * W [M, C, K] packed as panels of 16 outputs [C·K, 16].
 */
function convPanels(g: Geometry, weight: Float32Array, bias: Float32Array | undefined, ctx: OpContext): Kernel {
  const { N, C, L, M, K, stride, dilation, padBegin, padEnd, outLength: Lo } = g;
  const rt = ctx.rt!, gk = graphKernels(rt), panels = Math.ceil(M / 16), CK = C * K, Lp = padBegin + L + padEnd;
  ctx.reserve?.(panels * 16 * CK + M + C * Lp + N * (C * L + M * Lo));
  const blocks: WasmBlock[] = [];
  const block = (n: number) => { const b = new WasmBlock(rt, n); blocks.push(b); return b; };
  let wp: WasmBlock, b: WasmBlock | undefined, xp: WasmBlock, xs: WasmBlock, ys: WasmBlock;
  try {
    wp = block(panels * 16 * CK); xp = block(C * Lp); xs = block(N * C * L); ys = block(N * M * Lo);
    if (bias) { b = block(M); b.view.set(bias); }
  } catch (err) {
    for (const blk of blocks) blk.free();
    throw err;
  }
  // Taps in the padding are skipped where 0·w adds nothing: every weight finite.
  const skip = weight.every(Number.isFinite) ? 1 : 0;
  // One output frame: only its taps inside x, [k0, k1), are packed, and run() gathers them into
  // one row (im2col), so the sum is one flat loop over c and those taps (same order, same bits).
  const single = Lo === 1 && skip === 1;
  const k0 = single ? Math.min(K, Math.ceil(padBegin / dilation)) : 0;
  const k1 = single ? Math.max(k0, Math.min(K, Math.ceil((L + padBegin) / dilation))) : K, Kc = k1 - k0;
  const packed = wp.view.fill(0);
  for (let m = 0; m < M; m++) {
    const at = (m >> 4) * 16 * C * Kc + (m & 15);
    for (let c = 0; c < C; c++) {
      for (let k = k0; k < k1; k++) packed[at + 16 * (c * Kc + k - k0)] = weight[m * CK + c * K + k];
    }
  }
  let relu = 0;
  return {
    outputs: [{ type: 'float', dims: [N, M, Lo] }],
    work: N * Lo * (M * CK * WORK.gemm + M),
    fuseRelu() { relu = 1; },
    run(ins, outs) {
      const X = ins[0]!.data as Float32Array, Y = outs[0].data as Float32Array;
      const x = readableAt(rt, X, xs);
      const yAt = addressIn(rt, Y), y = yAt < 0 ? ys.ptr : yAt;
      for (let n = 0; n < N; n++) {
        if (single && Kc === 1) {                 // one tap a channel: read in place, L apart
          gk.convPanels1d(x + 4 * (n * C * L + k0 * dilation - padBegin), 1, 1, C, 1, L, 1, wp.ptr, M, b ? b.ptr : 0, relu, y + 4 * n * M, 0, 1, 0);
          continue;
        }
        if (single) {
          gk.im2col1d(x + 4 * n * C * L, C, L, Kc, 1, dilation, padBegin - k0 * dilation, 1, xp.ptr);
          gk.convPanels1d(xp.ptr, 1, C * Kc, C * Kc, 1, 1, 1, wp.ptr, M, b ? b.ptr : 0, relu, y + 4 * n * M, 0, C * Kc, 0);
          continue;
        }
        (Lp < 64 ? gk.padRowsShort : gk.padRows)(x + 4 * n * C * L, C, L, padBegin, padEnd, xp.ptr);
        gk.convPanels1d(xp.ptr, C, Lp, K, stride, dilation, Lo, wp.ptr, M, b ? b.ptr : 0, relu, y + 4 * n * M * Lo, padBegin, L, skip);
      }
      if (yAt < 0) Y.set(ys.view);
    },
    dispose() { for (const blk of blocks) blk.free(); },
  };
}

/**
 * An STFT summed as onnxruntime-node's MLAS sums it, with fused multiply-adds (convFused1d: in
 * double precision, rounded to float32 at each step), for the plain build, whose matrix product
 * rounds each product first. X [N, 1, L], W [M, 1, K] packed once as panels of 8 outputs in f64.
 */
function convFused(g: Geometry, weight: Float32Array, ctx: OpContext): Kernel {
  const { N, L, M, K, stride, padBegin, outLength: Lo } = g;
  const rt = ctx.rt!, gk = graphKernels(rt), panels = Math.ceil(M / 8), Lp = (Lo - 1) * stride + K;
  ctx.reserve?.(panels * 8 * K * 2 + Lp * 2 + N * (L + M * Lo));
  const blocks: WasmBlock[] = [];
  const block = (n: number) => { const b = new WasmBlock(rt, n); blocks.push(b); return b; };
  let wp: WasmBlock, xd: WasmBlock, xs: WasmBlock, ys: WasmBlock;
  try {
    wp = block(panels * 8 * K * 2); xd = block(Lp * 2); xs = block(N * L); ys = block(N * M * Lo);
  } catch (err) {
    for (const b of blocks) b.free();
    throw err;
  }
  // W [M, K] as panels of 8 outputs [K, 8], zero past M.
  const packed = new Float64Array(rt.memory.buffer, wp.ptr, panels * 8 * K).fill(0);
  for (let m = 0; m < M; m++) {
    const at = (m >> 3) * 8 * K + (m & 7);
    for (let k = 0; k < K; k++) packed[at + 8 * k] = weight[m * K + k];
  }
  return {
    outputs: [{ type: 'float', dims: [N, M, Lo] }],
    work: N * M * Lo * K * 4 * WORK.gemm,
    run(ins, outs) {
      const X = ins[0]!.data as Float32Array, Y = outs[0].data as Float32Array;
      const x = readableAt(rt, X, xs);
      const yAt = addressIn(rt, Y), y = yAt < 0 ? ys.ptr : yAt;
      for (let n = 0; n < N; n++) gk.convFused1d(x + 4 * n * L, L, K, stride, padBegin, Lo, wp.ptr, M, xd.ptr, y + 4 * n * M * Lo);
      if (yAt < 0) Y.set(ys.view);
    },
    dispose() { for (const b of blocks) b.free(); },
  };
}

/**
 * Depthwise and thin groups, output by output in wasm (convDirect1d); W and B copied there once.
 * A padded input is first copied with its zeros (padRows), so every output reads inside it and
 * goes four at a time (adding a padded tap's 0·w changes no sum).
 */
function convDirectWasm(g: Geometry, weight: Float32Array, bias: Float32Array | undefined, ctx: OpContext): Kernel {
  const { N, C, L, M, K, groups, stride, dilation, padBegin, padEnd, outLength: Lo } = g;
  const rt = ctx.rt!, gk = graphKernels(rt), Lp = padBegin + L + padEnd, padded = Lp !== L;
  ctx.reserve?.(weight.length + M + N * (C * L + M * Lo) + (padded ? C * Lp : 0));
  const blocks: WasmBlock[] = [];
  const block = (n: number) => { const b = new WasmBlock(rt, n); blocks.push(b); return b; };
  let w: WasmBlock, b: WasmBlock | undefined, xs: WasmBlock, ys: WasmBlock, xp: WasmBlock | undefined;
  try {
    w = block(weight.length);
    w.view.set(weight);
    if (bias) { b = block(M); b.view.set(bias); }
    xs = block(N * C * L);
    ys = block(N * M * Lo);
    if (padded) xp = block(C * Lp);
  } catch (err) {
    for (const blk of blocks) blk.free();
    throw err;
  }
  return {
    outputs: [{ type: 'float', dims: [N, M, Lo] }],
    work: N * M * Lo * ((C / groups) * K * WORK.direct + 1),
    run(ins, outs) {
      const X = ins[0]!.data as Float32Array, Y = outs[0].data as Float32Array;
      const x = readableAt(rt, X, xs);
      const yAt = addressIn(rt, Y), y = yAt < 0 ? ys.ptr : yAt;
      for (let n = 0; n < N; n++) {
        const xn = x + 4 * n * C * L, yn = y + 4 * n * M * Lo;
        if (xp) {
          gk.padRows(xn, C, L, padBegin, padEnd, xp.ptr);
          gk.convDirect1d(xp.ptr, C, Lp, M, K, groups, stride, dilation, 0, Lo, w.ptr, b ? b.ptr : 0, yn);
        } else {
          gk.convDirect1d(xn, C, L, M, K, groups, stride, dilation, padBegin, Lo, w.ptr, b ? b.ptr : 0, yn);
        }
      }
      if (yAt < 0) Y.set(ys.view);
    },
    dispose() { for (const blk of blocks) blk.free(); },
  };
}

/** Direct loops: depthwise and thin groups, and folding without a runtime. */
function convDirect(g: Geometry, W: Float32Array, bias: Float32Array | undefined): Kernel {
  const { N, C, L, M, K, groups, stride, dilation, padBegin, outLength: Lo } = g;
  const Cg = C / groups, Mg = M / groups;
  return {
    outputs: [{ type: 'float', dims: [N, M, Lo] }],
    work: N * M * Lo * (Cg * K * WORK.loop + 1),
    run(ins, outs) {
      const X = ins[0]!.data as Float32Array, Y = outs[0].data as Float32Array;
      for (let n = 0; n < N; n++) {
        for (let m = 0; m < M; m++) {
          const gi = Math.floor(m / Mg), dst = (n * M + m) * Lo, b = bias ? bias[m] : 0;
          for (let t = 0; t < Lo; t++) {
            const start = t * stride - padBegin;
            let s = 0;
            for (let c = 0; c < Cg; c++) {
              const src = (n * C + gi * Cg + c) * L, wk = (m * Cg + c) * K;
              for (let k = 0; k < K; k++) {
                const p = start + k * dilation;
                if (p >= 0 && p < L) s += W[wk + k] * X[src + p];
              }
            }
            Y[dst + t] = s + b;
          }
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose

const convTranspose: Op = (node, inputs) => {
  const x = floatInput(node, inputs, 0, 'X', 3);
  const w = constantInput(node, inputs, 1, 'W');
  if (w.type !== 'float' || w.dims.length !== 3) throw nodeError(node, `W is [${w.dims.join(', ')}]; a 1-D transposed convolution's W is [C, M/group, K]`);
  const [N, C, L] = x.dims, [Cw, Mg, K] = w.dims;
  if (Cw !== C) throw nodeError(node, `W [${w.dims.join(', ')}] is for ${Cw} input channels; X has ${C}`);
  const groups = attrInt(node, 'group', 1);
  if (!Number.isSafeInteger(groups) || groups < 1 || C % groups) throw nodeError(node, `group ${groups} must divide the ${C} input channels`);
  const M = Mg * groups, Cg = C / groups;
  const { stride, dilation, pads, autoPad } = spatial(node, K);
  const outPad = attrInts(node, 'output_padding')?.[0] ?? 0;
  if (!Number.isSafeInteger(outPad) || outPad < 0 || outPad >= Math.max(stride, dilation)) throw nodeError(node, `output_padding ${outPad} must be in [0, max(stride, dilation))`);
  const full = stride * (L - 1) + outPad + dilation * (K - 1) + 1;
  let [padBegin, padEnd] = pads;
  const outputShape = attrInts(node, 'output_shape');
  if (outputShape?.length) {
    if (outputShape.length !== 1 || !(outputShape[0] >= 1)) throw nodeError(node, `output_shape [${outputShape.join(', ')}] must be one positive length`);
    const total = full - outputShape[0];   // negative: positions past the input's reach hold the bias
    padBegin = autoPad === 'SAME_UPPER' ? total >> 1 : total - (total >> 1);
    padEnd = total - padBegin;
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = Math.max(0, full - L * stride);
    padBegin = autoPad === 'SAME_UPPER' ? total >> 1 : total - (total >> 1);
    padEnd = total - padBegin;
  } else if (autoPad === 'VALID') padBegin = padEnd = 0;
  const Lo = full - padBegin - padEnd;
  if (!(Lo >= 1)) throw nodeError(node, `pads ${padBegin} + ${padEnd} leave no output`);
  checkedSize(node, [N, M, Lo]);
  const bias = biasOf(node, inputs, M);
  const W = w.value.data as Float32Array;
  return {
    outputs: [{ type: 'float', dims: [N, M, Lo] }],
    work: N * (C * Mg * L * K * WORK.loop + M * Lo),
    run(ins: (Tensor | undefined)[], outs: Tensor[]) {
      const X = ins[0]!.data as Float32Array, Y = outs[0].data as Float32Array;
      for (let n = 0; n < N; n++) {
        for (let m = 0; m < M; m++) Y.fill(bias ? bias[m] : 0, (n * M + m) * Lo, (n * M + m + 1) * Lo);
        for (let c = 0; c < C; c++) {
          const gi = Math.floor(c / Cg), src = (n * C + c) * L;
          for (let mg = 0; mg < Mg; mg++) {
            const dst = (n * M + gi * Mg + mg) * Lo, wk = (c * Mg + mg) * K;
            for (let t = 0; t < L; t++) {
              const v = X[src + t], base = t * stride - padBegin;
              for (let k = 0; k < K; k++) {
                const p = base + k * dilation;
                if (p >= 0 && p < Lo) Y[dst + p] += v * W[wk + k];
              }
            }
          }
        }
      }
    },
  };
};

export const convOps: Record<string, Op> = { Conv: conv, ConvTranspose: convTranspose };
