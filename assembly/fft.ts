// The real DFT of windowed frames: an STFT that a model spells as a strided Conv over one channel
// with a windowed Fourier basis as its weight (Silero VAD's), computed by FFT instead of as a
// matrix product (N/2·log₂N butterflies a frame instead of (N + 2)·N multiply-adds).
//
//   y[k, t]     =  Σ_n w[n]·x[t·stride + n − padBegin]·cos(2πkn/N)     k = 0 … N/2
//   y[F + k, t] = −Σ_n w[n]·x[t·stride + n − padBegin]·sin(2πkn/N)     F = N/2 + 1
//   (x [L] f32, 0 outside; w [N] f32; y [2F, Lo] f32; imSign −1 gives +sin rows instead)
//
// In double precision throughout (each w·x product is exact in f64) and rounded to f32 once, so
// the result is within an ulp or so of the exact DFT, closer than any float32 sum of N products.
// Two frames run side by side in the two f64 lanes of a vector: frame t in lane 0, t + 1 in lane 1.
//
// The N-point real DFT is an H = N/2-point complex FFT of z[j] = v[2j] + i·v[2j+1] (v = w·x):
//   Z = FFT(z) (radix 2, decimation in time, z loaded in bit-reversed order), then for k ≤ H
//   E = (Z[k] + conj Z[H−k]) / 2, O = (Z[k] − conj Z[H−k]) / 2i, X[k] = E + e^{−2πik/N}·O.
//
// Tables the host builds once (src/graph/ops/stft.ts): tw [N/2] pairs of f64 (cos 2πj/N,
// sin 2πj/N); rev [H] i32, the bit reversal of j over log₂H bits. work: H·32 bytes of scratch.
//
// reflect ≠ 0: x is reflected at its ends instead of 0 outside (as Pad's mode reflect, one
// bounce: padBegin and the frames' reach past L each less than L).
// magnitude ≠ 0: y [F, Lo] ← |X| instead, as Pow(re, 2) + Pow(im, 2) then Sqrt take it from the
// rounded parts: sqrt(f32(re)² + f32(im)²), each step in float32 (the same bits).
export function stftReal(x: usize, L: i32, N: i32, stride: i32, padBegin: i32, Lo: i32, w: usize,
                         tw: usize, rev: usize, imSign: f64, work: usize, y: usize, magnitude: i32, reflect: i32): void {
  const H = N >> 1, F = H + 1;
  const half = f64x2.splat(0.5);
  for (let t = 0; t < Lo; t += 2) {
    const pair = t + 1 < Lo;
    // z[rev[j]] = (v[2j], v[2j+1]) for frames t and t + 1
    const s0 = t * stride - padBegin, s1 = pair ? s0 + stride : s0;
    if (s0 >= 0 && s1 + N <= L) {
      // Both frames inside x: (x[s0 + n], x[s1 + n]) as one f64x2, the same products.
      const a0 = x + (<usize>s0 << 2), a1 = x + (<usize>s1 << 2);
      for (let j = 0; j < H; j++) {
        const o = <usize>j << 3;
        const w0 = f64x2.splat(<f64>load<f32>(w + o)), w1 = f64x2.splat(<f64>load<f32>(w + o, 4));
        const xs = f64x2.promote_low_f32x4(v128.load32_lane(a1 + o, v128.load32_zero(a0 + o), 1));
        const ys = f64x2.promote_low_f32x4(v128.load32_lane(a1 + o + 4, v128.load32_zero(a0 + o + 4), 1));
        const at = work + (<usize>load<i32>(rev + (<usize>j << 2)) << 5);
        v128.store(at, f64x2.mul(w0, xs));
        v128.store(at, f64x2.mul(w1, ys), 16);
      }
    } else for (let j = 0; j < H; j++) {
      const n = j << 1;
      const w0 = <f64>load<f32>(w + (<usize>n << 2)), w1 = <f64>load<f32>(w + (<usize>(n + 1) << 2));
      const re = f64x2.replace_lane(f64x2.splat(w0 * sample(x, L, s0 + n, reflect)), 1, w0 * sample(x, L, s1 + n, reflect));
      const im = f64x2.replace_lane(f64x2.splat(w1 * sample(x, L, s0 + n + 1, reflect)), 1, w1 * sample(x, L, s1 + n + 1, reflect));
      const at = work + (<usize>load<i32>(rev + (<usize>j << 2)) << 5);
      v128.store(at, re);
      v128.store(at, im, 16);
    }
    // butterflies: blocks of len, twiddle e^{−2πij/len} = tw[j·N/len]
    for (let len = 2; len <= H; len <<= 1) {
      const halfLen = len >> 1, step = N / len;
      for (let j = 0; j < halfLen; j++) {
        const tp = tw + (<usize>(j * step) << 4);
        const c = f64x2.splat(load<f64>(tp)), s = f64x2.splat(load<f64>(tp, 8));
        for (let i = j; i < H; i += len) {
          const a = work + (<usize>i << 5), b = work + (<usize>(i + halfLen) << 5);
          const br = v128.load(b), bi = v128.load(b, 16);
          // b·e^{−iθ} = (br·c + bi·s) + i(bi·c − br·s)
          const pr = f64x2.add(f64x2.mul(br, c), f64x2.mul(bi, s));
          const pi = f64x2.sub(f64x2.mul(bi, c), f64x2.mul(br, s));
          const ar = v128.load(a), ai = v128.load(a, 16);
          v128.store(a, f64x2.add(ar, pr)); v128.store(a, f64x2.add(ai, pi), 16);
          v128.store(b, f64x2.sub(ar, pr)); v128.store(b, f64x2.sub(ai, pi), 16);
        }
      }
    }
    // split into the N-point spectrum, k = 0 … H
    const z0r = v128.load(work), z0i = v128.load(work, 16), zero = f64x2.splat(0);
    if (magnitude) {
      putMagnitude(y, Lo, 0, t, pair, f64x2.add(z0r, z0i), zero);
      putMagnitude(y, Lo, H, t, pair, f64x2.sub(z0r, z0i), zero);
      for (let k = 1; k < H; k++) {
        const a = work + (<usize>k << 5), b = work + (<usize>(H - k) << 5);
        const ar = v128.load(a), ai = v128.load(a, 16), br = v128.load(b), bi = v128.load(b, 16);
        const er = f64x2.mul(f64x2.add(ar, br), half), ei = f64x2.mul(f64x2.sub(ai, bi), half);
        const or = f64x2.mul(f64x2.add(ai, bi), half), oi = f64x2.mul(f64x2.sub(br, ar), half);
        const tp = tw + (<usize>k << 4);
        const c = f64x2.splat(load<f64>(tp)), s = f64x2.splat(load<f64>(tp, 8));
        putMagnitude(y, Lo, k, t, pair, f64x2.add(er, f64x2.add(f64x2.mul(c, or), f64x2.mul(s, oi))),
          f64x2.add(ei, f64x2.sub(f64x2.mul(c, oi), f64x2.mul(s, or))));
      }
      continue;
    }
    put(y, Lo, 0, t, pair, f64x2.add(z0r, z0i));
    put(y, Lo, F, t, pair, zero);
    put(y, Lo, H, t, pair, f64x2.sub(z0r, z0i));
    put(y, Lo, F + H, t, pair, zero);
    const sign = f64x2.splat(imSign);
    for (let k = 1; k < H; k++) {
      const a = work + (<usize>k << 5), b = work + (<usize>(H - k) << 5);
      const ar = v128.load(a), ai = v128.load(a, 16), br = v128.load(b), bi = v128.load(b, 16);
      const er = f64x2.mul(f64x2.add(ar, br), half), ei = f64x2.mul(f64x2.sub(ai, bi), half);
      const or = f64x2.mul(f64x2.add(ai, bi), half), oi = f64x2.mul(f64x2.sub(br, ar), half);
      const tp = tw + (<usize>k << 4);
      const c = f64x2.splat(load<f64>(tp)), s = f64x2.splat(load<f64>(tp, 8));
      // X = E + (c − i·s)·O
      put(y, Lo, k, t, pair, f64x2.add(er, f64x2.add(f64x2.mul(c, or), f64x2.mul(s, oi))));
      put(y, Lo, F + k, t, pair, f64x2.mul(sign, f64x2.add(ei, f64x2.sub(f64x2.mul(c, oi), f64x2.mul(s, or)))));
    }
  }
}

// x[p] as f64, 0 outside [0, L) (or, reflect ≠ 0, x reflected there: x[−p], x[2L − 2 − p]).
// @ts-ignore: decorator
@inline function sample(x: usize, L: i32, p: i32, reflect: i32): f64 {
  if (p >= 0 && p < L) return <f64>load<f32>(x + (<usize>p << 2));
  if (!reflect) return 0;
  const q: i32 = p < 0 ? -p : 2 * L - 2 - p;
  return <f64>load<f32>(x + (<usize>q << 2));
}

// y[row, t] (and y[row, t + 1] for a pair) ← the two lanes of v, rounded to f32.
// @ts-ignore: decorator
@inline function put(y: usize, Lo: i32, row: i32, t: i32, pair: bool, v: v128): void {
  const at = y + (<usize>(row * Lo + t) << 2);
  store<f32>(at, <f32>f64x2.extract_lane(v, 0));
  if (pair) store<f32>(at, <f32>f64x2.extract_lane(v, 1), 4);
}

// y[row, t] (and y[row, t + 1]) ← sqrt(re² + im²) of the two lanes, each part rounded to f32 first
// (both lanes at once in f32x4: the same float32 operations).
// @ts-ignore: decorator
@inline function putMagnitude(y: usize, Lo: i32, row: i32, t: i32, pair: bool, re: v128, im: v128): void {
  const at = y + (<usize>(row * Lo + t) << 2);
  const r = f32x4.demote_f64x2_zero(re), i = f32x4.demote_f64x2_zero(im);
  const m = f32x4.sqrt(f32x4.add(f32x4.mul(r, r), f32x4.mul(i, i)));
  if (pair) v128.store64_lane(at, m, 0);
  else v128.store32_lane(at, m, 0);
}

// stftReal in single precision: the same transform, four frames side by side in the four f32
// lanes of a vector (frame t + f in lane f), so a butterfly takes half the vector operations of
// the f64 path's two. Each w·x product, butterfly and split step rounds to f32 (twiddles are the
// f64 table's values rounded to f32), so a bin lands within a few float32 ulps of the frame's
// largest bins rather than of itself: a model that follows the last bits of small bins (Silero
// legacy's log(1 + 2^20·|X|)) wants stftReal instead. Tables and work as stftReal's; xp: scratch of
// 4·N floats, a frame's N for each that reaches past x (0 or reflected there).
export function stftReal32(x: usize, L: i32, N: i32, stride: i32, padBegin: i32, Lo: i32, w: usize,
                           tw: usize, rev: usize, imSign: f32, work: usize, y: usize, magnitude: i32, reflect: i32, xp: usize): void {
  const H = N >> 1, F = H + 1;
  const half = f32x4.splat(0.5);
  for (let t = 0; t < Lo; t += 4) {
    const G = min(4, Lo - t);
    // each frame read in place, or (reaching past x) from its own N floats of xp, filled
    const b0 = frameAt(x, L, N, t * stride - padBegin, reflect, xp);
    const b1 = G > 1 ? frameAt(x, L, N, (t + 1) * stride - padBegin, reflect, xp + (<usize>N << 2)) : b0;
    const b2 = G > 2 ? frameAt(x, L, N, (t + 2) * stride - padBegin, reflect, xp + (<usize>N << 3)) : b0;
    const b3 = G > 3 ? frameAt(x, L, N, (t + 3) * stride - padBegin, reflect, xp + (<usize>(3 * N) << 2)) : b0;
    // z[j] = (v[2j], v[2j+1]) of the four frames: (x[n], x[n+1]) pairs of frames 0, 1 and 2, 3
    // as 64-bit lanes (pairs()), windowed, then the even and odd lanes apart. Loaded in bit-reversed
    // order, the first two stages of butterflies on the way (a 4-point DFT of z[j + q·H/4], q = 0 … 3,
    // to positions rev[j] … rev[j] + 3; its twiddles are 1 and −i) when H ≥ 4.
    let first = 2;
    if (H >= 4) {
      const Q = H >> 2, q = <usize>Q << 3;
      for (let j = 0; j < Q; j++) {
        const o = <usize>j << 3;
        let A = pairs(b0, b1, w, o), B = pairs(b2, b3, w, o);
        const z0r = i32x4.shuffle(A, B, 0, 2, 4, 6), z0i = i32x4.shuffle(A, B, 1, 3, 5, 7);
        A = pairs(b0, b1, w, o + q); B = pairs(b2, b3, w, o + q);
        const z1r = i32x4.shuffle(A, B, 0, 2, 4, 6), z1i = i32x4.shuffle(A, B, 1, 3, 5, 7);
        A = pairs(b0, b1, w, o + 2 * q); B = pairs(b2, b3, w, o + 2 * q);
        const z2r = i32x4.shuffle(A, B, 0, 2, 4, 6), z2i = i32x4.shuffle(A, B, 1, 3, 5, 7);
        A = pairs(b0, b1, w, o + 3 * q); B = pairs(b2, b3, w, o + 3 * q);
        const z3r = i32x4.shuffle(A, B, 0, 2, 4, 6), z3i = i32x4.shuffle(A, B, 1, 3, 5, 7);
        const a0r = f32x4.add(z0r, z2r), a0i = f32x4.add(z0i, z2i), a1r = f32x4.sub(z0r, z2r), a1i = f32x4.sub(z0i, z2i);
        const c0r = f32x4.add(z1r, z3r), c0i = f32x4.add(z1i, z3i), c1r = f32x4.sub(z1r, z3r), c1i = f32x4.sub(z1i, z3i);
        const at = work + (<usize>load<i32>(rev + (<usize>j << 2)) << 5);
        v128.store(at, f32x4.add(a0r, c0r)); v128.store(at, f32x4.add(a0i, c0i), 16);
        v128.store(at, f32x4.add(a1r, c1i), 32); v128.store(at, f32x4.sub(a1i, c1r), 48);
        v128.store(at, f32x4.sub(a0r, c0r), 64); v128.store(at, f32x4.sub(a0i, c0i), 80);
        v128.store(at, f32x4.sub(a1r, c1i), 96); v128.store(at, f32x4.add(a1i, c1r), 112);
      }
      first = 8;
    } else for (let j = 0; j < H; j++) {
      const o = <usize>j << 3;
      const A = pairs(b0, b1, w, o), B = pairs(b2, b3, w, o);
      const at = work + (<usize>load<i32>(rev + (<usize>j << 2)) << 5);
      v128.store(at, i32x4.shuffle(A, B, 0, 2, 4, 6));
      v128.store(at, i32x4.shuffle(A, B, 1, 3, 5, 7), 16);
    }
    // butterflies: blocks of len, twiddle e^{−2πij/len} = tw[j·N/len]; j = 0's is 1
    for (let len = first; len <= H; len <<= 1) {
      const halfLen = len >> 1, step = N / len;
      for (let i = 0; i < H; i += len) {
        const a = work + (<usize>i << 5), b = work + (<usize>(i + halfLen) << 5);
        const ar = v128.load(a), ai = v128.load(a, 16), br = v128.load(b), bi = v128.load(b, 16);
        v128.store(a, f32x4.add(ar, br)); v128.store(a, f32x4.add(ai, bi), 16);
        v128.store(b, f32x4.sub(ar, br)); v128.store(b, f32x4.sub(ai, bi), 16);
      }
      for (let j = 1; j < halfLen; j++) {
        const tp = tw + (<usize>(j * step) << 4);
        const c = f32x4.splat(<f32>load<f64>(tp)), s = f32x4.splat(<f32>load<f64>(tp, 8));
        for (let i = j; i < H; i += len) {
          const a = work + (<usize>i << 5), b = work + (<usize>(i + halfLen) << 5);
          const br = v128.load(b), bi = v128.load(b, 16);
          const pr = f32x4.add(f32x4.mul(br, c), f32x4.mul(bi, s));
          const pi = f32x4.sub(f32x4.mul(bi, c), f32x4.mul(br, s));
          const ar = v128.load(a), ai = v128.load(a, 16);
          v128.store(a, f32x4.add(ar, pr)); v128.store(a, f32x4.add(ai, pi), 16);
          v128.store(b, f32x4.sub(ar, pr)); v128.store(b, f32x4.sub(ai, pi), 16);
        }
      }
    }
    const z0r = v128.load(work), z0i = v128.load(work, 16), zero = f32x4.splat(0);
    if (magnitude) {
      const r0 = f32x4.add(z0r, z0i), rH = f32x4.sub(z0r, z0i);   // sqrt(r·r + 0·0): the unfused bits
      put4(y, Lo, 0, t, G, f32x4.sqrt(f32x4.mul(r0, r0)));
      put4(y, Lo, H, t, G, f32x4.sqrt(f32x4.mul(rH, rH)));
      for (let k = 1; k < H; k++) {
        const a = work + (<usize>k << 5), b = work + (<usize>(H - k) << 5);
        const ar = v128.load(a), ai = v128.load(a, 16), br = v128.load(b), bi = v128.load(b, 16);
        const er = f32x4.mul(f32x4.add(ar, br), half), ei = f32x4.mul(f32x4.sub(ai, bi), half);
        const or = f32x4.mul(f32x4.add(ai, bi), half), oi = f32x4.mul(f32x4.sub(br, ar), half);
        const tp = tw + (<usize>k << 4);
        const c = f32x4.splat(<f32>load<f64>(tp)), s = f32x4.splat(<f32>load<f64>(tp, 8));
        const re = f32x4.add(er, f32x4.add(f32x4.mul(c, or), f32x4.mul(s, oi)));
        const im = f32x4.add(ei, f32x4.sub(f32x4.mul(c, oi), f32x4.mul(s, or)));
        put4(y, Lo, k, t, G, f32x4.sqrt(f32x4.add(f32x4.mul(re, re), f32x4.mul(im, im))));
      }
      continue;
    }
    put4(y, Lo, 0, t, G, f32x4.add(z0r, z0i));
    put4(y, Lo, F, t, G, zero);
    put4(y, Lo, H, t, G, f32x4.sub(z0r, z0i));
    put4(y, Lo, F + H, t, G, zero);
    const sign = f32x4.splat(imSign);
    for (let k = 1; k < H; k++) {
      const a = work + (<usize>k << 5), b = work + (<usize>(H - k) << 5);
      const ar = v128.load(a), ai = v128.load(a, 16), br = v128.load(b), bi = v128.load(b, 16);
      const er = f32x4.mul(f32x4.add(ar, br), half), ei = f32x4.mul(f32x4.sub(ai, bi), half);
      const or = f32x4.mul(f32x4.add(ai, bi), half), oi = f32x4.mul(f32x4.sub(br, ar), half);
      const tp = tw + (<usize>k << 4);
      const c = f32x4.splat(<f32>load<f64>(tp)), s = f32x4.splat(<f32>load<f64>(tp, 8));
      put4(y, Lo, k, t, G, f32x4.add(er, f32x4.add(f32x4.mul(c, or), f32x4.mul(s, oi))));
      put4(y, Lo, F + k, t, G, f32x4.mul(sign, f32x4.add(ei, f32x4.sub(f32x4.mul(c, oi), f32x4.mul(s, or)))));
    }
  }
}

// (x[n]·w[n], x[n+1]·w[n+1]) of frames at a and b (n = o/4): [a's pair, b's pair].
// @ts-ignore: decorator
@inline function pairs(a: usize, b: usize, w: usize, o: usize): v128 {
  return f32x4.mul(v128.load64_lane(b + o, v128.load64_zero(a + o), 1), v128.load64_splat(w + o));
}

// Where frame x[s … s + N) is read: x itself when inside, else xp [N] filled with it (0 or reflected
// outside x, as sample()).
// @ts-ignore: decorator
@inline function frameAt(x: usize, L: i32, N: i32, s: i32, reflect: i32, xp: usize): usize {
  if (s >= 0 && s + N <= L) return x + (<usize>s << 2);
  const lo = max(0, -s), hi = max(lo, min(N, L - s));
  for (let i = 0; i < lo; i++) store<f32>(xp + (<usize>i << 2), <f32>sample(x, L, s + i, reflect));
  if (hi > lo) memory.copy(xp + (<usize>lo << 2), x + (<usize>(s + lo) << 2), <usize>(hi - lo) << 2);
  for (let i = hi; i < N; i++) store<f32>(xp + (<usize>i << 2), <f32>sample(x, L, s + i, reflect));
  return xp;
}

// y[row, t … t + G − 1] ← the first G lanes of v.
// @ts-ignore: decorator
@inline function put4(y: usize, Lo: i32, row: i32, t: i32, G: i32, v: v128): void {
  const at = y + (<usize>(row * Lo + t) << 2);
  if (G == 4) v128.store(at, v);
  else {
    v128.store32_lane(at, v, 0);
    if (G > 1) v128.store32_lane(at, v, 1, 4);
    if (G > 2) v128.store32_lane(at, v, 2, 8);
  }
}
