// Data movement between layouts.

// dst[b, a, :] = src[a, b, :] for src [A, B, F] f32 (e.g. batch-first ↔ time-major).
export function swapAxes01(src: usize, A: i32, B: i32, F: i32, dst: usize): void {
  const rowBytes = <usize>F << 2;
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      memory.copy(dst + (<usize>b * A + a) * rowBytes, src + (<usize>a * B + b) * rowBytes, rowBytes);
}

// The state each step started from, as rows: dst[t] = h_{t-d} (forward; h0 for t < d) or
// h_{t+d} (reverse; h0 for t ≥ T-d), d the dilation (1 without skip connections), from a layer's
// output rows y (stride ldy) and its h0 [B, F]. dst: [T, B, F]
export function previousRows(T: i32, B: i32, F: i32, y: usize, ldy: i32, h0: usize, reverse: i32, dst: usize, dil: i32): void {
  const rowBytes = <usize>F << 2;
  for (let t = 0; t < T; t++) {
    const prev = reverse ? t + dil : t - dil;
    for (let b = 0; b < B; b++) {
      const from = prev < 0 || prev >= T ? h0 + <usize>b * rowBytes : y + (<usize>(prev * B + b) * ldy << 2);
      memory.copy(dst + (<usize>(t * B + b)) * rowBytes, from, rowBytes);
    }
  }
}

// dst [C, R] = srcᵀ for src [R, C] with row stride ld (floats): 4×4 blocks transposed in
// registers (two rounds of shuffles), scalar edges.
export function transpose(src: usize, R: i32, C: i32, ld: i32, dst: usize): void {
  const R4 = R & ~3, C4 = C & ~3;
  const ldBytes = <usize>ld << 2, dstRow = <usize>R << 2;
  for (let r = 0; r < R4; r += 4) {
    const s0 = src + <usize>r * ldBytes;
    for (let c = 0; c < C4; c += 4) {
      const p = s0 + (<usize>c << 2);
      const a = v128.load(p), b = v128.load(p + ldBytes), cc = v128.load(p + 2 * ldBytes), d = v128.load(p + 3 * ldBytes);
      const ab0 = i32x4.shuffle(a, b, 0, 4, 1, 5), ab1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
      const cd0 = i32x4.shuffle(cc, d, 0, 4, 1, 5), cd1 = i32x4.shuffle(cc, d, 2, 6, 3, 7);
      const q = dst + (<usize>c * R + r << 2);
      v128.store(q, i64x2.shuffle(ab0, cd0, 0, 2));
      v128.store(q + dstRow, i64x2.shuffle(ab0, cd0, 1, 3));
      v128.store(q + 2 * dstRow, i64x2.shuffle(ab1, cd1, 0, 2));
      v128.store(q + 3 * dstRow, i64x2.shuffle(ab1, cd1, 1, 3));
    }
    for (let c = C4; c < C; c++) {
      for (let i = 0; i < 4; i++) store<f32>(dst + ((<usize>c * R + r + i) << 2), load<f32>(s0 + <usize>i * ldBytes + (<usize>c << 2)));
    }
  }
  for (let r = R4; r < R; r++) {
    const row = src + <usize>r * ldBytes;
    for (let c = 0; c < C; c++) store<f32>(dst + ((<usize>c * R + r) << 2), load<f32>(row + (<usize>c << 2)));
  }
}
