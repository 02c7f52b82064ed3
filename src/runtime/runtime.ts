// A Runtime is one instance of the kernels with its linear memory and the allocator that owns
// it. Every layer lives in one runtime; by default all share the process-wide one, created on
// first use from the source the entry point registered (a file in Node, a URL in browsers, the
// imported module in Workers) or from whatever was passed to init().

import { RecurWasmError } from '../errors.js';
import { Allocator } from './allocator.js';
import type { WasmBuild } from './features.js';
import type { Kernels } from './kernels.js';
import { compileKernels, instantiateKernels, type WasmSource } from './wasm.js';

const PAGE = 65536;
const MAX_PAGES = 65536;   // wasm32: 4 GiB

export class Runtime {
  private readonly allocator: Allocator;

  private constructor(readonly kernels: Kernels) {
    this.allocator = new Allocator(kernels.heapBase(), (end) => this.ensure(end));
  }

  static async create(source: WasmSource): Promise<Runtime> {
    const rt = new Runtime(await instantiateKernels(await compileKernels(source)));
    for (const load of extensions) await load(rt);
    return rt;
  }

  get memory(): WebAssembly.Memory { return this.kernels.memory; }

  /** Which build of the kernels runs here: 'relaxed' (recur-relaxed.wasm) or 'simd' (recur.wasm). */
  get build(): WasmBuild { return this.kernels.relaxedSimd() ? 'relaxed' : 'simd'; }

  /** Bytes of linear memory (grows, never shrinks). */
  get memoryBytes(): number { return this.kernels.memory.buffer.byteLength; }

  /** Bytes currently allocated by layers and workspaces. */
  get bytesInUse(): number { return this.allocator.bytesInUse; }

  /** A 64-byte-aligned block of at least `bytes` bytes. Views taken earlier may be detached. */
  alloc(bytes: number): number { return this.allocator.alloc(bytes); }

  free(ptr: number): void { this.allocator.release(ptr); }

  /** Float32 view of n elements at ptr; valid until the next alloc. */
  f32(ptr: number, n: number): Float32Array { return new Float32Array(this.memory.buffer, ptr, n); }

  i32(ptr: number, n: number): Int32Array { return new Int32Array(this.memory.buffer, ptr, n); }

  /** Copy of n floats at ptr. */
  read(ptr: number, n: number): Float32Array { return this.f32(ptr, n).slice(); }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    // Grow by at least half again, so a sequence of small allocations grows memory rarely.
    const need = Math.ceil((end - have) / PAGE);
    const pages = Math.min(Math.max(need, (have / PAGE) >> 1, 16), MAX_PAGES - have / PAGE);
    if (pages < need) throw new RecurWasmError(`out of wasm memory: need ${end} bytes, the limit is 4 GiB`);
    try { this.memory.grow(pages); } catch {
      try { this.memory.grow(need); } catch {
        throw new RecurWasmError(`could not grow wasm memory to ${end} bytes`);
      }
    }
  }
}

let defaultSource: (() => WasmSource | Promise<WasmSource>) | undefined;
let defaultRuntime: Promise<Runtime> | undefined;
let graphSource: (() => WasmSource | Promise<WasmSource>) | undefined;
let trainSource: ((build: WasmBuild) => WasmSource | Promise<WasmSource>) | undefined;
const extensions: ((rt: Runtime) => Promise<unknown>)[] = [];

/**
 * What every runtime made from now on loads before create() resolves: recur/train's kernels
 * (src/train/kernels.ts) register here when the module is imported, so `new Trainer()` finds
 * them in a runtime made after that, in every JavaScript runtime.
 */
export function addRuntimeExtension(load: (rt: Runtime) => Promise<unknown>): void {
  if (!extensions.includes(load)) extensions.push(load);
}

/** Entry points (recur, recur/node, the Worker build) say where their recur.wasm comes from. */
export function setDefaultWasmSource(source: () => WasmSource | Promise<WasmSource>): void {
  defaultSource = source;
}

/** …and where recur-graph.wasm, the graph runtime's kernels (src/graph/kernels.ts), comes from. */
export function setDefaultGraphWasmSource(source: () => WasmSource | Promise<WasmSource>): void {
  graphSource = source;
}

export const defaultGraphWasmSource = () => graphSource;

/** …and recur-train.wasm or recur-train-relaxed.wasm, recur/train's kernels, for a runtime of `build`. */
export function setDefaultTrainWasmSource(source: (build: WasmBuild) => WasmSource | Promise<WasmSource>): void {
  trainSource = source;
}

export const defaultTrainWasmSource = () => trainSource;

/**
 * Loads the kernels into the shared runtime. Optional: the first create() does it with the
 * entry point's default source. Pass a WebAssembly.Module in Workers, or bytes / a URL elsewhere.
 */
export function init(source?: WasmSource): Promise<Runtime> {
  if (source !== undefined) {
    defaultRuntime = Runtime.create(source);
  } else if (!defaultRuntime) {
    if (!defaultSource) {
      return Promise.reject(new RecurWasmError('no recur.wasm source: call init(moduleOrBytesOrUrl) first'));
    }
    const getSource = defaultSource;
    defaultRuntime = Promise.resolve().then(getSource).then((s) => Runtime.create(s));
  }
  const pending = defaultRuntime;
  pending.catch(() => { if (defaultRuntime === pending) defaultRuntime = undefined; });
  return pending;
}
