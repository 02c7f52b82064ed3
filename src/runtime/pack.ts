// Weight layouts the kernels want, and the way back to PyTorch's.
//
// A PyTorch weight W [G·H, K] (G gate blocks of H rows: 4 for the LSTM, 3 for the GRU, 1 for the
// Elman RNN and Linear) is used as y = x·Wᵀ. The kernels see it as output columns
// n' = g·Hp + j with Hp = ⌈H/4⌉·4 (each gate starts on a vector), grouped in panels of 16
// columns; panel p stores, for each k, the 16 values W[rows of columns 16p…16p+15, k]
// contiguously, zero where a column is padding (assembly/gemm.ts reads it four vectors per k).

export const PANEL = 16;

export const padHidden = (H: number) => (H + 3) & ~3;

/** Floats a packed [G·H, K] weight occupies. */
export function packedLength(G: number, H: number, K: number): number {
  return Math.ceil((G * padHidden(H)) / PANEL) * PANEL * K;
}

/** dst (packedLength floats) ← src [G·H, K] row-major. */
export function packWeight(src: Float32Array, G: number, H: number, K: number, dst: Float32Array): void {
  const Hp = padHidden(H);
  dst.fill(0);
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < H; j++) {
      const col = g * Hp + j;
      const base = (col >> 4) * K * PANEL + (col & 15);
      const row = (g * H + j) * K;
      for (let k = 0; k < K; k++) dst[base + k * PANEL] = src[row + k];
    }
  }
}

/** The inverse of packWeight: [G·H, K] row-major. */
export function unpackWeight(src: Float32Array, G: number, H: number, K: number): Float32Array {
  const Hp = padHidden(H);
  const out = new Float32Array(G * H * K);
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < H; j++) {
      const col = g * Hp + j;
      const base = (col >> 4) * K * PANEL + (col & 15);
      const row = (g * H + j) * K;
      for (let k = 0; k < K; k++) out[row + k] = src[base + k * PANEL];
    }
  }
  return out;
}

/** dst [G·Hp] ← src [G·H]: a per-gate vector (bias, peephole) with each gate padded to Hp. */
export function padGates(src: Float32Array, G: number, H: number, dst: Float32Array): void {
  const Hp = padHidden(H);
  dst.fill(0);
  for (let g = 0; g < G; g++) dst.set(src.subarray(g * H, g * H + H), g * Hp);
}

export function unpadGates(src: Float32Array, G: number, H: number): Float32Array {
  const Hp = padHidden(H);
  const out = new Float32Array(G * H);
  for (let g = 0; g < G; g++) out.set(src.subarray(g * Hp, g * Hp + H), g * H);
  return out;
}
