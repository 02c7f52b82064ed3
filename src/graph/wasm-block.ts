// A block of f32 scratch in a runtime's wasm memory that a kernel keeps from compile() to
// dispose(), with a view that survives memory growth (growing detaches every earlier view).

import type { Runtime } from '../runtime/runtime.js';

export class WasmBlock {
  readonly ptr: number;
  private cached?: Float32Array;

  constructor(private readonly rt: Runtime, readonly length: number) {
    this.ptr = rt.alloc(Math.max(1, length) * 4);
  }

  /** The block as a Float32Array over the current memory. */
  get view(): Float32Array {
    const c = this.cached;
    if (c && c.buffer === this.rt.memory.buffer) return c;
    return (this.cached = new Float32Array(this.rt.memory.buffer, this.ptr, this.length));
  }

  free(): void { this.rt.free(this.ptr); }
}

/** A tensor's address in the runtime's memory if its data lives there, else -1. */
export function addressIn(rt: Runtime, data: Float32Array): number {
  return data.buffer === rt.memory.buffer ? data.byteOffset : -1;
}

/** Where a kernel reads a tensor: its address if it lives in wasm memory, else `scratch`'s after a copy. */
export function readableAt(rt: Runtime, data: Float32Array, scratch: WasmBlock): number {
  const at = addressIn(rt, data);
  if (at >= 0) return at;
  scratch.view.set(data);
  return scratch.ptr;
}
