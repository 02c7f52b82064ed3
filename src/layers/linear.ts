// torch.nn.Linear: y = x·Wᵀ + b over the last dimension.

import { RecurShapeError } from '../errors.js';
import { Parameters, type ParamSpec } from '../runtime/params.js';
import { Random } from '../runtime/random.js';
import { init, type Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';
import { Tape } from './tape.js';
import { Module } from './module.js';
import { flag, noUnknown, oneOf, parameterBudget, positiveInt, seedOption } from './options.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;   // default true
  seed?: number;
  quantize?: 'int8';   // keep the weight as int8 with per-row scales (inference only)
}

export class Linear extends Module {
  readonly type = 'linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  readonly seed: number | undefined;
  readonly quantize: 'int8' | undefined;

  private constructor(rt: Runtime, options: LinearOptions, initialize = true) {
    super(rt);
    noUnknown('linear', options, ['inFeatures', 'outFeatures', 'bias', 'seed', 'quantize']);
    this.inFeatures = positiveInt('linear', 'inFeatures', options.inFeatures);
    this.outFeatures = positiveInt('linear', 'outFeatures', options.outFeatures);
    this.bias = flag('linear', 'bias', options.bias, true);
    this.seed = seedOption('linear', options.seed);
    this.quantize = options.quantize === undefined ? undefined : oneOf('linear', 'quantize', options.quantize, ['int8'] as const, 'int8');
    const K = this.inFeatures, N = this.outFeatures;
    parameterBudget('linear', N * K + (this.bias ? N : 0), `inFeatures ${K}, outFeatures ${N}`);
    const specs: ParamSpec[] = [{ name: 'weight', shape: [N, K], layout: { kind: this.quantize === 'int8' ? 'int8' : 'packed', gates: 1, hidden: N, inputs: K } }];
    if (this.bias) specs.push({ name: 'bias', shape: [N], layout: { kind: 'plain' } });
    this.params = new Parameters(rt, specs);
    // PyTorch: kaiming_uniform_(a=√5) for the weight and U(-1/√in, 1/√in) for the bias, both ±1/√in.
    if (!initialize) return;                     // left 0 for a caller about to load them
    const random = new Random(this.seed);
    this.params.initUniform('weight', random, 1 / Math.sqrt(K));
    if (this.bias) this.params.initUniform('bias', random, 1 / Math.sqrt(K));
  }

  static async create(options: LinearOptions, runtime?: Runtime): Promise<Linear> {
    return new Linear(runtime ?? (await init()), options);
  }

  /** @internal create() in a runtime already loaded (synchronous). */
  static in(runtime: Runtime, options: LinearOptions, initialize = true): Linear { return new Linear(runtime, options, initialize); }

  get outputSize(): number { return this.outFeatures; }

  toJSON(): Record<string, unknown> {
    this.alive();
    return { type: 'linear', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias,
             ...(this.seed === undefined ? {} : { seed: this.seed }), ...(this.quantize ? { quantize: this.quantize } : {}) };
  }

  /** input: [..., inFeatures] f32 → [..., outFeatures] */
  forward(input: Float32Array): Float32Array {
    return this.run(input, false).output;
  }

  /**
   * forward() that keeps its input for backward: tape.backward(dY [..., outFeatures]) adds
   * dW = dYᵀ·x and db = Σ dY to the gradients and returns dx = dY·W.
   */
  forwardTrain(input: Float32Array): { output: Float32Array; tape: Tape<Float32Array, Float32Array> } {
    this.checkTrainable();
    const { output, tape } = this.run(input, true);
    return { output, tape: tape! };
  }

  // One workspace for the forward pass and, when training, for the backward pass it keeps.
  private run(input: Float32Array, train: boolean): { output: Float32Array; tape?: Tape<Float32Array, Float32Array> } {
    this.alive();
    const K = this.inFeatures, N = this.outFeatures;
    if (!(input instanceof Float32Array)) throw new RecurShapeError('linear.forward: input must be a Float32Array');
    const rows = input.length / K;
    if (!Number.isInteger(rows)) {
      throw new RecurShapeError(`linear.forward: input [..., inFeatures=${K}] should have a multiple of ${K} values, got ${input.length}`);
    }
    const { rt } = this;
    const ws = new Workspace(rt, {
      x: rows * K, y: rows * N,
      xT: train ? rows * K : 0, dx: train ? rows * K : 0, wT: train ? Math.ceil(K / 16) * 16 * N : 0,
    });
    let output: Float32Array;
    try {
      rt.f32(ws.at('x'), rows * K).set(input);
      rt.kernels.linearForward(rows, K, N, ws.at('x'), this.params.ptrOf('weight'), this.params.scalesOf('weight'),
        this.bias ? this.params.ptrOf('bias') : 0, ws.at('y'));
      output = rt.read(ws.at('y'), rows * N);
    } catch (err) {
      ws.free();
      throw err;
    }
    if (!train) { ws.free(); return { output }; }
    const tape = new Tape((dY: Float32Array) => {
      this.alive();
      if (!(dY instanceof Float32Array) || dY.length !== rows * N) {
        throw new RecurShapeError(`linear backward: dY should be a Float32Array of ${rows}·${N} values, got ${dY instanceof Float32Array ? dY.length : typeof dY}`);
      }
      const k = rt.kernels, g = this.gradBlock();
      const dy = ws.at('y');                      // the output is no longer needed: dY goes there
      rt.f32(dy, dY.length).set(dY);
      k.transpose(ws.at('x'), rows, K, K, ws.at('xT'));
      k.gemmWeightGrad(rows, N, K, ws.at('xT'), dy, N, g.ptrOf('weight'));
      if (this.bias) k.addColumnSums(rows, N, dy, N, g.ptrOf('bias'));
      k.transposePacked(this.params.ptrOf('weight'), N, K, ws.at('wT'));
      k.gemm(rows, K, N, dy, N, ws.at('wT'), 0, ws.at('dx'), K, 0);
      return rt.read(ws.at('dx'), rows * K);
    }, () => ws.free());
    return { output, tape };
  }

  /** @internal Where the parameters live in wasm memory (bias 0 if none). Valid until dispose(). */
  kernelPointers() {
    this.alive();
    return { weight: this.params.ptrOf('weight'), bias: this.bias ? this.params.ptrOf('bias') : 0, scales: this.params.scalesOf('weight') };
  }
}
