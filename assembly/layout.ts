// Data movement between layouts.

// dst[b, a, :] = src[a, b, :] for src [A, B, F] f32 (e.g. batch-first ↔ time-major).
export function swapAxes01(src: usize, A: i32, B: i32, F: i32, dst: usize): void {
  const rowBytes = <usize>F << 2;
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      memory.copy(dst + (<usize>b * A + a) * rowBytes, src + (<usize>a * B + b) * rowBytes, rowBytes);
}

// The state each step started from, as rows: dst[t] = h_{t-1} (forward; h0 at t = 0) or
// h_{t+1} (reverse; h0 at t = T-1), from a layer's output rows y (stride ldy) and its h0 [B, F].
// dst: [T, B, F]
export function previousRows(T: i32, B: i32, F: i32, y: usize, ldy: i32, h0: usize, reverse: i32, dst: usize): void {
  const rowBytes = <usize>F << 2;
  for (let t = 0; t < T; t++) {
    const prev = reverse ? t + 1 : t - 1;
    for (let b = 0; b < B; b++) {
      const from = prev < 0 || prev >= T ? h0 + <usize>b * rowBytes : y + (<usize>(prev * B + b) * ldy << 2);
      memory.copy(dst + (<usize>(t * B + b)) * rowBytes, from, rowBytes);
    }
  }
}
