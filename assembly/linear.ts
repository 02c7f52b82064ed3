// Linear (y = x·Wᵀ + b) and Embedding (row gather) forward kernels.

import { matmul } from './matmul';
import { loadN, storeN } from './vec';

// x: [M, K] f32; w: packed W [N, K] (f32, or int8 with row scales ≠ 0); bias: [N] or 0; y: [M, N]
export function linearForward(M: i32, K: i32, N: i32, x: usize, w: usize, scales: usize, bias: usize, y: usize): void {
  matmul(M, N, K, x, K, w, scales, bias, y, N, 0);
}

// ids: [n] i32, each in [0, rows) (checked by the host); table: [rows, dim] f32; y: [n, dim]
export function embeddingForward(n: i32, ids: usize, table: usize, dim: i32, y: usize): void {
  const rowBytes = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    memory.copy(y + <usize>i * rowBytes, table + <usize>id * rowBytes, rowBytes);
  }
}

// Embedding backward: dtable[ids[i]] += dy[i] for i < n; dy: [n, dim].
export function embeddingBackward(n: i32, ids: usize, dy: usize, dim: i32, dtable: usize): void {
  for (let i = 0; i < n; i++) {
    const row = dtable + (<usize>load<i32>(ids + (<usize>i << 2)) * dim << 2);
    const src = dy + (<usize>i * dim << 2);
    for (let j = 0; j < dim; j += 4) {
      const o = <usize>j << 2;
      storeN(row + o, f32x4.add(loadN(row + o, dim - j), loadN(src + o, dim - j)), dim - j);
    }
  }
}
