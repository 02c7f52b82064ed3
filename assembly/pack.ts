// Repacking a packed weight for the backward pass.
//
// Forward computes y = x·Wᵀ from W packed by output column (assembly/gemm.ts). Backward needs
// dx = dy·W, i.e. the same gemm with Wᵀ packed by *input* column: Wt [K, N] with Wt[k, n] = W[n, k].
// This builds that layout from the forward one, so training keeps one copy of each weight and
// repacks it per backward pass (O(weights), small next to the O(T·B·weights) products).

const PANEL: i32 = 16;

// src: W packed, N columns (gate-padded count), K inputs; dst: Wt packed, K columns, N inputs:
// ⌈K/16⌉ panels × N × 16 floats, zero past K.
export function transposePacked(src: usize, N: i32, K: i32, dst: usize): void {
  const panels = (K + PANEL - 1) / PANEL;
  memory.fill(dst, 0, <usize>panels * N * PANEL << 2);
  for (let n = 0; n < N; n++) {
    const srcCol = src + ((<usize>(n >> 4) * K * PANEL + (n & 15)) << 2);
    for (let k = 0; k < K; k++) {
      const v = load<f32>(srcCol + (<usize>k * PANEL << 2));
      store<f32>(dst + ((<usize>(k >> 4) * N * PANEL + <usize>n * PANEL + (k & 15)) << 2), v);
    }
  }
}

// The forward layout itself (src/runtime/pack.ts describes it): W [G·H, K] row-major → panels of
// 16 output columns n' = g·Hp + j, each k's 16 values contiguous, zero past the real columns.
// Done here because a model's load or initialisation packs every weight once, and this loop in
// cold JavaScript cost more than everything else at start-up.
export function packWeight(src: usize, G: i32, H: i32, K: i32, dst: usize): void {
  const Hp = (H + 3) & ~3;
  const columns = (G * Hp + PANEL - 1) / PANEL * PANEL;
  memory.fill(dst, 0, <usize>columns * K << 2);
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < H; j++) {
      const col = g * Hp + j;
      const out = dst + ((<usize>(col >> 4) * K * PANEL + (col & 15)) << 2);
      const row = src + (<usize>(g * H + j) * K << 2);
      for (let k = 0; k < K; k++) store<f32>(out + (<usize>k * PANEL << 2), load<f32>(row + (<usize>k << 2)));
    }
  }
}

// n floats uniform in [-bound, bound), from mulberry32 with the given state (the same sequence
// as src/runtime/random.ts); returns the state after them.
export function fillUniform(dst: usize, n: i32, state: u32, bound: f64): u32 {
  for (let i = 0; i < n; i++) {
    state += 0x6d2b79f5;
    let t = state;
    t = (t ^ (t >>> 15)) * (t | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    const r = <f64>(t ^ (t >>> 14)) / 4294967296.0;
    store<f32>(dst + (<usize>i << 2), <f32>((r * 2 - 1) * bound));
  }
  return state;
}
