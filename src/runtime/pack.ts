// Weight layouts the kernels want, and the way back to PyTorch's.
//
// A PyTorch weight W [G·H, K] (G gate blocks of H rows: 4 for the LSTM, 3 for the GRU, 1 for the
// Elman RNN and Linear) is used as y = x·Wᵀ. The kernels see it as output columns
// n' = g·Hp + j with Hp = ⌈H/4⌉·4 (each gate starts on a vector), grouped in panels of 16
// columns; panel p stores, for each k, the 16 values W[rows of columns 16p…16p+15, k]
// contiguously, zero where a column is padding (assembly/gemm.ts reads it four vectors per k).

export const PANEL = 16;

export const padHidden = (H: number) => (H + 3) & ~3;

/** Output columns of a packed [G·H, K] weight: G gate blocks of Hp, rounded up to whole panels. */
const panelColumns = (G: number, H: number) => Math.ceil((G * padHidden(H)) / PANEL) * PANEL;

/** Floats a packed [G·H, K] weight occupies. */
export function packedLength(G: number, H: number, K: number): number {
  return panelColumns(G, H) * K;
}

// Packing runs in wasm (assembly/pack.ts packWeight), since every weight passes through it at
// load time; unpacking, for stateDict(), stays here.

/** The inverse of the packing: [G·H, K] row-major. */
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

// int8 weights (assembly/quant.ts): per-output-row symmetric scales s[n'] = max_k |W[n, k]| / 127
// and q = round(W / s) ∈ [-127, 127]. Columns n' as above in panels of 16; within a panel, for
// each input pair (k, k+1), 32 values in one of two forms (q8Index):
//   bytes: two 16-byte vectors (outputs 0–7, then 8–15); in each, byte 4i + 2p + 1 holds q of
//     output i at k + p (signed) and byte 4i + 2p holds q + 128 of output 4 + i (unsigned), so
//     that the kernel gets one half with a shift and the other from the unshifted vector.
//   wide: 16-bit values, outputs 0–3, 4–7, 8–11, 12–15, each as (q[n, k], q[n, k+1]).
//
// A small matrix is wide: the kernel's product reads its operands as they are, one vector µop
// fewer per sixteen multiply-adds, and the products of an int8 LSTM 64→128 step run a few %
// faster. That doubles the bytes a step reads, which only pays while they stay in L2: matrices
// whose 16-bit data fits in WIDE_MAX_BYTES are wide, larger ones stay in bytes (LSTM 128→512's
// 2 MB of 16-bit W_hh ran 1.3× slower). The values — and so every result — are the same either
// way; only memory use differs. The kernel learns the form from bit 0 of the scales pointer
// (Parameters.scalesOf sets it).

/** The largest int8 matrix, in bytes of 16-bit data, kept wide. */
export const WIDE_MAX_BYTES = 256 * 1024;

/** Whether a packed int8 [G·H, K] weight holds its values in 16 bits: its 16-bit data fits WIDE_MAX_BYTES. */
export function q8Wide(G: number, H: number, K: number): boolean {
  return panelColumns(G, H) * (K + (K & 1)) * 2 <= WIDE_MAX_BYTES;
}

/**
 * Layout of a packed int8 [G·H, K] weight: total bytes, the offset (16-aligned) of its [Np] f32
 * scales, the padded column count, and whether its values are held in 16 bits (q8Wide; tests
 * pass `wide` to get either form).
 */
export function q8Layout(G: number, H: number, K: number, wide = q8Wide(G, H, K)): { bytes: number; scalesAt: number; columns: number; wide: boolean } {
  const columns = panelColumns(G, H);
  const values = columns * (K + (K & 1));
  const scalesAt = Math.ceil((values * (wide ? 2 : 1)) / 16) * 16;
  return { bytes: scalesAt + columns * 4, scalesAt, columns, wide };
}

/** The q values of a packing, viewed over its bytes: Int16Array when wide, else Uint8Array. */
function q8Values(bytes: Uint8Array, scalesAt: number, wide: boolean): Uint8Array | Int16Array {
  return wide ? new Int16Array(bytes.buffer, bytes.byteOffset, scalesAt / 2) : bytes.subarray(0, scalesAt);
}

/** Where q[col, k] sits among the values (elements of q8Values). */
function q8Index(col: number, k: number, pairs: number, wide: boolean): number {
  const at = (col >> 4) * pairs * 32 + (k >> 1) * 32;
  if (wide) return at + ((col & 15) >> 2) * 8 + (col & 3) * 2 + (k & 1);
  return at + ((col & 15) >> 3) * 16 + (col & 3) * 4 + (k & 1) * 2 + (q8Low(col) ? 0 : 1);
}

/** In the byte form, outputs 4–7 and 12–15 of a panel are low bytes, stored as q + 128. */
const q8Low = (col: number): boolean => (col & 4) !== 0;

/** Quantizes src [G·H, K] into dst (q8Layout(G, H, K, wide).bytes bytes). */
export function packQ8(src: Float32Array, G: number, H: number, K: number, dst: Uint8Array, wide = q8Wide(G, H, K)): void {
  const Hp = padHidden(H);
  const { scalesAt, columns } = q8Layout(G, H, K, wide);
  const q = q8Values(dst, scalesAt, wide);
  const scales = new Float32Array(dst.buffer, dst.byteOffset + scalesAt, columns);
  scales.fill(0);
  if (wide) q.fill(0);
  else for (let i = 0; i < q.length; i++) q[i] = i & 1 ? 0 : 128;   // q = 0 in both halves (padding)
  const pairs = (K + 1) >> 1;
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < H; j++) {
      const row = (g * H + j) * K;
      let max = 0;
      for (let k = 0; k < K; k++) max = Math.max(max, Math.abs(src[row + k]));
      const col = g * Hp + j;
      const scale = Math.fround(max / 127);
      scales[col] = scale;
      const offset = wide ? 0 : q8Low(col) ? 128 : 256;   // bytes: q + 128, or q mod 256
      for (let k = 0; k < K; k++) {
        const v = Math.max(-127, Math.min(127, scale > 0 ? Math.round(src[row + k] / scale) : 0));
        q[q8Index(col, k, pairs, wide)] = wide ? v : (v + offset) & 0xff;
      }
    }
  }
}

/** The weight an int8 packing stands for, [G·H, K] row-major (q · scale). */
export function unpackQ8(src: Uint8Array, G: number, H: number, K: number, wide = q8Wide(G, H, K)): Float32Array {
  const Hp = padHidden(H);
  const { scalesAt, columns } = q8Layout(G, H, K, wide);
  const q = q8Values(src, scalesAt, wide);
  const scales = new Float32Array(src.buffer, src.byteOffset + scalesAt, columns);
  const pairs = (K + 1) >> 1;
  const out = new Float32Array(G * H * K);
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < H; j++) {
      const col = g * Hp + j;
      const row = (g * H + j) * K;
      const low = !wide && q8Low(col);
      for (let k = 0; k < K; k++) {
        const b = q[q8Index(col, k, pairs, wide)];
        out[row + k] = (wide ? b : low ? b - 128 : (b << 24) >> 24) * scales[col];
      }
    }
  }
  return out;
}
