// Convolution over one axis as a matrix product: the receptive fields gathered into rows.

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
