// torch.nn.GRU, and the original GRU (ONNX linear_before_reset = 0) with linearBeforeReset: false.

import { padHidden } from '../runtime/pack.js';
import { init, type Runtime } from '../runtime/runtime.js';
import { flag } from './options.js';
import { Recurrent, RECURRENT_OPTIONS, type DirectionRun, type RecurrentOptions } from './recurrent.js';

export interface GRUOptions extends RecurrentOptions {
  /** n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn)) as PyTorch (default true), or
   *  n = tanh(W_n x + b_in + U_n (r ⊙ h) + b_hn) as Cho et al. 2014 and ONNX's default. */
  linearBeforeReset?: boolean;
}

export class GRU extends Recurrent {
  declare readonly type: 'gru';
  readonly linearBeforeReset: boolean;

  private constructor(rt: Runtime, options: GRUOptions) {
    super(rt, 'gru', 3, false, options, [...RECURRENT_OPTIONS, 'linearBeforeReset']);
    this.linearBeforeReset = flag('gru', 'linearBeforeReset', options.linearBeforeReset, true);
    this.build();
  }

  static async create(options: GRUOptions, runtime?: Runtime): Promise<GRU> {
    return new GRU(runtime ?? (await init()), options);
  }

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
      this.param('bias_ih', r), this.param('bias_hh', r), lbr ? 1 : 0,
      r.h, r.y, r.ldy, r.gates, r.chunk, r.scratch, rh, 0, 0, r.reverse ? 1 : 0);
  }
}
