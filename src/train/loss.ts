// Losses on outputs already in wasm memory: the value (as torch's with reduction 'mean' or
// 'sum') and, when a gradient pointer is given, d loss / d output written there in one kernel
// call (assembly/loss.ts).

import { RecurOptionError, RecurShapeError } from '../errors.js';
import { oneOf } from '../layers/options.js';
import type { Runtime } from '../runtime/runtime.js';
import { trainKernels } from './kernels.js';

export type Reduction = 'mean' | 'sum';

export interface CrossEntropyOptions {
  ignoreIndex?: number;     // default -100, as torch; rows with this target count for nothing
  reduction?: Reduction;    // default 'mean': over the rows not ignored
}

export interface MSEOptions {
  reduction?: Reduction;    // default 'mean': over all n elements
}

function count(who: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RecurShapeError(`${who}: ${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks that floats f32 at ptr lie inside wasm memory (0 allowed when optional). */
function checkRange(rt: Runtime, who: string, name: string, ptr: unknown, floats: number, optional: boolean): void {
  if (optional && ptr === 0) return;
  if (typeof ptr !== 'number' || !Number.isInteger(ptr) || ptr <= 0 || ptr % 4 !== 0) {
    throw new RecurOptionError(`${who}: ${name} must be a nonzero 4-byte-aligned byte offset${optional ? ' (or 0 for none)' : ''}, got ${JSON.stringify(ptr)}`);
  }
  if (ptr + floats * 4 > rt.memoryBytes) {
    throw new RecurShapeError(`${who}: ${name}: ${floats} floats at byte ${ptr} end past wasm memory (${rt.memoryBytes} bytes)`);
  }
}

/**
 * torch.nn.CrossEntropyLoss on logits [N, C] at logitsPtr with class ids targets [N].
 * Writes d loss / d logits to dlogitsPtr [N, C] (0: loss only; it may equal logitsPtr): the
 * softmax minus the one-hot target, divided by the number of counted rows for 'mean'; 0 on
 * ignored rows. Returns the loss (NaN for 'mean' when every row is ignored, as torch).
 */
export function crossEntropy(runtime: Runtime, logitsPtr: number, N: number, C: number, targets: Int32Array,
                             options: CrossEntropyOptions = {}, dlogitsPtr = 0): number {
  const who = 'crossEntropy';
  count(who, 'N', N);
  count(who, 'C', C);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < -(2 ** 31) || ignoreIndex >= 2 ** 31) {
    throw new RecurOptionError(`${who}: ignoreIndex must be a 32-bit integer, got ${JSON.stringify(options.ignoreIndex)}`);
  }
  const reduction = oneOf(who, 'reduction', options.reduction, ['mean', 'sum'], 'mean');
  if (!(targets instanceof Int32Array) || targets.length !== N) {
    throw new RecurShapeError(`${who}: targets should be an Int32Array of N=${N} class ids, got ${targets instanceof Int32Array ? `length ${targets.length}` : typeof targets}`);
  }
  let counted = 0;
  for (let i = 0; i < N; i++) {
    const t = targets[i];
    if (t === ignoreIndex) continue;
    if (t < 0 || t >= C) {
      throw new RecurShapeError(`${who}: targets[${i}] = ${t} is not a class id in [0, ${C}) nor ignoreIndex ${ignoreIndex}`);
    }
    counted++;
  }
  checkRange(runtime, who, 'logits', logitsPtr, N * C, false);
  checkRange(runtime, who, 'dlogits', dlogitsPtr, N * C, true);
  const scale = reduction === 'sum' ? 1 : counted > 0 ? 1 / counted : 0;
  const t = runtime.alloc(N * 4);
  try {
    runtime.i32(t, N).set(targets);
    const sum = trainKernels(runtime).softmaxCrossEntropy(logitsPtr, N, C, t, ignoreIndex, dlogitsPtr, scale);
    return reduction === 'sum' ? sum : sum / counted;
  } finally {
    runtime.free(t);
  }
}

/**
 * torch.nn.MSELoss of pred [n] at predPtr against target [n] (a Float32Array, or a byte offset
 * of n floats already in wasm memory). Writes d loss / d pred = 2·(pred − target) (/ n for
 * 'mean') to dPtr (0: loss only). Returns the loss.
 */
export function mse(runtime: Runtime, predPtr: number, target: Float32Array | number, n: number,
                    options: MSEOptions = {}, dPtr = 0): number {
  const who = 'mse';
  count(who, 'n', n);
  const reduction = oneOf(who, 'reduction', options.reduction, ['mean', 'sum'], 'mean');
  checkRange(runtime, who, 'pred', predPtr, n, false);
  checkRange(runtime, who, 'dpred', dPtr, n, true);
  const gradScale = reduction === 'sum' ? 2 : 2 / n;   // torch: norm = 2 / numel for 'mean'
  const finish = (sum: number) => (reduction === 'sum' ? sum : sum / n);
  if (typeof target === 'number') {
    checkRange(runtime, who, 'target', target, n, false);
    return finish(trainKernels(runtime).mse(predPtr, target, n, dPtr, gradScale));
  }
  if (!(target instanceof Float32Array) || target.length !== n) {
    throw new RecurShapeError(`${who}: target should be a Float32Array of n=${n} values, got ${target instanceof Float32Array ? `length ${target.length}` : typeof target}`);
  }
  const t = runtime.alloc(n * 4);
  try {
    runtime.f32(t, n).set(target);
    return finish(trainKernels(runtime).mse(predPtr, t, n, dPtr, gradScale));
  } finally {
    runtime.free(t);
  }
}
