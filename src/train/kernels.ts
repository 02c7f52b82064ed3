// recur/train's kernels: recur-train.wasm (assembly/train.ts: optimizers, gradient clipping,
// losses), a module apart from the layer kernels so that an app that only runs models does not
// download them; recur-train-relaxed.wasm beside a runtime of recur-relaxed.wasm. It imports the
// memory of a runtime's recur.wasm, so its pointers are that runtime's. One instance per runtime:
// made when the runtime is (importing recur/train registers the load with every runtime made
// after it), or synchronously on first use where the entry's source allows it (Node reads the file,
// Workers import the module), or by `await loadTraining(runtime)`.

import { RecurWasmError } from '../errors.js';
import { addRuntimeExtension, defaultTrainWasmSource, init, type Runtime } from '../runtime/runtime.js';
import { compileKernels, type WasmSource } from '../runtime/wasm.js';

type Ptr = number;

export interface TrainKernels {
  // Optimizers and gradient clipping (assembly/optim.ts); scalars are f64, rounded to f32 inside.
  // The two steps return how many new values are non-finite, and store them only if write = 1.
  sgdStep(p: Ptr, g: Ptr, buf: Ptr, n: number, lr: number, momentum: number, dampening: number,
          nesterov: number, weightDecay: number, firstStep: number, write: number): number;
  adamStep(p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, lr: number, beta1: number, beta2: number,
           eps: number, weightDecay: number, decoupled: number,
           biasCorrection1: number, biasCorrection2: number, write: number): number;
  sumSquares(x: Ptr, n: number): number;
  maxAbs(x: Ptr, n: number): number;
  scale(x: Ptr, n: number, s: number): void;
  clampValues(x: Ptr, n: number, lo: number, hi: number): void;
  // Losses (assembly/loss.ts): return the sum over rows/elements; gradients times gradScale.
  softmaxCrossEntropy(logits: Ptr, N: number, C: number, targets: Ptr, ignoreIndex: number,
                      dlogits: Ptr, gradScale: number): number;
  mse(pred: Ptr, target: Ptr, n: number, dpred: Ptr, gradScale: number): number;
}

const REQUIRED = ['sgdStep', 'adamStep', 'sumSquares', 'maxAbs', 'scale', 'clampValues', 'softmaxCrossEntropy', 'mse'];

const loading = new WeakMap<Runtime, Promise<TrainKernels>>();
const loaded = new WeakMap<Runtime, TrainKernels>();
const failed = new WeakMap<Runtime, Error>();
let source: WasmSource | undefined;

/**
 * Where recur-train.wasm comes from for runtimes that have not loaded it yet: a
 * WebAssembly.Module (Workers), bytes, a URL or a Response. Optional: each runtime's recur knows
 * where its copy is (beside the module, on disk, or imported in Workers).
 */
export function initTraining(trainWasm: WasmSource): void { source = trainWasm; }

/** Loads recur/train's kernels into `rt` (once per runtime; later calls return the same kernels). */
export function loadTrainKernels(rt: Runtime): Promise<TrainKernels> {
  const done = loaded.get(rt);
  if (done) return Promise.resolve(done);
  let pending = loading.get(rt);
  if (!pending) {
    pending = (async () => {
      const from = source ?? (await defaultTrainWasmSource()?.(rt.build));
      const module = await compileKernels(noSource(from), trainFile(rt));
      let instance: WebAssembly.Instance;
      try { instance = await WebAssembly.instantiate(module, imports(rt)); } catch (err) { throw instantiateError(rt, err); }
      return adopt(rt, instance);
    })();
    loading.set(rt, pending);
    pending.catch((err) => { loading.delete(rt); failed.set(rt, err); });
  }
  return pending;
}

/** The training kernels of `rt`: loaded already, or now where the source is at hand synchronously. */
export function trainKernels(rt: Runtime): TrainKernels {
  const k = loaded.get(rt);
  if (k) return k;
  const from: unknown = source ?? defaultTrainWasmSource()?.(rt.build);
  if (from instanceof WebAssembly.Module || from instanceof ArrayBuffer || ArrayBuffer.isView(from)) {
    let module: WebAssembly.Module;
    try {
      module = from instanceof WebAssembly.Module ? from : new WebAssembly.Module(from as BufferSource);
    } catch (err) {
      throw new RecurWasmError(`could not compile ${trainFile(rt)}: ${(err as Error).message}`);
    }
    let instance: WebAssembly.Instance;
    try { instance = new WebAssembly.Instance(module, imports(rt)); } catch (err) { throw instantiateError(rt, err); }
    return adopt(rt, instance);
  }
  const why = failed.get(rt);
  throw new RecurWasmError(`recur/train's kernels (${trainFile(rt)}) are not loaded in this runtime${why ? ` (loading failed: ${why.message})` : ''}: `
    + 'await loadTraining(runtime) once before new Trainer() (runtimes made after recur/train was imported load them themselves)');
}

/** Loads recur/train's kernels into a runtime (default: the shared one) made before recur/train was imported. */
export async function loadTraining(rt?: Runtime): Promise<void> {
  await loadTrainKernels(rt ?? await init());
}

function noSource(from: WasmSource | undefined): WasmSource {
  if (from === undefined) throw new RecurWasmError('no recur-train.wasm source: call initTraining(moduleOrBytesOrUrl) first');
  return from;
}

const trainFile = (rt: Runtime) => (rt.build === 'relaxed' ? 'recur-train-relaxed.wasm' : 'recur-train.wasm');

/** The kernels of an instance made for `rt`, checked and kept. */
function adopt(rt: Runtime, instance: WebAssembly.Instance): TrainKernels {
  const missing = REQUIRED.filter((name) => !(name in instance.exports));
  if (missing.length) throw new RecurWasmError(`this is not recur-train.wasm: it lacks ${missing.join(', ')}`);
  const kernels = instance.exports as unknown as TrainKernels;
  loaded.set(rt, kernels);
  return kernels;
}

const imports = (rt: Runtime) => ({ env: { memory: rt.memory } });
const instantiateError = (rt: Runtime, err: unknown) => new RecurWasmError(`could not instantiate ${trainFile(rt)}: ${(err as Error).message}`);

// Every runtime made from now on loads them with its recur.wasm. A failure here (no source, a
// missing file) does not fail the runtime, which may only run models: trainKernels() reports it.
addRuntimeExtension((rt) => loadTrainKernels(rt).catch(() => undefined));
