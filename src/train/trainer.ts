// Training a Sequential on the device: loss, backward, clipping, optimizer, in PyTorch's order
// (zero_grad → forward → loss → backward → clip_grad_norm_ / clip_grad_value_ → optimizer.step).
//
// Three ways to backpropagate through a sequence of T steps (B sequences, per-step activations
// A floats, recurrent state S floats per sequence):
//   full BPTT                     memory O(T·B·A)
//   full BPTT with checkpoints    memory O(⌈T/k⌉·B·S + k·B·A): keeps the state every k steps
//     (checkpointEvery: k)        and recomputes one segment at a time; same gradients
//   truncated BPTT (tbptt)        memory O(k2·B·A): an update every k1 steps (a chunk), each
//     { stepsPerUpdate: k1,       backpropagating through its chunk and the k2 − k1 steps
//       stepsBack: k2 }           before it (k2 ≥ k1, default k1: disjoint chunks); the state
//                                 is carried across chunks and detached, as with h.detach()
// (Williams & Peng 1990 call these k1 and k2.)
//
// An int8 model (quantize(model, 'int8')) trains through f32 master weights: the trainer keeps
// an f32 copy, updates that, and re-quantizes the int8 model after every update, so inference
// and saveModel always see the latest weights at int8 precision.

import { kindOf, RecurFormatError, RecurOptionError, RecurShapeError, shown } from '../errors.js';
import { flag, noUnknown, oneOf, optionsObject, positiveInt, withoutInitOptions } from '../layers/options.js';
import { Sequential, type LayerDescription, type RecurrentState } from '../model/sequential.js';
import { OwnedBlocks } from '../runtime/reclaim.js';
import type { Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { clipGradNorm, clipGradValue, gradNorm, gradsFinite } from './clip.js';
import { diagnosticsOptions, joinWindows, stepDiagnostics, type DiagnosticsOptions, type StepDiagnostics } from './diagnostics.js';
import { crossEntropy, mse } from './loss.js';
import type { DirectionDiagnostics } from '../layers/diagnostics.js';
import { createOptimizer, type Optimizer, type ParamSlot } from './optimizer.js';
import { trainKernels } from './kernels.js';

export interface TrainerOptions {
  loss: 'crossEntropy' | 'mse';
  optimizer?: 'sgd' | 'adam' | 'adamw';      // default 'adam'
  lr?: number;                               // default 1e-3 (adam/adamw), required for sgd
  momentum?: number; dampening?: number; nesterov?: boolean;
  weightDecay?: number;
  betas?: [number, number]; eps?: number;
  clipNorm?: number;                         // clip_grad_norm_(params, clipNorm)
  clipValue?: number;                        // clip_grad_value_(params, clipValue)
  ignoreIndex?: number;                      // crossEntropy: target id that counts for nothing
  tbptt?: { stepsPerUpdate: number; stepsBack?: number };
  checkpointEvery?: number;
  freeze?: string[];                         // layer names ('embed') or stacked sub-layers ('lstm.l0')
  schedule?: (step: number, baseLr: number) => number;   // lr for the given (0-based) update
  lossSteps?: 'all' | 'last';                // loss on every step's output (default) or the last only
}

export interface StepOptions {
  seqLen: number;
  batch: number;
  /** Diagnostics of memory for this step (full BPTT or checkpointEvery): StepResult.diagnostics. */
  diagnostics?: boolean | DiagnosticsOptions;
}

export interface StepResult {
  loss: number;          // mean loss of the step (over chunks, for truncated BPTT)
  gradNorm: number;      // global L2 norm of the gradients before clipping (last update)
  skipped: boolean;      // no update was made: the loss or a gradient was non-finite, or the
                         // update would have made a weight or optimizer state non-finite
  reason?: string;       // why, when skipped
  updates: number;       // optimizer updates made (more than 1 with truncated BPTT)
  diagnostics?: StepDiagnostics;   // with the step option diagnostics (see src/train/diagnostics.ts)
}

export interface FitProgress { epoch: number; step: number; loss: number; gradNorm: number; skipped: number; stepsPerSecond: number }

export interface Example { inputs: Float32Array | Int32Array; targets: Float32Array | Int32Array; seqLen: number; batch: number }

const OPTIONS = ['loss', 'optimizer', 'lr', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'betas', 'eps',
  'clipNorm', 'clipValue', 'ignoreIndex', 'tbptt', 'checkpointEvery', 'freeze', 'schedule', 'lossSteps'];

export class Trainer {
  readonly optimizer: Optimizer;
  readonly options: Readonly<TrainerOptions>;
  private readonly rt: Runtime;
  private readonly slots: ParamSlot[];
  /** The f32 model the optimizer updates: the model itself, or its f32 master copy if int8. */
  private readonly net: Sequential;
  private readonly baseLr: number;
  /** The master copy's layers (int8 models): freed by dispose(), or when nothing references the copy. */
  private readonly master?: OwnedBlocks;
  private updates = 0;
  private skippedCount = 0;

  constructor(readonly model: Sequential, options: TrainerOptions) {
    if (!(model instanceof Sequential)) throw new RecurOptionError(`Trainer: model must be a Sequential, got ${shown(model)}`);
    noUnknown('Trainer', options, OPTIONS);
    oneOf('Trainer', 'loss', options.loss, ['crossEntropy', 'mse'], 'crossEntropy');
    if (options.loss === undefined) throw new RecurOptionError("Trainer: loss is required ('crossEntropy' or 'mse')");
    const kind = oneOf('Trainer', 'optimizer', options.optimizer, ['sgd', 'adam', 'adamw'], 'adam');
    if (options.tbptt) {
      noUnknown('Trainer.tbptt', options.tbptt, ['stepsPerUpdate', 'stepsBack']);
      const k1 = positiveInt('Trainer', 'tbptt.stepsPerUpdate', options.tbptt.stepsPerUpdate);
      const k2 = positiveInt('Trainer', 'tbptt.stepsBack', options.tbptt.stepsBack, k1);
      if (k2 < k1) throw new RecurOptionError(`Trainer: tbptt.stepsBack (${k2}) must be at least stepsPerUpdate (${k1})`);
      if (options.checkpointEvery !== undefined) throw new RecurOptionError('Trainer: use tbptt or checkpointEvery, not both');
    }
    if (options.checkpointEvery !== undefined) positiveInt('Trainer', 'checkpointEvery', options.checkpointEvery);
    if (options.clipNorm !== undefined && !(options.clipNorm > 0)) throw new RecurOptionError(`Trainer: clipNorm must be > 0, got ${options.clipNorm}`);
    if (options.clipValue !== undefined && !(options.clipValue > 0)) throw new RecurOptionError(`Trainer: clipValue must be > 0, got ${options.clipValue}`);
    if (options.schedule !== undefined && typeof options.schedule !== 'function') throw new RecurOptionError('Trainer: schedule must be a function (step, baseLr) → lr');
    if (options.nesterov !== undefined) flag('Trainer', 'nesterov', options.nesterov, false);
    oneOf('Trainer', 'lossSteps', options.lossSteps, ['all', 'last'], 'all');
    if (options.lossSteps === 'last' && (options.tbptt || options.checkpointEvery)) {
      throw new RecurOptionError("Trainer: lossSteps 'last' works with full BPTT only (no tbptt or checkpointEvery)");
    }
    this.options = { ...options };
    this.rt = model.runtime;
    const { layers } = model.toJSON();
    // Segments (tbptt, checkpointEvery) hand one state to the next; a dilated layer's is d states.
    const dilated = layers.find((l) => (l as { dilation?: number | number[] }).dilation !== undefined);
    if (dilated && (options.tbptt || options.checkpointEvery !== undefined)) {
      throw new RecurOptionError(`Trainer: ${dilated.name} has a dilation, whose state between segments is its last d steps; tbptt and checkpointEvery carry one step's state, so train it with full BPTT`);
    }
    const quantized = layers.some((l) => (l as { quantize?: string }).quantize !== undefined);
    this.net = model;
    if (quantized) {
      this.net = Sequential.in(this.rt, { layers: layers.map((l) => { const { quantize: _q, ...rest } = l as LayerDescription & { quantize?: string }; return rest as LayerDescription; }) });
      // Freed when the copy itself is collected: the trainer, its optimizer (which writes into it)
      // and whoever holds masterModel all keep it alive.
      this.master = new OwnedBlocks(this.net);
      for (const { layer } of this.net.layers) this.master.add(layer);
      this.net.loadStateDict(model.stateDict());
    }
    try {
      this.slots = this.trainableSlots(options.freeze ?? []);
      this.baseLr = options.lr ?? (kind === 'sgd' ? NaN : 1e-3);
      if (kind === 'sgd' && options.lr === undefined) throw new RecurOptionError('Trainer: lr is required for sgd');
      const common = { lr: this.baseLr, weightDecay: options.weightDecay };
      this.optimizer = kind === 'sgd'
        ? createOptimizer(this.rt, this.slots, { type: 'sgd', ...common, momentum: options.momentum, dampening: options.dampening, nesterov: options.nesterov })
        : createOptimizer(this.rt, this.slots, { type: kind, ...common, betas: options.betas, eps: options.eps });
      this.optimizer.keepAlive = this.net;
    } catch (err) {
      if (this.net !== model) { this.net.dispose(); this.master?.freeAll(); }   // the master copy of an int8 model
      throw err;
    }
  }

  /** The f32 model being optimized: the model itself, or the master copy of an int8 model. */
  get masterModel(): Sequential { return this.net; }

  /** Optimizer updates made so far. */
  get stepCount(): number { return this.updates; }

  /** Updates skipped because the loss or a gradient was not finite. */
  get skippedUpdates(): number { return this.skippedCount; }

  /**
   * One training step on a batch: inputs [T, B, …] (ids for an embedding first), targets class
   * ids Int32Array [T, B] (crossEntropy) or Float32Array shaped like the output (mse).
   * The recurrent state starts at zero.
   */
  step(inputs: Float32Array | Int32Array, targets: Float32Array | Int32Array, options: StepOptions): StepResult {
    if (typeof options !== 'object' || options === null) {
      throw new RecurOptionError(`Trainer.step: options { seqLen, batch } are required, got ${shown(options)}`);
    }
    for (const [name, value] of [['inputs', inputs], ['targets', targets]] as const) {
      if (!(value instanceof Float32Array || value instanceof Int32Array)) {
        throw new RecurShapeError(`Trainer.step: ${name} must be a Float32Array or an Int32Array, got ${kindOf(value)}`);
      }
    }
    const { seqLen, batch } = options;
    const T = positiveInt('Trainer.step', 'seqLen', seqLen), B = positiveInt('Trainer.step', 'batch', batch);
    const perStep = inputs.length / (T * B);
    if (!Number.isInteger(perStep) || perStep < 1) throw new RecurShapeError(`Trainer.step: inputs should hold seqLen·batch·features values, got ${inputs.length} for seqLen ${T}, batch ${B}`);
    const diagnostics = diagnosticsOptions(options.diagnostics);
    if (this.options.tbptt) return this.truncated(inputs, targets, T, B, perStep, diagnostics);
    this.net.zeroGrad();
    const recorded: Record<string, DirectionDiagnostics[]>[] | undefined = diagnostics ? [] : undefined;
    const { loss } = this.options.checkpointEvery
      ? this.checkpointed(inputs, targets, T, B, perStep, this.options.checkpointEvery, recorded)
      : this.window(inputs, targets, T, B, 0, T, undefined, undefined, this.options.lossSteps === 'last' ? T - 1 : 0, undefined, recorded);
    // Before the update: the spectra are of the weights this step's gradients were taken at.
    const report = diagnostics ? stepDiagnostics(this.net, joinWindows(recorded!), diagnostics) : undefined;
    const result = this.update(loss);
    return report ? { ...result, diagnostics: report } : result;
  }

  /** Whole runs: every example of the dataset once per epoch, a step each. */
  async fit(dataset: Iterable<Example> | AsyncIterable<Example> | (() => Iterable<Example> | AsyncIterable<Example>),
            options?: { epochs?: number; onProgress?: (p: FitProgress) => void }): Promise<FitProgress> {
    const { epochs = 1, onProgress } = optionsObject('Trainer.fit', options);
    const iterable = (d: unknown) => typeof d === 'object' && d !== null && (Symbol.iterator in d || Symbol.asyncIterator in d);
    if (typeof dataset !== 'function' && !iterable(dataset)) {
      throw new RecurOptionError(`Trainer.fit: dataset must be an iterable, an async iterable or a function returning one, got ${shown(dataset)}`);
    }
    positiveInt('Trainer.fit', 'epochs', epochs);
    let last: FitProgress = { epoch: 0, step: this.updates, loss: NaN, gradNorm: NaN, skipped: this.skippedCount, stepsPerSecond: 0 };
    const started = performance.now();
    let steps = 0;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const source = typeof dataset === 'function' ? dataset() : dataset;
      for await (const ex of source as AsyncIterable<Example>) {
        const r = this.step(ex.inputs, ex.targets, ex);
        steps++;
        last = { epoch, step: this.updates, loss: r.loss, gradNorm: r.gradNorm, skipped: this.skippedCount,
                 stepsPerSecond: steps / ((performance.now() - started) / 1000) };
        onProgress?.(last);
      }
    }
    return last;
  }

  /** The model's weights, the optimizer's state and the step counts, as checkpoint bytes. */
  saveCheckpoint(): Uint8Array { return encodeCheckpoint(this); }

  /**
   * Resumes from saveCheckpoint() bytes: weights, optimizer moments, step counts and learning
   * rate. The model must have the checkpoint's architecture and the trainer the same optimizer
   * and frozen layers; anything else throws and changes nothing.
   */
  loadCheckpoint(bytes: Uint8Array): void {
    const c = decodeCheckpoint(bytes, this.optimizer);
    const architecture = (json: string) => {
      try { return JSON.stringify((JSON.parse(json).layers as Record<string, unknown>[]).map(withoutInitOptions)); } catch { return ''; }
    };
    if (architecture(c.model) !== architecture(JSON.stringify(this.net.toJSON()))) {
      throw new RecurFormatError('checkpoint: it was saved from a model with another architecture');
    }
    // Everything is checked before anything changes: the optimizer's state and lr here, the
    // weights by loadStateDict, which validates them all before writing any.
    const optimizerState = { step: c.optimizer.step, buffers: c.optimizer.buffers };
    this.optimizer.checkState(optimizerState, (j) => `checkpoint: tensor 'optimizer.${j}'`);
    try {
      this.optimizer.checkLr(c.optimizer.lr);
    } catch (err) {
      throw new RecurFormatError(`checkpoint: ${(err as Error).message}`);
    }
    const before = this.net !== this.model ? this.net.stateDict() : undefined;
    this.net.loadStateDict(c.weights);
    if (before) {
      try {
        this.model.loadStateDict(this.net.stateDict());     // re-quantize the int8 model
      } catch (err) {
        this.net.loadStateDict(before);
        throw err;
      }
    }
    this.optimizer.importState(optimizerState);             // checked above: cannot throw
    this.optimizer.lr = c.optimizer.lr;
    this.updates = c.updates;
    this.skippedCount = c.skipped;
  }

  dispose(): void {
    this.optimizer.dispose();
    if (this.net !== this.model) { this.net.dispose(); this.master?.freeAll(); }
  }

  // Forward with a tape over steps [from, to) from the given state, loss on the steps from
  // lossFrom on (scaled by `scale` if given), backward; returns the summed or mean loss and the
  // gradient of the initial state.
  private window(inputs: Float32Array | Int32Array, targets: Float32Array | Int32Array, T: number, B: number,
                 from: number, to: number, state: Record<string, RecurrentState> | undefined,
                 upstreamState: Record<string, RecurrentState> | undefined,
                 lossFrom = from, scale?: number, recorded?: Record<string, DirectionDiagnostics[]>[]) {
    const perStep = inputs.length / (T * B);
    const x = inputs.subarray(from * B * perStep, to * B * perStep) as Float32Array | Int32Array;
    const { output, states, tape } = this.net.forward(x, { seqLen: to - from, batch: B, states: state, train: true });
    try {
      const C = output.length / ((to - from) * B);
      const skip = (lossFrom - from) * B;               // rows before lossFrom get no loss
      const rows = (to - lossFrom) * B;
      const ws = new Workspace(this.rt, { y: output.length, dy: output.length });
      let loss: number;
      try {
        this.rt.f32(ws.at('y'), output.length).set(output);
        this.rt.f32(ws.at('dy'), output.length).fill(0);
        const y = ws.at('y') + skip * C * 4, dy = ws.at('dy') + skip * C * 4;
        const reduction = scale === undefined ? 'mean' : 'sum';
        // With lossSteps 'last', targets hold the last step only ([B] ids or [B, C] values).
        const last = this.options.lossSteps === 'last';
        const t0 = last ? 0 : lossFrom, t1 = last ? 1 : to, steps = last ? 1 : T;
        if (this.options.loss === 'crossEntropy') {
          if (!(targets instanceof Int32Array) || targets.length !== steps * B) throw new RecurShapeError(`Trainer: crossEntropy targets should be class ids, an Int32Array of ${last ? 'batch' : 'seqLen·batch'} = ${steps * B}`);
          loss = crossEntropy(this.rt, y, rows, C, targets.subarray(t0 * B, t1 * B), { ignoreIndex: this.options.ignoreIndex, reduction }, dy);
        } else {
          if (!(targets instanceof Float32Array) || targets.length !== steps * B * C) throw new RecurShapeError(`Trainer: mse targets should be a Float32Array shaped like the ${last ? "last step's " : ''}output (${steps * B * C} values)`);
          loss = mse(this.rt, y, targets.subarray(t0 * B * C, t1 * B * C), rows * C, { reduction }, dy);
        }
        if (scale !== undefined) { trainKernels(this.rt).scale(dy, rows * C, scale); loss *= scale; }
        const g = tape!.backward({ output: this.rt.read(ws.at('dy'), output.length), states: upstreamState, diagnostics: recorded !== undefined });
        if (g.diagnostics) recorded!.unshift(g.diagnostics);   // windows run last to first
        return { loss, states, stateGrads: g.states };
      } finally {
        ws.free();
      }
    } finally {
      tape?.dispose();
    }
  }

  // Full BPTT keeping the state every k steps: an inference pass records them, then segments
  // are recomputed with a tape from last to first, each passing its initial-state gradient to
  // the segment before. Loss rows are summed and scaled by 1 / (number of counted rows).
  private checkpointed(inputs: Float32Array | Int32Array, targets: Float32Array | Int32Array, T: number, B: number, perStep: number, k: number,
                       recorded?: Record<string, DirectionDiagnostics[]>[]) {
    const boundaries: (Record<string, RecurrentState> | undefined)[] = [undefined];
    for (let s = 0; s + k < T; s += k) {
      const x = inputs.subarray(s * B * perStep, (s + k) * B * perStep) as Float32Array | Int32Array;
      boundaries.push(this.net.forward(x, { seqLen: k, batch: B, states: boundaries[boundaries.length - 1] }).states);
    }
    const counted = this.options.loss === 'crossEntropy'
      ? (targets as Int32Array).reduce((n, t) => n + (t === (this.options.ignoreIndex ?? -100) ? 0 : 1), 0)
      : targets.length;
    const scale = counted > 0 ? 1 / counted : 0;
    let loss = 0;
    let upstream: Record<string, RecurrentState> | undefined;
    for (let i = boundaries.length - 1; i >= 0; i--) {
      const from = i * k, to = Math.min(T, from + k);
      const r = this.window(inputs, targets, T, B, from, to, boundaries[i], upstream, from, scale, recorded);
      loss += r.loss;
      upstream = r.stateGrads;
    }
    return { loss: counted > 0 ? loss : NaN };
  }

  // Truncated BPTT: an update every k1 steps, each backpropagating the last k2 steps, from the
  // state carried (detached) from before. States at multiples of k1 are kept to start windows.
  // With diagnostics, each chunk's backward pass is reported on its own (its window of steps),
  // with the spectra of the weights before that chunk's update.
  private truncated(inputs: Float32Array | Int32Array, targets: Float32Array | Int32Array, T: number, B: number, perStep: number,
                    diagnostics?: Required<DiagnosticsOptions>): StepResult {
    const k1 = this.options.tbptt!.stepsPerUpdate, k2 = this.options.tbptt!.stepsBack ?? k1;
    const chunkReports: StepDiagnostics[] = [];
    const boundary = new Map<number, Record<string, RecurrentState> | undefined>([[0, undefined]]);
    let total = 0, chunks = 0, last: StepResult = { loss: NaN, gradNorm: NaN, skipped: false, updates: 0 };
    let updates = 0;
    for (let lossFrom = 0; lossFrom < T; lossFrom += k1) {
      const end = Math.min(lossFrom + k1, T);
      const start = Math.max(0, lossFrom - (k2 - k1));   // the chunk, and k2 − k1 steps before it
      // The state at `start`: from the boundary at or before it, caught up without a tape.
      const b = Math.floor(start / k1) * k1;
      let state = boundary.get(b);
      if (start > b) {
        const x = inputs.subarray(b * B * perStep, start * B * perStep) as Float32Array | Int32Array;
        state = this.net.forward(x, { seqLen: start - b, batch: B, states: state }).states;
      }
      this.net.zeroGrad();
      const recorded: Record<string, DirectionDiagnostics[]>[] | undefined = diagnostics ? [] : undefined;
      const r = this.window(inputs, targets, T, B, start, end, state, undefined, lossFrom, undefined, recorded);
      if (diagnostics) chunkReports.push({ ...stepDiagnostics(this.net, recorded![0], diagnostics), window: { from: start, to: end } });
      // Detached carry: the state at `end` as this window computed it.
      boundary.set(end, r.states);
      last = this.update(r.loss);
      updates += last.updates;
      total += r.loss; chunks++;
    }
    return {
      loss: total / chunks, gradNorm: last.gradNorm, skipped: last.skipped, ...(last.reason ? { reason: last.reason } : {}), updates,
      ...(diagnostics ? { diagnostics: { ...chunkReports[chunkReports.length - 1], chunks: chunkReports } } : {}),
    };
  }

  /** Clipping, the finite check and the optimizer step, after gradients are accumulated. */
  private update(loss: number): StepResult {
    const gradNormBefore = this.options.clipNorm !== undefined
      ? clipGradNorm(this.rt, this.slots, this.options.clipNorm)
      : gradNorm(this.rt, this.slots);
    const skip = (reason: string): StepResult => {
      this.skippedCount++;
      this.optimizer.zeroGrad();
      return { loss, gradNorm: gradNormBefore, skipped: true, reason, updates: 0 };
    };
    if (!Number.isFinite(loss)) return skip(`the loss is ${loss}`);
    if (!Number.isFinite(gradNormBefore) || !gradsFinite(this.rt, this.slots)) return skip('a gradient is not finite');
    if (this.options.clipValue !== undefined) clipGradValue(this.rt, this.slots, this.options.clipValue);
    if (this.options.schedule) {
      const lr = this.options.schedule(this.updates, this.baseLr);
      try {
        this.optimizer.lr = lr;
      } catch (err) {
        throw new RecurOptionError(`Trainer: schedule(${this.updates}, ${this.baseLr}) returned ${String(lr)}: ${(err as Error).message}`);
      }
    }
    // The optimizer refuses, changing nothing, an update that would make a weight non-finite.
    const refused = this.optimizer.tryStep();
    if (refused !== undefined) return skip(refused);
    this.updates++;
    if (this.net !== this.model) this.model.loadStateDict(this.net.stateDict());   // re-quantize
    return { loss, gradNorm: gradNormBefore, skipped: false, updates: 1 };
  }

  /** Every tensor of every layer but the frozen ones. */
  private trainableSlots(freeze: string[]): ParamSlot[] {
    if (!Array.isArray(freeze)) throw new RecurOptionError('Trainer: freeze must be an array of layer names');
    const names = new Set(this.net.layers.map((l) => l.name));
    for (const f of freeze) {
      const [layer, sub] = f.split('.');
      if (!names.has(layer) || (sub !== undefined && !/^l\d+$/.test(sub))) {
        throw new RecurOptionError(`Trainer: cannot freeze '${f}': give a layer name (${[...names].join(', ')}) or layer.l<k> for a stacked recurrent layer`);
      }
    }
    const frozen = (name: string) => freeze.some((f) => {
      const [layer, sub] = f.split('.');
      if (!name.startsWith(`${layer}.`)) return false;
      return sub === undefined || new RegExp(`_${sub}(_reverse)?$`).test(name);
    });
    const slots: ParamSlot[] = [];
    for (const { name, layer } of this.net.layers) {
      const all = layer.paramSlots(`${name}.`);
      slots.push(...all.filter((s) => !frozen(s.name)));
    }
    if (slots.length === 0) throw new RecurOptionError('Trainer: every parameter is frozen');
    return slots;
  }
}
