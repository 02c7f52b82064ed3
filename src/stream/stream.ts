// A streaming session: a model stepped one input at a time, its recurrent state kept in wasm
// memory between steps. One wasm call per step for the whole stack (assembly/program.ts), no
// allocation per step, and outputs bit-identical to forward() over the same inputs.

import { RecurDisposedError, RecurShapeError } from '../errors.js';
import { positiveInt, flag, noUnknown } from '../layers/options.js';
import { OwnedBlocks } from '../runtime/reclaim.js';
import type { Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';
import { StackProgram, type StreamLayer } from './program.js';
import { checkPhases, decodeSnapshot, encodeSnapshot, fingerprint } from './snapshot.js';

export interface StreamOptions {
  /** Independent sequences stepped together, each a row of x and y; default 1. */
  batch?: number;
  /**
   * false (default): step() returns a new Float32Array each time.
   * true: step() returns the same array every time, overwritten by the next step — no
   * allocation at all per step; copy what you keep.
   */
  reuseOutput?: boolean;
}

export type StreamInput = Float32Array | Int32Array;

export class Stream {
  readonly batch: number;
  readonly reuseOutput: boolean;
  /** Features of one input row (1 for token ids) and of one output row. */
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly program: StackProgram;
  private readonly fingerprint: () => number;   // of the architecture, for snapshots
  private readonly idLimit: number;          // numEmbeddings when the input is token ids
  private io: Workspace<'x' | 'y'>;
  private ioSteps = 0;
  private xView!: Float32Array | Int32Array;
  private yView!: Float32Array;
  private readonly out: Float32Array;
  /** The program and io blocks: freed by dispose(), or when the stream is garbage-collected. */
  private readonly owned = new OwnedBlocks(this);
  private disposed = false;

  /** @internal Use model.stream(). */
  constructor(private readonly rt: Runtime, layers: { name: string; layer: StreamLayer }[], options: StreamOptions = {}) {
    options ??= {};
    noUnknown('stream', options, ['batch', 'reuseOutput']);
    this.batch = positiveInt('stream', 'batch', options.batch, 1);
    this.reuseOutput = flag('stream', 'reuseOutput', options.reuseOutput, false);
    this.program = this.owned.add(new StackProgram(rt, layers, this.batch));
    this.inputSize = this.program.inFeatures;
    this.outputSize = this.program.outFeatures;
    let print: number | undefined;             // computed on first use: only snapshots need it
    this.fingerprint = () => (print ??= fingerprint(layers));
    this.idLimit = this.program.idLimit;
    this.out = new Float32Array(this.batch * this.outputSize);
    this.io = this.allocIO(1);
  }

  /** One step: x [batch, inputSize] (Int32Array ids [batch] after an embedding) → y [batch, outputSize]. */
  step(x: StreamInput): Float32Array {
    this.alive();
    this.checkInput(x, 1);
    if (this.xView.buffer !== this.rt.memory.buffer) this.views();   // memory grew: views detached
    this.xView.set(x);
    this.program.run(1, this.io.at('x'), this.io.at('y'));
    if (!this.reuseOutput) return this.yView.slice(0, this.out.length);
    this.out.set(this.yView.subarray(0, this.out.length));
    return this.out;
  }

  /** T steps in one call: xs [T, batch, inputSize] → a new Float32Array [T, batch, outputSize]. */
  steps(xs: StreamInput, T: number): Float32Array {
    this.alive();
    positiveInt('stream', 'T', T);
    this.checkInput(xs, T);
    if (T > this.ioSteps) { this.owned.free(this.io); this.io = this.allocIO(T); }
    const { rt } = this;
    const x = this.io.at('x');
    (this.idLimit ? rt.i32(x, xs.length) : rt.f32(x, xs.length)).set(xs);
    this.program.run(T, x, this.io.at('y'));
    return rt.read(this.io.at('y'), T * this.batch * this.outputSize);
  }

  /** Every layer's h (and c) for every row, as bytes that loadState() restores exactly. */
  saveState(): Uint8Array {
    this.alive();
    return encodeSnapshot(this.fingerprint(), this.batch, this.program.states.map((s) => this.rt.read(s.ptr, this.batch * s.rowFloats)));
  }

  /** Restores a saveState() snapshot of this architecture and batch; anything else throws RecurFormatError. */
  loadState(snapshot: Uint8Array): void {
    this.alive();
    const states = this.program.states;
    const tensors = decodeSnapshot(snapshot, this.fingerprint(), this.batch, states.map((s) => this.batch * s.rowFloats));
    checkPhases(states, tensors);
    states.forEach((s, i) => this.rt.f32(s.ptr, tensors[i].length).set(tensors[i]));
  }

  /** Zero state, as at the start. */
  reset(): void {
    this.alive();
    for (const s of this.program.states) this.rt.f32(s.ptr, this.batch * s.rowFloats).fill(0);
  }

  /** Async iteration: each input of `source` (one step, or several steps back to back) → its output. */
  async *readable(source: AsyncIterable<StreamInput> | Iterable<StreamInput>): AsyncGenerator<Float32Array> {
    for await (const x of source) yield this.process(x);
  }

  /** A WHATWG TransformStream of inputs to outputs (browsers, Workers, Node ≥ 18). */
  transform(): TransformStream<StreamInput, Float32Array> {
    return new TransformStream({ transform: (x, controller) => controller.enqueue(this.process(x)) });
  }

  /** One input of one or more whole steps → a new array of their outputs. */
  process(x: StreamInput): Float32Array {
    if (!(x instanceof Float32Array || x instanceof Int32Array)) throw new RecurShapeError('stream: an input chunk must be a Float32Array or Int32Array');
    const perStep = this.batch * this.inputSize;
    const T = x.length / perStep;
    if (T === 1) return this.reuseOutput ? this.step(x).slice() : this.step(x);
    if (!Number.isInteger(T) || T < 1) {
      throw new RecurShapeError(`stream: an input chunk must hold whole steps of batch·inputSize = ${perStep} values, got ${x.length}`);
    }
    return this.steps(x, T);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owned.freeAll();
  }

  private allocIO(T: number): Workspace<'x' | 'y'> {
    const io = this.owned.add(new Workspace(this.rt, { x: T * this.batch * this.inputSize, y: T * this.batch * this.outputSize }));
    this.ioSteps = T;
    this.io = io;
    this.views();
    return io;
  }

  private views(): void {
    const n = this.batch * this.inputSize;
    this.xView = this.idLimit ? this.rt.i32(this.io.at('x'), n) : this.rt.f32(this.io.at('x'), n);
    this.yView = this.rt.f32(this.io.at('y'), this.ioSteps * this.batch * this.outputSize);
  }

  private checkInput(x: StreamInput, T: number): void {
    const n = T * this.batch * this.inputSize;
    if (this.idLimit) {
      if (!(x instanceof Int32Array)) throw new RecurShapeError('stream: this model starts with an embedding; give token ids as an Int32Array');
      if (x.length !== n) throw new RecurShapeError(`stream: expected ${n} token ids (${T} step(s) × batch ${this.batch}), got ${x.length}`);
      for (let i = 0; i < x.length; i++) {
        if (x[i] < 0 || x[i] >= this.idLimit) throw new RecurShapeError(`stream: token id ${x[i]} at position ${i} is outside [0, ${this.idLimit})`);
      }
    } else {
      if (!(x instanceof Float32Array)) throw new RecurShapeError('stream: input must be a Float32Array');
      if (x.length !== n) throw new RecurShapeError(`stream: input [${T > 1 ? 'T, ' : ''}batch, inputSize] should have ${n} values, got ${x.length}`);
    }
  }

  private alive(): void {
    if (this.disposed) throw new RecurDisposedError('stream: used after dispose()');
  }
}
