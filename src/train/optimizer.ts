// Optimizers: torch.optim.SGD, Adam and AdamW over parameters that live in wasm memory.
//
// A layer keeps all its parameters in one contiguous f32 block and their gradients in a twin
// block of the same layout (packed weights included; padding entries are 0 in both and stay 0).
// The optimizer sees each such pair as a slot and updates it with one kernel call
// (assembly/optim.ts), so a step costs one wasm crossing per layer. Its own state (momentum
// buffers, Adam's m and v) is one block of wasm memory holding a buffer per slot in the same
// layout, so checkpoints can store it as plain Float32Arrays.
//
// Results equal torch 1.13's single-tensor CPU path to float32 rounding: see assembly/optim.ts.

import { RecurDisposedError, RecurOptionError, RecurShapeError, RecurValueError } from '../errors.js';
import { noUnknown } from '../layers/options.js';
import type { Runtime } from '../runtime/runtime.js';
import { OwnedBlocks } from '../runtime/reclaim.js';
import { Workspace } from '../runtime/workspace.js';
import { trainKernels, type TrainKernels } from './kernels.js';

/** One layer's parameters and their gradients: byte pointers into wasm memory, f32 count. */
export interface ParamSlot {
  param: number;
  grad: number;
  floats: number;
  name?: string;           // the tensor's name, for messages (Trainer passes state-dict names)
}

export interface SGDOptions {
  lr: number;              // required, as in torch
  momentum?: number;       // default 0
  dampening?: number;      // default 0
  nesterov?: boolean;      // default false; needs momentum > 0 and dampening = 0
  weightDecay?: number;    // default 0 (L2 penalty added to the gradient)
}

export interface AdamOptions {
  lr?: number;                 // default 1e-3
  betas?: [number, number];    // default [0.9, 0.999]
  eps?: number;                // default 1e-8; must be > 0 (see checkEps)
  weightDecay?: number;        // default 0 for Adam (L2), 1e-2 for AdamW (decoupled)
}

export type OptimizerOptions =
  | ({ type: 'sgd' } & SGDOptions)
  | ({ type: 'adam' } & AdamOptions)
  | ({ type: 'adamw' } & AdamOptions);

/** What a checkpoint stores: the number of steps taken and every state buffer, slot by slot. */
export interface OptimizerState {
  step: number;
  buffers: Float32Array[];
}

/** Checks that slots are integer pointers to non-overlapping ranges inside wasm memory. */
export function checkSlots(rt: Runtime, slots: readonly ParamSlot[], who: string): void {
  if (!Array.isArray(slots)) throw new RecurOptionError(`${who}: slots must be an array of { param, grad, floats }`);
  const end = rt.memoryBytes;
  slots.forEach((s, i) => {
    const name = `${who}: slots[${i}]`;
    if (typeof s !== 'object' || s === null) throw new RecurOptionError(`${name} must be { param, grad, floats }, got ${String(s)}`);
    for (const key of ['param', 'grad', 'floats'] as const) {
      const v = s[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (key !== 'floats' && (v === 0 || v % 4 !== 0))) {
        throw new RecurOptionError(`${name}.${key} must be ${key === 'floats' ? 'an integer ≥ 0' : 'a nonzero 4-byte-aligned byte offset'}, got ${JSON.stringify(v)}`);
      }
    }
    const bytes = s.floats * 4;
    for (const key of ['param', 'grad'] as const) {
      if (s[key] + bytes > end) {
        throw new RecurShapeError(`${name}.${key}: ${s.floats} floats at byte ${s[key]} end past wasm memory (${end} bytes)`);
      }
    }
    if (bytes > 0 && s.param < s.grad + bytes && s.grad < s.param + bytes) {
      throw new RecurShapeError(`${name}: param (byte ${s.param}) and grad (byte ${s.grad}) overlap for ${s.floats} floats`);
    }
  });
}

const F32_MAX = 3.4028234663852886e38;

/**
 * A learning rate: finite, ≥ 0, and finite once rounded to float32, as the kernels use it (1e39
 * would become Infinity there and turn every weight NaN).
 */
function learningRate(who: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RecurOptionError(`${who}: lr must be a finite number ≥ 0, got ${String(value)}`);
  }
  if (!Number.isFinite(Math.fround(value))) {
    throw new RecurOptionError(`${who}: lr must be a number float32 can hold (at most ${F32_MAX.toPrecision(5)}), got ${String(value)}`);
  }
  return value;
}

function nonNegative(who: string, name: string, value: unknown, fallback?: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RecurOptionError(`${who}: ${name} must be a finite number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return v;
}

export abstract class Optimizer {
  readonly slots: readonly ParamSlot[];
  protected readonly rt: Runtime;
  /** recur-train.wasm in this runtime (the steps' kernels). */
  protected readonly k: TrainKernels;
  private readonly state: Workspace<string> | undefined;
  /** The state buffers: freed by dispose(), or when the optimizer is garbage-collected. */
  private readonly owned = new OwnedBlocks(this);
  /** @internal What owns the memory the slots point into (a trainer's master copy), kept alive with the optimizer. */
  keepAlive?: object;
  private readonly perSlot: number;
  private learningRate: number;
  private steps = 0;
  private disposed = false;

  protected constructor(rt: Runtime, slots: readonly ParamSlot[], readonly name: string, lr: number,
                        buffersPerSlot: number) {
    checkSlots(rt, slots, name);
    this.k = trainKernels(rt);   // or a RecurWasmError saying how to load them
    this.rt = rt;
    this.slots = slots.map((s) => ({ param: s.param, grad: s.grad, floats: s.floats, name: s.name }));
    this.learningRate = learningRate(name, lr);
    this.perSlot = buffersPerSlot;
    if (buffersPerSlot > 0 && slots.length > 0) {
      const blocks: Record<string, number> = {};
      this.slots.forEach((s, i) => { for (let k = 0; k < buffersPerSlot; k++) blocks[`${i}.${k}`] = s.floats; });
      this.state = this.owned.add(new Workspace(rt, blocks));
      new Uint8Array(rt.memory.buffer, this.state.ptr, this.state.bytes).fill(0);
    }
  }

  /** Learning rate of the next step (set it for a schedule, as param_groups[0]['lr'] in torch). */
  get lr(): number { return this.learningRate; }
  set lr(value: number) { this.learningRate = this.checkLr(value); }

  /** Throws unless `value` is a learning rate this optimizer takes; returns it. Changes nothing. */
  checkLr(value: unknown): number { return learningRate(this.name, value); }

  /** Steps taken so far (torch's state['step']). */
  get stepCount(): number { return this.steps; }

  /**
   * Updates every slot's parameters from its gradients: one kernel call per slot. Returns false,
   * having changed nothing (parameters, state, step count), if the update would make any
   * parameter or state value NaN or ±Infinity (an lr or decay so large the update overflows).
   */
  step(): boolean { return this.tryStep() === undefined; }

  /** @internal step(), returning why it was refused (undefined if it was applied). */
  tryStep(): string | undefined {
    this.alive();
    const step = this.steps + 1;
    // A dry run first (the kernels count what they would write), so a refused update writes nothing.
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      const bad = this.update(s, i, step, false);
      if (bad > 0) {
        return `the update would make ${bad} value${bad > 1 ? 's' : ''} of '${s.name ?? `slot ${i}`}' non-finite (${this.name}, lr ${this.learningRate})`;
      }
    }
    this.steps = step;
    this.slots.forEach((s, i) => this.update(s, i, step, true));
    return undefined;
  }

  /** Sets every gradient to 0 (padding entries included, which are 0 anyway). */
  zeroGrad(): void {
    this.alive();
    for (const s of this.slots) this.rt.f32(s.grad, s.floats).fill(0);
  }

  /** Copies of the state buffers, slot by slot (SGD: momentum_buffer; Adam/AdamW: exp_avg, exp_avg_sq). */
  exportState(): OptimizerState {
    this.alive();
    const buffers: Float32Array[] = [];
    this.slots.forEach((s, i) => { for (let k = 0; k < this.perSlot; k++) buffers.push(this.rt.read(this.buffer(i, k), s.floats)); });
    return { step: this.steps, buffers };
  }

  /** How many state buffers exportState() gives and importState() takes (buffers per slot × slots). */
  get bufferCount(): number { return this.slots.length * this.perSlot; }

  /** Restores what exportState() returned (for the same slots and options); changes nothing on error. */
  importState(state: OptimizerState): void {
    this.alive();
    this.checkState(state);
    const { step, buffers } = state;
    buffers.forEach((b, j) => this.rt.f32(this.buffer(Math.floor(j / this.perSlot), j % this.perSlot), b.length).set(b));
    this.steps = step;
  }

  /**
   * Throws unless importState(state) would succeed: step a safe integer ≥ 0, bufferCount
   * Float32Arrays of their slots' lengths, every value finite and within the optimizer's range
   * (Adam's exp_avg_sq ≥ 0). Changes nothing. `label(j)` names buffer j in messages (a
   * checkpoint calls it by its tensor name).
   */
  checkState(state: OptimizerState, label = (j: number) => `${this.name}.importState: buffers[${j}]`): void {
    this.alive();
    const { step, buffers } = state ?? ({} as OptimizerState);
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
      throw new RecurOptionError(`${this.name}.importState: step must be an integer ≥ 0, got ${String(step)}`);
    }
    const count = this.bufferCount;
    if (!Array.isArray(buffers) || buffers.length !== count) {
      throw new RecurShapeError(`${this.name}.importState: expected ${count} buffers (${this.perSlot} per slot × ${this.slots.length} slots), got ${Array.isArray(buffers) ? buffers.length : typeof buffers}`);
    }
    for (let j = 0; j < count; j++) {
      const b: unknown = buffers[j];
      const floats = this.slots[Math.floor(j / this.perSlot)].floats;
      if (!(b instanceof Float32Array) || b.length !== floats) {
        throw new RecurShapeError(`${label(j)} should be a Float32Array of ${floats}, got ${b instanceof Float32Array ? b.length : b === null ? 'null' : typeof b}`);
      }
      const floor = this.bufferFloor(j % this.perSlot);
      for (let i = 0; i < b.length; i++) {
        const v = b[i];
        if (!Number.isFinite(v)) throw new RecurValueError(`${label(j)}: value ${v} at index ${i} is not finite`);
        if (floor !== undefined && v < floor.min) {
          throw new RecurValueError(`${label(j)}: value ${v} at index ${i} should be ≥ ${floor.min} (${floor.why})`);
        }
      }
    }
  }

  /** Frees the state buffers. The parameters and gradients belong to the layers and are untouched. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owned.freeAll();
  }

  /** Byte address of state buffer k of slot i. */
  protected buffer(i: number, k: number): number { return this.state ? this.state.at(`${i}.${k}`) : 0; }

  /** Runs the kernel for one slot; stores the result only if `write`. Returns how many new values are non-finite. */
  protected abstract update(slot: ParamSlot, index: number, step: number, write: boolean): number;

  /** The least value state buffer k of a slot may hold, if bounded. */
  protected bufferFloor(_k: number): { min: number; why: string } | undefined { return undefined; }

  private alive(): void {
    if (this.disposed) throw new RecurDisposedError(`${this.name}: used after dispose()`);
  }
}

/** torch.optim.SGD: momentum, dampening, Nesterov momentum and L2 weight decay. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(runtime: Runtime, slots: readonly ParamSlot[], options: SGDOptions) {
    const o = options ?? ({} as SGDOptions);
    noUnknown('SGD', o, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
    if (o.lr === undefined) throw new RecurOptionError('SGD: lr is required (torch.optim.SGD has no default learning rate)');
    const momentum = nonNegative('SGD', 'momentum', o.momentum, 0);
    const dampening = o.dampening ?? 0;
    if (typeof dampening !== 'number' || !Number.isFinite(dampening)) {
      throw new RecurOptionError(`SGD: dampening must be a finite number, got ${JSON.stringify(o.dampening)}`);
    }
    if (o.nesterov !== undefined && typeof o.nesterov !== 'boolean') {
      throw new RecurOptionError(`SGD: nesterov must be true or false, got ${JSON.stringify(o.nesterov)}`);
    }
    const nesterov = o.nesterov ?? false;
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new RecurOptionError(`SGD: nesterov needs momentum > 0 and dampening = 0, got momentum ${momentum}, dampening ${dampening}`);
    }
    const weightDecay = nonNegative('SGD', 'weightDecay', o.weightDecay, 0);
    super(runtime, slots, 'SGD', o.lr, momentum !== 0 ? 1 : 0);
    this.momentum = momentum;
    this.dampening = dampening;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
  }

  protected update(s: ParamSlot, i: number, step: number, write: boolean): number {
    return this.k.sgdStep(s.param, s.grad, this.buffer(i, 0), s.floats, this.lr, this.momentum,
      this.dampening, this.nesterov ? 1 : 0, this.weightDecay, step === 1 ? 1 : 0, write ? 1 : 0);
  }
}

abstract class AdamBase extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;

  protected constructor(runtime: Runtime, slots: readonly ParamSlot[], options: AdamOptions, name: string,
                        private readonly decoupled: boolean) {
    const o = options ?? {};
    noUnknown(name, o, ['lr', 'betas', 'eps', 'weightDecay']);
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
      throw new RecurOptionError(`${name}: betas must be two numbers in [0, 1), got ${JSON.stringify(o.betas)}`);
    }
    // eps = 0 is legal in torch, but then an entry whose gradient has always been 0 — every
    // padding entry of the packed layouts — gets 0/0 = NaN.
    const eps = nonNegative(name, 'eps', o.eps, 1e-8);
    if (eps === 0) throw new RecurOptionError(`${name}: eps must be > 0 (with eps = 0 a parameter whose gradient is always 0, such as layout padding, becomes NaN), got 0`);
    const weightDecay = nonNegative(name, 'weightDecay', o.weightDecay, decoupled ? 1e-2 : 0);
    super(runtime, slots, name, o.lr ?? 1e-3, 2);
    this.betas = [betas[0], betas[1]];
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  // Buffer 1 is exp_avg_sq, a running mean of squared gradients: a negative entry would make
  // √v̂ NaN in the next step.
  protected bufferFloor(k: number) { return k === 1 ? { min: 0, why: `${this.name}'s exp_avg_sq is a mean of squares` } : undefined; }

  protected update(s: ParamSlot, i: number, step: number, write: boolean): number {
    const [beta1, beta2] = this.betas;
    // As torch 1.13 (adam.py, non-capturable path): Python doubles, rounded to f32 in the kernel.
    return this.k.adamStep(s.param, s.grad, this.buffer(i, 0), this.buffer(i, 1), s.floats, this.lr,
      beta1, beta2, this.eps, this.weightDecay, this.decoupled ? 1 : 0, 1 - beta1 ** step, 1 - beta2 ** step, write ? 1 : 0);
  }
}

/** torch.optim.Adam (Kingma & Ba 2015) with L2 weight decay added to the gradient. */
export class Adam extends AdamBase {
  constructor(runtime: Runtime, slots: readonly ParamSlot[], options: AdamOptions = {}) {
    super(runtime, slots, options, 'Adam', false);
  }
}

/** torch.optim.AdamW (Loshchilov & Hutter 2019): weight decay decoupled from the gradient. */
export class AdamW extends AdamBase {
  constructor(runtime: Runtime, slots: readonly ParamSlot[], options: AdamOptions = {}) {
    super(runtime, slots, options, 'AdamW', true);
  }
}

/** An optimizer from plain JSON: `{ type: 'sgd' | 'adam' | 'adamw', ...options }`. */
export function createOptimizer(runtime: Runtime, slots: readonly ParamSlot[], options: OptimizerOptions): Optimizer {
  const { type, ...rest } = options ?? ({} as OptimizerOptions);
  switch (type) {
    case 'sgd': return new SGD(runtime, slots, rest as SGDOptions);
    case 'adam': return new Adam(runtime, slots, rest as AdamOptions);
    case 'adamw': return new AdamW(runtime, slots, rest as AdamOptions);
    default: throw new RecurOptionError(`optimizer: type must be one of 'sgd', 'adam', 'adamw', got ${JSON.stringify(type)}`);
  }
}
