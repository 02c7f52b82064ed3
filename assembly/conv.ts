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
