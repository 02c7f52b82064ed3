// A chain of named layers, described by plain JSON so the description can be stored with the
// weights. Parameter names are `<layer name>.<PyTorch name>`, exactly what PyTorch's state_dict()
// gives for a module with attributes of those names (embed.weight, lstm.weight_ih_l0, head.bias).

import { RecurDisposedError, RecurOptionError, RecurShapeError, RecurStateDictError } from '../errors.js';
import { optionsObject, stateDictObject } from '../layers/options.js';
import type { DirectionDiagnostics } from '../layers/diagnostics.js';
import { Embedding, type EmbeddingOptions } from '../layers/embedding.js';
import { GRU, type GRUOptions } from '../layers/gru.js';
import { Linear, type LinearOptions } from '../layers/linear.js';
import { LSTM, type LSTMOptions } from '../layers/lstm.js';
import { Recurrent } from '../layers/recurrent.js';
import { RNN, type RNNOptions } from '../layers/rnn.js';
import { init, type Runtime } from '../runtime/runtime.js';
import { Tape } from '../layers/tape.js';
import { StreamGroup, type StreamGroupOptions } from '../stream/group.js';
import '../stream/layer-streams.js';   // a single layer's stream() and streamGroup()
import { Stream, type StreamOptions } from '../stream/stream.js';

export type LayerDescription = { name: string } & (
  | ({ type: 'lstm' } & LSTMOptions)
  | ({ type: 'gru' } & GRUOptions)
  | ({ type: 'rnn' } & RNNOptions)
  | ({ type: 'linear' } & LinearOptions)
  | ({ type: 'embedding' } & EmbeddingOptions));

export interface SequentialDescription { layers: LayerDescription[] }

export type Layer = LSTM | GRU | RNN | Linear | Embedding;

export interface RecurrentState { h: Float32Array; c?: Float32Array }

export interface SequentialForwardOptions {
  seqLen?: number;                                  // T; default from the input length
  batch?: number;                                   // B; default 1
  states?: Record<string, Partial<RecurrentState>>; // initial h/c per recurrent layer name
  train?: boolean;                                  // keep activations and return a tape
}

/** Upstream gradients for SequentialTape.backward(). */
export interface SequentialBackwardInput {
  output: Float32Array;                                   // dL/d output
  states?: Record<string, Partial<RecurrentState>>;       // dL/d final h/c per recurrent layer
  diagnostics?: boolean;                                  // record each recurrent layer's diagnostics of memory
}

export interface SequentialGradients {
  params: Record<string, Float32Array>;                   // accumulated gradients, prefixed names
  input?: Float32Array;                                   // dL/d input (float input only)
  states: Record<string, RecurrentState>;                 // dL/d initial h/c per recurrent layer
  diagnostics?: Record<string, DirectionDiagnostics[]>;   // with diagnostics: true, per recurrent layer name
}

export type SequentialTape = Tape<SequentialBackwardInput, SequentialGradients>;

export interface SequentialForwardResult {
  output: Float32Array;                             // [T, B, F] (or [B, T, F]) of the last layer
  states: Record<string, RecurrentState>;           // final h/c per recurrent layer name
  tape?: SequentialTape;                            // with train: true
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Layer names key plain objects (forward().states, backward's states): these would set or shadow
// an object's prototype machinery instead of adding an entry.
const RESERVED = ['__proto__', 'constructor', 'prototype'];

export class Sequential {
  private disposed = false;

  private constructor(readonly layers: { name: string; layer: Layer }[]) {}

  static async create(description: SequentialDescription, runtime?: Runtime): Promise<Sequential> {
    return Sequential.in(runtime ?? (await init()), description);
  }

  /**
   * @internal create() in a runtime already loaded (synchronous). initialize = false leaves the
   * parameters 0, for a caller about to load all of them (loadModel: no random init to throw away).
   */
  static in(rt: Runtime, description: SequentialDescription, initialize = true): Sequential {
    const list = description?.layers;
    if (!Array.isArray(list) || list.length === 0) {
      throw new RecurOptionError('Sequential: description.layers must be a non-empty array');
    }
    const seen = new Set<string>();
    for (const d of list) {
      if (typeof d?.name !== 'string' || !NAME.test(d.name)) {
        throw new RecurOptionError(`Sequential: layer name ${JSON.stringify(d?.name)} must be an identifier (letters, digits, _)`);
      }
      if (RESERVED.includes(d.name)) {
        throw new RecurOptionError(`Sequential: layer name '${d.name}' is reserved (${RESERVED.join(', ')} are JavaScript's object machinery); choose another`);
      }
      if (seen.has(d.name)) throw new RecurOptionError(`Sequential: two layers are named '${d.name}'`);
      seen.add(d.name);
    }
    const layers: { name: string; layer: Layer }[] = [];
    try {
      for (const { name, type, ...options } of list) {
        layers.push({ name, layer: makeLayer(name, type, options, rt, initialize) });
      }
      checkChain(layers);
    } catch (err) {
      for (const { layer } of layers) layer.dispose();
      throw err;
    }
    return new Sequential(layers);
  }

  /** The description create() takes, with every option made explicit. */
  toJSON(): SequentialDescription {
    return { layers: this.layers.map(({ name, layer }) => ({ name, ...layer.toJSON() }) as LayerDescription) };
  }

  get parameterCount(): number {
    return this.layers.reduce((n, { layer }) => n + layer.parameterCount, 0);
  }

  layer(name: string): Layer | undefined {
    return this.layers.find((l) => l.name === name)?.layer;
  }

  /** Tensors of no layer are an error, named. */
  private checkStrangers(dict: Record<string, ArrayLike<number>>): void {
    stateDictObject('Sequential.loadStateDict', dict);
    const prefixes = this.layers.map(({ name }) => `${name}.`);
    const strangers = Object.keys(dict).filter((k) => !prefixes.some((p) => k.startsWith(p)));
    if (strangers.length) {
      throw new RecurStateDictError(`state dict has tensors for no layer: ${strangers.join(', ')} (layers: ${this.layers.map((l) => l.name).join(', ')})`);
    }
  }

  stateDict(): Record<string, Float32Array> {
    this.alive();
    return Object.assign({}, ...this.layers.map(({ name, layer }) => layer.stateDict(`${name}.`)));
  }

  /** @internal loadStateDict for a model just created and disposed if this throws (loadModel): no undo copies. */
  loadFresh(dict: Record<string, ArrayLike<number>>): void {
    this.alive();
    this.checkStrangers(dict);
    for (const { name, layer } of this.layers) layer.loadFresh(dict, `${name}.`);
  }

  /** Loads every layer's tensors; on any error no layer is changed. */
  loadStateDict(dict: Record<string, ArrayLike<number>>): void {
    this.alive();
    this.checkStrangers(dict);
    // Each layer loads all or nothing; if a later one fails, earlier ones get their old blocks
    // back: raw copies (unpacking every weight to PyTorch's layout would double the load time),
    // taken of every layer but the last, which a failure leaves unchanged anyway.
    const before: Float32Array[] = [];
    try {
      this.layers.forEach(({ name, layer }, i) => {
        if (i < this.layers.length - 1) before.push(layer.rawParameters());
        layer.loadStateDict(dict, `${name}.`);
      });
    } catch (err) {
      for (let i = 0; i < before.length; i++) this.layers[i].layer.restoreRawParameters(before[i]);
      throw err;
    }
  }

  /**
   * input: Int32Array ids [T·B] if the first layer is an embedding, else Float32Array [T, B, F]
   * (batch-first if the recurrent layers are). Returns the last layer's output and each
   * recurrent layer's final state.
   */
  forward(input: Float32Array | Int32Array, options?: SequentialForwardOptions): SequentialForwardResult {
    this.alive();
    options = optionsObject('Sequential.forward', options);
    const batch = options.batch ?? 1;
    const train = options.train === true;
    let x: Float32Array | Int32Array = input;
    let seqLen = options.seqLen;
    const states: Record<string, RecurrentState> = {};
    const tapes: { name: string; layer: Layer; tape: Tape<any, any> }[] = [];
    try {
      for (const { name, layer } of this.layers) {
        if (layer instanceof Embedding) {
          if (!(x instanceof Int32Array)) throw new RecurShapeError(`Sequential: embedding '${name}' needs token ids as an Int32Array`);
          if (train) { const r = layer.forwardTrain(x); tapes.push({ name, layer, tape: r.tape }); x = r.output; }
          else x = layer.forward(x);
        } else if (layer instanceof Linear) {
          if (!(x instanceof Float32Array)) throw new RecurShapeError(`Sequential: layer '${name}' needs Float32Array input`);
          if (train) { const r = layer.forwardTrain(x); tapes.push({ name, layer, tape: r.tape }); x = r.output; }
          else x = layer.forward(x);
        } else {
          if (!(x instanceof Float32Array)) throw new RecurShapeError(`Sequential: layer '${name}' needs Float32Array input (token ids need an embedding layer first)`);
          const init = options.states && Object.hasOwn(options.states, name) ? options.states[name] : undefined;
          const r = layer.forward(x, { seqLen, batch, h0: init?.h, c0: init?.c, train });
          if (r.tape) tapes.push({ name, layer, tape: r.tape });
          seqLen = r.output.length / (batch * layer.outputSize);
          states[name] = r.c ? { h: r.h, c: r.c } : { h: r.h };
          x = r.output;
        }
      }
    } catch (err) {
      for (const t of tapes) t.tape.dispose();
      throw err;
    }
    const result: SequentialForwardResult = { output: x as Float32Array, states };
    if (train) {
      result.tape = new Tape(
        (up: SequentialBackwardInput) => this.backward(tapes, up, input instanceof Float32Array),
        () => { for (const t of tapes) t.tape.dispose(); });
    }
    return result;
  }

  /** Runs the layers' tapes top-down, each layer's input gradient feeding the layer below. */
  private backward(tapes: { name: string; layer: Layer; tape: Tape<any, any> }[], up: SequentialBackwardInput,
                   floatInput: boolean): SequentialGradients {
    this.alive();
    if (!up || !(up.output instanceof Float32Array)) throw new RecurShapeError('Sequential backward: output gradient must be a Float32Array');
    let dy: Float32Array | undefined = up.output;
    const states: Record<string, RecurrentState> = {};
    const diagnostics: Record<string, DirectionDiagnostics[]> = {};
    for (let i = tapes.length - 1; i >= 0; i--) {
      const { name, layer, tape } = tapes[i];
      if (layer instanceof Embedding) { tape.backward(dy); dy = undefined; }
      else if (layer instanceof Linear) dy = tape.backward(dy);
      else {
        const s = up.states && Object.hasOwn(up.states, name) ? up.states[name] : undefined;
        const g = tape.backward({ output: dy, h: s?.h, c: s?.c, diagnostics: up.diagnostics === true });
        states[name] = g.c0 ? { h: g.h0, c: g.c0 } : { h: g.h0 };
        if (g.diagnostics) diagnostics[name] = g.diagnostics;
        dy = g.input;
      }
    }
    const model = this;
    return { get params() { return model.gradients(); }, ...(floatInput && dy ? { input: dy } : {}), states,
             ...(up.diagnostics === true ? { diagnostics } : {}) };
  }

  /** Accumulated gradients of every layer, prefixed names (zeros before any backward). */
  gradients(): Record<string, Float32Array> {
    this.alive();
    return Object.assign({}, ...this.layers.map(({ name, layer }) => layer.gradients(`${name}.`)));
  }

  zeroGrad(): void {
    this.alive();
    for (const { layer } of this.layers) layer.zeroGrad();
  }

  /**
   * A step-by-step session: step(x) runs every layer for one time step in one wasm call.
   * Needs unidirectional recurrent layers (a reverse direction would need the future).
   */
  stream(options: StreamOptions = {}): Stream {
    this.alive();
    return new Stream(this.runtime, this.layers, options);
  }

  /** Many independent streams on this model's weights, stepped together in one kernel call. */
  streamGroup(options: StreamGroupOptions): StreamGroup {
    this.alive();
    return new StreamGroup(this.runtime, this.layers, options);
  }

  /** The runtime all layers live in. */
  get runtime(): Runtime { return this.layers[0].layer.runtime; }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { layer } of this.layers) layer.dispose();
  }

  private alive(): void {
    if (this.disposed) throw new RecurDisposedError('Sequential: used after dispose()');
  }
}

function makeLayer(name: string, type: string, options: object, rt: Runtime, initialize: boolean): Layer {
  switch (type) {
    case 'lstm': return LSTM.in(rt, options as LSTMOptions, initialize);
    case 'gru': return GRU.in(rt, options as GRUOptions, initialize);
    case 'rnn': return RNN.in(rt, options as RNNOptions, initialize);
    case 'linear': return Linear.in(rt, options as LinearOptions, initialize);
    case 'embedding': return Embedding.in(rt, options as EmbeddingOptions, initialize);
    default:
      throw new RecurOptionError(`Sequential: layer '${name}' has unknown type ${JSON.stringify(type)}; known: lstm, gru, rnn, linear, embedding`);
  }
}

/** Each layer's input size must be the previous layer's output size. */
function checkChain(layers: { name: string; layer: Layer }[]): void {
  layers.forEach(({ name, layer }, i) => {
    if (layer instanceof Embedding && i > 0) {
      throw new RecurOptionError(`Sequential: embedding '${name}' can only be the first layer`);
    }
    if (i === 0) return;
    const prev = layers[i - 1];
    const want = layer instanceof Linear ? layer.inFeatures : (layer as Recurrent).inputSize;
    if (want !== prev.layer.outputSize) {
      throw new RecurOptionError(`Sequential: layer '${name}' takes ${want} features but '${prev.name}' gives ${prev.layer.outputSize}`);
    }
  });
}
