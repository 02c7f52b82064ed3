// A small seeded generator (mulberry32), so create({ seed }) gives the same weights everywhere.

import type { Runtime } from './runtime.js';

export class Random {
  private state: number;

  constructor(seed = (Math.random() * 2 ** 32) >>> 0) { this.state = seed >>> 0; }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** n values uniform in [-bound, bound) (torch.nn.init.uniform_), written by the fillUniform
   *  kernel straight into wasm memory: the same mulberry32 sequence as next(). */
  uniformInto(rt: Runtime, ptr: number, n: number, bound: number): void {
    this.state = rt.kernels.fillUniform(ptr, n, this.state, bound) >>> 0;
  }

  /** n values from N(0, 1) (Box–Muller), as torch.nn.init.normal_. */
  normal(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = 1 - this.next(), v = this.next();
      const r = Math.sqrt(-2 * Math.log(u));
      out[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
    return out;
  }
}
