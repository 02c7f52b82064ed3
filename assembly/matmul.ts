// y = x·Wᵀ with W in either stored form: f32 (assembly/gemm.ts) or int8 with per-row scales
// (assembly/quant.ts). The layer kernels call this, so every layer runs on either.

import { gemm, gemvPair } from './gemm';
import { gemmQ8 } from './quant';

// scales = 0: w is f32 packed; otherwise w is int8 packed and scales its [N] row scales.
// @ts-ignore: decorator
@inline export function matmul(M: i32, N: i32, K: i32, a: usize, lda: i32, w: usize, scales: usize,
                               bias: usize, c: usize, ldc: i32, accumulate: i32): void {
  if (scales) gemmQ8(M, N, K, a, lda, w, scales, bias, c, ldc, accumulate);
  else gemm(M, N, K, a, lda, w, bias, c, ldc, accumulate);
}

// A recurrent layer's step for one row: c[N] = bias2 + (bias1 + a1[K1]·W1ᵀ) + a2[K2]·W2ᵀ, the
// input product then the recurrent one — exactly what matmul(1, …, a1, W1, bias1, c, 0) followed
// by matmul(1, …, a2, W2, bias2, c, 1) computes; with f32 weights in one pass (gemvPair).
// @ts-ignore: decorator
@inline export function stepProjection(N: i32, K1: i32, a1: usize, w1: usize, s1: usize, bias1: usize,
                                       K2: i32, a2: usize, w2: usize, s2: usize, bias2: usize, c: usize): void {
  if (!s1 && !s2) {
    gemvPair(N, K1, a1, w1, bias1, K2, a2, w2, bias2, c);
  } else {
    matmul(1, N, K1, a1, K1, w1, s1, bias1, c, N, 0);
    matmul(1, N, K2, a2, K2, w2, s2, bias2, c, N, 1);
  }
}
