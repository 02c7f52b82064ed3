// What LSTM, GRU and RNN share: PyTorch's options and parameter names, the [T, B, F] / batch-first
// layouts, stacking layers and directions, and the copy in and out of wasm memory. Each subclass
// supplies its gate count, its extra parameters, and the one kernel call that runs a whole
// sequence of one layer in one direction.

import { RecurDisposedError, RecurShapeError } from '../errors.js';
import { padHidden } from '../runtime/pack.js';
import { Parameters, type ParamSpec } from '../runtime/params.js';
import { Random } from '../runtime/random.js';
import type { Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';
import { StreamGroup, type StreamGroupOptions } from '../stream/group.js';
import type { StreamLayer } from '../stream/program.js';
import { Stream, type StreamOptions } from '../stream/stream.js';
import { flag, noUnknown, positiveInt, seedOption } from './options.js';

export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;       // default 1
  bias?: boolean;           // default true
  batchFirst?: boolean;     // input/output [B, T, F] instead of [T, B, F]; default false
  bidirectional?: boolean;  // default false
  seed?: number;            // for the initial weights (PyTorch's U(-1/√H, 1/√H))
}

export interface ForwardOptions {
  seqLen?: number;          // T; default input.length / (batch · inputSize)
  batch?: number;           // B; default 1
  h0?: Float32Array;        // [L·D, B, H]; default zeros
  c0?: Float32Array;        // [L·D, B, H] (LSTM only); default zeros
}

export interface ForwardResult {
  output: Float32Array;     // [T, B, D·H] ([B, T, D·H] if batchFirst)
  h: Float32Array;          // [L·D, B, H] final hidden state
  c?: Float32Array;         // [L·D, B, H] final cell state (LSTM only)
}

/** Pointers for one layer-direction run; see assembly/lstm.ts for their shapes. */
export interface DirectionRun {
  layer: number; reverse: boolean;
  T: number; B: number; inputs: number;
  x: number; y: number; ldy: number;       // input rows (stride `inputs`), output rows
  h: number; c: number;                    // [B, H] state of this layer-direction
  gates: number; chunk: number;            // [chunk, B, G·Hp] workspace
  scratch: number;                         // extra workspace of scratchFloats(B)
}

export const RECURRENT_OPTIONS = ['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'bidirectional', 'seed'];

// Input projections are done `chunk` steps at a time: one GEMM over chunk·B rows whose output
// (chunk·B·G·Hp floats) stays within about 256 KB, i.e. in L2 for the recurrent loop.
const GATE_BUDGET = 65536;

export abstract class Recurrent {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  /** The seed of the initial weights, if one was given (kept in toJSON()). */
  readonly seed: number | undefined;
  protected params!: Parameters;
  private disposed = false;

  protected constructor(
    protected readonly rt: Runtime,
    readonly type: 'lstm' | 'gru' | 'rnn',
    /** Gate blocks per layer: 4 (LSTM), 3 (GRU), 1 (RNN). */
    protected readonly gates: number,
    /** Whether the layer has a cell state c besides h. */
    protected readonly hasCell: boolean,
    options: RecurrentOptions,
    known: string[],
  ) {
    noUnknown(type, options, known);
    this.inputSize = positiveInt(type, 'inputSize', options.inputSize);
    this.hiddenSize = positiveInt(type, 'hiddenSize', options.hiddenSize);
    this.numLayers = positiveInt(type, 'numLayers', options.numLayers, 1);
    this.bias = flag(type, 'bias', options.bias, true);
    this.batchFirst = flag(type, 'batchFirst', options.batchFirst, false);
    this.bidirectional = flag(type, 'bidirectional', options.bidirectional, false);
    this.seed = seedOption(type, options.seed);
  }

  /** Allocates and initialises the parameters; subclasses call it once their own options are set. */
  protected build(): void {
    this.params = new Parameters(this.rt, this.paramSpecs());
    this.initialize(new Random(this.seed));
  }

  get numDirections(): number { return this.bidirectional ? 2 : 1; }

  /** Features of one output row: D·H. */
  get outputSize(): number { return this.numDirections * this.hiddenSize; }

  /** Number of parameters, as PyTorch counts them. */
  get parameterCount(): number { this.alive(); return this.params.count; }

  /** The plain-JSON description create() takes. */
  toJSON(): Record<string, unknown> {
    this.alive();
    return {
      type: this.type, inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers,
      bias: this.bias, batchFirst: this.batchFirst, bidirectional: this.bidirectional, ...this.extraOptions(),
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }

  /** Every parameter under its PyTorch name, in PyTorch's layout. */
  stateDict(prefix = ''): Record<string, Float32Array> {
    this.alive();
    return this.params.dump(prefix);
  }

  /** Loads parameters by PyTorch name; throws on missing, extra, wrongly sized or non-finite tensors. */
  loadStateDict(dict: Record<string, ArrayLike<number>>, prefix = ''): void {
    this.alive();
    this.params.load(dict, prefix);
  }

  forward(input: Float32Array, options: ForwardOptions = {}): ForwardResult {
    this.alive();
    const { rt } = this;
    const I = this.inputSize, H = this.hiddenSize, L = this.numLayers, D = this.numDirections;
    if (!(input instanceof Float32Array)) throw new RecurShapeError(`${this.type}.forward: input must be a Float32Array`);
    const B = positiveInt(this.type, 'batch', options.batch, 1);
    const T = options.seqLen === undefined ? input.length / (B * I) : positiveInt(this.type, 'seqLen', options.seqLen);
    const layout = this.batchFirst ? '[batch, seqLen, inputSize]' : '[seqLen, batch, inputSize]';
    if (!Number.isInteger(T) || T < 1 || input.length !== T * B * I) {
      throw new RecurShapeError(`${this.type}.forward: input ${layout} should have ${options.seqLen ?? 'seqLen'}·${B}·${I} values, got ${input.length}`);
    }
    const stateLength = L * D * B * H;
    for (const [name, s] of [['h0', options.h0], ['c0', options.c0]] as const) {
      if (s === undefined) continue;
      if (name === 'c0' && !this.hasCell) throw new RecurShapeError(`${this.type}.forward: c0 is only for LSTM`);
      if (!(s instanceof Float32Array)) throw new RecurShapeError(`${this.type}.forward: ${name} must be a Float32Array`);
      if (s.length !== stateLength) {
        throw new RecurShapeError(`${this.type}.forward: ${name} [numLayers·directions, batch, hiddenSize] = [${L * D}, ${B}, ${H}] should have ${stateLength} values, got ${s.length}`);
      }
    }

    const N = this.gates * padHidden(H);
    const chunk = Math.max(1, Math.min(T, Math.floor(GATE_BUDGET / (B * N))));
    const rows = T * B;
    const transpose = this.batchFirst && T > 1 && B > 1;
    const ws = new Workspace(rt, {
      input: rows * I, inputT: transpose ? rows * I : 0,
      a: rows * D * H, b: L > 1 || transpose ? rows * D * H : 0,
      h: stateLength, c: this.hasCell ? stateLength : 0,
      gates: chunk * B * N, scratch: this.scratchFloats(B),
    });
    try {
      rt.f32(ws.at('input'), input.length).set(input);
      let x = ws.at('input');
      if (transpose) { rt.kernels.swapAxes01(x, B, T, I, ws.at('inputT')); x = ws.at('inputT'); }
      const h = ws.at('h'), c = ws.at('c');
      rt.f32(h, stateLength).set(options.h0 ?? new Float32Array(stateLength));
      if (c) rt.f32(c, stateLength).set(options.c0 ?? new Float32Array(stateLength));

      let inputs = I;
      let y = ws.at('a'), free = ws.at('b');
      for (let l = 0; l < L; l++) {
        for (let d = 0; d < D; d++) {
          const state = ((l * D + d) * B * H) * 4;
          this.runDirection({
            layer: l, reverse: d === 1, T, B, inputs, x, y: y + d * H * 4, ldy: D * H,
            h: h + state, c: c ? c + state : 0, gates: ws.at('gates'), chunk, scratch: ws.at('scratch'),
          });
        }
        inputs = D * H;
        x = y;
        [y, free] = [free, y];
      }
      // x now holds the last layer's output, time-major, and y is free.
      if (transpose) { rt.kernels.swapAxes01(x, T, B, D * H, y); x = y; }
      return {
        output: rt.read(x, rows * D * H),
        h: rt.read(h, stateLength),
        ...(c ? { c: rt.read(c, stateLength) } : {}),
      };
    } finally {
      ws.free();
    }
  }

  /** A step-by-step session over this layer (unidirectional only); step() returns the top layer's h. */
  stream(options: StreamOptions = {}): Stream {
    this.alive();
    return new Stream(this.rt, [{ name: '', layer: this as unknown as StreamLayer }], options);
  }

  /** Many independent streams stepped together in one kernel call. */
  streamGroup(options: StreamGroupOptions): StreamGroup {
    this.alive();
    return new StreamGroup(this.rt, [{ name: '', layer: this as unknown as StreamLayer }], options);
  }

  /** The runtime (wasm instance and memory) this layer lives in. */
  get runtime(): Runtime { return this.rt; }

  /** Frees the layer's wasm memory; any later call throws RecurDisposedError. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.dispose();
  }

  get isDisposed(): boolean { return this.disposed; }

  /** PyTorch's name suffix for a layer-direction: `_l1`, `_l0_reverse`. */
  protected suffix(layer: number, reverse: boolean): string {
    return `_l${layer}${reverse ? '_reverse' : ''}`;
  }

  /** weight_ih, weight_hh, bias_ih, bias_hh for every layer-direction, plus extraSpecs. */
  private paramSpecs(): ParamSpec[] {
    const G = this.gates, H = this.hiddenSize;
    const specs: ParamSpec[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const inputs = l === 0 ? this.inputSize : this.outputSize;
      for (let d = 0; d < this.numDirections; d++) {
        const s = this.suffix(l, d === 1);
        specs.push({ name: `weight_ih${s}`, shape: [G * H, inputs], layout: { kind: 'packed', gates: G, hidden: H, inputs } });
        specs.push({ name: `weight_hh${s}`, shape: [G * H, H], layout: { kind: 'packed', gates: G, hidden: H, inputs: H, groups: this.hiddenGroups() } });
        if (this.bias) {
          specs.push({ name: `bias_ih${s}`, shape: [G * H], layout: { kind: 'gates', gates: G, hidden: H } });
          specs.push({ name: `bias_hh${s}`, shape: [G * H], layout: { kind: 'gates', gates: G, hidden: H } });
        }
        specs.push(...this.extraSpecs(s));
      }
    }
    return specs;
  }

  /** PyTorch's default initialisation: every parameter U(-1/√H, 1/√H). */
  private initialize(random: Random): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const name of this.params.names) {
      const n = this.params.shape(name).reduce((a, b) => a * b, 1);
      this.params.set(name, random.uniform(n, bound));
    }
  }

  protected alive(): void {
    if (this.disposed) throw new RecurDisposedError(`${this.type}: used after dispose()`);
  }

  /**
   * @internal Where one layer-direction's parameters live in wasm memory, for the kernels that
   * streams and training call (0 for an absent tensor). Valid until dispose().
   */
  kernelPointers(layer: number, reverse = false) {
    this.alive();
    const run = { layer, reverse };
    return {
      wih: this.param('weight_ih', run), whh: this.param('weight_hh', run),
      whn: this.hiddenGroups()?.length === 2 ? this.param('weight_hh', run, 1) : 0,
      bih: this.param('bias_ih', run), bhh: this.param('bias_hh', run),
      peep: this.param('weight_peephole', run),
    };
  }

  /** Pointer to a parameter of a layer-direction, or 0 if the layer has no such tensor (bias: false). */
  protected param(base: string, run: { layer: number; reverse: boolean }, group = 0): number {
    const name = base + this.suffix(run.layer, run.reverse);
    return this.params.has(name) ? this.params.ptrOf(name, group) : 0;
  }

  /** How W_hh's gates are packed (GRU without linear_before_reset splits them). */
  protected hiddenGroups(): number[] | undefined { return undefined; }

  protected extraSpecs(_suffix: string): ParamSpec[] { return []; }

  protected extraOptions(): Record<string, unknown> { return {}; }

  /** Floats of per-call scratch memory the kernel needs besides the gates, for batch B. */
  protected scratchFloats(_batch: number): number { return 0; }

  protected abstract runDirection(run: DirectionRun): void;
}
