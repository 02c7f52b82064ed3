// Convolution over one axis as a matrix product: the receptive fields gathered into rows.

// cols [Lo, C·K] ← x [C, L]: row t holds, for each channel c, the K taps x[c, t·stride + k·dilation
// − padBegin] (0 where a tap falls in the padding). A window wholly inside x with dilation 1 is
// one copy.
export function im2col1d(x: usize, C: i32, L: i32, K: i32, stride: i32, dilation: i32, padBegin: i32, Lo: i32, cols: usize): void {
  const span = dilation * (K - 1) + 1, kBytes = <usize>K << 2;
  let dst = cols;
  for (let t = 0; t < Lo; t++) {
    const start = t * stride - padBegin;
    const inside = start >= 0 && start + span <= L;
    for (let c = 0; c < C; c++, dst += kBytes) {
      const row = x + (<usize>c * L << 2);
      if (inside && dilation == 1) {
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
