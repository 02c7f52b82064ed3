// Leaky units (leaky integration; Goodfellow et al., Deep Learning §10.9.2): after the cell,
//   h_t = (1 − α) ⊙ h_prev + α ⊙ h̃_t,  written  h_prev + α ⊙ (h̃_t − h_prev)
// where h̃_t is the cell's output and h_prev the state the cell read (h_{t−1}, or h_{t−d} with a
// dilation d). α is one number for every unit, or learned per unit as α = σ(a) from logits
// a: [Hp]. Only h leaks; an LSTM's c_t is the cell's.
//
// The forward pass calls leakForward after each step's cell; the backward pass wraps each step's
// cell backward in leakGradIn / leakGradOut:
//   g = ∂L/∂h_t (carried + output's);  the cell gets α ⊙ g;  ∂L/∂h_prev += (1 − α) ⊙ g
//   ∂L/∂a += g ⊙ (h̃_t − h_prev) ⊙ α(1 − α)   (learned α only)

import { sigmoid4 } from './activations';

// α of unit j: σ(a_j) from logits, or the one fixed α. Leaky layers are the rare case, so these
// loops are scalar: a few multiply-adds per unit beside the cell's H·G·H, in little code.
function alphaAt(alpha: f32, logits: usize, j: i32): f32 {
  return logits ? f32x4.extract_lane(sigmoid4(f32x4.splat(load<f32>(logits + (<usize>j << 2)))), 0) : alpha;
}

// After the cell, for B rows: h (the cell's h̃, [B, H]) becomes the leaky state, and so does
// the output row (stride ldy). hprev: [B, H] the state the cell read. hcs: [B, H] receives h̃
// (training with learned α), or 0.
export function leakForward(B: i32, H: i32, alpha: f32, logits: usize, hprev: usize, h: usize,
                            y: usize, ldy: i32, hcs: usize): void {
  for (let j = 0; j < H; j++) {
    const a = alphaAt(alpha, logits, j);
    for (let b = 0; b < B; b++) {
      const at = <usize>(b * H + j) << 2;
      const hc = load<f32>(h + at), hp = load<f32>(hprev + at);
      if (hcs) store<f32>(hcs + at, hc);
      const hn = hp + a * (hc - hp);
      store<f32>(h + at, hn);
      store<f32>(y + (<usize>(b * ldy + j) << 2), hn);
    }
  }
}

// Before the cell's backward at one step: g = dh + dy (dy: output gradient rows, stride lddy,
// or 0) into g [B, H]; dh [B, H] becomes α ⊙ g, what the cell's output h̃ receives.
export function leakGradIn(B: i32, H: i32, alpha: f32, logits: usize, dh: usize, dy: usize, lddy: i32, g: usize): void {
  for (let j = 0; j < H; j++) {
    const a = alphaAt(alpha, logits, j);
    for (let b = 0; b < B; b++) {
      const at = <usize>(b * H + j) << 2;
      let d = load<f32>(dh + at);
      if (dy) d += load<f32>(dy + (<usize>(b * lddy + j) << 2));
      store<f32>(g + at, d);
      store<f32>(dh + at, a * d);
    }
  }
}

// After the cell's backward at one step (dh [B, H] holds its ∂L/∂h_prev): dh += (1 − α) ⊙ g.
// With learned α also dlogits [H] += Σ_b g ⊙ (h̃ − h_prev) ⊙ α(1 − α); hc, hprev: [B, H].
export function leakGradOut(B: i32, H: i32, alpha: f32, logits: usize, dlogits: usize, g: usize,
                            hc: usize, hprev: usize, dh: usize): void {
  for (let j = 0; j < H; j++) {
    const a = alphaAt(alpha, logits, j);
    let da: f32 = 0;
    for (let b = 0; b < B; b++) {
      const at = <usize>(b * H + j) << 2;
      const d = load<f32>(g + at);
      store<f32>(dh + at, load<f32>(dh + at) + (1 - a) * d);
      if (dlogits) da += d * (load<f32>(hc + at) - load<f32>(hprev + at));
    }
    if (dlogits) store<f32>(dlogits + (<usize>j << 2), load<f32>(dlogits + (<usize>j << 2)) + da * a * (1 - a));
  }
}
