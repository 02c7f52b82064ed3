// Convolution over one axis as a matrix product: the receptive fields gathered into rows.

import { loadN } from './vec';

// cols [Lo, C·K] ← x [C, L]: row t holds, for each channel c, the K taps x[c, t·stride + k·dilation
// − padBegin] (0 where a tap falls in the padding). A window wholly inside x with dilation 1 is
// one copy (K ≥ 8; shorter ones go tap by tap).
export function im2col1d(x: usize, C: i32, L: i32, K: i32, stride: i32, dilation: i32, padBegin: i32, Lo: i32, cols: usize): void {
  const span = dilation * (K - 1) + 1, kBytes = <usize>K << 2;
  let dst = cols;
  for (let t = 0; t < Lo; t++) {
    const start = t * stride - padBegin;
    const inside = start >= 0 && start + span <= L;
    for (let c = 0; c < C; c++, dst += kBytes) {
      const row = x + (<usize>c * L << 2);
      if (inside && dilation == 1 && K >= 8) {
        memory.copy(dst, row + (<usize>start << 2), kBytes);
      } else {
        for (let k = 0; k < K; k++) {
          const p = start + k * dilation;
          store<f32>(dst + (<usize>k << 2), p >= 0 && p < L ? load<f32>(row + (<usize>p << 2)) : 0);
        }
      }
    }
  }
}

// padRows for short rows: element by element (memory.copy and memory.fill are calls in V8, dear
// for a few bytes: 129 rows of 4 took ~2 µs).
export function padRowsShort(x: usize, rows: i32, L: i32, padBegin: i32, padEnd: i32, y: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < padBegin; i++, y += 4) store<f32>(y, 0);
    for (let i = 0; i < L; i++, x += 4, y += 4) store<f32>(y, load<f32>(x));
    for (let i = 0; i < padEnd; i++, y += 4) store<f32>(y, 0);
  }
}

// y [rows, padBegin + L + padEnd] ← x [rows, L] with zeros either side: a convolution's input
// padded once, so that every output of a direct convolution reads inside it.
export function padRows(x: usize, rows: i32, L: i32, padBegin: i32, padEnd: i32, y: usize): void {
  const rowBytes = <usize>L << 2, pb = <usize>padBegin << 2, pe = <usize>padEnd << 2;
  for (let r = 0; r < rows; r++, x += rowBytes) {
    memory.fill(y, 0, pb);
    memory.copy(y + pb, x, rowBytes);
    memory.fill(y + pb + rowBytes, 0, pe);
    y += pb + rowBytes + pe;
  }
}

// y [M, Lo] = the convolution of x [C, L] with w [M, C/groups, K] (+ bias [M], or 0 for none),
// output by output, each sum over c and k in order from 0 and the bias added last (as MLAS does): for depthwise and other thin groups, where a matrix product has too few
// rows or columns to pay off. Taps that fall in the padding are skipped, not multiplied by 0.
// With stride 1, the outputs whose taps are all inside x go four at a time (f32x4 over t).
export function convDirect1d(x: usize, C: i32, L: i32, M: i32, K: i32, groups: i32, stride: i32, dilation: i32,
                             padBegin: i32, Lo: i32, w: usize, bias: usize, y: usize): void {
  const Cg = C / groups, Mg = M / groups;
  // Outputs [t0, t1) read no padding: t·stride − padBegin ≥ 0 and t·stride − padBegin + span ≤ L.
  const span = dilation * (K - 1) + 1;
  const t0 = min(Lo, (padBegin + stride - 1) / stride);
  const t1 = max(t0, min(Lo, L - span + padBegin >= 0 ? (L - span + padBegin) / stride + 1 : 0));
  for (let m = 0, g = 0, mg = 0; m < M; m++, mg++) {
    if (mg == Mg) { g++; mg = 0; }                       // g = m / Mg, the group of output m
    const b: f32 = bias ? load<f32>(bias + (<usize>m << 2)) : 0;
    const out = y + (<usize>m * Lo << 2);
    let t = 0;
    while (t < Lo) {
      if (stride == 1 && t >= t0 && t + 4 <= t1) {
        let acc = f32x4.splat(0);
        for (let c = 0; c < Cg; c++) {
          const row = x + (<usize>((g * Cg + c) * L + t - padBegin) << 2);
          const taps = w + (<usize>((m * Cg + c) * K) << 2);
          for (let k = 0; k < K; k++) {
            acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(taps + (<usize>k << 2))), v128.load(row + (<usize>(k * dilation) << 2))));
          }
        }
        v128.store(out + (<usize>t << 2), f32x4.add(acc, f32x4.splat(b)));
        t += 4;
        continue;
      }
      const start = t * stride - padBegin;
      // The taps k with 0 ≤ start + k·dilation < L.
      const k0 = start >= 0 ? 0 : dilation == 1 ? -start : (dilation - 1 - start) / dilation;
      const k1 = start >= L ? 0 : min(K, dilation == 1 ? L - start : (L - 1 - start) / dilation + 1);
      let s: f32 = 0;
      for (let c = 0; c < Cg; c++) {
        const row = x + (<usize>((g * Cg + c) * L + start) << 2);
        const taps = w + (<usize>((m * Cg + c) * K) << 2);
        for (let k = k0; k < k1; k++) s += load<f32>(taps + (<usize>k << 2)) * load<f32>(row + (<usize>(k * dilation) << 2));
      }
      store<f32>(out + (<usize>t << 2), s + b);
      t++;
    }
  }
}

// y [M, Lo] = the convolution of x [1, L] with w [M, 1, K] (frames every `stride` samples from
// −padBegin, zeros outside x), each sum over k in order from 0 with every multiply-add fused, as
// onnxruntime-node's MLAS sums with FMA: acc = f32(acc + w·x) in double precision, where the
// product of two floats is exact, so each step is one FMA but for a rare double rounding. For
// the plain build, whose madd rounds the product first (an STFT's small bins, which Silero legacy
// magnifies, follow those last bits). W packed as ⌈M/8⌉ panels of 8 outputs [K, 8] in f64 (zero
// past M); xd: scratch for x in f64, padded, [(Lo − 1)·stride + K]. Outputs go 8 channels × 2
// frames at a time.
export function convFused1d(x: usize, L: i32, K: i32, stride: i32, padBegin: i32, Lo: i32, wp: usize, M: i32, xd: usize, y: usize): void {
  const Lp = (Lo - 1) * stride + K;
  for (let i = 0; i < Lp; i++) {
    const p = i - padBegin;
    store<f64>(xd + (<usize>i << 3), p >= 0 && p < L ? <f64>load<f32>(x + (<usize>p << 2)) : 0);
  }
  const hop = <usize>stride << 3, panelBytes = <usize>K << 6, gap = <usize>Lo << 2;
  for (let m = 0; m < M; m += 8) {
    const w = wp + <usize>(m >> 3) * panelBytes, out = y + (<usize>m * Lo << 2);
    let t = 0;
    for (; t + 2 <= Lo; t += 2) fusedPanel2(xd + <usize>t * hop, hop, K, w, out + (<usize>t << 2), gap, M - m);
    if (t < Lo) fusedPanel1(xd + <usize>t * hop, K, w, out + (<usize>t << 2), gap, M - m);
  }
}

// Frames a and a + hop (f64, K each) against one panel w [K, 8]: output i < n of the panel goes
// to out + i·gap (the first frame) and 4 bytes after it (the second); gap: y's row in bytes.
function fusedPanel2(a: usize, hop: usize, K: i32, w: usize, out: usize, gap: usize, n: i32): void {
  const end = a + (<usize>K << 3);
  let x0 = f64x2.splat(0), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  while (a < end) {
    const s0 = v128.load64_splat(a), s1 = v128.load64_splat(a + hop);
    const b0 = v128.load(w), b1 = v128.load(w, 16), b2 = v128.load(w, 32), b3 = v128.load(w, 48);
    x0 = fused(b0, s0, x0); y0 = fused(b0, s1, y0);
    x1 = fused(b1, s0, x1); y1 = fused(b1, s1, y1);
    x2 = fused(b2, s0, x2); y2 = fused(b2, s1, y2);
    x3 = fused(b3, s0, x3); y3 = fused(b3, s1, y3);
    w += 64; a += 8;
  }
  storeFrame(out, gap, n, x0, x1, x2, x3);
  storeFrame(out + 4, gap, n, y0, y1, y2, y3);
}

// One frame a (f64, K) against one panel w [K, 8]: output i < n of the panel to out + i·gap.
function fusedPanel1(a: usize, K: i32, w: usize, out: usize, gap: usize, n: i32): void {
  const end = a + (<usize>K << 3);
  let x0 = f64x2.splat(0), x1 = x0, x2 = x0, x3 = x0;
  while (a < end) {
    const s0 = v128.load64_splat(a);
    x0 = fused(v128.load(w), s0, x0); x1 = fused(v128.load(w, 16), s0, x1);
    x2 = fused(v128.load(w, 32), s0, x2); x3 = fused(v128.load(w, 48), s0, x3);
    w += 64; a += 8;
  }
  storeFrame(out, gap, n, x0, x1, x2, x3);
}

// f32(c + a·b) in f64x2 lanes, c's lanes already floats: a fused multiply-add of floats.
// @ts-ignore: decorator
@inline function fused(a: v128, b: v128, c: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.add(c, f64x2.mul(a, b))));
}

// out + i·gap ← lane i of v0 … v3 (two a vector, f32-exact) for i < n (at most 8).
// @ts-ignore: decorator
@inline function storeFrame(out: usize, gap: usize, n: i32, v0: v128, v1: v128, v2: v128, v3: v128): void {
  store<f32>(out, <f32>f64x2.extract_lane(v0, 0)); out += gap;
  if (n > 1) store<f32>(out, <f32>f64x2.extract_lane(v0, 1)); out += gap;
  if (n > 2) store<f32>(out, <f32>f64x2.extract_lane(v1, 0)); out += gap;
  if (n > 3) store<f32>(out, <f32>f64x2.extract_lane(v1, 1)); out += gap;
  if (n > 4) store<f32>(out, <f32>f64x2.extract_lane(v2, 0)); out += gap;
  if (n > 5) store<f32>(out, <f32>f64x2.extract_lane(v2, 1)); out += gap;
  if (n > 6) store<f32>(out, <f32>f64x2.extract_lane(v3, 0)); out += gap;
  if (n > 7) store<f32>(out, <f32>f64x2.extract_lane(v3, 1));
}

// y [M, Lo] = relu?(bias + Σ_{c, k} w[m, c, k] · xp[c, t·stride + k·dilation]) with the input
// already padded (xp [C, Lp], every tap inside it): the matrix product that im2col1d + the GEMM
// + addRowBias + a transpose compute, in one pass and the same order, so the same bits — each
// sum over j = c·K + k from 0 (a padded tap adds 0·w), then the bias, then relu as ewUnary
// does it (v < 0 → 0: NaN and −0 stay). For the plain build (the GEMM's madd: multiply, then
// add). wp: W packed as ⌈M/16⌉ panels of 16 outputs [C·K, 16] (zero past M); bias [M] or 0.
// Frames go two at a time against a panel (8 accumulators, as the GEMM's 2-row block).
export function convPanels1d(xp: usize, C: i32, Lp: i32, K: i32, stride: i32, dilation: i32, Lo: i32,
                             wp: usize, M: i32, bias: usize, relu: i32, y: usize, padBegin: i32, L: i32, skip: i32): void {
  const panelBytes = <usize>(C * K) << 6, rowBytes = <usize>Lp << 2, hop = <usize>stride << 2, tap = <usize>dilation << 2;
  const gap = <usize>Lo << 2;
  for (let col = 0; col < M; col += 16) {
    const w0 = wp + <usize>(col >> 4) * panelBytes, out = y + (<usize>col * Lo << 2), n = M - col;
    let t = 0;
    for (; t + 2 <= Lo; t += 2) {
      const a = xp + <usize>t * hop, o = out + (<usize>t << 2);
      if (K == 3 && dilation == 1) {
        // The first frame's tap 0 or the second's tap 2 in the padding: skipped (0·w adds nothing).
        const headA = skip != 0 && t * stride < padBegin, tailB = skip != 0 && (t + 1) * stride + 2 >= padBegin + L;
        const inner = skip != 0 && (t * stride + 1 >= padBegin) && ((t + 1) * stride + 1 < padBegin + L) && (t + 1) * stride >= padBegin && t * stride + 2 < padBegin + L;
        if ((headA || tailB) && inner) panelPair3Edge(a, a + hop, C, rowBytes, w0, headA, tailB, bias, col, n, relu, o, gap);
        else panelPair3(a, a + hop, C, rowBytes, w0, bias, col, n, relu, o, gap);
      } else panelPair(a, a + hop, C, K, rowBytes, tap, w0, bias, col, n, relu, o, gap);
    }
    if (t < Lo) {
      // The last frame alone; with Lo = 1, this panel and the next (8 accumulators, as gemvRow's
      // several chains). Only its taps inside x (with skip).
      const two = Lo == 1 && n > 16;
      const k0 = skip ? firstTap(t * stride, padBegin, dilation, K) : 0, k1 = skip ? endTap(t * stride, padBegin + L, dilation, K) : K;
      panelSingle(xp + <usize>t * hop, C, K, k0, k1, rowBytes, tap, w0, w0 + (two ? panelBytes : 0), bias, col, n, relu, out + (<usize>t << 2), gap, two);
      if (two) col += 16;                        // the next panel is done (Lo = 1: it has no frame pairs)
    }
  }
}

// Frames a and b (their first taps in row 0 of xp) against one panel w [C·3, 16], taps 1 apart.
function panelPair3(a: usize, b: usize, C: i32, rowBytes: usize, w: usize, bias: usize, col: i32, n: i32, relu: i32, out: usize, gap: usize): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  const end = a + <usize>C * rowBytes;
  while (a < end) {
    for (let k: usize = 0; k < 12; k += 4) {
      const s0 = v128.load32_splat(a + k), s1 = v128.load32_splat(b + k);
      const b0 = v128.load(w), b1 = v128.load(w, 16), b2 = v128.load(w, 32), b3 = v128.load(w, 48);
      x0 = f32x4.add(f32x4.mul(b0, s0), x0); y0 = f32x4.add(f32x4.mul(b0, s1), y0);
      x1 = f32x4.add(f32x4.mul(b1, s0), x1); y1 = f32x4.add(f32x4.mul(b1, s1), y1);
      x2 = f32x4.add(f32x4.mul(b2, s0), x2); y2 = f32x4.add(f32x4.mul(b2, s1), y2);
      x3 = f32x4.add(f32x4.mul(b3, s0), x3); y3 = f32x4.add(f32x4.mul(b3, s1), y3);
      w += 64;
    }
    a += rowBytes; b += rowBytes;
  }
  finish(bias, col, n, relu, x0, x1, x2, x3, out, gap);
  finish(bias, col, n, relu, y0, y1, y2, y3, out + 4, gap);
}

// panelPair3 where the first frame's tap 0 (headA) and / or the second's tap 2 (tailB) read padding
// (and every other tap x): those taps are left out of their frame's sums.
function panelPair3Edge(a: usize, b: usize, C: i32, rowBytes: usize, w: usize, headA: bool, tailB: bool,
                        bias: usize, col: i32, n: i32, relu: i32, out: usize, gap: usize): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  const end = a + <usize>C * rowBytes;
  while (a < end) {
    let s1 = v128.load32_splat(b);
    if (headA) {
      y0 = f32x4.add(f32x4.mul(v128.load(w), s1), y0); y1 = f32x4.add(f32x4.mul(v128.load(w, 16), s1), y1);
      y2 = f32x4.add(f32x4.mul(v128.load(w, 32), s1), y2); y3 = f32x4.add(f32x4.mul(v128.load(w, 48), s1), y3);
    } else {
      const s0 = v128.load32_splat(a);
      const b0 = v128.load(w), b1 = v128.load(w, 16), b2 = v128.load(w, 32), b3 = v128.load(w, 48);
      x0 = f32x4.add(f32x4.mul(b0, s0), x0); y0 = f32x4.add(f32x4.mul(b0, s1), y0);
      x1 = f32x4.add(f32x4.mul(b1, s0), x1); y1 = f32x4.add(f32x4.mul(b1, s1), y1);
      x2 = f32x4.add(f32x4.mul(b2, s0), x2); y2 = f32x4.add(f32x4.mul(b2, s1), y2);
      x3 = f32x4.add(f32x4.mul(b3, s0), x3); y3 = f32x4.add(f32x4.mul(b3, s1), y3);
    }
    {
      const s0 = v128.load32_splat(a, 4);
      s1 = v128.load32_splat(b, 4);
      const b0 = v128.load(w, 64), b1 = v128.load(w, 80), b2 = v128.load(w, 96), b3 = v128.load(w, 112);
      x0 = f32x4.add(f32x4.mul(b0, s0), x0); y0 = f32x4.add(f32x4.mul(b0, s1), y0);
      x1 = f32x4.add(f32x4.mul(b1, s0), x1); y1 = f32x4.add(f32x4.mul(b1, s1), y1);
      x2 = f32x4.add(f32x4.mul(b2, s0), x2); y2 = f32x4.add(f32x4.mul(b2, s1), y2);
      x3 = f32x4.add(f32x4.mul(b3, s0), x3); y3 = f32x4.add(f32x4.mul(b3, s1), y3);
    }
    const s0 = v128.load32_splat(a, 8);
    if (tailB) {
      x0 = f32x4.add(f32x4.mul(v128.load(w, 128), s0), x0); x1 = f32x4.add(f32x4.mul(v128.load(w, 144), s0), x1);
      x2 = f32x4.add(f32x4.mul(v128.load(w, 160), s0), x2); x3 = f32x4.add(f32x4.mul(v128.load(w, 176), s0), x3);
    } else {
      s1 = v128.load32_splat(b, 8);
      const b0 = v128.load(w, 128), b1 = v128.load(w, 144), b2 = v128.load(w, 160), b3 = v128.load(w, 176);
      x0 = f32x4.add(f32x4.mul(b0, s0), x0); y0 = f32x4.add(f32x4.mul(b0, s1), y0);
      x1 = f32x4.add(f32x4.mul(b1, s0), x1); y1 = f32x4.add(f32x4.mul(b1, s1), y1);
      x2 = f32x4.add(f32x4.mul(b2, s0), x2); y2 = f32x4.add(f32x4.mul(b2, s1), y2);
      x3 = f32x4.add(f32x4.mul(b3, s0), x3); y3 = f32x4.add(f32x4.mul(b3, s1), y3);
    }
    w += 192; a += rowBytes; b += rowBytes;
  }
  finish(bias, col, n, relu, x0, x1, x2, x3, out, gap);
  finish(bias, col, n, relu, y0, y1, y2, y3, out + 4, gap);
}

// The same for any K and tap spacing.
function panelPair(a: usize, b: usize, C: i32, K: i32, rowBytes: usize, tap: usize, w: usize, bias: usize, col: i32, n: i32, relu: i32, out: usize, gap: usize): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  for (let c = 0; c < C; c++) {
    let pa = a + <usize>c * rowBytes, pb = b + <usize>c * rowBytes;
    for (let k = 0; k < K; k++) {
      const s0 = v128.load32_splat(pa), s1 = v128.load32_splat(pb);
      const b0 = v128.load(w), b1 = v128.load(w, 16), b2 = v128.load(w, 32), b3 = v128.load(w, 48);
      x0 = f32x4.add(f32x4.mul(b0, s0), x0); y0 = f32x4.add(f32x4.mul(b0, s1), y0);
      x1 = f32x4.add(f32x4.mul(b1, s0), x1); y1 = f32x4.add(f32x4.mul(b1, s1), y1);
      x2 = f32x4.add(f32x4.mul(b2, s0), x2); y2 = f32x4.add(f32x4.mul(b2, s1), y2);
      x3 = f32x4.add(f32x4.mul(b3, s0), x3); y3 = f32x4.add(f32x4.mul(b3, s1), y3);
      w += 64; pa += tap; pb += tap;
    }
  }
  finish(bias, col, n, relu, x0, x1, x2, x3, out, gap);
  finish(bias, col, n, relu, y0, y1, y2, y3, out + 4, gap);
}

// One frame a against panels w and v (v = w when there is one: the same sums twice), taps
// [k0, k1) of each channel; the second panel's outputs stored only when `two`.
function panelSingle(a: usize, C: i32, K: i32, k0: i32, k1: i32, rowBytes: usize, tap: usize, w: usize, v: usize,
                     bias: usize, col: i32, n: i32, relu: i32, out: usize, gap: usize, two: bool): void {
  const before = <usize>k0 << 6, after = <usize>(K - k1) << 6;
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
  let row = a + <usize>k0 * tap;
  const end = row + <usize>C * rowBytes, taps = <usize>(k1 - k0) * tap;
  while (row < end) {
    w += before; v += before;
    const stop = row + taps;
    for (let pa = row; pa < stop; pa += tap) {
      const s = v128.load32_splat(pa);
      x0 = f32x4.add(f32x4.mul(v128.load(w), s), x0); x1 = f32x4.add(f32x4.mul(v128.load(w, 16), s), x1);
      x2 = f32x4.add(f32x4.mul(v128.load(w, 32), s), x2); x3 = f32x4.add(f32x4.mul(v128.load(w, 48), s), x3);
      y0 = f32x4.add(f32x4.mul(v128.load(v), s), y0); y1 = f32x4.add(f32x4.mul(v128.load(v, 16), s), y1);
      y2 = f32x4.add(f32x4.mul(v128.load(v, 32), s), y2); y3 = f32x4.add(f32x4.mul(v128.load(v, 48), s), y3);
      w += 64; v += 64;
    }
    w += after; v += after;
    row += rowBytes;
  }
  finish(bias, col, n, relu, x0, x1, x2, x3, out, gap);
  if (two) finish(bias, col + 16, n - 16, relu, y0, y1, y2, y3, out + 16 * gap, gap);
}

// The first tap k of a frame starting at q (padded coordinates) with q + k·d ≥ lo, and the end of
// those with q + k·d < hi, within [0, K].
// @ts-ignore: decorator
@inline function firstTap(q: i32, lo: i32, d: i32, K: i32): i32 {
  return q >= lo ? 0 : min(K, (lo - q + d - 1) / d);
}
// @ts-ignore: decorator
@inline function endTap(q: i32, hi: i32, d: i32, K: i32): i32 {
  return q >= hi ? 0 : min(K, (hi - q + d - 1) / d);
}

// Outputs col … col + min(n, 16) − 1 of one frame: + bias, relu, stored to out + i·gap.
// @ts-ignore: decorator
@inline function finish(bias: usize, col: i32, n: i32, relu: i32, x0: v128, x1: v128, x2: v128, x3: v128, out: usize, gap: usize): void {
  if (bias) {
    const bc = bias + (<usize>col << 2);
    x0 = f32x4.add(x0, loadN(bc, n)); x1 = f32x4.add(x1, loadN(bc + 16, n - 4));
    x2 = f32x4.add(x2, loadN(bc + 32, n - 8)); x3 = f32x4.add(x3, loadN(bc + 48, n - 12));
  }
  if (relu) { x0 = reluOf(x0); x1 = reluOf(x1); x2 = reluOf(x2); x3 = reluOf(x3); }
  storeColumn(out, gap, n, x0, x1, x2, x3);
}

// @ts-ignore: decorator
@inline function reluOf(v: v128): v128 {
  const zero = f32x4.splat(0);
  return v128.bitselect(zero, v, f32x4.lt(v, zero));
}

// out + i·gap ← lane i of v0 … v3 (16 outputs, one frame) for i < n.
function storeColumn(out: usize, gap: usize, n: i32, v0: v128, v1: v128, v2: v128, v3: v128): void {
  if (n >= 16) {
    storeLanes(out, gap, v0); storeLanes(out + 4 * gap, gap, v1);
    storeLanes(out + 8 * gap, gap, v2); storeLanes(out + 12 * gap, gap, v3);
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = i < 4 ? v0 : i < 8 ? v1 : i < 12 ? v2 : v3;
    const j = i & 3;
    store<f32>(out + <usize>i * gap, j == 0 ? f32x4.extract_lane(v, 0) : j == 1 ? f32x4.extract_lane(v, 1) : j == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3));
  }
}

// @ts-ignore: decorator
@inline function storeLanes(out: usize, gap: usize, v: v128): void {
  store<f32>(out, f32x4.extract_lane(v, 0)); store<f32>(out + gap, f32x4.extract_lane(v, 1));
  store<f32>(out + 2 * gap, f32x4.extract_lane(v, 2)); store<f32>(out + 3 * gap, f32x4.extract_lane(v, 3));
}
