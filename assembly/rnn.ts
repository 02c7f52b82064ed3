// Elman RNN as torch.nn.RNN: h' = act(W x + b_ih + U h + b_hh), act = tanh or relu.

import { gemm } from './gemm';
import { matmul, stepProjection } from './matmul';
import { clipSpan, relu4, tanhSpan } from './activations';
import { loadN, storeN } from './vec';
import { stateGradRows } from './diagnostics';
import { leakForward, leakGradIn, leakGradOut } from './leak';

// g: [B, Hp] pre-activations in, activations out; h: [B, H] updated; y rows stride ldy.
export function rnnCell(B: i32, H: i32, g: usize, relu: i32, h: usize, y: usize, ldy: i32, clip: f32): void {
  const Hp = (H + 3) & ~3;
  for (let b = 0; b < B; b++) {
    const gr = g + (<usize>b * Hp << 2);
    const hr = h + (<usize>b * H << 2);
    const yr = y + (<usize>b * ldy << 2);
    if (clip > 0) clipSpan(gr, <usize>Hp << 2, clip);
    if (relu) {
      for (let o4: usize = 0; o4 < <usize>Hp << 2; o4 += 16) v128.store(gr + o4, relu4(v128.load(gr + o4)));
    } else {
      tanhSpan(gr, <usize>Hp << 2);
    }
    memory.copy(hr, gr, <usize>H << 2);
    memory.copy(yr, gr, <usize>H << 2);
  }
}

// A whole sequence of one layer in one direction; arguments as lstmForward, with
// bih, bhh: [Hp] or 0 and gates: [chunk, B, Hp]; sih, shh: int8 row scales or 0;
// clip: > 0 clamps the pre-activation to [-clip, clip] (ONNX's clip), 0 for none;
// dil, alpha, logits, hprev, hcseq: dilation and leaky units, as lstmForward (h a ring).
export function rnnForward(T: i32, B: i32, I: i32, H: i32, x: usize, ldx: i32,
                           wih: usize, whh: usize, sih: usize, shh: usize, bih: usize, bhh: usize, relu: i32,
                           h: usize, y: usize, ldy: i32, gates: usize, chunk: i32, reverse: i32, clip: f32,
                           dil: i32, alpha: f32, logits: usize, hprev: usize, hcseq: usize): void {
  const N = (H + 3) & ~3;
  const state = <usize>B * H << 2;
  const leaky = alpha > 0 || logits != 0;
  for (let done = 0; done < T; done += chunk) {
    const n = min(chunk, T - done);
    const t0 = reverse ? T - done - n : done;
    // One row for one step (a stream of batch 1): both products in one pass, same bits.
    const single = n * B == 1;
    if (!single) matmul(n * B, N, I, x + (<usize>t0 * B * ldx << 2), ldx, wih, sih, bih, gates, N, 0);
    for (let s = 0; s < n; s++) {
      const t = reverse ? t0 + n - 1 - s : t0 + s;
      const g = gates + (<usize>(t - t0) * B * N << 2);
      const hs = h + <usize>((done + s) % dil) * state;
      const yt = y + (<usize>t * B * ldy << 2);
      if (leaky) memory.copy(hprev, hs, state);
      if (single) stepProjection(N, I, x + (<usize>t0 * ldx << 2), wih, sih, bih, H, hs, whh, shh, bhh, g);
      else matmul(B, N, H, hs, H, whh, shh, bhh, g, N, 1);
      rnnCell(B, H, g, relu, hs, yt, ldy, clip);
      if (leaky) leakForward(B, H, alpha, logits, hprev, hs, yt, ldy, hcseq ? hcseq + (<usize>t * state) : 0);
    }
  }
}

// Backward through time of one layer-direction, after rnnForward with chunk = T.
//   dâ = (dh + dy) ⊙ act'(a): tanh: 1 − a², relu: [a > 0];  dh_prev = dâ · U
//   gates: [T, B, Hp] activations a in → dâ out; other arguments as lstmBackward.
//   dhseq: [T, B, H] receives ∂L/∂h_t for every t (diagnostics), or 0
//   dil, alpha, logits, dlogits, hcseq, hprev, lg: dilation and leaky units, as lstmBackward
export function rnnBackward(T: i32, B: i32, H: i32, gates: usize, relu: i32, dy: usize, lddy: i32,
                            whhT: usize, dh: usize, reverse: i32, dhseq: usize,
                            dil: i32, alpha: f32, logits: usize, dlogits: usize, hcseq: usize, hprev: usize, lg: usize): void {
  const Hp = (H + 3) & ~3;
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const state = <usize>B * H << 2;
  const leaky = alpha > 0 || logits != 0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? s : T - 1 - s;
    const g = gates + (<usize>t * B * Hp << 2);
    const at = <usize>t * state;
    const dhs = dh + <usize>((T - 1 - s) % dil) * state;
    let dyt = dy ? dy + (<usize>t * B * lddy << 2) : 0;
    if (dhseq) stateGradRows(B, H, dhs, dyt, lddy, dhseq + at);
    if (leaky) { leakGradIn(B, H, alpha, logits, dhs, dyt, lddy, lg); dyt = 0; }
    for (let b = 0; b < B; b++) {
      const gr = g + (<usize>b * Hp << 2);
      const row = <usize>b * H << 2;
      const yr = dyt ? dyt + (<usize>b * lddy << 2) : 0;
      for (let j = 0; j < H; j += 4) {
        const n = H - j;
        const o4 = <usize>j << 2;
        const a = v128.load(gr + o4);
        let d = loadN(dhs + row + o4, n);
        if (yr) d = f32x4.add(d, loadN(yr + o4, n));
        const slope = relu ? v128.and(f32x4.gt(a, zero), one) : f32x4.sub(one, f32x4.mul(a, a));
        v128.store(gr + o4, f32x4.mul(d, slope));
      }
    }
    gemm(B, H, Hp, g, Hp, whhT, 0, dhs, H, 0);
    if (leaky) leakGradOut(B, H, alpha, logits, dlogits, lg, hcseq + at, hprev + at, dhs);
  }
}
