// Matrix products against weights packed in column panels.
//
// Packed layout (made by src/runtime/pack.ts): a weight used as y = x·Wᵀ, W [N, K] row-major as
// in PyTorch, is stored as ⌈N/16⌉ panels of 16 output columns; panel p holds, for k = 0..K-1,
// the 16 values W[16p .. 16p+15, k] contiguously (zero past N). So one k step of a panel is four
// aligned f32x4 loads, and a row of x is broadcast one scalar at a time ("outer-product" GEMM,
// register-blocked 2 rows × 16 columns, or for a lone row 24 columns (see gemvRow)). Products
// accumulate with madd: multiply then add, or one FMA in the relaxed-SIMD build.

import { loadN, madd, storeN } from './vec';

const PANEL: i32 = 16;

// C[M, N] = (accumulate ? C : 0) + bias + A[M, K] · Wᵀ
//   a: A row-major, row stride lda (floats); bp: packed W; bias: [N] f32 or 0; c: row stride ldc.
export function gemm(M: i32, N: i32, K: i32, a: usize, lda: i32, bp: usize, bias: usize,
                     c: usize, ldc: i32, accumulate: i32): void {
  const panelBytes = <usize>K * PANEL * 4;
  for (let p = 0; p * PANEL < N; p++) {
    const col = p * PANEL;
    const valid = N - col;               // columns of this panel that exist (≥ 16 for full panels)
    const w0 = bp + <usize>p * panelBytes;
    for (let m = 0; m + 2 <= M; m += 2) {
      const a0 = a + (<usize>m * lda << 2);
      const a1 = a0 + (<usize>lda << 2);
      const c0 = c + ((<usize>m * ldc + col) << 2);
      const c1 = c0 + (<usize>ldc << 2);
      let x0: v128, x1: v128, x2: v128, x3: v128, y0: v128, y1: v128, y2: v128, y3: v128;
      if (bias) {
        const bc = bias + (<usize>col << 2);
        x0 = loadN(bc, valid); x1 = loadN(bc + 16, valid - 4); x2 = loadN(bc + 32, valid - 8); x3 = loadN(bc + 48, valid - 12);
      } else {
        x0 = f32x4.splat(0); x1 = x0; x2 = x0; x3 = x0;
      }
      y0 = x0; y1 = x1; y2 = x2; y3 = x3;
      if (accumulate) {
        x0 = f32x4.add(x0, loadN(c0, valid)); x1 = f32x4.add(x1, loadN(c0 + 16, valid - 4));
        x2 = f32x4.add(x2, loadN(c0 + 32, valid - 8)); x3 = f32x4.add(x3, loadN(c0 + 48, valid - 12));
        y0 = f32x4.add(y0, loadN(c1, valid)); y1 = f32x4.add(y1, loadN(c1 + 16, valid - 4));
        y2 = f32x4.add(y2, loadN(c1 + 32, valid - 8)); y3 = f32x4.add(y3, loadN(c1 + 48, valid - 12));
      }
      // Pointers bumped, not indexed: V8 otherwise recomputes a0 + 4k (with a multiply) every k
      // and runs 20% slower.
      let w = w0, ap = a0;
      const rowGap = a1 - a0, end = w0 + panelBytes;
      while (w < end) {
        const s0 = v128.load32_splat(ap);
        const s1 = v128.load32_splat(ap + rowGap);
        const b0 = v128.load(w), b1 = v128.load(w, 16), b2 = v128.load(w, 32), b3 = v128.load(w, 48);
        x0 = madd(b0, s0, x0); y0 = madd(b0, s1, y0);
        x1 = madd(b1, s0, x1); y1 = madd(b1, s1, y1);
        x2 = madd(b2, s0, x2); y2 = madd(b2, s1, y2);
        x3 = madd(b3, s0, x3); y3 = madd(b3, s1, y3);
        w += 64; ap += 4;
      }
      storeN(c0, x0, valid); storeN(c0 + 16, x1, valid - 4); storeN(c0 + 32, x2, valid - 8); storeN(c0 + 48, x3, valid - 12);
      storeN(c1, y0, valid); storeN(c1 + 16, y1, valid - 4); storeN(c1 + 32, y2, valid - 8); storeN(c1 + 48, y3, valid - 12);
    }
  }
  if (M & 1) {
    const m = M - 1;
    gemvRow(N, K, a + (<usize>m * lda << 2), bp, bias, c + (<usize>m * ldc << 2), accumulate);
  }
}

// One row of C: [N] (+)= a[K] · Wᵀ. Three panels at a time as two passes of six column-vectors
// (24 columns): six accumulators, their six loads and the splat fit V8's 15 vector registers
// (eight accumulators spill: 15 vs 25 GFLOP/s), and six chains hide the 4-cycle latency of the
// relaxed build's FMA, which four did not (512×128: 5.7 → 4.2 µs; plain build 5.0 → 4.8 µs).
// Remaining panels go one at a time. Every path sums each column over k in order from the same
// start, so one row gives the same bits here as in the two-row block above.
//   With a2 ≠ 0 a second product follows before the row is stored (gemvPair):
//   C = bias2 + (bias + a·Wᵀ) + a2[K2]·W2ᵀ, W2 packed [N, K2].
function gemvRow(N: i32, K: i32, a: usize, bp: usize, bias: usize, c: usize, accumulate: i32,
                 K2: i32 = 0, a2: usize = 0, bp2: usize = 0, bias2: usize = 0): void {
  const panelBytes = <usize>K * PANEL * 4;
  const panelBytes2 = <usize>K2 * PANEL * 4;
  const end = a + (<usize>K << 2);
  const end2 = a2 + (<usize>K2 << 2);
  let col = 0;
  for (; col + 3 * PANEL <= N; col += 3 * PANEL) {                 // three panels: two passes of six
    const w = bp + <usize>(col / PANEL) * panelBytes;
    const w2 = bp2 + <usize>(col / PANEL) * panelBytes2;
    const cc = c + (<usize>col << 2);
    gemv6(a, end, w, w + panelBytes, 4, bias, cc, col, accumulate,                                   // columns 0–23
          a2, end2, w2, w2 + panelBytes2, bias2);
    gemv6(a, end, w + panelBytes + 32, w + 2 * panelBytes, 2, bias, cc + 96, col + 24, accumulate,   // 24–47
          a2, end2, w2 + panelBytes2 + 32, w2 + 2 * panelBytes2, bias2);
  }
  for (; col < N; col += PANEL) {
    const valid = N - col;
    const cc = c + (<usize>col << 2);
    let x0: v128, x1: v128, x2: v128, x3: v128;
    if (bias) {
      const bc = bias + (<usize>col << 2);
      x0 = loadN(bc, valid); x1 = loadN(bc + 16, valid - 4); x2 = loadN(bc + 32, valid - 8); x3 = loadN(bc + 48, valid - 12);
    } else {
      x0 = f32x4.splat(0); x1 = x0; x2 = x0; x3 = x0;
    }
    if (accumulate) {
      x0 = f32x4.add(x0, loadN(cc, valid)); x1 = f32x4.add(x1, loadN(cc + 16, valid - 4));
      x2 = f32x4.add(x2, loadN(cc + 32, valid - 8)); x3 = f32x4.add(x3, loadN(cc + 48, valid - 12));
    }
    let w = bp + <usize>(col / PANEL) * panelBytes, from = a, to = end;
    for (let pass = 0; pass < 2; pass++) {
      if (pass) {                                  // the second product, if any (as in gemv6)
        if (!a2) break;
        if (bias2) {
          const bc = bias2 + (<usize>col << 2);
          x0 = f32x4.add(loadN(bc, valid), x0); x1 = f32x4.add(loadN(bc + 16, valid - 4), x1);
          x2 = f32x4.add(loadN(bc + 32, valid - 8), x2); x3 = f32x4.add(loadN(bc + 48, valid - 12), x3);
        }
        w = bp2 + <usize>(col / PANEL) * panelBytes2; from = a2; to = end2;
      }
      for (let ap = from; ap < to; ap += 4) {
        const s = v128.load32_splat(ap);
        x0 = madd(v128.load(w), s, x0);
        x1 = madd(v128.load(w, 16), s, x1);
        x2 = madd(v128.load(w, 32), s, x2);
        x3 = madd(v128.load(w, 48), s, x3);
        w += 64;
      }
    }
    storeN(cc, x0, valid); storeN(cc + 16, x1, valid - 4); storeN(cc + 32, x2, valid - 8); storeN(cc + 48, x3, valid - 12);
  }
}

// One row through two products, as a recurrent layer's step of one row needs them:
//   c[N] = bias2 + (bias1 + a1[K1]·W1ᵀ) + a2[K2]·W2ᵀ      W1 packed [N, K1], W2 packed [N, K2]
// The same operations in the same order as gemm(1, …, a1, W1, bias1, c, 0) followed by
// gemm(1, …, a2, W2, bias2, c, 1), so the same bits; but each block of columns stays in registers
// from the first product into the second (LSTM 64→128 step products: 6.5 → 6.3 µs; relaxed 5.7 → 5.5).
export function gemvPair(N: i32, K1: i32, a1: usize, w1: usize, bias1: usize,
                         K2: i32, a2: usize, w2: usize, bias2: usize, c: usize): void {
  gemvRow(N, K1, a1, w1, bias1, c, 0, K2, a2, w2, bias2);
}

// Six column-vectors (24 whole columns) of one row, for gemvRow: the first `first` (4 or 2)
// vectors at w, w + 16, … and the rest at v, v + 16, …; both advance 64 bytes per k.
// cc: C at the first column, col: its index (for the bias). a2 ≠ 0: the second product
// (a2 … end2 against w2, v2, laid out as w, v), after adding bias2.
// @ts-ignore: decorator
@inline function gemv6(a: usize, end: usize, w: usize, v: usize, first: i32, bias: usize, cc: usize, col: i32, accumulate: i32,
                       a2: usize, end2: usize, w2: usize, v2: usize, bias2: usize): void {
  let x0 = start(bias, cc, col, 0, accumulate), x1 = start(bias, cc, col, 4, accumulate);
  let x2 = start(bias, cc, col, 8, accumulate), x3 = start(bias, cc, col, 12, accumulate);
  let x4 = start(bias, cc, col, 16, accumulate), x5 = start(bias, cc, col, 20, accumulate);
  for (let pass = 0; pass < 2; pass++) {
    if (pass) {                                    // the second product, if any
      if (!a2) break;
      a = a2; end = end2; w = w2; v = v2;
      if (bias2) {
        const b = bias2 + (<usize>col << 2);
        x0 = f32x4.add(v128.load(b), x0); x1 = f32x4.add(v128.load(b, 16), x1); x2 = f32x4.add(v128.load(b, 32), x2);
        x3 = f32x4.add(v128.load(b, 48), x3); x4 = f32x4.add(v128.load(b, 64), x4); x5 = f32x4.add(v128.load(b, 80), x5);
      }
    }
    if (first == 4) {
      for (let ap = a; ap < end; ap += 4) {
        const s = v128.load32_splat(ap);
        x0 = madd(v128.load(w), s, x0); x1 = madd(v128.load(w, 16), s, x1);
        x2 = madd(v128.load(w, 32), s, x2); x3 = madd(v128.load(w, 48), s, x3);
        x4 = madd(v128.load(v), s, x4); x5 = madd(v128.load(v, 16), s, x5);
        w += 64; v += 64;
      }
    } else {
      for (let ap = a; ap < end; ap += 4) {
        const s = v128.load32_splat(ap);
        x0 = madd(v128.load(w), s, x0); x1 = madd(v128.load(w, 16), s, x1);
        x2 = madd(v128.load(v), s, x2); x3 = madd(v128.load(v, 16), s, x3);
        x4 = madd(v128.load(v, 32), s, x4); x5 = madd(v128.load(v, 48), s, x5);
        w += 64; v += 64;
      }
    }
  }
  v128.store(cc, x0); v128.store(cc, x1, 16); v128.store(cc, x2, 32);
  v128.store(cc, x3, 48); v128.store(cc, x4, 64); v128.store(cc, x5, 80);
}

// The starting value of four accumulated columns (col + lane … + 3, all within N):
// bias (or 0), plus C when accumulating — in the order the other paths use.
// @ts-ignore: decorator
@inline function start(bias: usize, cc: usize, col: i32, lane: i32, accumulate: i32): v128 {
  let x = bias ? v128.load(bias + (<usize>(col + lane) << 2)) : f32x4.splat(0);
  if (accumulate) x = f32x4.add(x, v128.load(cc + (<usize>lane << 2)));
  return x;
}

// Weight gradient in the packed layout: dW[n, k] += Σ_r dY[r, n] · X[r, k] over R rows.
//   xT: Xᵀ [K, R] row-major (layout.transpose makes it), so each k's column of X is contiguous;
//   dy: [R, N] row stride lddy; dwp: packed like the weight (N, K).
// Per panel, rows go in chunks of WG_ROWS: the chunk's 16 columns of dY are copied once into
// DYP ([rows, 16], zero past N, 16 KB: stays in L1), then every k reads them from there. Read
// in place, dY's rows are lddy apart (2 KB for N = 512): the hardware prefetcher does not follow
// that stride and the rows fall in a few L1 sets, so each k re-read them from L2 at 18 GFLOP/s
// (contiguous: 40). Each dW element still sums r = 0 … R-1 in order from its old value.
// Two k (eight accumulators, one panel's two k-rows) at a time, streaming the chunk's rows.
const WG_ROWS: i32 = 256;
const DYP = memory.data(WG_ROWS * PANEL * 4, 16);

export function gemmWeightGrad(R: i32, N: i32, K: i32, xT: usize, dy: usize, lddy: i32, dwp: usize): void {
  const panelBytes = <usize>K * PANEL * 4;
  const dyStride = <usize>lddy << 2;
  const rowBytes = <usize>R << 2;
  for (let p = 0; p * PANEL < N; p++) {
    const col = p * PANEL;
    const valid = N - col;
    for (let r0 = 0; r0 < R; r0 += WG_ROWS) {
      const rows = min(WG_ROWS, R - r0);
      let src = dy + (<usize>r0 * lddy << 2) + (<usize>col << 2);
      const dend = DYP + (<usize>rows << 6);
      for (let d = DYP; d < dend; d += 64) {
        v128.store(d, loadN(src, valid)); v128.store(d, loadN(src + 16, valid - 4), 16);
        v128.store(d, loadN(src + 32, valid - 8), 32); v128.store(d, loadN(src + 48, valid - 12), 48);
        src += dyStride;
      }
      const xoff = <usize>r0 << 2;
      let k = 0;
      for (; k + 2 <= K; k += 2) {
        const w = dwp + <usize>p * panelBytes + (<usize>k << 6);
        let x0 = v128.load(w), x1 = v128.load(w, 16), x2 = v128.load(w, 32), x3 = v128.load(w, 48);
        let y0 = v128.load(w, 64), y1 = v128.load(w, 80), y2 = v128.load(w, 96), y3 = v128.load(w, 112);
        let xr = xT + <usize>k * rowBytes + xoff;
        for (let d = DYP; d < dend; d += 64) {
          const s0 = v128.load32_splat(xr), s1 = v128.load32_splat(xr + rowBytes);
          const a0 = v128.load(d), a1 = v128.load(d, 16), a2 = v128.load(d, 32), a3 = v128.load(d, 48);
          x0 = madd(a0, s0, x0); y0 = madd(a0, s1, y0);
          x1 = madd(a1, s0, x1); y1 = madd(a1, s1, y1);
          x2 = madd(a2, s0, x2); y2 = madd(a2, s1, y2);
          x3 = madd(a3, s0, x3); y3 = madd(a3, s1, y3);
          xr += 4;
        }
        v128.store(w, x0); v128.store(w, x1, 16); v128.store(w, x2, 32); v128.store(w, x3, 48);
        v128.store(w, y0, 64); v128.store(w, y1, 80); v128.store(w, y2, 96); v128.store(w, y3, 112);
      }
      if (k < K) {
        const w = dwp + <usize>p * panelBytes + (<usize>k << 6);
        let x0 = v128.load(w), x1 = v128.load(w, 16), x2 = v128.load(w, 32), x3 = v128.load(w, 48);
        let xr = xT + <usize>k * rowBytes + xoff;
        for (let d = DYP; d < dend; d += 64) {
          const s0 = v128.load32_splat(xr);
          x0 = madd(v128.load(d), s0, x0);
          x1 = madd(v128.load(d, 16), s0, x1);
          x2 = madd(v128.load(d, 32), s0, x2);
          x3 = madd(v128.load(d, 48), s0, x3);
          xr += 4;
        }
        v128.store(w, x0); v128.store(w, x1, 16); v128.store(w, x2, 32); v128.store(w, x3, 48);
      }
    }
  }
}

// Bias gradient: db[n] += Σ_r dY[r, n] for n < N; dy row stride lddy.
// Row by row (db stays in L1, dY is read in order); each db[n] still sums r = 0 … R-1 in order.
// Column by column instead, every pass strides lddy through all of dY (30× slower at N = 512).
export function addColumnSums(R: i32, N: i32, dy: usize, lddy: i32, db: usize): void {
  const whole = N & ~3;
  const dend = db + (<usize>whole << 2);
  let row = dy;
  for (let r = 0; r < R; r++) {
    let d = db, s = row;
    for (; d < dend; d += 16) { v128.store(d, f32x4.add(v128.load(d), v128.load(s))); s += 16; }
    for (let n = whole; n < N; n++) {
      const o = <usize>n << 2;
      store<f32>(db + o, load<f32>(db + o) + load<f32>(row + o));
    }
    row += <usize>lddy << 2;
  }
}
