// int8 weights: matrix products straight from 8-bit weights (4× smaller than f32, and 4× fewer
// bytes to stream per step, which is what bounds a batch-1 step).
//
// Weights: per-output-row symmetric quantization, w ≈ scale[n] · q[n, k] with q ∈ [-127, 127]
// (src/runtime/pack.ts packQ8 makes it). Layout: panels of 16 output columns as for f32; within a
// panel, for each pair of inputs (k, k+1), 32 values, in one of two forms (pack.ts says which
// matrices get which; bit 0 of the scales pointer marks "wide"). K is padded to even with zeros.
//   wide (small matrices): 16-bit values, outputs 0–3, 4–7, 8–11, 12–15, each as the two values
//     (q[n, k], q[n, k+1]): each 16 bytes is a dot product's operand as it is.
//   bytes (the rest): two 16-byte vectors, outputs 0–7 then 8–15. In each, 16-bit lane 2i + p
//     (p = 0 for k, 1 for k+1) holds output i in its high byte (q, signed) and output 4 + i in its
//     low byte (q + 128, unsigned). The high bytes are the vector shifted right by 8 (one
//     i16x8.shr_s); the vector as it is gives 256·high + low, so the low outputs' sums come from
//     both products: Σ low·x = Σ vector·x − 256·Σ high·x − 128·Σ x. Five vector operations per
//     16 multiply-adds where widening each 8 bytes took six (measured 15–20 % faster).
//
// Activations: each row of x is quantized on the fly to int16 with its own scale,
// x ≈ sx · xq (|xq| ≤ 32767), so x keeps 15 bits — the recurrent state stays f32 everywhere else.
// Products: i32x4.dot_i16x8_s against (xq[k], xq[k+1]) splat, summed in i32 for at most 128 input
// pairs (|sum| < 2³¹ guaranteed; the byte form's vector sums may wrap, but what is left after
// the corrections is that same bounded sum, exact in wrapping arithmetic), then in f32.

import { loadN, storeN } from './vec';

const PANEL: i32 = 16;
const MAX_K: i32 = 16384;                         // the host checks K ≤ MAX_K
const XQ_ROW: i32 = MAX_K * 2 + 16;               // bytes per quantized row in XQ
const XQ = memory.data(2 * XQ_ROW, 16);           // two quantized activation rows (int16)
const FLUSH_PAIRS: i32 = 128;                     // 128 · 2 · 127 · 32767 < 2³¹
const CHUNKS: i32 = MAX_K / (2 * FLUSH_PAIRS);    // chunks of pairs a row can have
const XS = memory.data(2 * CHUNKS * 4, 16);       // per row, Σ xq over each chunk (i32)

// Quantizes x[K] into q (zero-padded to even K); returns the scale sx. With sums ≠ 0, also
// writes Σ q over each chunk of FLUSH_PAIRS pairs there (i32), for the byte form's correction.
function quantizeRow(x: usize, K: i32, q: usize, sums: usize): f32 {
  let m = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4) m = f32x4.pmax(m, f32x4.abs(v128.load(x + (<usize>k << 2))));
  let top = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; k < K; k++) top = max(top, abs(load<f32>(x + (<usize>k << 2))));
  if (!(top > 0) || !isFinite(top)) top = 1;   // zeros; NaN/Inf inputs give garbage, as in f32
  const inv = f32x4.splat(<f32>32767 / top);
  k = 0;
  for (; k + 8 <= K; k += 8) {
    const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + (<usize>k << 2)), inv)));
    const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + (<usize>k << 2), 16), inv)));
    v128.store(q + (<usize>k << 1), i16x8.narrow_i32x4_s(a, b));
  }
  const s = <f32>32767 / top;
  for (; k < K; k++) store<i16>(q + (<usize>k << 1), <i16>nearest(load<f32>(x + (<usize>k << 2)) * s));
  store<i16>(q + (<usize>K << 1), 0);             // the pad input of an odd K
  if (sums) {
    for (let k0 = 0; k0 < K; k0 += 2 * FLUSH_PAIRS) {
      const k1 = min(K, k0 + 2 * FLUSH_PAIRS);
      let acc = i32x4.splat(0);
      let k = k0;
      for (; k + 8 <= k1; k += 8) acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(v128.load(q + (<usize>k << 1))));
      let sum = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
      for (; k < k1; k++) sum += <i32>load<i16>(q + (<usize>k << 1));
      store<i32>(sums + (<usize>(k0 / (2 * FLUSH_PAIRS)) << 2), sum);
    }
  }
  return top / <f32>32767;
}

// The byte form's correction, for a chunk with Σ xq = sum: the low outputs' sums from the
// vector's (raw) and the high outputs' (high) — raw − 256·high − 128·sum, in wrapping i32.
// @ts-ignore: decorator
@inline function lowSums(raw: v128, high: v128, sum: i32): v128 {
  return i32x4.sub(i32x4.sub(raw, i32x4.shl(high, 8)), i32x4.splat(sum << 7));
}

// C[M, N] = (accumulate ? C : 0) + bias + A[M, K] · (scale ⊙ Q)ᵀ, as gemm in assembly/gemm.ts.
//   a: row stride lda; wq: int8 packed; scales: [N] f32, bit 0 set if wq is wide (16-bit values);
//   bias: [N] or 0; c: row stride ldc.
// Rows go two at a time, sharing each load (and shift) of the weights (twoRows); a last odd
// row alone, three panels per two passes of six accumulators when K ≤ 256 (oneRow6: a loop exit
// and an epilogue per 24 columns instead of per 16; LSTM 64→128 int8 step 4.55 → 4.10 µs), else
// panel by panel (oneRow). Each row's sums are exact integers over the same chunks of pairs in
// every path, then the same f32 operations: a row gives the same bits however it is blocked.
export function gemmQ8(M: i32, N: i32, K: i32, a: usize, lda: i32, wq: usize, scales: usize, bias: usize,
                       c: usize, ldc: i32, accumulate: i32): void {
  const wide = <i32>(scales & 1);
  scales &= ~(<usize>1);
  const pairs = (K + 1) >> 1;
  const panelBytes = <usize>pairs << (wide ? 6 : 5);
  let m = 0;
  for (; m + 2 <= M; m += 2) {
    const sx = quantizeRow(a + (<usize>m * lda << 2), K, XQ, wide ? 0 : XS);
    const sy = quantizeRow(a + (<usize>(m + 1) * lda << 2), K, XQ + XQ_ROW, wide ? 0 : XS + CHUNKS * 4);
    const crow = c + (<usize>m * ldc << 2);
    twoRows(N, pairs, wq, panelBytes, wide, sx, sy, scales, bias, crow, crow + (<usize>ldc << 2), accumulate);
  }
  if (m < M) {
    const sx = quantizeRow(a + (<usize>m * lda << 2), K, XQ, wide ? 0 : XS);
    let col = 0;
    if (pairs <= FLUSH_PAIRS) {                    // one i32 chunk: three panels in two passes
      for (; col + 3 * PANEL <= N; col += 3 * PANEL) {
        oneRow6(pairs, wq + <usize>(col / PANEL) * panelBytes, panelBytes, wide, sx, scales, bias, col,
                c + (<usize>m * ldc << 2), accumulate);
      }
    }
    oneRow(N, col, pairs, wq, panelBytes, wide, sx, scales, bias, c + (<usize>m * ldc << 2), accumulate);
  }
}

// Two rows, quantized in XQ (scale sx) and XQ + XQ_ROW (sy), into C rows crow and drow.
function twoRows(N: i32, pairs: i32, wq: usize, panelBytes: usize, wide: i32, sx: f32, sy: f32,
                 scales: usize, bias: usize, crow: usize, drow: usize, accumulate: i32): void {
  for (let col = 0; col < N; col += PANEL) {
    let w = wq + <usize>(col / PANEL) * panelBytes;
    let f0 = f32x4.splat(0), f1 = f0, f2 = f0, f3 = f0;   // the first row
    let g0 = f0, g1 = f0, g2 = f0, g3 = f0;                // the second
    for (let p0 = 0; p0 < pairs; p0 += FLUSH_PAIRS) {
      const p1 = min(pairs, p0 + FLUSH_PAIRS);
      let i0 = i32x4.splat(0), i1 = i0, i2 = i0, i3 = i0;
      let j0 = i0, j1 = i0, j2 = i0, j3 = i0;
      const xend = XQ + (<usize>p1 << 2);
      if (wide) {
        for (let xp = XQ + (<usize>p0 << 2); xp < xend; xp += 4) {
          const s = v128.load32_splat(xp), t = v128.load32_splat(xp, XQ_ROW);
          const b0 = v128.load(w), b1 = v128.load(w, 16), b2 = v128.load(w, 32), b3 = v128.load(w, 48);
          i0 = i32x4.add(i0, i32x4.dot_i16x8_s(b0, s)); j0 = i32x4.add(j0, i32x4.dot_i16x8_s(b0, t));
          i1 = i32x4.add(i1, i32x4.dot_i16x8_s(b1, s)); j1 = i32x4.add(j1, i32x4.dot_i16x8_s(b1, t));
          i2 = i32x4.add(i2, i32x4.dot_i16x8_s(b2, s)); j2 = i32x4.add(j2, i32x4.dot_i16x8_s(b2, t));
          i3 = i32x4.add(i3, i32x4.dot_i16x8_s(b3, s)); j3 = i32x4.add(j3, i32x4.dot_i16x8_s(b3, t));
          w += 64;
        }
      } else {
        for (let xp = XQ + (<usize>p0 << 2); xp < xend; xp += 4) {
          const s = v128.load32_splat(xp), t = v128.load32_splat(xp, XQ_ROW);
          const v0 = v128.load(w), v1 = v128.load(w, 16);
          const h0 = i16x8.shr_s(v0, 8), h1 = i16x8.shr_s(v1, 8);
          i0 = i32x4.add(i0, i32x4.dot_i16x8_s(h0, s)); j0 = i32x4.add(j0, i32x4.dot_i16x8_s(h0, t));
          i1 = i32x4.add(i1, i32x4.dot_i16x8_s(v0, s)); j1 = i32x4.add(j1, i32x4.dot_i16x8_s(v0, t));
          i2 = i32x4.add(i2, i32x4.dot_i16x8_s(h1, s)); j2 = i32x4.add(j2, i32x4.dot_i16x8_s(h1, t));
          i3 = i32x4.add(i3, i32x4.dot_i16x8_s(v1, s)); j3 = i32x4.add(j3, i32x4.dot_i16x8_s(v1, t));
          w += 32;
        }
        const chunk = XS + (<usize>(p0 / FLUSH_PAIRS) << 2);
        const sum0 = load<i32>(chunk), sum1 = load<i32>(chunk, CHUNKS * 4);   // Σ xq of each row
        i1 = lowSums(i1, i0, sum0); i3 = lowSums(i3, i2, sum0);
        j1 = lowSums(j1, j0, sum1); j3 = lowSums(j3, j2, sum1);
      }
      f0 = f32x4.add(f0, f32x4.convert_i32x4_s(i0)); f1 = f32x4.add(f1, f32x4.convert_i32x4_s(i1));
      f2 = f32x4.add(f2, f32x4.convert_i32x4_s(i2)); f3 = f32x4.add(f3, f32x4.convert_i32x4_s(i3));
      g0 = f32x4.add(g0, f32x4.convert_i32x4_s(j0)); g1 = f32x4.add(g1, f32x4.convert_i32x4_s(j1));
      g2 = f32x4.add(g2, f32x4.convert_i32x4_s(j2)); g3 = f32x4.add(g3, f32x4.convert_i32x4_s(j3));
    }
    finishPanel(f0, f1, f2, f3, sx, scales, bias, col, N - col, crow + (<usize>col << 2), accumulate);
    finishPanel(g0, g1, g2, g3, sy, scales, bias, col, N - col, drow + (<usize>col << 2), accumulate);
  }
}

// One row, quantized in XQ (scale sx), into C row crow.
function oneRow(N: i32, col0: i32, pairs: i32, wq: usize, panelBytes: usize, wide: i32, sx: f32,
                scales: usize, bias: usize, crow: usize, accumulate: i32): void {
  for (let col = col0; col < N; col += PANEL) {
    let w = wq + <usize>(col / PANEL) * panelBytes;
    let f0 = f32x4.splat(0), f1 = f0, f2 = f0, f3 = f0;
    for (let p0 = 0; p0 < pairs; p0 += FLUSH_PAIRS) {
      const p1 = min(pairs, p0 + FLUSH_PAIRS);
      let i0 = i32x4.splat(0), i1 = i0, i2 = i0, i3 = i0;
      const xend = XQ + (<usize>p1 << 2);
      if (wide) {                                  // 16-bit values: plain loads
        for (let xp = XQ + (<usize>p0 << 2); xp < xend; xp += 4) {
          const s = v128.load32_splat(xp);
          i0 = i32x4.add(i0, i32x4.dot_i16x8_s(v128.load(w), s));
          i1 = i32x4.add(i1, i32x4.dot_i16x8_s(v128.load(w, 16), s));
          i2 = i32x4.add(i2, i32x4.dot_i16x8_s(v128.load(w, 32), s));
          i3 = i32x4.add(i3, i32x4.dot_i16x8_s(v128.load(w, 48), s));
          w += 64;
        }
      } else {
        for (let xp = XQ + (<usize>p0 << 2); xp < xend; xp += 4) {   // pointers bumped, as in gemm
          const s = v128.load32_splat(xp);
          const v0 = v128.load(w), v1 = v128.load(w, 16);
          i0 = i32x4.add(i0, i32x4.dot_i16x8_s(i16x8.shr_s(v0, 8), s));
          i1 = i32x4.add(i1, i32x4.dot_i16x8_s(v0, s));
          i2 = i32x4.add(i2, i32x4.dot_i16x8_s(i16x8.shr_s(v1, 8), s));
          i3 = i32x4.add(i3, i32x4.dot_i16x8_s(v1, s));
          w += 32;
        }
        const sum = load<i32>(XS + (<usize>(p0 / FLUSH_PAIRS) << 2));
        i1 = lowSums(i1, i0, sum); i3 = lowSums(i3, i2, sum);
      }
      f0 = f32x4.add(f0, f32x4.convert_i32x4_s(i0)); f1 = f32x4.add(f1, f32x4.convert_i32x4_s(i1));
      f2 = f32x4.add(f2, f32x4.convert_i32x4_s(i2)); f3 = f32x4.add(f3, f32x4.convert_i32x4_s(i3));
    }
    finishPanel(f0, f1, f2, f3, sx, scales, bias, col, N - col, crow + (<usize>col << 2), accumulate);
  }
}

// One row, three whole panels (48 columns from col, weights at w) as two passes of six vectors,
// for K ≤ 2·FLUSH_PAIRS: fewer loop exits and epilogues per column than a panel at a time.
function oneRow6(pairs: i32, w: usize, panelBytes: usize, wide: i32, sx: f32,
                 scales: usize, bias: usize, col: i32, crow: usize, accumulate: i32): void {
  const xend = XQ + (<usize>pairs << 2);
  for (let pass = 0; pass < 2; pass++) {
    // wide, pass 0: panel 0's four vectors, panel 1's first two; pass 1: panel 1's last two,
    // panel 2's four (the byte form: the same columns in half the vectors)
    let u = w + (pass ? panelBytes + (wide ? 32 : 16) : 0);
    let v = w + (pass ? 2 * panelBytes : panelBytes);
    let i0 = i32x4.splat(0), i1 = i0, i2 = i0, i3 = i0, i4 = i0, i5 = i0;
    if (wide) {
      if (pass == 0) {
        for (let xp = XQ; xp < xend; xp += 4) {
          const s = v128.load32_splat(xp);
          i0 = i32x4.add(i0, i32x4.dot_i16x8_s(v128.load(u), s)); i1 = i32x4.add(i1, i32x4.dot_i16x8_s(v128.load(u, 16), s));
          i2 = i32x4.add(i2, i32x4.dot_i16x8_s(v128.load(u, 32), s)); i3 = i32x4.add(i3, i32x4.dot_i16x8_s(v128.load(u, 48), s));
          i4 = i32x4.add(i4, i32x4.dot_i16x8_s(v128.load(v), s)); i5 = i32x4.add(i5, i32x4.dot_i16x8_s(v128.load(v, 16), s));
          u += 64; v += 64;
        }
      } else {
        for (let xp = XQ; xp < xend; xp += 4) {
          const s = v128.load32_splat(xp);
          i0 = i32x4.add(i0, i32x4.dot_i16x8_s(v128.load(u), s)); i1 = i32x4.add(i1, i32x4.dot_i16x8_s(v128.load(u, 16), s));
          i2 = i32x4.add(i2, i32x4.dot_i16x8_s(v128.load(v), s)); i3 = i32x4.add(i3, i32x4.dot_i16x8_s(v128.load(v, 16), s));
          i4 = i32x4.add(i4, i32x4.dot_i16x8_s(v128.load(v, 32), s)); i5 = i32x4.add(i5, i32x4.dot_i16x8_s(v128.load(v, 48), s));
          u += 64; v += 64;
        }
      }
    } else {
      // three byte-form vectors: pass 0 reads panel 0's two and panel 1's first, pass 1 the rest
      if (pass == 0) {
        for (let xp = XQ; xp < xend; xp += 4) {
          const s = v128.load32_splat(xp);
          const v0 = v128.load(u), v1 = v128.load(u, 16), v2 = v128.load(v);
          i0 = i32x4.add(i0, i32x4.dot_i16x8_s(i16x8.shr_s(v0, 8), s)); i1 = i32x4.add(i1, i32x4.dot_i16x8_s(v0, s));
          i2 = i32x4.add(i2, i32x4.dot_i16x8_s(i16x8.shr_s(v1, 8), s)); i3 = i32x4.add(i3, i32x4.dot_i16x8_s(v1, s));
          i4 = i32x4.add(i4, i32x4.dot_i16x8_s(i16x8.shr_s(v2, 8), s)); i5 = i32x4.add(i5, i32x4.dot_i16x8_s(v2, s));
          u += 32; v += 32;
        }
      } else {
        for (let xp = XQ; xp < xend; xp += 4) {
          const s = v128.load32_splat(xp);
          const v0 = v128.load(u), v1 = v128.load(v), v2 = v128.load(v, 16);
          i0 = i32x4.add(i0, i32x4.dot_i16x8_s(i16x8.shr_s(v0, 8), s)); i1 = i32x4.add(i1, i32x4.dot_i16x8_s(v0, s));
          i2 = i32x4.add(i2, i32x4.dot_i16x8_s(i16x8.shr_s(v1, 8), s)); i3 = i32x4.add(i3, i32x4.dot_i16x8_s(v1, s));
          i4 = i32x4.add(i4, i32x4.dot_i16x8_s(i16x8.shr_s(v2, 8), s)); i5 = i32x4.add(i5, i32x4.dot_i16x8_s(v2, s));
          u += 32; v += 32;
        }
      }
      const sum = load<i32>(XS);                   // one chunk
      i1 = lowSums(i1, i0, sum); i3 = lowSums(i3, i2, sum); i5 = lowSums(i5, i4, sum);
    }
    const c = col + pass * 24;
    finish6(f32x4.convert_i32x4_s(i0), f32x4.convert_i32x4_s(i1), f32x4.convert_i32x4_s(i2),
            f32x4.convert_i32x4_s(i3), f32x4.convert_i32x4_s(i4), f32x4.convert_i32x4_s(i5),
            sx, scales, bias, c, crow + (<usize>c << 2), accumulate);
  }
}

// Six whole vectors (24 columns) of one row from their f32 sums, as finishPanel.
function finish6(f0: v128, f1: v128, f2: v128, f3: v128, f4: v128, f5: v128, sx: f32,
                 scales: usize, bias: usize, col: i32, cc: usize, accumulate: i32): void {
  const sc = scales + (<usize>col << 2);
  const vsx = f32x4.splat(sx);
  let y0 = f32x4.mul(f0, f32x4.mul(v128.load(sc), vsx)), y1 = f32x4.mul(f1, f32x4.mul(v128.load(sc, 16), vsx));
  let y2 = f32x4.mul(f2, f32x4.mul(v128.load(sc, 32), vsx)), y3 = f32x4.mul(f3, f32x4.mul(v128.load(sc, 48), vsx));
  let y4 = f32x4.mul(f4, f32x4.mul(v128.load(sc, 64), vsx)), y5 = f32x4.mul(f5, f32x4.mul(v128.load(sc, 80), vsx));
  if (bias) {
    const bc = bias + (<usize>col << 2);
    y0 = f32x4.add(y0, v128.load(bc)); y1 = f32x4.add(y1, v128.load(bc, 16)); y2 = f32x4.add(y2, v128.load(bc, 32));
    y3 = f32x4.add(y3, v128.load(bc, 48)); y4 = f32x4.add(y4, v128.load(bc, 64)); y5 = f32x4.add(y5, v128.load(bc, 80));
  }
  if (accumulate) {
    y0 = f32x4.add(y0, v128.load(cc)); y1 = f32x4.add(y1, v128.load(cc, 16)); y2 = f32x4.add(y2, v128.load(cc, 32));
    y3 = f32x4.add(y3, v128.load(cc, 48)); y4 = f32x4.add(y4, v128.load(cc, 64)); y5 = f32x4.add(y5, v128.load(cc, 80));
  }
  v128.store(cc, y0); v128.store(cc, y1, 16); v128.store(cc, y2, 32);
  v128.store(cc, y3, 48); v128.store(cc, y4, 64); v128.store(cc, y5, 80);
}

// One row's 16 columns from their f32 sums: C = sums · (scale · sx) + bias (+ C), `valid` of them.
// A call, not inlined: once per panel, and three inlined copies of its ragged-edge code cost 4 kB.
function finishPanel(f0: v128, f1: v128, f2: v128, f3: v128, sx: f32, scales: usize, bias: usize,
                     col: i32, valid: i32, cc: usize, accumulate: i32): void {
  const sc = scales + (<usize>col << 2);
  const vsx = f32x4.splat(sx);
  let y0 = f32x4.mul(f0, f32x4.mul(loadN(sc, valid), vsx));
  let y1 = f32x4.mul(f1, f32x4.mul(loadN(sc + 16, valid - 4), vsx));
  let y2 = f32x4.mul(f2, f32x4.mul(loadN(sc + 32, valid - 8), vsx));
  let y3 = f32x4.mul(f3, f32x4.mul(loadN(sc + 48, valid - 12), vsx));
  if (bias) {
    const bc = bias + (<usize>col << 2);
    y0 = f32x4.add(y0, loadN(bc, valid)); y1 = f32x4.add(y1, loadN(bc + 16, valid - 4));
    y2 = f32x4.add(y2, loadN(bc + 32, valid - 8)); y3 = f32x4.add(y3, loadN(bc + 48, valid - 12));
  }
  if (accumulate) {
    y0 = f32x4.add(y0, loadN(cc, valid)); y1 = f32x4.add(y1, loadN(cc + 16, valid - 4));
    y2 = f32x4.add(y2, loadN(cc + 32, valid - 8)); y3 = f32x4.add(y3, loadN(cc + 48, valid - 12));
  }
  storeN(cc, y0, valid); storeN(cc + 16, y1, valid - 4); storeN(cc + 32, y2, valid - 8); storeN(cc + 48, y3, valid - 12);
}
