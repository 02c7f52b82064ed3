// torch.nn.LSTM, optionally with the ONNX operator's peephole connections.

import type { ParamSpec } from '../runtime/params.js';
import { init, type Runtime } from '../runtime/runtime.js';
import { flag } from './options.js';
import { padHidden } from '../runtime/pack.js';
import { sequenceGrads, type DirectionBackward } from './recurrent-backward.js';
import { Recurrent, RECURRENT_OPTIONS, type DirectionRun, type RecurrentOptions } from './recurrent.js';

export interface LSTMOptions extends RecurrentOptions {
  /** Peephole weights P_i, P_f, P_o (ONNX LSTM input P), stored as weight_peephole_l{k}: [3·H]. */
  peephole?: boolean;
}

export class LSTM extends Recurrent {
  declare readonly type: 'lstm';
  readonly peephole: boolean;

  private constructor(rt: Runtime, options: LSTMOptions, initialize = true) {
    super(rt, 'lstm', 4, true, options, [...RECURRENT_OPTIONS, 'peephole']);
    this.peephole = flag('lstm', 'peephole', options.peephole, false);
    this.build(initialize);
  }

  /** A new LSTM with PyTorch's default initialisation, in the shared runtime unless one is given. */
  static async create(options: LSTMOptions, runtime?: Runtime): Promise<LSTM> {
    return new LSTM(runtime ?? (await init()), options);
  }

  /** @internal create() in a runtime already loaded (synchronous). */
  static in(runtime: Runtime, options: LSTMOptions, initialize = true): LSTM { return new LSTM(runtime, options, initialize); }

  protected extraSpecs(suffix: string): ParamSpec[] {
    if (!this.peephole) return [];
    const H = this.hiddenSize;
    return [{ name: `weight_peephole${suffix}`, shape: [3 * H], layout: { kind: 'gates', gates: 3, hidden: H } }];
  }

  protected extraOptions(): Record<string, unknown> { return { peephole: this.peephole }; }

  protected runDirection(r: DirectionRun): void {
    this.rt.kernels.lstmForward(
      r.T, r.B, r.inputs, this.hiddenSize, r.x, r.inputs,
      this.param('weight_ih', r), this.param('weight_hh', r), this.scales('weight_ih', r), this.scales('weight_hh', r),
      this.param('bias_ih', r), this.param('bias_hh', r), this.param('weight_peephole', r), r.h, r.c, r.y, r.ldy, r.gates, r.chunk, r.saved.cseq ?? 0, r.reverse ? 1 : 0, this.clip ?? 0, ...this.memoryArgs(r));
  }

  // Training keeps every c_t.
  protected savedFloats(T: number, B: number): Record<string, number> { return { cseq: T * B * this.hiddenSize }; }

  /** @internal dP from assembly/lstm.ts lstmBackward, then the sequence products. */
  runDirectionBackward(r: DirectionBackward): void {
    const k = this.rt.kernels, H = this.hiddenSize, N = 4 * padHidden(H);
    k.transposePacked(r.params.whh, N, H, r.scratch.whhT);
    k.lstmBackward(r.T, r.B, H, r.gates, r.saved.cseq, r.c0, r.params.peep, r.grads.peep,
      r.dy, r.lddy, r.scratch.whhT, r.dh, r.dc, r.reverse ? 1 : 0, r.dhseq, r.dcseq, ...this.memoryGradArgs(r), r.scratch.hprev, r.scratch.lg);
    sequenceGrads(this.rt, r, H, N, r.gates, r.gates);
  }
}
