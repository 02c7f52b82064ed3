// torch.nn.Embedding: token ids → rows of a table.

import { RecurShapeError } from '../errors.js';
import { Parameters } from '../runtime/params.js';
import { Random } from '../runtime/random.js';
import { init, type Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';
import { Tape } from './tape.js';
import { Module } from './module.js';
import { noUnknown, parameterBudget, positiveInt, seedOption } from './options.js';

export interface EmbeddingOptions {
  numEmbeddings: number;
  embeddingDim: number;
  seed?: number;
}

export class Embedding extends Module {
  readonly type = 'embedding';
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly seed: number | undefined;

  private constructor(rt: Runtime, options: EmbeddingOptions, initialize = true) {
    super(rt);
    noUnknown('embedding', options, ['numEmbeddings', 'embeddingDim', 'seed']);
    this.numEmbeddings = positiveInt('embedding', 'numEmbeddings', options.numEmbeddings);
    this.embeddingDim = positiveInt('embedding', 'embeddingDim', options.embeddingDim);
    this.seed = seedOption('embedding', options.seed);
    const n = this.numEmbeddings * this.embeddingDim;
    parameterBudget('embedding', n, `numEmbeddings ${this.numEmbeddings}, embeddingDim ${this.embeddingDim}`);
    this.params = new Parameters(rt, [{ name: 'weight', shape: [this.numEmbeddings, this.embeddingDim], layout: { kind: 'plain' } }]);
    if (initialize) this.params.set('weight', new Random(this.seed).normal(n));   // PyTorch: N(0, 1)
  }

  static async create(options: EmbeddingOptions, runtime?: Runtime): Promise<Embedding> {
    return new Embedding(runtime ?? (await init()), options);
  }

  /** @internal create() in a runtime already loaded (synchronous). */
  static in(runtime: Runtime, options: EmbeddingOptions, initialize = true): Embedding { return new Embedding(runtime, options, initialize); }

  get outputSize(): number { return this.embeddingDim; }

  toJSON(): Record<string, unknown> {
    this.alive();
    return { type: 'embedding', numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim,
             ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }

  /** ids: Int32Array [...] each in [0, numEmbeddings) → [..., embeddingDim] f32 */
  forward(ids: Int32Array): Float32Array {
    this.alive();
    if (!(ids instanceof Int32Array)) throw new RecurShapeError('embedding.forward: ids must be an Int32Array');
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= this.numEmbeddings) {
        throw new RecurShapeError(`embedding.forward: id ${ids[i]} at position ${i} is outside [0, ${this.numEmbeddings})`);
      }
    }
    const { rt } = this;
    const D = this.embeddingDim;
    const ws = new Workspace(rt, { ids: ids.length, y: ids.length * D });
    try {
      rt.i32(ws.at('ids'), ids.length).set(ids);
      rt.kernels.embeddingForward(ids.length, ws.at('ids'), this.params.ptrOf('weight'), D, ws.at('y'));
      return rt.read(ws.at('y'), ids.length * D);
    } finally {
      ws.free();
    }
  }

  /** forward() that keeps the ids: tape.backward(dY [n, embeddingDim]) adds dY's rows to the rows of weight they came from. */
  forwardTrain(ids: Int32Array): { output: Float32Array; tape: Tape<Float32Array, void> } {
    const output = this.forward(ids);
    const { rt } = this;
    const D = this.embeddingDim, n = ids.length;
    const ws = new Workspace(rt, { ids: n, dy: n * D });
    rt.i32(ws.at('ids'), n).set(ids);
    const tape = new Tape((dY: Float32Array) => {
      this.alive();
      if (!(dY instanceof Float32Array) || dY.length !== n * D) {
        throw new RecurShapeError(`embedding backward: dY should be a Float32Array of ${n}·${D} values, got ${dY instanceof Float32Array ? dY.length : typeof dY}`);
      }
      rt.f32(ws.at('dy'), dY.length).set(dY);
      rt.kernels.embeddingBackward(n, ws.at('ids'), ws.at('dy'), D, this.gradBlock().ptrOf('weight'));
    }, () => ws.free());
    return { output, tape };
  }

  /** @internal Where the parameters live in wasm memory (bias 0 if none). Valid until dispose(). */
  kernelPointers() {
    this.alive();
    return { weight: this.params.ptrOf('weight'), bias: 0, scales: 0 };
  }
}
