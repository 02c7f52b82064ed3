// What LSTM, GRU and RNN share: PyTorch's options and parameter names, the [T, B, F] / batch-first
// layouts, stacking layers and directions, and the copy in and out of wasm memory. Each subclass
// supplies its gate count, its extra parameters, and the one kernel call that runs a whole
// sequence of one layer in one direction.

import { RecurOptionError, RecurShapeError, shown } from '../errors.js';
import { padHidden } from '../runtime/pack.js';
import { Parameters, type ParamSpec } from '../runtime/params.js';
import { Random } from '../runtime/random.js';
import type { Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';
import { recurrentBackward, type BackwardInput, type DirectionBackward, type Gradients, type RecurrentTape } from './recurrent-backward.js';
import { Tape } from './tape.js';
import { matrixSpectra, type GateSpectrum, type SpectrumOptions } from './diagnostics.js';
import { chronoBiases, orthogonalMatrix } from './init.js';
import { Module } from './module.js';
import { flag, MAX_LAYERS, noUnknown, oneOf, optionsObject, parameterBudget, positiveInt, seedOption } from './options.js';

export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;       // default 1
  bias?: boolean;           // default true
  batchFirst?: boolean;     // input/output [B, T, F] instead of [T, B, F]; default false
  bidirectional?: boolean;  // default false
  seed?: number;            // for the initial weights (PyTorch's U(-1/√H, 1/√H))
  quantize?: 'int8';        // keep W_ih and W_hh as int8 with per-row scales (inference only)
  clip?: number;            // ONNX's cell clip: gate pre-activations clamped to [-clip, clip] (inference only)
  // Initialisations for long memory (src/layers/init.ts); a model file records them.
  recurrentInit?: 'uniform' | 'orthogonal' | 'identity';   // W_hh: PyTorch's (default), orthogonal blocks, or IRNN's I (RNN)
  forgetBias?: number;      // LSTM: forget-gate bias (Jozefowicz et al. 2015: 1)
  chronoMaxLength?: number; // LSTM/GRU: chrono initialisation for dependencies up to this many steps (Tallec & Ollivier 2018)
  // Architectures for long memory (assembly/lstm.ts, assembly/leak.ts); a model file records them.
  dilation?: number | number[]; // skip connections through time: step t reads h_{t−d} (Chang et al. 2017); one per layer or for all; default 1
  leak?: number;            // leaky units, α in (0, 1]: h_t = (1 − α) h_{t−d} + α h̃_t (only h leaks); default none (α = 1)
  learnLeak?: boolean;      // α per unit learned, α = σ(leak_logit), starting at leak (default 0.5)
}

export interface ForwardOptions {
  seqLen?: number;          // T; default input.length / (batch · inputSize)
  batch?: number;           // B; default 1
  h0?: Float32Array;        // [L·D, B, H]; default zeros
  c0?: Float32Array;        // [L·D, B, H] (LSTM only); default zeros
  train?: boolean;          // keep what backward needs and return a tape
}

export interface ForwardResult {
  output: Float32Array;     // [T, B, D·H] ([B, T, D·H] if batchFirst)
  h: Float32Array;          // [L·D, B, H] final hidden state
  c?: Float32Array;         // [L·D, B, H] final cell state (LSTM only)
  tape?: RecurrentTape;     // with train: true — call tape.backward() once
}

/** Pointers for one layer-direction run; see assembly/lstm.ts for their shapes. */
export interface DirectionRun {
  layer: number; reverse: boolean;
  T: number; B: number; inputs: number;
  x: number; y: number; ldy: number;       // input rows (stride `inputs`), output rows
  h: number; c: number;                    // [B, H] state of this layer-direction
  gates: number; chunk: number;            // [chunk, B, G·Hp] workspace
  scratch: number;                         // extra workspace of scratchFloats(B)
  saved: Record<string, number>;           // training: savedFloatsFor() buffers, else empty
  hprev: number;                           // [B, H] scratch for leaky units, or 0
}

/** Where one layer-direction's tensors are (parameters or gradients); 0 for an absent tensor.
 *  sih, shh, shn: row scales of int8 weights, 0 for f32 ones. */
export interface KernelPointers {
  wih: number; whh: number; whn: number; bih: number; bhh: number; peep: number;
  sih: number; shh: number; shn: number;
  leak: number;             // learned leak logits [Hp], or 0
}

export const RECURRENT_OPTIONS = ['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'bidirectional', 'seed', 'quantize', 'clip',
  'recurrentInit', 'forgetBias', 'chronoMaxLength', 'dilation', 'leak', 'learnLeak'];

/** Longest skip through time: a ring of d states per layer is kept, so d is bounded like a size. */
export const MAX_DILATION = 65536;

// Input projections are done `chunk` steps at a time: one GEMM over chunk·B rows whose output
// (chunk·B·G·Hp floats) stays within about 256 KB, i.e. in L2 for the recurrent loop.
const GATE_BUDGET = 65536;

export abstract class Recurrent extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  /** The seed of the initial weights, if one was given (kept in toJSON()). */
  readonly seed: number | undefined;
  /** 'int8' if W_ih and W_hh are stored as int8. */
  readonly quantize: 'int8' | undefined;
  /** ONNX's cell clip (gate pre-activations clamped to [-clip, clip]), or undefined for none. */
  readonly clip: number | undefined;
  /** How W_hh was initialised: 'uniform' (PyTorch's default), 'orthogonal' or 'identity'. */
  readonly recurrentInit: 'uniform' | 'orthogonal' | 'identity';
  /** The LSTM forget-gate bias it was initialised with, if given. */
  readonly forgetBias: number | undefined;
  /** T_max of chrono initialisation, if used. */
  readonly chronoMaxLength: number | undefined;
  /** Skip length through time per layer (1: none): layer l's step t reads h_{t−d_l}. */
  readonly dilations: number[];
  /** The leak rate α (fixed, or the initial one with learnLeak), or undefined for none. */
  readonly leak: number | undefined;
  /** Whether α is learned per unit (parameter leak_logit, α = σ(leak_logit)). */
  readonly learnLeak: boolean;
  protected constructor(
    rt: Runtime,
    readonly type: 'lstm' | 'gru' | 'rnn',
    /** Gate blocks per layer: 4 (LSTM), 3 (GRU), 1 (RNN). */
    protected readonly gates: number,
    /** Whether the layer has a cell state c besides h. */
    protected readonly hasCell: boolean,
    options: RecurrentOptions,
    known: string[],
  ) {
    super(rt);
    noUnknown(type, options, known);
    this.inputSize = positiveInt(type, 'inputSize', options.inputSize);
    this.hiddenSize = positiveInt(type, 'hiddenSize', options.hiddenSize);
    this.numLayers = positiveInt(type, 'numLayers', options.numLayers, 1, MAX_LAYERS);
    this.bias = flag(type, 'bias', options.bias, true);
    this.batchFirst = flag(type, 'batchFirst', options.batchFirst, false);
    this.bidirectional = flag(type, 'bidirectional', options.bidirectional, false);
    this.seed = seedOption(type, options.seed);
    this.quantize = options.quantize === undefined ? undefined : oneOf(type, 'quantize', options.quantize, ['int8'] as const, 'int8');
    if (options.clip !== undefined && !(typeof options.clip === 'number' && options.clip > 0 && Number.isFinite(options.clip))) {
      throw new RecurOptionError(`${type}: clip must be a positive finite number, got ${JSON.stringify(options.clip)}`);
    }
    this.clip = options.clip;
    this.recurrentInit = oneOf(type, 'recurrentInit', options.recurrentInit, ['uniform', 'orthogonal', 'identity'] as const, 'uniform');
    if (this.recurrentInit === 'identity' && type !== 'rnn') {
      throw new RecurOptionError(`${type}: recurrentInit 'identity' is IRNN's (Le et al. 2015), for an RNN; use 'orthogonal' for a ${type}`);
    }
    const number = (name: string, v: unknown, ok: (x: number) => boolean, what: string) => {
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RecurOptionError(`${type}: ${name} must be ${what}, got ${shown(v)}`);
      return v;
    };
    this.forgetBias = number('forgetBias', options.forgetBias, (x) => Math.abs(x) <= 1e6, 'a finite number');
    this.chronoMaxLength = number('chronoMaxLength', options.chronoMaxLength, (x) => x > 2 && x <= 1e9, 'a number of steps above 2 (biases log(U(1, T − 1)))');
    if (this.forgetBias !== undefined && type !== 'lstm') throw new RecurOptionError(`${type}: forgetBias is for an LSTM's forget gate; a ${type} has none (chronoMaxLength sets a GRU's update gate)`);
    if (this.chronoMaxLength !== undefined && type === 'rnn') throw new RecurOptionError('rnn: chronoMaxLength sets gate biases; an RNN has no gates');
    if (this.forgetBias !== undefined && this.chronoMaxLength !== undefined) throw new RecurOptionError(`${type}: give forgetBias or chronoMaxLength, not both (both set the forget gate's bias)`);
    if ((this.forgetBias !== undefined || this.chronoMaxLength !== undefined) && !this.bias) {
      throw new RecurOptionError(`${type}: ${this.forgetBias !== undefined ? 'forgetBias' : 'chronoMaxLength'} sets biases, but bias is false`);
    }
    const dilation = options.dilation;
    if (Array.isArray(dilation)) {
      if (dilation.length !== this.numLayers) throw new RecurOptionError(`${type}: dilation has ${dilation.length} entries, one per layer is ${this.numLayers}`);
      this.dilations = dilation.map((d, l) => positiveInt(type, `dilation[${l}]`, d, 1, MAX_DILATION));
    } else {
      this.dilations = new Array(this.numLayers).fill(positiveInt(type, 'dilation', dilation, 1, MAX_DILATION));
    }
    this.learnLeak = flag(type, 'learnLeak', options.learnLeak, false);
    this.leak = number('leak', options.leak, (x) => x > 0 && x <= (this.learnLeak ? 1 - 1e-6 : 1), this.learnLeak
      ? 'the initial rate α in (0, 1) (learnLeak: α = σ(leak_logit))' : 'a rate α in (0, 1] (h_t = (1 − α) h_{t−1} + α h̃_t)');
    if (this.leak === 1) this.leak = undefined;   // α = 1 is no leak
  }

  /** Whether the state leaks (a fixed or a learned α). */
  get leaky(): boolean { return this.leak !== undefined || this.learnLeak; }

  /** The kernels' fixed α: the leak, or 0 for none or a learned one (whose logits they read). */
  get fixedLeak(): number { return this.learnLeak ? 0 : this.leak ?? 0; }

  /** Whether a dilation or a leak makes this layer differ from PyTorch's. */
  get longMemory(): boolean { return this.leaky || this.dilations.some((d) => d > 1); }

  /**
   * Allocates and initialises the parameters; subclasses call it once their own options are set.
   * initialize = false leaves them 0, for a caller about to load every one (loadModel).
   */
  protected build(initialize: boolean): void {
    const specs = this.paramSpecs();              // at most MAX_LAYERS · 2 · 5 specs
    parameterBudget(this.type, specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
      `inputSize ${this.inputSize}, hiddenSize ${this.hiddenSize}, numLayers ${this.numLayers}${this.bidirectional ? ', bidirectional' : ''}`);
    this.params = new Parameters(this.rt, specs);
    if (initialize) this.initialize(new Random(this.seed));
  }

  get numDirections(): number { return this.bidirectional ? 2 : 1; }

  /** Features of one output row: D·H. */
  get outputSize(): number { return this.numDirections * this.hiddenSize; }

  /** The plain-JSON description create() takes. */
  toJSON(): Record<string, unknown> {
    this.alive();
    return {
      type: this.type, inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers,
      bias: this.bias, batchFirst: this.batchFirst, bidirectional: this.bidirectional, ...this.extraOptions(),
      ...(this.seed === undefined ? {} : { seed: this.seed }),
      ...(this.quantize ? { quantize: this.quantize } : {}),
      ...(this.clip === undefined ? {} : { clip: this.clip }),
      ...(this.recurrentInit === 'uniform' ? {} : { recurrentInit: this.recurrentInit }),
      ...(this.forgetBias === undefined ? {} : { forgetBias: this.forgetBias }),
      ...(this.chronoMaxLength === undefined ? {} : { chronoMaxLength: this.chronoMaxLength }),
      ...(this.dilations.every((d) => d === 1) ? {} : { dilation: this.dilations.every((d) => d === this.dilations[0]) ? this.dilations[0] : [...this.dilations] }),
      ...(this.leak === undefined ? {} : { leak: this.leak }),
      ...(this.learnLeak ? { learnLeak: true } : {}),
    };
  }

  forward(input: Float32Array, options?: ForwardOptions): ForwardResult {
    this.alive();
    options = optionsObject(`${this.type}.forward`, options);
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
    const train = options.train === true;
    if (train) this.checkTrainable();
    if (train && this.clip !== undefined) throw new RecurOptionError(`${this.type}: a clipped cell (clip option) is for inference only`);
    // Training keeps every step's gates (chunk = T) and every layer's output for the backward pass.
    const chunk = train ? T : Math.max(1, Math.min(T, Math.floor(GATE_BUDGET / (B * N))));
    const rows = T * B;
    const transpose = this.batchFirst && T > 1 && B > 1;
    // The state of each layer-direction is a ring of d_l rows [B, H] (dilation d_l; one row without).
    const rings = this.ringOffsets(B);
    const ringFloats = rings[L * D];
    const blocks: Record<string, number> = {
      input: rows * I, inputT: transpose ? rows * I : 0,
      h: ringFloats, c: this.hasCell ? ringFloats : 0, scratch: this.scratchFloats(B),
      hprev: this.leaky ? B * H : 0,
    };
    if (train) {
      blocks.h0 = stateLength;
      blocks.c0 = this.hasCell ? stateLength : 0;
      blocks.outT = transpose ? rows * D * H : 0;
      for (let l = 0; l < L; l++) {
        blocks[`y${l}`] = rows * D * H;
        for (let d = 0; d < D; d++) {
          blocks[`gates.${l}.${d}`] = rows * N;
          for (const [key, floats] of Object.entries(this.savedFloatsFor(T, B))) blocks[`${key}.${l}.${d}`] = floats;
        }
      }
    } else {
      Object.assign(blocks, { a: rows * D * H, b: L > 1 || transpose ? rows * D * H : 0, gates: chunk * B * N });
    }
    const ws = new Workspace(rt, blocks);
    let kept = false;
    try {
      rt.f32(ws.at('input'), input.length).set(input);
      let x = ws.at('input');
      if (transpose) { rt.kernels.swapAxes01(x, B, T, I, ws.at('inputT')); x = ws.at('inputT'); }
      const h = ws.at('h'), c = ws.at('c');
      this.fillRings(h, rings, B, options.h0);
      if (c) this.fillRings(c, rings, B, options.c0);
      if (train) {
        rt.f32(ws.at('h0'), stateLength).set(options.h0 ?? new Float32Array(stateLength));
        if (c) rt.f32(ws.at('c0'), stateLength).set(options.c0 ?? new Float32Array(stateLength));
      }

      let inputs = I;
      let y = train ? ws.at('y0') : ws.at('a'), free = ws.at('b');
      for (let l = 0; l < L; l++) {
        for (let d = 0; d < D; d++) {
          const state = rings[l * D + d] * 4;
          const saved: Record<string, number> = {};
          if (train) for (const key of Object.keys(this.savedFloatsFor(T, B))) saved[key] = ws.at(`${key}.${l}.${d}`);
          this.runDirection({
            layer: l, reverse: d === 1, T, B, inputs, x, y: y + d * H * 4, ldy: D * H,
            h: h + state, c: c ? c + state : 0, gates: train ? ws.at(`gates.${l}.${d}`) : ws.at('gates'), chunk,
            scratch: ws.at('scratch'), saved, hprev: ws.at('hprev'),
          });
        }
        inputs = D * H;
        x = y;
        if (train) y = l + 1 < L ? ws.at(`y${l + 1}`) : 0;
        else [y, free] = [free, y];
      }
      // x now holds the last layer's output, time-major.
      if (transpose) {
        const out = train ? ws.at('outT') : y;
        rt.kernels.swapAxes01(x, T, B, D * H, out);
        x = out;
      }
      const result: ForwardResult = {
        output: rt.read(x, rows * D * H),
        h: this.finalStates(h, rings, T, B),
        ...(c ? { c: this.finalStates(c, rings, T, B) } : {}),
      };
      if (train) {
        const shape = { T, B, transpose };
        result.tape = new Tape((up: BackwardInput = {}) => this.backwardFrom(ws, shape, up), () => ws.free());
        kept = true;
      }
      return result;
    } finally {
      if (!kept) ws.free();
    }
  }

  /** Where each layer-direction's state ring starts (floats), index l·D + d, and the total at L·D. */
  private ringOffsets(B: number): number[] {
    const offsets = [0];
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < this.numDirections; d++) offsets.push(offsets[offsets.length - 1] + this.dilations[l] * B * this.hiddenSize);
    }
    return offsets;
  }

  /** Every slot of every ring at ptr starts from the layer-direction's initial state (or 0). */
  private fillRings(ptr: number, rings: number[], B: number, init: Float32Array | undefined): void {
    const n = B * this.hiddenSize;
    for (let k = 0; k + 1 < rings.length; k++) {
      const ring = this.rt.f32(ptr + rings[k] * 4, rings[k + 1] - rings[k]);
      for (let at = 0; at < ring.length; at += n) {
        if (init) ring.set(init.subarray(k * n, (k + 1) * n), at); else ring.fill(0, at, at + n);
      }
    }
  }

  /** [L·D, B, H]: each ring's last state, the slot of step T − 1 of its run. */
  private finalStates(ptr: number, rings: number[], T: number, B: number): Float32Array {
    const n = B * this.hiddenSize, out = new Float32Array((rings.length - 1) * n);
    for (let k = 0; k + 1 < rings.length; k++) {
      const slot = (T - 1) % this.dilations[Math.floor(k / this.numDirections)];
      out.set(this.rt.f32(ptr + (rings[k] + slot * n) * 4, n), k * n);
    }
    return out;
  }

  /** @internal Floats of workspace runLayer() needs for T steps of B rows. */
  layerWorkspaceFloats(T: number, B: number): number {
    const N = this.gates * padHidden(this.hiddenSize);
    return Math.max(1, Math.min(T, Math.floor(GATE_BUDGET / (B * N)))) * B * N + this.scratchFloats(B);
  }

  /**
   * @internal forward() of a one-layer model, for inference, on buffers in wasm memory that the
   * caller owns (the ONNX graph runtime's): x [T, B, I], y [T, B, D·H] time-major; h, c [D, B, H]
   * hold the initial state and receive the final one; ws has layerWorkspaceFloats(T, B) floats.
   */
  runLayer(T: number, B: number, x: number, y: number, h: number, c: number, ws: number): void {
    this.alive();
    if (this.longMemory) throw new RecurOptionError(`${this.type}: runLayer() runs PyTorch's cells, without dilation or leak`);
    const H = this.hiddenSize, D = this.numDirections, N = this.gates * padHidden(H);
    const chunk = Math.max(1, Math.min(T, Math.floor(GATE_BUDGET / (B * N))));
    for (let d = 0; d < D; d++) {
      this.runDirection({
        layer: 0, reverse: d === 1, T, B, inputs: this.inputSize, x, y: y + d * H * 4, ldy: D * H,
        h: h + d * B * H * 4, c: c ? c + d * B * H * 4 : 0, gates: ws, chunk, scratch: ws + chunk * B * N * 4, saved: {}, hprev: 0,
      });
    }
  }

  /** @internal The backward pass of a training forward(); see RecurrentTape. */
  backwardFrom(ws: Workspace<string>, shape: { T: number; B: number; transpose: boolean }, upstream: BackwardInput): Gradients {
    this.alive();
    if (typeof upstream !== 'object' || upstream === null) {
      throw new RecurOptionError(`${this.type} backward: the upstream gradients must be an object { output, h, c }, got ${shown(upstream)}`);
    }
    const grads = this.gradBlock();
    return recurrentBackward(this, this.rt, grads, ws, shape, upstream);
  }

  /**
   * Diagnostics of memory: the spectral radius and largest singular value of each gate block of
   * W_hh (LSTM i, f, g, o; GRU r, z, n; RNN one block), for every layer-direction, by power
   * iteration in wasm. Index l·D + d, as h0's rows.
   */
  spectra(options?: SpectrumOptions): { layer: number; reverse: boolean; gates: GateSpectrum[] }[] {
    this.alive();
    options = optionsObject(`${this.type}.spectra`, options);
    noUnknown(`${this.type}.spectra`, options, ['maxIterations', 'tolerance']);
    const weights = this.params.dump();
    const out: { layer: number; reverse: boolean; gates: GateSpectrum[] }[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < this.numDirections; d++) {
        const whh = weights[`weight_hh${this.suffix(l, d === 1)}`];
        out.push({ layer: l, reverse: d === 1, gates: matrixSpectra(this.rt, this.type, whh, this.hiddenSize, options) });
      }
    }
    return out;
  }

  // stream() and streamGroup() are added by src/stream/layer-streams.ts: streams are built on
  // layers, so src/layers never imports src/stream (test/architecture.test.ts).

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
        const kind = this.quantize === 'int8' ? 'int8' : 'packed';
        specs.push({ name: `weight_ih${s}`, shape: [G * H, inputs], layout: { kind, gates: G, hidden: H, inputs } });
        specs.push({ name: `weight_hh${s}`, shape: [G * H, H], layout: { kind, gates: G, hidden: H, inputs: H, groups: this.hiddenGroups() } });
        if (this.bias) {
          specs.push({ name: `bias_ih${s}`, shape: [G * H], layout: { kind: 'gates', gates: G, hidden: H } });
          specs.push({ name: `bias_hh${s}`, shape: [G * H], layout: { kind: 'gates', gates: G, hidden: H } });
        }
        specs.push(...this.extraSpecs(s));
        if (this.learnLeak) specs.push({ name: `leak_logit${s}`, shape: [H], layout: { kind: 'gates', gates: 1, hidden: H } });
      }
    }
    return specs;
  }

  /**
   * PyTorch's default initialisation, every parameter U(-1/√H, 1/√H), then the options for long
   * memory (src/layers/init.ts), in order: W_hh, then the gate biases.
   */
  private initialize(random: Random): void {
    const H = this.hiddenSize, G = this.gates;
    const bound = 1 / Math.sqrt(H);
    for (const name of this.params.names) this.params.initUniform(name, random, bound);
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < this.numDirections; d++) {
        const s = this.suffix(l, d === 1);
        if (this.recurrentInit !== 'uniform') {
          const whh = new Float32Array(G * H * H);
          for (let k = 0; k < G; k++) {
            if (this.recurrentInit === 'orthogonal') whh.set(orthogonalMatrix(random, H), k * H * H);
            else for (let j = 0; j < H; j++) whh[k * H * H + j * H + j] = 1;
          }
          this.params.set(`weight_hh${s}`, whh);
          if (this.recurrentInit === 'identity' && this.bias) {
            this.params.set(`bias_ih${s}`, new Float32Array(G * H));
            this.params.set(`bias_hh${s}`, new Float32Array(G * H));
          }
        }
        if (this.learnLeak) {   // α = σ(logit) starts at leak (default ½) in every unit
          const alpha = this.leak ?? 0.5;
          this.params.set(`leak_logit${s}`, new Float32Array(H).fill(Math.log(alpha / (1 - alpha))));
        }
        if (this.forgetBias === undefined && this.chronoMaxLength === undefined) continue;
        // The gate that keeps the past: LSTM f (block 1), GRU z (block 1).
        const bih = this.params.get(`bias_ih${s}`), bhh = this.params.get(`bias_hh${s}`);
        const keep = this.chronoMaxLength !== undefined ? chronoBiases(random, H, this.chronoMaxLength) : new Float32Array(H).fill(this.forgetBias!);
        bih.set(keep, H);
        bhh.fill(0, H, 2 * H);
        if (this.chronoMaxLength !== undefined && this.type === 'lstm') {
          for (let j = 0; j < H; j++) bih[j] = -keep[j];   // b_i = −b_f
          bhh.fill(0, 0, H);
        }
        this.params.set(`bias_ih${s}`, bih);
        this.params.set(`bias_hh${s}`, bhh);
      }
    }
  }

  /**
   * @internal Where one layer-direction's parameters live in wasm memory, for the kernels that
   * streams and training call (0 for an absent tensor). Valid until dispose().
   */
  kernelPointers(layer: number, reverse = false, block: Parameters = this.params): KernelPointers {
    this.alive();
    const run = { layer, reverse };
    const split = this.hiddenGroups()?.length === 2;
    const scales = (base: string, group = 0) => block.scalesOf(base + this.suffix(layer, reverse), group);
    return {
      wih: this.param('weight_ih', run, 0, block), whh: this.param('weight_hh', run, 0, block),
      whn: split ? this.param('weight_hh', run, 1, block) : 0,
      bih: this.param('bias_ih', run, 0, block), bhh: this.param('bias_hh', run, 0, block),
      peep: this.param('weight_peephole', run, 0, block), leak: this.param('leak_logit', run, 0, block),
      sih: scales('weight_ih'), shh: scales('weight_hh'), shn: split ? scales('weight_hh', 1) : 0,
    };
  }

  /** Pointer to a parameter of a layer-direction, or 0 if the layer has no such tensor (bias: false). */
  protected param(base: string, run: { layer: number; reverse: boolean }, group = 0, block = this.params): number {
    const name = base + this.suffix(run.layer, run.reverse);
    return block.has(name) ? block.ptrOf(name, group) : 0;
  }

  /** Row scales of an int8 weight of a layer-direction, or 0 for f32. */
  protected scales(base: string, run: { layer: number; reverse: boolean }, group = 0): number {
    return this.params.scalesOf(base + this.suffix(run.layer, run.reverse), group);
  }

  /** How W_hh's gates are packed (GRU without linear_before_reset splits them). */
  protected hiddenGroups(): number[] | undefined { return undefined; }

  protected extraSpecs(_suffix: string): ParamSpec[] { return []; }

  protected extraOptions(): Record<string, unknown> { return {}; }

  /** Floats of per-call scratch memory the kernel needs besides the gates, for batch B. */
  protected scratchFloats(_batch: number): number { return 0; }

  /** @internal Gate blocks per layer and whether there is a cell state (for the backward pass). */
  get gateCount(): number { return this.gates; }
  get hasCellState(): boolean { return this.hasCell; }
  savedFloatsFor(T: number, B: number): Record<string, number> {
    return { ...this.savedFloats(T, B), ...(this.learnLeak ? { hcseq: T * B * this.hiddenSize } : {}) };
  }

  /** @internal The backward kernels' dilation and leak arguments: as memoryArgs, with ∂L/∂logits. */
  memoryGradArgs(r: DirectionBackward): [number, number, number, number, number] {
    return [this.dilations[r.layer], this.fixedLeak, r.params.leak, r.grads.leak, r.saved.hcseq ?? 0];
  }

  /** @internal The kernels' dilation and leak arguments for a run (assembly/lstm.ts). */
  protected memoryArgs(r: DirectionRun): [number, number, number, number, number] {
    return [this.dilations[r.layer], this.fixedLeak, this.param('leak_logit', r), r.hprev, r.saved.hcseq ?? 0];
  }

  /** What a training forward keeps per layer-direction besides the gates (e.g. LSTM's c_t). */
  protected savedFloats(_T: number, _B: number): Record<string, number> { return {}; }

  protected abstract runDirection(run: DirectionRun): void;

  /** @internal Backward of one layer-direction: see src/layers/recurrent-backward.ts. */
  abstract runDirectionBackward(run: DirectionBackward): void;
}
