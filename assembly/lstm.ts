// LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000), PyTorch's
// gate order and equations, optionally with peephole connections as in the ONNX LSTM operator:
//   i = σ(W_i x + b_i + U_i h + P_i ⊙ c)      f = σ(W_f x + b_f + U_f h + P_f ⊙ c)
//   g = tanh(W_g x + b_g + U_g h)             c' = f ⊙ c + i ⊙ g
//   o = σ(W_o x + b_o + U_o h + P_o ⊙ c')     h' = o ⊙ tanh(c')
//
// Gate rows are laid out [i | f | g | o], each block Hp = ⌈H/4⌉·4 wide, so every gate starts on
// a vector boundary; a gate row is 4·Hp floats.

import { stateGradRows } from './diagnostics';
import { leakForward, leakGradIn, leakGradOut } from './leak';
import { gemm } from './gemm';
import { matmul, stepProjection } from './matmul';
import { clipSpan, sigmoidSpan, tanh4, tanhSpan } from './activations';
import { loadN, madd, storeN } from './vec';

// One time step of the gate non-linearities for B rows.
//   g: [B, 4Hp] pre-activations in, activations (i, f, g, o) out — kept for the backward pass
//   peep: [3, Hp] (P_i, P_f, P_o) or 0; c, h: [B, H] state, updated in place
//   y: output rows, stride ldy floats; cs: [B, H] copy of c' for training, or 0
//   clip: > 0 clamps every gate pre-activation to [-clip, clip] (ONNX's cell clip), 0 for none
// Done as passes over a row (σ over [i | f], tanh over g, the c' update, σ over o, then h),
// each span four vectors at a time (activations.ts): an activation is a long dependency chain
// (exp, then a division), and independent chains side by side let the CPU overlap them.
export function lstmCell(B: i32, H: i32, g: usize, peep: usize, c: usize, h: usize,
                         y: usize, ldy: i32, cs: usize, clip: f32): void {
  const Hp = (H + 3) & ~3;
  const gb = <usize>Hp << 2;                       // bytes between gate blocks
  for (let b = 0; b < B; b++) {
    const gr = g + (<usize>b * Hp << 4);           // row b of [B, 4Hp]
    const cr = c + (<usize>b * H << 2);
    const hr = h + (<usize>b * H << 2);
    const yr = y + (<usize>b * ldy << 2);
    const sr = cs ? cs + (<usize>b * H << 2) : 0;
    if (peep) {                                    // i, f see the previous cell state
      for (let j = 0; j < H; j += 4) {
        const o4 = <usize>j << 2;
        const cp = loadN(cr + o4, H - j);
        v128.store(gr + o4, f32x4.add(v128.load(gr + o4), f32x4.mul(v128.load(peep + o4), cp)));
        v128.store(gr + gb + o4, f32x4.add(v128.load(gr + gb + o4), f32x4.mul(v128.load(peep + gb + o4), cp)));
      }
    }
    if (clip > 0) clipSpan(gr, 3 * gb, clip);
    sigmoidSpan(gr, 2 * gb);
    tanhSpan(gr + 2 * gb, gb);
    for (let j = 0; j < H; j += 4) {               // c' = f ⊙ c + i ⊙ g
      const n = H - j;
      const o4 = <usize>j << 2;
      const cn = madd(v128.load(gr + gb + o4), loadN(cr + o4, n), f32x4.mul(v128.load(gr + o4), v128.load(gr + 2 * gb + o4)));
      storeN(cr + o4, cn, n);
      if (sr) storeN(sr + o4, cn, n);
      if (peep) v128.store(gr + 3 * gb + o4, f32x4.add(v128.load(gr + 3 * gb + o4), f32x4.mul(v128.load(peep + 2 * gb + o4), cn)));
    }
    if (clip > 0) clipSpan(gr + 3 * gb, gb, clip);
    sigmoidSpan(gr + 3 * gb, gb);
    let j = 0;                                     // h' = o ⊙ tanh(c'), four vectors at a time
    for (; j + 16 <= H; j += 16) {
      const o4 = <usize>j << 2;
      const t0 = tanh4(v128.load(cr + o4)), t1 = tanh4(v128.load(cr + o4, 16));
      const t2 = tanh4(v128.load(cr + o4, 32)), t3 = tanh4(v128.load(cr + o4, 48));
      const o = gr + 3 * gb + o4;
      const h0 = f32x4.mul(v128.load(o), t0), h1 = f32x4.mul(v128.load(o, 16), t1);
      const h2 = f32x4.mul(v128.load(o, 32), t2), h3 = f32x4.mul(v128.load(o, 48), t3);
      v128.store(hr + o4, h0); v128.store(hr + o4, h1, 16); v128.store(hr + o4, h2, 32); v128.store(hr + o4, h3, 48);
      v128.store(yr + o4, h0); v128.store(yr + o4, h1, 16); v128.store(yr + o4, h2, 32); v128.store(yr + o4, h3, 48);
    }
    for (; j < H; j += 4) {
      const n = H - j;
      const o4 = <usize>j << 2;
      const hn = f32x4.mul(v128.load(gr + 3 * gb + o4), tanh4(loadN(cr + o4, n)));
      storeN(hr + o4, hn, n); storeN(yr + o4, hn, n);
    }
  }
}

// A whole sequence of one layer in one direction.
//   x: rows (t, b) at x + (t·B + b)·ldx floats, I features each
//   wih: packed W_ih [4H, I]; whh: packed W_hh [4H, H]; bih, bhh: [4Hp] or 0
//   sih, shh: 0 for f32 weights, or the row scales of int8 ones (assembly/quant.ts)
//   peep: [3, Hp] or 0; h, c: [B, H] initial state in, final state out
//   y: rows (t, b) at y + (t·B + b)·ldy floats, H outputs written
//   gates: workspace [chunk, B, 4Hp]; the input projection of `chunk` steps is one GEMM.
//     For training pass chunk = T: gates then holds every step's activations afterwards.
//   cseq: [T, B, H] every c' (training) or 0; reverse: run t = T-1 … 0; clip: as lstmCell
//   dil: skip connections through time (Chang et al. 2017): step t reads h_{t−dil}, c_{t−dil};
//     h and c are then rings [dil, B, H], step s of the run (s = 0, 1, … in the order run) reads
//     and writes slot s mod dil; the final state is in slot (T − 1) mod dil
//   alpha, logits, hprev, hcseq: leaky units (assembly/leak.ts): alpha > 0 a fixed α, or
//     logits [Hp] a learned one (else both 0); hprev [B, H] scratch; hcseq [T, B, H] receives
//     every h̃ (training with learned α) or 0
export function lstmForward(T: i32, B: i32, I: i32, H: i32, x: usize, ldx: i32,
                            wih: usize, whh: usize, sih: usize, shh: usize, bih: usize, bhh: usize, peep: usize,
                            h: usize, c: usize, y: usize, ldy: i32,
                            gates: usize, chunk: i32, cseq: usize, reverse: i32, clip: f32,
                            dil: i32, alpha: f32, logits: usize, hprev: usize, hcseq: usize): void {
  const N = ((H + 3) & ~3) * 4;
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
      const slot = <usize>((done + s) % dil) * state;
      const hs = h + slot, cs = c + slot;
      const yt = y + (<usize>t * B * ldy << 2);
      if (leaky) memory.copy(hprev, hs, state);
      if (single) stepProjection(N, I, x + (<usize>t0 * ldx << 2), wih, sih, bih, H, hs, whh, shh, bhh, g);
      else matmul(B, N, H, hs, H, whh, shh, bhh, g, N, 1);
      lstmCell(B, H, g, peep, cs, hs, yt, ldy, cseq ? cseq + (<usize>t * B * H << 2) : 0, clip);
      if (leaky) leakForward(B, H, alpha, logits, hprev, hs, yt, ldy, hcseq ? hcseq + (<usize>t * B * H << 2) : 0);
    }
  }
}

// Backward of lstmCell for B rows, the equations above in reverse:
//   dh = dh + dy                      (state gradient from t+1, plus the output's)
//   do = dh ⊙ tanh(c')                dc = dc + dh ⊙ o ⊙ (1 − tanh²(c')) [+ dô ⊙ P_o]
//   di = dc ⊙ g   df = dc ⊙ c   dg = dc ⊙ i        dc_prev = dc ⊙ f [+ dî ⊙ P_i + df̂ ⊙ P_f]
//   pre-activation gradients dî = di ⊙ i(1−i), df̂ = df ⊙ f(1−f), dĝ = dg ⊙ (1−g²), dô = do ⊙ o(1−o)
//   g: [B, 4Hp] activations in → [dî | df̂ | dĝ | dô] out (padding lanes 0)
//   c: [B, H] c'; cprev: [B, H] c; dy: output gradient rows (stride lddy) or 0
//   dh: [B, H] in, overwritten by the caller with dP·W_hh; dc: [B, H] in → dc_prev out
//   peep/dpeep: [3, Hp] (P_i, P_f, P_o) and its gradient (accumulated), or 0
//   dcout: [B, H] receives ∂L/∂c' (the dc above, after the h path is added; diagnostics), or 0
export function lstmCellBackward(B: i32, H: i32, g: usize, c: usize, cprev: usize, peep: usize, dpeep: usize,
                                 dy: usize, lddy: i32, dh: usize, dc: usize, dcout: usize): void {
  const Hp = (H + 3) & ~3;
  const gb = <usize>Hp << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const gr = g + (<usize>b * Hp << 4);
    const row = <usize>b * H << 2;
    const yr = dy ? dy + (<usize>b * lddy << 2) : 0;
    for (let j = 0; j < H; j += 4) {
      const n = H - j;
      const o4 = <usize>j << 2;
      const i = v128.load(gr + o4), f = v128.load(gr + gb + o4);
      const gt = v128.load(gr + 2 * gb + o4), o = v128.load(gr + 3 * gb + o4);
      const ct = loadN(c + row + o4, n), cp = loadN(cprev + row + o4, n);
      let dhv = loadN(dh + row + o4, n);
      if (yr) dhv = f32x4.add(dhv, loadN(yr + o4, n));
      let dcv = loadN(dc + row + o4, n);
      const tc = tanh4(ct);
      const dpo = f32x4.mul(f32x4.mul(dhv, tc), f32x4.mul(o, f32x4.sub(one, o)));
      dcv = f32x4.add(dcv, f32x4.mul(f32x4.mul(dhv, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      if (peep) dcv = f32x4.add(dcv, f32x4.mul(dpo, v128.load(peep + 2 * gb + o4)));
      if (dcout) storeN(dcout + row + o4, dcv, n);
      const dpi = f32x4.mul(f32x4.mul(dcv, gt), f32x4.mul(i, f32x4.sub(one, i)));
      const dpf = f32x4.mul(f32x4.mul(dcv, cp), f32x4.mul(f, f32x4.sub(one, f)));
      const dpg = f32x4.mul(f32x4.mul(dcv, i), f32x4.sub(one, f32x4.mul(gt, gt)));
      let dcp = f32x4.mul(dcv, f);
      if (peep) {
        dcp = f32x4.add(dcp, f32x4.add(f32x4.mul(dpi, v128.load(peep + o4)), f32x4.mul(dpf, v128.load(peep + gb + o4))));
        v128.store(dpeep + o4, f32x4.add(v128.load(dpeep + o4), f32x4.mul(dpi, cp)));
        v128.store(dpeep + gb + o4, f32x4.add(v128.load(dpeep + gb + o4), f32x4.mul(dpf, cp)));
        v128.store(dpeep + 2 * gb + o4, f32x4.add(v128.load(dpeep + 2 * gb + o4), f32x4.mul(dpo, ct)));
      }
      v128.store(gr + o4, dpi); v128.store(gr + gb + o4, dpf);
      v128.store(gr + 2 * gb + o4, dpg); v128.store(gr + 3 * gb + o4, dpo);
      storeN(dc + row + o4, dcp, n);
    }
  }
}

// Backward through time of one layer-direction, after lstmForward with chunk = T.
//   gates: [T, B, 4Hp] activations in → pre-activation gradients dP out (for the weight and
//     input gradients the host then computes with gemmWeightGrad / addColumnSums / gemm)
//   cseq: [T, B, H] every c'; c0: [B, H]; peep, dpeep: as lstmCellBackward
//   dy: output gradient rows (t, b) at dy + (t·B + b)·lddy, or 0
//   whhT: W_hh repacked by transposePacked (dh_prev = dP_t · W_hh)
//   dh, dc: [B, H] gradient of the final state in → of the initial state (h0, c0) out
//   reverse: the direction the forward pass ran
//   dhseq, dcseq: [T, B, H] receive ∂L/∂h_t and ∂L/∂c_t for every t (diagnostics), or 0
//   dil: as lstmForward; dh and dc are then rings [dil, B, H] (slot of step t: its slot in the
//     forward run), the final-state gradient in slot (T − 1) mod dil, every slot's gradient of
//     the initial state out (the caller sums them)
//   alpha, logits: as lstmForward; dlogits [Hp] accumulates ∂L/∂logits (or 0); hcseq [T, B, H]
//     the forward's h̃ (learned α) or 0; hprev [T, B, H] the state each step read
//     (layout.previousRows); lg [B, H] scratch
export function lstmBackward(T: i32, B: i32, H: i32, gates: usize, cseq: usize, c0: usize,
                             peep: usize, dpeep: usize, dy: usize, lddy: i32, whhT: usize,
                             dh: usize, dc: usize, reverse: i32, dhseq: usize, dcseq: usize,
                             dil: i32, alpha: f32, logits: usize, dlogits: usize, hcseq: usize, hprev: usize, lg: usize): void {
  const N = ((H + 3) & ~3) * 4;
  const state = <usize>B * H << 2;
  const leaky = alpha > 0 || logits != 0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? s : T - 1 - s;                       // last forward step first
    const prev = reverse ? t + dil : t - dil;
    const g = gates + (<usize>t * B * N << 2);
    const at = <usize>t * state;
    const slot = <usize>((T - 1 - s) % dil) * state;         // the forward run's step T − 1 − s
    const dhs = dh + slot, dcs = dc + slot;
    let dyt = dy ? dy + (<usize>t * B * lddy << 2) : 0;
    const cprev = prev < 0 || prev >= T ? c0 : cseq + (<usize>prev * state);
    if (dhseq) stateGradRows(B, H, dhs, dyt, lddy, dhseq + at);
    if (leaky) { leakGradIn(B, H, alpha, logits, dhs, dyt, lddy, lg); dyt = 0; }
    lstmCellBackward(B, H, g, cseq + at, cprev, peep, dpeep, dyt, lddy, dhs, dcs, dcseq ? dcseq + at : 0);
    gemm(B, H, N, g, N, whhT, 0, dhs, H, 0);
    if (leaky) leakGradOut(B, H, alpha, logits, dlogits, lg, hcseq + at, hprev + at, dhs);
  }
}
