// The graph runtime's kernels: recur-graph.wasm (assembly/graph.ts), a module apart from the
// layer kernels so that an app running only recur's layers does not download them. It imports
// the memory of a runtime's recur.wasm, so its pointers are that runtime's; one instance per
// runtime, made by loadGraphKernels() (which loadOnnxGraph awaits) and then found synchronously
// by the ops that run in it.

import { RecurWasmError } from '../errors.js';
import { defaultGraphWasmSource, type Runtime } from '../runtime/runtime.js';
import { compileKernels, type WasmSource } from '../runtime/wasm.js';

type Ptr = number;

export interface GraphKernels {
  im2col1d(x: Ptr, C: number, L: number, K: number, stride: number, dilation: number, padBegin: number, Lo: number, cols: Ptr): void;
  padRows(x: Ptr, rows: number, L: number, padBegin: number, padEnd: number, y: Ptr): void;
  padRowsShort(x: Ptr, rows: number, L: number, padBegin: number, padEnd: number, y: Ptr): void;
  convDirect1d(x: Ptr, C: number, L: number, M: number, K: number, groups: number, stride: number, dilation: number,
               padBegin: number, Lo: number, w: Ptr, bias: Ptr, y: Ptr): void;
  convFused1d(x: Ptr, L: number, K: number, stride: number, padBegin: number, Lo: number, wp: Ptr, M: number, xd: Ptr, y: Ptr): void;
  convPanels1d(xp: Ptr, C: number, Lp: number, K: number, stride: number, dilation: number, Lo: number,
               wp: Ptr, M: number, bias: Ptr, relu: number, y: Ptr, padBegin: number, L: number, skip: number): void;
  addRowBias(y: Ptr, b: Ptr, rows: number, n: number): void;
  ewBinary(op: number, a: Ptr, b: Ptr, bStep: number, y: Ptr, n: number): void;
  ewUnary(op: number, x: Ptr, y: Ptr, n: number): void;
  stftReal(x: Ptr, L: number, N: number, stride: number, padBegin: number, Lo: number, w: Ptr, tw: Ptr, rev: Ptr, imSign: number, work: Ptr, y: Ptr, magnitude: number, reflect: number): void;
  stftReal32(x: Ptr, L: number, N: number, stride: number, padBegin: number, Lo: number, w: Ptr, tw: Ptr, rev: Ptr, imSign: number, work: Ptr, y: Ptr, magnitude: number, reflect: number, xp: Ptr): void;
}

const REQUIRED = ['im2col1d', 'padRows', 'padRowsShort', 'convDirect1d', 'convFused1d', 'convPanels1d', 'addRowBias', 'ewBinary', 'ewUnary', 'stftReal', 'stftReal32'];

const loading = new WeakMap<Runtime, Promise<GraphKernels>>();
const loaded = new WeakMap<Runtime, GraphKernels>();
let source: WasmSource | undefined;

/**
 * Where recur-graph.wasm comes from for runtimes that have not loaded it yet: a
 * WebAssembly.Module (Workers), bytes, a URL or a Response. Optional: recur/onnx and recur/vad
 * know where their runtime's copy is (beside the module, on disk, or imported in Workers).
 */
export function initGraph(graphWasm: WasmSource): void { source = graphWasm; }

/** Loads recur-graph.wasm into `rt` (once per runtime; later calls return the same kernels). */
export function loadGraphKernels(rt: Runtime): Promise<GraphKernels> {
  let pending = loading.get(rt);
  if (!pending) {
    pending = instantiate(rt);
    loading.set(rt, pending);
    pending.catch(() => loading.delete(rt));
  }
  return pending;
}

/** The graph kernels of `rt`, which loadGraphKernels(rt) must have loaded. */
export function graphKernels(rt: Runtime): GraphKernels {
  const k = loaded.get(rt);
  if (!k) throw new RecurWasmError('the graph kernels (recur-graph.wasm) are not loaded in this runtime: await loadGraphKernels(runtime) first (loadOnnxGraph does)');
  return k;
}

async function instantiate(rt: Runtime): Promise<GraphKernels> {
  const from = source ?? (await defaultGraphWasmSource()?.());
  if (from === undefined) throw new RecurWasmError('no recur-graph.wasm source: call initGraph(moduleOrBytesOrUrl) first');
  const module = await compileKernels(from, 'recur-graph.wasm');
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory: rt.memory } });
  } catch (err) {
    throw new RecurWasmError(`could not instantiate recur-graph.wasm: ${(err as Error).message}`);
  }
  const missing = REQUIRED.filter((name) => !(name in instance.exports));
  if (missing.length) throw new RecurWasmError(`this is not recur-graph.wasm: it lacks ${missing.join(', ')}`);
  const kernels = instance.exports as unknown as GraphKernels;
  loaded.set(rt, kernels);
  return kernels;
}
