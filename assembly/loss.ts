// Loss kernels: the loss summed over rows (in f64) and its gradient, in one pass over the
// outputs. Reduction is the host's (src/train/loss.ts): it passes gradScale (1/count for a
// mean, 1 for a sum) and divides the returned sum.

import { expf4 } from './activations';
import { loadN, storeN } from './vec';

const LN2: f64 = 0.6931471805599453;
const SQRT2: f64 = 1.4142135623730951;

// ln x for finite x > 0 (NaN and +∞ pass through), to about 1 f64 ulp: x = 2^k·f with
// f in [√½, √2), ln f = 2·atanh(z), z = (f − 1)/(f + 1), |z| ≤ 0.1716, whose odd series
// 2(z + z³/3 + z⁵/5 + …) is below f64 precision after z²³. Small, and no tables.
function logF64(x: f64): f64 {
  if (!(x < Infinity)) return x;
  const bits = reinterpret<u64>(x);
  let k = <i32>(bits >> 52) - 1023;
  let f = reinterpret<f64>((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000);
  if (f > SQRT2) { f *= 0.5; k++; }
  const z = (f - 1.0) / (f + 1.0), z2 = z * z;
  let s = 1.0 / 23.0;
  s = s * z2 + 1.0 / 21.0; s = s * z2 + 1.0 / 19.0; s = s * z2 + 1.0 / 17.0;
  s = s * z2 + 1.0 / 15.0; s = s * z2 + 1.0 / 13.0; s = s * z2 + 1.0 / 11.0;
  s = s * z2 + 1.0 / 9.0;  s = s * z2 + 1.0 / 7.0;  s = s * z2 + 1.0 / 5.0;
  s = s * z2 + 1.0 / 3.0;
  return <f64>k * LN2 + 2.0 * z * (s * z2 + 1.0);
}

// @ts-ignore: decorator
@inline function expf(x: f32): f32 { return f32x4.extract_lane(expf4(f32x4.splat(x)), 0); }

// Softmax cross-entropy over C classes for N rows (torch.nn.CrossEntropyLoss on logits):
//   loss_r = log Σ_j exp(x_rj) − x_r,t(r)       dlogits_r = gradScale · (softmax(x_r) − onehot(t(r)))
// computed as log Σ exp(x − max) + max − x_t (no overflow for any finite logits), the exps in
// f32 (expf4, ≤ 2 ulp), their sum, the log and the loss in f64.
// Rows whose target equals ignoreIndex add nothing and get a zero gradient.
// logits: [N, C] f32; targets: [N] i32, each in [0, C) or ignoreIndex (checked by the host);
// dlogits: [N, C] f32 (may be logits itself), or 0 for the loss only. Returns Σ loss_r over the counted rows.
export function softmaxCrossEntropy(logits: usize, N: i32, C: i32, targets: usize, ignoreIndex: i32,
                                    dlogits: usize, gradScale: f64): f64 {
  const rowBytes = <usize>C << 2;
  const full = C & ~3;
  let total: f64 = 0;
  for (let r = 0; r < N; r++) {
    const x = logits + <usize>r * rowBytes;
    const d = dlogits + <usize>r * rowBytes;
    const t = load<i32>(targets + (<usize>r << 2));
    if (t == ignoreIndex) {
      if (dlogits) memory.fill(d, 0, rowBytes);
      continue;
    }
    const xt = load<f32>(x + (<usize>t << 2));   // read first: dlogits may alias logits
    // Row maximum (NaN-propagating, so a NaN logit gives a NaN loss as in torch).
    let mx: f32 = -Infinity;
    if (full) {
      let mv = v128.load(x);
      for (let j = 4; j < full; j += 4) mv = f32x4.max(mv, v128.load(x + (<usize>j << 2)));
      mx = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
               max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    }
    for (let j = full; j < C; j++) mx = max(mx, load<f32>(x + (<usize>j << 2)));
    // Σ exp(x − max), summed in f64; the exps are kept in dlogits for the gradient.
    const mxv = f32x4.splat(mx);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (let j = 0; j < full; j += 4) {
      const e = expf4(f32x4.sub(v128.load(x + (<usize>j << 2)), mxv));
      if (dlogits) v128.store(d + (<usize>j << 2), e);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
    }
    let sum = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)
            + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
    for (let j = full; j < C; j++) {
      const e = expf(load<f32>(x + (<usize>j << 2)) - mx);
      if (dlogits) store<f32>(d + (<usize>j << 2), e);
      sum += <f64>e;
    }
    total += logF64(sum) - (<f64>xt - <f64>mx);
    if (dlogits) {
      const rv = f32x4.splat(<f32>(gradScale / sum));
      for (let j = 0; j < C; j += 4) {
        const q = d + (<usize>j << 2);
        storeN(q, f32x4.mul(loadN(q, C - j), rv), C - j);
      }
      const q = d + (<usize>t << 2);
      store<f32>(q, load<f32>(q) - <f32>gradScale);
    }
  }
  return total;
}

// Squared error (torch.nn.MSELoss): returns Σ (pred − target)², the difference rounded to f32
// as torch does and squared and summed in f64; dpred = (pred − target)·gradScale, where the host
// passes 2/n for a mean and 2 for a sum (torch's mse_loss_backward order).
// pred, target: [n] f32; dpred: [n] f32 or 0 for the loss only.
export function mse(pred: usize, target: usize, n: i32, dpred: usize, gradScale: f64): f64 {
  const sv = f32x4.splat(<f32>gradScale);
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    const off = <usize>i << 2, left = n - i;
    const diff = f32x4.sub(loadN(pred + off, left), loadN(target + off, left));
    const dl = f64x2.promote_low_f32x4(diff);
    const dh = f64x2.promote_low_f32x4(v128.shuffle<f32>(diff, diff, 2, 3, 0, 1));
    lo = f64x2.add(lo, f64x2.mul(dl, dl));
    hi = f64x2.add(hi, f64x2.mul(dh, dh));
    if (dpred) storeN(dpred + off, f32x4.mul(diff, sv), left);
  }
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
