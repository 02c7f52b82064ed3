// What every layer shares: its parameters in one block of wasm memory, a twin block for their
// gradients (allocated on first use), PyTorch-style state dicts, and dispose().

import { RecurDisposedError, RecurOptionError } from '../errors.js';
import { stateDictObject } from './options.js';
import type { Parameters } from '../runtime/params.js';
import type { Runtime } from '../runtime/runtime.js';

export abstract class Module {
  abstract readonly type: string;
  protected params!: Parameters;
  private grads?: Parameters;
  private disposed = false;

  protected constructor(protected readonly rt: Runtime) {}

  /** The runtime (wasm instance and memory) this layer lives in. */
  get runtime(): Runtime { return this.rt; }

  get isDisposed(): boolean { return this.disposed; }

  /** Number of parameters, as PyTorch counts them. */
  get parameterCount(): number { this.alive(); return this.params.count; }

  /** Every parameter under its PyTorch name (with prefix), in PyTorch's layout. */
  stateDict(prefix = ''): Record<string, Float32Array> {
    this.alive();
    return this.params.dump(prefix);
  }

  /** Loads parameters by PyTorch name; missing, extra, wrongly sized or non-finite tensors throw and change nothing. */
  loadStateDict(dict: Record<string, ArrayLike<number>>, prefix = ''): void {
    this.alive();
    stateDictObject(`${this.type}.loadStateDict`, dict);
    this.params.load(dict, prefix);
  }

  /** @internal loadStateDict without the undo copy, for a layer nobody has seen yet (loadModel disposes it on failure). */
  loadFresh(dict: Record<string, ArrayLike<number>>, prefix: string): void {
    this.alive();
    stateDictObject(`${this.type}.loadStateDict`, dict);
    this.params.load(dict, prefix, false);
  }

  /** @internal The parameter block as stored, and putting it back: undo for a multi-layer load. */
  rawParameters(): Float32Array { this.alive(); return this.params.raw(); }
  /** @internal */
  restoreRawParameters(copy: Float32Array): void { this.alive(); this.params.restoreRaw(copy); }

  /** Accumulated gradients by PyTorch name (zeros before any backward). */
  gradients(prefix = ''): Record<string, Float32Array> {
    this.alive();
    return this.gradBlock().dump(prefix);
  }

  /** Sets the accumulated gradients to zero. */
  zeroGrad(): void {
    this.alive();
    this.grads?.zero();
  }

  /** @internal Each tensor's parameter and gradient range, for optimizers (names prefix + PyTorch's). */
  paramSlots(prefix = ''): { name: string; param: number; grad: number; floats: number }[] {
    this.alive();
    this.checkTrainable();
    return this.params.slotsWith(this.gradBlock(), prefix);
  }

  /** Frees the layer's wasm memory; any later call throws RecurDisposedError. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.dispose();
    this.grads?.dispose();
  }

  /** The gradient block (same layout as the parameters), allocated on first use. */
  protected gradBlock(): Parameters {
    if (!this.grads) this.grads = this.params.twin();
    return this.grads;
  }

  /** int8 weights cannot take gradient steps: train the float model, then quantize it. */
  protected checkTrainable(): void {
    if (this.params.quantized) {
      throw new RecurOptionError(`${this.type}: int8 weights cannot be trained in place; train the float model and quantize it`);
    }
  }

  protected alive(): void {
    if (this.disposed) throw new RecurDisposedError(`${this.type}: used after dispose()`);
  }
}
