// y = x·Wᵀ with W in either stored form: f32 (assembly/gemm.ts) or int8 with per-row scales
// (assembly/quant.ts). The layer kernels call this, so every layer runs on either.

import { gemm } from './gemm';
import { gemmQ8 } from './quant';

// scales = 0: w is f32 packed; otherwise w is int8 packed and scales its [N] row scales.
// @ts-ignore: decorator
@inline export function matmul(M: i32, N: i32, K: i32, a: usize, lda: i32, w: usize, scales: usize,
                               bias: usize, c: usize, ldc: i32, accumulate: i32): void {
  if (scales) gemmQ8(M, N, K, a, lda, w, scales, bias, c, ldc, accumulate);
  else gemm(M, N, K, a, lda, w, bias, c, ldc, accumulate);
}
