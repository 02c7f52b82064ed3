// Diagnostics of memory (issue #17): what a backward pass and the recurrent weights say about
// how far back a layer carries information. Nothing here runs unless the host asks for it.

// out[b, :] = dh[b, :] + dy[b, :] for B rows of H: ∂L/∂h_t, the gradient of the loss with respect
// to one step's hidden state (from the future steps, dh, plus from that step's output, dy), the
// same sum the cell backward kernels form next. dy: rows of stride lddy, or 0.
export function stateGradRows(B: i32, H: i32, dh: usize, dy: usize, lddy: i32, out: usize): void {
  for (let b = 0; b < B; b++) {
    const row = <usize>b * H << 2;
    const yr = dy ? dy + (<usize>b * lddy << 2) : 0;
    for (let j = 0; j < H; j++) {
      const o4 = <usize>j << 2;
      let v = load<f32>(dh + row + o4);
      if (yr) v += load<f32>(yr + o4);
      store<f32>(out + row + o4, v);
    }
  }
}

// Power iteration, in f64, on f32 matrices in PyTorch's row-major layout.

// y [m] = W x for W [m, n] (f32, row stride n), x [n] (f64).
function matVec(m: i32, n: i32, w: usize, x: usize, y: usize): void {
  for (let i = 0; i < m; i++) {
    const row = w + (<usize>i * n << 2);
    let s: f64 = 0;
    for (let j = 0; j < n; j++) s += <f64>load<f32>(row + (<usize>j << 2)) * load<f64>(x + (<usize>j << 3));
    store<f64>(y + (<usize>i << 3), s);
  }
}

// y [n] = Wᵀ x for W [m, n], x [m].
function matTVec(m: i32, n: i32, w: usize, x: usize, y: usize): void {
  for (let j = 0; j < n; j++) store<f64>(y + (<usize>j << 3), 0);
  for (let i = 0; i < m; i++) {
    const row = w + (<usize>i * n << 2);
    const xi = load<f64>(x + (<usize>i << 3));
    for (let j = 0; j < n; j++) {
      const p = y + (<usize>j << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(row + (<usize>j << 2)) * xi);
    }
  }
}

function dot(n: i32, a: usize, b: usize): f64 {
  let s: f64 = 0;
  for (let j = 0; j < n; j++) s += load<f64>(a + (<usize>j << 3)) * load<f64>(b + (<usize>j << 3));
  return s;
}

// a -= c · b
function subScaled(n: i32, a: usize, c: f64, b: usize): void {
  for (let j = 0; j < n; j++) {
    const p = a + (<usize>j << 3);
    store<f64>(p, load<f64>(p) - c * load<f64>(b + (<usize>j << 3)));
  }
}

// Scales a to unit length; returns its former length.
function normalize(n: i32, a: usize): f64 {
  const len = Math.sqrt(dot(n, a, a));
  if (len > 0) for (let j = 0; j < n; j++) store<f64>(a + (<usize>j << 3), load<f64>(a + (<usize>j << 3)) / len);
  return len;
}

// A fixed pseudo-random start vector in [-1, 1) (a linear congruential sequence): never
// orthogonal to the dominant direction except by a coincidence of measure zero.
function startVector(n: i32, a: usize, seed: u32): void {
  let s = seed;
  for (let j = 0; j < n; j++) {
    s = s * 1664525 + 1013904223;
    store<f64>(a + (<usize>j << 3), <f64>(s >>> 8) / 8388608.0 - 1.0);
  }
}

// The largest singular value σ₁ of W [m, n]: power iteration on WᵀW, v ← Wᵀ(W v)/‖·‖, with the
// estimate ‖W v‖ for unit v (rising to σ₁). Stops when it changes by at most tol (relative) or
// after maxIter iterations. work: (m + n) f64.
export function largestSingularValue(m: i32, n: i32, w: usize, maxIter: i32, tol: f64, work: usize): f64 {
  const v = work, u = work + (<usize>n << 3);
  startVector(n, v, 12345);
  normalize(n, v);
  let sigma: f64 = 0;
  for (let it = 0; it < maxIter; it++) {
    matVec(m, n, w, v, u);
    const next = Math.sqrt(dot(m, u, u));
    matTVec(m, n, w, u, v);
    if (normalize(n, v) == 0) return next;            // W v = 0: v in the null space (W = 0)
    const done = Math.abs(next - sigma) <= tol * next;
    sigma = next;
    if (done) break;
  }
  return sigma;
}

// The spectral radius ρ(W) = max |λ| of a square W [n, n], by subspace iteration with two
// vectors, Q ← orth(W Q): the Ritz values (eigenvalues of the 2 × 2 matrix M = Qᵀ W Q) are
// eigenvalues of W once span(Q) is invariant (‖W Q − Q M‖ ≤ tol · |λ|), which two vectors reach
// for a real dominant eigenvalue or a complex pair (and the first vector alone, W q = λ q, for a
// real eigenvalue followed by a complex pair). When they do not converge (several
// eigenvalues of equal modulus, e.g. an orthogonal matrix), Gelfand's formula gives ρ instead:
// ρ = lim ‖W^k q‖^(1/k), the geometric mean of the growth ‖W q‖ of the first (unit) vector over
// the second half of the iterations.
//   out [3] f64: converged (Ritz values): [ρ, 1, 0]; otherwise [p, e, k] with the product of
//   the k growths = p · 2^e, so ρ = (p · 2^e)^(1/k) (the host takes the logarithm: Math.log
//   and Math.exp would add their 6 kB of tables to the module).
// work: 4n f64.
export function spectralRadius(n: i32, w: usize, maxIter: i32, tol: f64, work: usize, out: usize): void {
  if (n == 1) { converged(out, Math.abs(<f64>load<f32>(w))); return; }
  const q1 = work, q2 = work + (<usize>n << 3), z1 = work + (<usize>n << 4), z2 = work + (<usize>n * 24);
  startVector(n, q1, 12345);
  normalize(n, q1);
  startVector(n, q2, 777);
  subScaled(n, q2, dot(n, q1, q2), q1);
  normalize(n, q2);
  let product: f64 = 1, exponent: f64 = 0, counted = 0;
  const from = maxIter >> 1;
  for (let it = 0; it < maxIter; it++) {
    matVec(n, n, w, q1, z1);
    matVec(n, n, w, q2, z2);
    const m11 = dot(n, q1, z1), m12 = dot(n, q1, z2), m21 = dot(n, q2, z1), m22 = dot(n, q2, z2);
    // Largest |λ| of [[m11, m12], [m21, m22]].
    const half = (m11 + m22) / 2, det = m11 * m22 - m12 * m21;
    const disc = half * half - det;
    const ritz = disc < 0 ? Math.sqrt(det) : Math.abs(half) + Math.sqrt(disc);
    // Residual ‖W Q − Q M‖²: ‖z‖² − ‖Qᵀz‖² for each column (Q orthonormal).
    const r1 = dot(n, z1, z1) - m11 * m11 - m21 * m21, r2 = dot(n, z2, z2) - m12 * m12 - m22 * m22;
    const residual = Math.sqrt(Math.max(0, r1) + Math.max(0, r2));
    const growth = Math.sqrt(dot(n, z1, z1));
    if (growth == 0) { converged(out, ritz); return; }   // W q1 = 0
    if (it >= from) {
      product *= growth;
      counted++;
      while (product > 3.273390607896142e150) { product *= 3.054936363499605e-151; exponent += 500; }
      while (product < 3.054936363499605e-151) { product *= 3.273390607896142e150; exponent -= 500; }
    }
    if (residual <= tol * ritz) { converged(out, ritz); return; }
    // A real dominant eigenvalue followed by a complex pair: q1 alone converges (W q1 = λ q1).
    if (Math.sqrt(Math.max(0, dot(n, z1, z1) - m11 * m11)) <= tol * Math.abs(m11)) { converged(out, Math.abs(m11)); return; }
    // Q ← orth(Z), Gram–Schmidt twice for the second vector.
    memory.copy(q1, z1, <usize>n << 3);
    normalize(n, q1);
    memory.copy(q2, z2, <usize>n << 3);
    subScaled(n, q2, dot(n, q1, q2), q1);
    subScaled(n, q2, dot(n, q1, q2), q1);
    if (normalize(n, q2) <= 1e-300) {
      startVector(n, q2, 777 + it);                  // W maps Q into a line: restart the second vector
      subScaled(n, q2, dot(n, q1, q2), q1);
      normalize(n, q2);
    }
  }
  store<f64>(out, product);
  store<f64>(out + 8, exponent);
  store<f64>(out + 16, <f64>counted);
}

function converged(out: usize, rho: f64): void {
  store<f64>(out, rho);
  store<f64>(out + 8, 1);
  store<f64>(out + 16, 0);
}

// ρ and σ₁ of G square blocks [H, H] stacked in W [G·H, H] (an LSTM's or GRU's W_hh, gate by
// gate): out [G, 4] f64 = (spectralRadius's three values, σ₁) per block. One call per matrix.
// work: 4H f64.
export function recurrentSpectra(G: i32, H: i32, w: usize, maxIter: i32, tol: f64, work: usize, out: usize): void {
  for (let k = 0; k < G; k++) {
    const block = w + (<usize>k * H * H << 2);
    const o = out + (<usize>k << 5);
    spectralRadius(H, block, maxIter, tol, work, o);
    store<f64>(o + 24, largestSingularValue(H, H, block, maxIter, tol, work));
  }
}
