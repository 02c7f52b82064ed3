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
