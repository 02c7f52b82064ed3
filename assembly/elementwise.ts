// Float32 elementwise operations for the ONNX graph runtime, four values at a time. Each result
// is the correctly rounded float32 of the exact one, as the host's JavaScript loops give (they
// compute in double and round once, which for + − × ÷ √ is the same), so either may run.

// y[i] = a[i] ⊙ b[i], or a[i] ⊙ b[0] when bStep is 0 (a scalar). op: 0 add, 1 sub, 2 mul, 3 div,
// 4 max, 5 min. y may be a.
export function ewBinary(op: i32, a: usize, b: usize, bStep: i32, y: usize, n: i32): void {
  const n4 = n & ~3;
  const sb = bStep ? 16 : 0;
  let vb = f32x4.splat(bStep ? 0 : load<f32>(b));
  for (let i = 0; i < n4; i += 4, a += 16, b += sb, y += 16) {
    const va = v128.load(a);
    if (bStep) vb = v128.load(b);
    let r: v128;
    switch (op) {
      case 0: r = f32x4.add(va, vb); break;
      case 1: r = f32x4.sub(va, vb); break;
      case 2: r = f32x4.mul(va, vb); break;
      case 3: r = f32x4.div(va, vb); break;
      case 4: r = f32x4.max(va, vb); break;
      default: r = f32x4.min(va, vb);
    }
    v128.store(y, r);
  }
  for (let i = n4; i < n; i++, a += 4, b += sb >> 2, y += 4) {
    const x = load<f32>(a), z = load<f32>(b);
    let r: f32;
    switch (op) {
      case 0: r = x + z; break;
      case 1: r = x - z; break;
      case 2: r = x * z; break;
      case 3: r = x / z; break;
      case 4: r = isNaN(x) || isNaN(z) ? NaN : max(x, z); break;
      default: r = isNaN(x) || isNaN(z) ? NaN : min(x, z);
    }
    store<f32>(y, r);
  }
}

// y[r, i] += b[i] for each of `rows` rows of n: the bias of a matrix product added after the
// sum, as onnxruntime (MLAS) adds it, so a sum that starts from 0 rounds as theirs does.
export function addRowBias(y: usize, b: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++, y += <usize>n << 2) ewBinary(0, y, b, 1, y, n);
}

// y[i] = f(x[i]). op: 0 relu (max(x, 0); NaN stays NaN), 1 sqrt, 2 square, 3 neg, 4 abs. y may be x.
export function ewUnary(op: i32, x: usize, y: usize, n: i32): void {
  const n4 = n & ~3, zero = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4, x += 16, y += 16) {
    const v = v128.load(x);
    let r: v128;
    switch (op) {
      case 0: r = v128.bitselect(zero, v, f32x4.lt(v, zero)); break;
      case 1: r = f32x4.sqrt(v); break;
      case 2: r = f32x4.mul(v, v); break;
      case 3: r = f32x4.neg(v); break;
      default: r = f32x4.abs(v);
    }
    v128.store(y, r);
  }
  for (let i = n4; i < n; i++, x += 4, y += 4) {
    const v = load<f32>(x);
    let r: f32;
    switch (op) {
      case 0: r = v < 0 ? 0 : v; break;
      case 1: r = sqrt<f32>(v); break;
      case 2: r = v * v; break;
      case 3: r = -v; break;
      default: r = abs<f32>(v);
    }
    store<f32>(y, r);
  }
}
