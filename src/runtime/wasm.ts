// Turning any source of recur.wasm into instantiated kernels. Workers forbid compiling wasm from
// bytes at run time, so a precompiled WebAssembly.Module is accepted as well as bytes, a URL or
// a fetch Response. We use neither @assemblyscript/loader (deprecated upstream) nor the
// compiler's generated bindings: with `--runtime stub` and pointer-and-size exports there is
// nothing to marshal, and the only import a kernel could need is `env.abort` below.

import { RecurWasmError } from '../errors.js';
import type { Kernels } from './kernels.js';

export type WasmSource =
  | WebAssembly.Module | ArrayBuffer | ArrayBufferView | URL | string | Response | PromiseLike<Response>;

const isResponse = (x: unknown): x is Response =>
  typeof Response !== 'undefined' && x instanceof Response;

/**
 * Some runtimes have no WebAssembly at all: Node with --jitless (or --no-expose-wasm), iOS
 * Lockdown Mode, interpreters. Say so, instead of a ReferenceError from the first use.
 */
function checkWebAssembly(): void {
  if (typeof WebAssembly !== 'object' || WebAssembly === null) {
    throw new RecurWasmError('WebAssembly is unavailable in this JavaScript runtime (node --jitless, --no-expose-wasm, ' +
      'or a browser with WebAssembly turned off, such as iOS Lockdown Mode); recur needs it to run its kernels');
  }
}

/** Compiles (or passes through) the kernel module (`file`: its name in errors). */
export async function compileKernels(source: WasmSource, file = 'recur.wasm'): Promise<WebAssembly.Module> {
  checkWebAssembly();
  if (source instanceof WebAssembly.Module) return source;
  try {
    if (source instanceof ArrayBuffer) return await WebAssembly.compile(source);
    if (ArrayBuffer.isView(source)) {
      const bytes = new Uint8Array(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength);
      return await WebAssembly.compile(bytes);
    }
    let response: Response;
    try {
      if (typeof source === 'string' || source instanceof URL) response = await fetch(source);
      else if (isResponse(source)) response = source;
      else response = await source;
    } catch (err) {
      throw new RecurWasmError(`could not fetch ${file} from ${String(source)}: ${(err as Error).message}`);
    }
    if (!response.ok) throw new RecurWasmError(`fetching ${file} failed: HTTP ${response.status} ${response.url}`);
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (err) {
    if (err instanceof RecurWasmError) throw err;
    throw new RecurWasmError(`could not compile ${file}: ${(err as Error).message}`);
  }
}

const REQUIRED = ['memory', 'heapBase', 'relaxedSimd', 'gemm', 'lstmForward', 'gruForward', 'rnnForward', 'linearForward'];

/** Instantiates the kernels. A kernel abort (only possible in a debug build) becomes a readable error. */
export async function instantiateKernels(module: WebAssembly.Module): Promise<Kernels> {
  checkWebAssembly();
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      abort(msg: number, file: number, line: number, column: number) {
        throw new RecurWasmError(`kernel abort: ${readString(memory, msg)} at ${readString(memory, file)}:${line}:${column}`);
      },
    },
  };
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, imports);
  } catch (err) {
    throw new RecurWasmError(`could not instantiate recur.wasm: ${(err as Error).message}`);
  }
  const kernels = instance.exports as unknown as Kernels;
  const missing = REQUIRED.filter((name) => !(name in instance.exports));
  if (missing.length) throw new RecurWasmError(`this is not recur.wasm: it lacks ${missing.join(', ')}`);
  memory = kernels.memory;
  return kernels;
}

// An AssemblyScript string: UTF-16 code units, byte length stored just before the pointer.
function readString(memory: WebAssembly.Memory | undefined, ptr: number): string {
  if (!memory || !ptr) return '?';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}
