// Scratch memory for one call: several named blocks carved from a single allocation, so a
// forward pass allocates once and frees once, whatever the number of layers.

import { ALIGN } from './allocator.js';
import type { Runtime } from './runtime.js';

export class Workspace<K extends string> {
  readonly ptr: number;
  readonly bytes: number;
  private readonly offsets: Record<K, number>;

  /** floats: block name → number of f32 (or i32) elements; a block of 0 gets no bytes (pointer 0). */
  constructor(private readonly rt: Runtime, floats: Record<K, number>) {
    let at = 0;
    const offsets = {} as Record<K, number>;
    for (const key of Object.keys(floats) as K[]) {
      offsets[key] = floats[key] > 0 ? at : -1;
      at += Math.ceil((floats[key] * 4) / ALIGN) * ALIGN;
    }
    this.ptr = rt.alloc(at);
    this.bytes = at;
    this.offsets = offsets;
  }

  /** Byte address of a block, or 0 for an empty one (kernels read 0 as "absent"). */
  at(key: K): number {
    const o = this.offsets[key];
    return o < 0 ? 0 : this.ptr + o;
  }

  free(): void { this.rt.free(this.ptr); }
}
