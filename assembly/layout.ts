// Data movement between layouts.

// dst[b, a, :] = src[a, b, :] for src [A, B, F] f32 (e.g. batch-first ↔ time-major).
export function swapAxes01(src: usize, A: i32, B: i32, F: i32, dst: usize): void {
  const rowBytes = <usize>F << 2;
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      memory.copy(dst + (<usize>b * A + a) * rowBytes, src + (<usize>a * B + b) * rowBytes, rowBytes);
}
