// torch.nn.GRU, and the original GRU (ONNX linear_before_reset = 0) with linearBeforeReset: false.

import { padHidden } from '../runtime/pack.js';
import { init, type Runtime } from '../runtime/runtime.js';
import { flag } from './options.js';
import { sequenceGrads, type DirectionBackward } from './recurrent-backward.js';
import { Recurrent, RECURRENT_OPTIONS, type DirectionRun, type RecurrentOptions } from './recurrent.js';

export interface GRUOptions extends RecurrentOptions {
  /** n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn)) as PyTorch (default true), or
   *  n = tanh(W_n x + b_in + U_n (r ⊙ h) + b_hn) as Cho et al. 2014 and ONNX's default. */
  linearBeforeReset?: boolean;
}

export class GRU extends Recurrent {
  declare readonly type: 'gru';
  readonly linearBeforeReset: boolean;

  private constructor(rt: Runtime, options: GRUOptions, initialize = true) {
    super(rt, 'gru', 3, false, options, [...RECURRENT_OPTIONS, 'linearBeforeReset']);
    this.linearBeforeReset = flag('gru', 'linearBeforeReset', options.linearBeforeReset, true);
    this.build(initialize);
  }

  static async create(options: GRUOptions, runtime?: Runtime): Promise<GRU> {
    return new GRU(runtime ?? (await init()), options);
  }

  /** @internal create() in a runtime already loaded (synchronous). */
  static in(runtime: Runtime, options: GRUOptions, initialize = true): GRU { return new GRU(runtime, options, initialize); }

  // Without linear_before_reset, U_n multiplies r ⊙ h, which needs r first: U_r,z and U_n are
  // packed as two matrices so the kernel can run them as two products.
  protected hiddenGroups(): number[] | undefined { return this.linearBeforeReset ? undefined : [2, 1]; }

  protected extraOptions(): Record<string, unknown> { return { linearBeforeReset: this.linearBeforeReset }; }

  // gh [B, 3Hp] recurrent pre-activations, then rh [B, H] = r ⊙ h.
  protected scratchFloats(batch: number): number {
    return batch * 3 * padHidden(this.hiddenSize) + batch * this.hiddenSize;
  }

  protected runDirection(r: DirectionRun): void {
    const lbr = this.linearBeforeReset;
    const rh = lbr ? 0 : r.scratch + r.B * 3 * padHidden(this.hiddenSize) * 4;
    this.rt.kernels.gruForward(
      r.T, r.B, r.inputs, this.hiddenSize, r.x, r.inputs,
      this.param('weight_ih', r), this.param('weight_hh', r), lbr ? 0 : this.param('weight_hh', r, 1),
      this.scales('weight_ih', r), this.scales('weight_hh', r), lbr ? 0 : this.scales('weight_hh', r, 1),
      this.param('bias_ih', r), this.param('bias_hh', r), lbr ? 1 : 0,
      r.h, r.y, r.ldy, r.gates, r.chunk, r.scratch, rh, r.saved.hnseq ?? 0, r.saved.rhseq ?? 0, r.reverse ? 1 : 0, this.clip ?? 0,
      ...this.memoryArgs(r));
  }

  // Training keeps U_n h + b_hn (linear before reset) or r ⊙ h (without) for every step.
  protected savedFloats(T: number, B: number): Record<string, number> {
    return this.linearBeforeReset ? { hnseq: T * B * padHidden(this.hiddenSize) } : { rhseq: T * B * this.hiddenSize };
  }

  /** @internal Gate gradients from assembly/gru.ts gruBackward, then the sequence products. */
  runDirectionBackward(r: DirectionBackward): void {
    const k = this.rt.kernels, H = this.hiddenSize, Hp = padHidden(H), N = 3 * Hp;
    const rows = r.T * r.B;
    const { whhT, whnT, dgh } = r.scratch;
    if (this.linearBeforeReset) {
      k.transposePacked(r.params.whh, N, H, whhT);
    } else {
      k.transposePacked(r.params.whh, 2 * Hp, H, whhT);
      k.transposePacked(r.params.whn, Hp, H, whnT);
    }
    k.gruBackward(r.T, r.B, H, r.gates, dgh, r.saved.hnseq ?? 0, r.scratch.hprev, r.dy, r.lddy,
      whhT, this.linearBeforeReset ? 0 : whnT, r.scratch.drh, r.dh, this.linearBeforeReset ? 1 : 0, r.reverse ? 1 : 0, r.dhseq,
      ...this.memoryGradArgs(r), r.scratch.lg);
    if (this.linearBeforeReset) {
      sequenceGrads(this.rt, r, H, N, r.gates, dgh);
    } else {
      // U_r,z multiplies h; U_n multiplies r ⊙ h.
      k.transpose(r.scratch.hprev, rows, H, H, r.scratch.hT);
      k.gemmWeightGrad(rows, 2 * Hp, H, r.scratch.hT, dgh, N, r.grads.whh);
      k.transpose(r.saved.rhseq, rows, H, H, r.scratch.hT);
      k.gemmWeightGrad(rows, Hp, H, r.scratch.hT, dgh + 2 * Hp * 4, N, r.grads.whn);
      sequenceGrads(this.rt, r, H, N, r.gates, dgh, false);
    }
  }
}
