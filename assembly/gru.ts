// GRU (Cho et al. 2014), PyTorch's gate order [r | z | n], in both forms:
//   r = σ(W_r x + b_ir + U_r h + b_hr)        z = σ(W_z x + b_iz + U_z h + b_hz)
//   linear_before_reset (PyTorch, ONNX lbr=1):  n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn))
//   original (ONNX default, lbr=0):             n = tanh(W_n x + b_in + U_n (r ⊙ h) + b_hn)
//   h' = (1 − z) ⊙ n + z ⊙ h
// Gate blocks are Hp = ⌈H/4⌉·4 wide; a gate row is 3·Hp floats.

import { stateGradRows } from './diagnostics';
import { leakForward, leakGradIn, leakGradOut } from './leak';
import { gemm } from './gemm';
import { matmul } from './matmul';
import { clipSpan, sigmoidSpan, tanhSpan } from './activations';
import { loadN, madd, storeN } from './vec';

// r and z for B rows, in place: gi [B, 3Hp] input pre-activations (r, z blocks become σ(·));
// gh [B, ≥2Hp] recurrent pre-activations (with b_hr, b_hz). For lbr = 0 also writes r ⊙ h into
// rh [B, H], the input of the second recurrent product.
export function gruGates(B: i32, H: i32, gi: usize, gh: usize, ldgh: i32, h: usize, rh: usize, clip: f32): void {
  const Hp = (H + 3) & ~3;
  const gb = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const ir = gi + (<usize>b * Hp * 3 << 2);
    const hr = gh + (<usize>b * ldgh << 2);
    for (let o4: usize = 0; o4 < 2 * gb; o4 += 16) v128.store(ir + o4, f32x4.add(v128.load(ir + o4), v128.load(hr + o4)));
    if (clip > 0) clipSpan(ir, 2 * gb, clip);
    sigmoidSpan(ir, 2 * gb);
    if (rh) {
      const row = <usize>b * H << 2;
      for (let j = 0; j < H; j += 4) {
        const o4 = <usize>j << 2;
        storeN(rh + row + o4, f32x4.mul(v128.load(ir + o4), loadN(h + row + o4, H - j)), H - j);
      }
    }
  }
}

// n and h' for B rows, after gruGates. hn: [B, Hp] (lbr = 1: U_n h + b_hn, multiplied by r
// here; lbr = 0: U_n (r ⊙ h) + b_hn, added as is). gi's n block becomes n. h: [B, H] in place;
// y: output rows, stride ldy. hnseq: [B, Hp] copy of hn for training (lbr = 1), or 0.
export function gruOutput(B: i32, H: i32, gi: usize, hn: usize, ldhn: i32, lbr: i32,
                          h: usize, y: usize, ldy: i32, hnseq: usize, clip: f32): void {
  const Hp = (H + 3) & ~3;
  const gb = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const ir = gi + (<usize>b * Hp * 3 << 2);
    const nr = hn + (<usize>b * ldhn << 2);
    const hrow = h + (<usize>b * H << 2);
    const yr = y + (<usize>b * ldy << 2);
    if (hnseq) memory.copy(hnseq + (<usize>b * Hp << 2), nr, gb);
    const nb = ir + 2 * gb;                        // the n block: pre-activation, then n
    for (let o4: usize = 0; o4 < gb; o4 += 16) {
      const u = v128.load(nr + o4);
      v128.store(nb + o4, f32x4.add(v128.load(nb + o4), lbr ? f32x4.mul(v128.load(ir + o4), u) : u));
    }
    if (clip > 0) clipSpan(nb, gb, clip);
    tanhSpan(nb, gb);
    for (let j = 0; j < H; j += 4) {
      const n = H - j;
      const o4 = <usize>j << 2;
      const z = v128.load(ir + gb + o4), nt = v128.load(nb + o4);
      // (1 − z) ⊙ n + z ⊙ h, written as n + z ⊙ (h − n)
      const hn2 = madd(z, f32x4.sub(loadN(hrow + o4, n), nt), nt);
      storeN(hrow + o4, hn2, n); storeN(yr + o4, hn2, n);
    }
  }
}

// A whole sequence of one layer in one direction.
//   x, ldx, y, ldy, h, reverse, chunk: as lstmForward
//   wih: packed W_ih [3H, I]; bih: [3Hp] or 0; bhh: [3Hp] or 0
//   lbr = 1: whh packed W_hh [3H, H], whn = 0.  lbr = 0: whh packed rows r, z [2H, H],
//     whn packed rows n [H, H].
//   sih, shh, shn: int8 row scales of wih, whh, whn, or 0 for f32 weights
//   gates: [chunk, B, 3Hp] workspace (activations r, z, n kept when chunk = T);
//   gh: [B, 3Hp] workspace; rh: [B, H] workspace (lbr = 0) or 0
//   hnseq: [T, B, Hp] (training: U_n h + b_hn or U_n(r⊙h) + b_hn per step) or 0;
//   rhseq: [T, B, H] (training, lbr = 0: r ⊙ h per step) or 0
//   clip: > 0 clamps the pre-activations of r, z and n to [-clip, clip] (ONNX's clip), 0 for none
//   dil, alpha, logits, hprev, hcseq: dilation and leaky units, as lstmForward (h a ring)
export function gruForward(T: i32, B: i32, I: i32, H: i32, x: usize, ldx: i32,
                           wih: usize, whh: usize, whn: usize, sih: usize, shh: usize, shn: usize,
                           bih: usize, bhh: usize, lbr: i32,
                           h: usize, y: usize, ldy: i32,
                           gates: usize, chunk: i32, gh: usize, rh: usize,
                           hnseq: usize, rhseq: usize, reverse: i32, clip: f32,
                           dil: i32, alpha: f32, logits: usize, hprev: usize, hcseq: usize): void {
  const Hp = (H + 3) & ~3;
  const N = Hp * 3;
  const state = <usize>B * H << 2;
  const leaky = alpha > 0 || logits != 0;
  for (let done = 0; done < T; done += chunk) {
    const n = min(chunk, T - done);
    const t0 = reverse ? T - done - n : done;
    matmul(n * B, N, I, x + (<usize>t0 * B * ldx << 2), ldx, wih, sih, bih, gates, N, 0);
    for (let s = 0; s < n; s++) {
      const t = reverse ? t0 + n - 1 - s : t0 + s;
      const g = gates + (<usize>(t - t0) * B * N << 2);
      const seq = hnseq ? hnseq + (<usize>t * B * Hp << 2) : 0;
      const hs = h + <usize>((done + s) % dil) * state;
      const yt = y + (<usize>t * B * ldy << 2);
      if (leaky) memory.copy(hprev, hs, state);
      if (lbr) {
        matmul(B, N, H, hs, H, whh, shh, bhh, gh, N, 0);
        gruGates(B, H, g, gh, N, hs, 0, clip);
        gruOutput(B, H, g, gh + (<usize>Hp << 3), N, 1, hs, yt, ldy, seq, clip);
      } else {
        matmul(B, 2 * Hp, H, hs, H, whh, shh, bhh, gh, N, 0);
        gruGates(B, H, g, gh, N, hs, rh, clip);
        if (rhseq) memory.copy(rhseq + (<usize>t * state), rh, state);
        matmul(B, Hp, H, rh, H, whn, shn, bhh ? bhh + (<usize>Hp << 3) : 0, gh, N, 0);
        gruOutput(B, H, g, gh, N, 0, hs, yt, ldy, seq, clip);
      }
      if (leaky) leakForward(B, H, alpha, logits, hprev, hs, yt, ldy, hcseq ? hcseq + (<usize>t * state) : 0);
    }
  }
}

// Backward of one GRU step for B rows, in two parts around the product that lbr = 0 needs.
// Part 1, from h' = n + z ⊙ (h − n):
//   dh = dh + dy;  dn = dh ⊙ (1 − z);  dz = dh ⊙ (h − n);  dh_prev = dh ⊙ z (+ products below)
//   dn̂ = dn ⊙ (1 − n²);  dẑ = dz ⊙ z(1 − z)
//   lbr = 1: dr = dn̂ ⊙ hn (hn = U_n h + b_hn),  d(hn) = dn̂ ⊙ r,  dr̂ = dr ⊙ r(1 − r)
//   g: [B, 3Hp] activations (r, z, n) in → input-side gradients [dr̂ | dẑ | dn̂] out
//   gh: [B, 3Hp] out, recurrent-side gradients [dr̂ | dẑ | d(hn)] (lbr = 1) or [· | dẑ | dn̂] (lbr = 0)
//   hn: [B, Hp] saved hn (lbr = 1) or 0; hp: [B, H] h; dh: [B, H] in → dh ⊙ z out
export function gruCellBackward(B: i32, H: i32, g: usize, gh: usize, hn: usize, hp: usize,
                                dy: usize, lddy: i32, dh: usize): void {
  const Hp = (H + 3) & ~3;
  const gb = <usize>Hp << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const gr = g + (<usize>b * Hp * 3 << 2);
    const hr = gh + (<usize>b * Hp * 3 << 2);
    const row = <usize>b * H << 2;
    const yr = dy ? dy + (<usize>b * lddy << 2) : 0;
    for (let j = 0; j < H; j += 4) {
      const n = H - j;
      const o4 = <usize>j << 2;
      const r = v128.load(gr + o4), z = v128.load(gr + gb + o4), nt = v128.load(gr + 2 * gb + o4);
      const h = loadN(hp + row + o4, n);
      let dhv = loadN(dh + row + o4, n);
      if (yr) dhv = f32x4.add(dhv, loadN(yr + o4, n));
      const dn = f32x4.mul(dhv, f32x4.sub(one, z));
      const dpz = f32x4.mul(f32x4.mul(dhv, f32x4.sub(h, nt)), f32x4.mul(z, f32x4.sub(one, z)));
      const dpn = f32x4.mul(dn, f32x4.sub(one, f32x4.mul(nt, nt)));
      v128.store(gr + gb + o4, dpz); v128.store(hr + gb + o4, dpz);
      v128.store(gr + 2 * gb + o4, dpn);
      if (hn) {
        const u = v128.load(hn + (<usize>b * Hp << 2) + o4);
        const dpr = f32x4.mul(f32x4.mul(dpn, u), f32x4.mul(r, f32x4.sub(one, r)));
        v128.store(gr + o4, dpr); v128.store(hr + o4, dpr);
        v128.store(hr + 2 * gb + o4, f32x4.mul(dpn, r));
      } else {
        v128.store(hr + 2 * gb + o4, dpn);
      }
      storeN(dh + row + o4, f32x4.mul(dhv, z), n);
    }
  }
}

// Part 2 for lbr = 0, once drh = dn̂ · U_n (the gradient of r ⊙ h) is known:
//   dr̂ = drh ⊙ h ⊙ r(1 − r) into the r blocks of g and gh;  dh_prev += drh ⊙ r
export function gruResetBackward(B: i32, H: i32, g: usize, gh: usize, hp: usize, drh: usize, dh: usize): void {
  const Hp = (H + 3) & ~3;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const gr = g + (<usize>b * Hp * 3 << 2);
    const hr = gh + (<usize>b * Hp * 3 << 2);
    const row = <usize>b * H << 2;
    for (let j = 0; j < H; j += 4) {
      const n = H - j;
      const o4 = <usize>j << 2;
      const r = v128.load(gr + o4);
      const d = loadN(drh + row + o4, n);
      const dpr = f32x4.mul(f32x4.mul(d, loadN(hp + row + o4, n)), f32x4.mul(r, f32x4.sub(one, r)));
      v128.store(gr + o4, dpr); v128.store(hr + o4, dpr);
      storeN(dh + row + o4, f32x4.add(loadN(dh + row + o4, n), f32x4.mul(d, r)), n);
    }
  }
}

// Backward through time of one layer-direction, after gruForward with chunk = T.
//   gates: [T, B, 3Hp] activations in → input-side gradients out; dgh: [T, B, 3Hp] out,
//   recurrent-side gradients; hnseq: [T, B, Hp] (lbr = 1) or 0; hprev: [T, B, H] the h each step
//   started from (layout.previousRows); dy, lddy, dh, reverse: as lstmBackward
//   lbr = 1: whhT = W_hh repacked (3Hp → H), whnT = 0
//   lbr = 0: whhT = W_h(r,z) repacked (2Hp → H), whnT = W_hn repacked (Hp → H); drh: [B, H] scratch
//   dhseq: [T, B, H] receives ∂L/∂h_t for every t (diagnostics), or 0
//   dil, alpha, logits, dlogits, hcseq, lg: dilation and leaky units, as lstmBackward (dh a ring)
export function gruBackward(T: i32, B: i32, H: i32, gates: usize, dgh: usize, hnseq: usize, hprev: usize,
                            dy: usize, lddy: i32, whhT: usize, whnT: usize, drh: usize, dh: usize,
                            lbr: i32, reverse: i32, dhseq: usize,
                            dil: i32, alpha: f32, logits: usize, dlogits: usize, hcseq: usize, lg: usize): void {
  const Hp = (H + 3) & ~3;
  const N = Hp * 3;
  const state = <usize>B * H << 2;
  const leaky = alpha > 0 || logits != 0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? s : T - 1 - s;
    const off = <usize>t * B * N << 2;
    const at = <usize>t * state;
    const hp = hprev + at;
    const dhs = dh + <usize>((T - 1 - s) % dil) * state;
    let dyt = dy ? dy + (<usize>t * B * lddy << 2) : 0;
    if (dhseq) stateGradRows(B, H, dhs, dyt, lddy, dhseq + at);
    if (leaky) { leakGradIn(B, H, alpha, logits, dhs, dyt, lddy, lg); dyt = 0; }
    gruCellBackward(B, H, gates + off, dgh + off, lbr ? hnseq + (<usize>t * B * Hp << 2) : 0, hp, dyt, lddy, dhs);
    if (lbr) {
      gemm(B, H, N, dgh + off, N, whhT, 0, dhs, H, 1);
    } else {
      gemm(B, H, Hp, gates + off + (<usize>Hp << 3), N, whnT, 0, drh, H, 0);
      gruResetBackward(B, H, gates + off, dgh + off, hp, drh, dhs);
      gemm(B, H, 2 * Hp, dgh + off, N, whhT, 0, dhs, H, 1);
    }
    if (leaky) leakGradOut(B, H, alpha, logits, dlogits, lg, hcseq + at, hp, dhs);
  }
}
