// torch.nn.RNN: the Elman network with tanh or relu.

import { init, type Runtime } from '../runtime/runtime.js';
import { oneOf } from './options.js';
import { padHidden } from '../runtime/pack.js';
import { sequenceGrads, type DirectionBackward } from './recurrent-backward.js';
import { Recurrent, RECURRENT_OPTIONS, type DirectionRun, type RecurrentOptions } from './recurrent.js';

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: 'tanh' | 'relu';   // default 'tanh'
}

export class RNN extends Recurrent {
  declare readonly type: 'rnn';
  readonly nonlinearity: 'tanh' | 'relu';

  private constructor(rt: Runtime, options: RNNOptions, initialize = true) {
    super(rt, 'rnn', 1, false, options, [...RECURRENT_OPTIONS, 'nonlinearity']);
    this.nonlinearity = oneOf('rnn', 'nonlinearity', options.nonlinearity, ['tanh', 'relu'], 'tanh');
    this.build(initialize);
  }

  static async create(options: RNNOptions, runtime?: Runtime): Promise<RNN> {
    return new RNN(runtime ?? (await init()), options);
  }

  /** @internal create() in a runtime already loaded (synchronous). */
  static in(runtime: Runtime, options: RNNOptions, initialize = true): RNN { return new RNN(runtime, options, initialize); }

  protected extraOptions(): Record<string, unknown> { return { nonlinearity: this.nonlinearity }; }

  protected runDirection(r: DirectionRun): void {
    this.rt.kernels.rnnForward(
      r.T, r.B, r.inputs, this.hiddenSize, r.x, r.inputs,
      this.param('weight_ih', r), this.param('weight_hh', r), this.scales('weight_ih', r), this.scales('weight_hh', r),
      this.param('bias_ih', r), this.param('bias_hh', r), this.nonlinearity === 'relu' ? 1 : 0, r.h, r.y, r.ldy, r.gates, r.chunk, r.reverse ? 1 : 0, this.clip ?? 0, ...this.memoryArgs(r));
  }

  /** @internal dâ from assembly/rnn.ts rnnBackward, then the sequence products. */
  runDirectionBackward(r: DirectionBackward): void {
    const k = this.rt.kernels, H = this.hiddenSize, N = padHidden(H);
    k.transposePacked(r.params.whh, N, H, r.scratch.whhT);
    k.rnnBackward(r.T, r.B, H, r.gates, this.nonlinearity === 'relu' ? 1 : 0, r.dy, r.lddy, r.scratch.whhT, r.dh, r.reverse ? 1 : 0, r.dhseq,
      ...this.memoryGradArgs(r), r.scratch.hprev, r.scratch.lg);
    sequenceGrads(this.rt, r, H, N, r.gates, r.gates);
  }
}
