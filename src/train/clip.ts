// Gradient clipping and the non-finite check, over the same slots the optimizer steps
// (src/train/optimizer.ts): one kernel call per slot for the norm, one more per slot to scale.

import { RecurOptionError, RecurValueError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkSlots, type ParamSlot } from './optimizer.js';
import { trainKernels } from './kernels.js';

export type NormType = 2 | typeof Infinity | 'inf';

function normKind(value: unknown, who: string): 2 | 'inf' {
  if (value === 2) return 2;
  if (value === Infinity || value === 'inf') return 'inf';
  throw new RecurOptionError(`${who}: normType must be 2 or Infinity ('inf'), got ${JSON.stringify(value)}`);
}

/**
 * The norm of all gradients together, as if concatenated: 2-norm (squares summed in f64) or
 * the largest absolute value. NaN if a gradient holds NaN; Infinity if one is infinite.
 */
export function gradNorm(runtime: Runtime, slots: readonly ParamSlot[], normType: NormType = 2): number {
  checkSlots(runtime, slots, 'gradNorm');
  return totalNorm(runtime, slots, normKind(normType, 'gradNorm'));
}

function totalNorm(rt: Runtime, slots: readonly ParamSlot[], kind: 2 | 'inf'): number {
  const k = trainKernels(rt);
  if (kind === 'inf') {
    let m = 0;
    for (const s of slots) m = Math.max(m, k.maxAbs(s.grad, s.floats));   // Math.max propagates NaN
    return m;
  }
  let sum = 0;
  for (const s of slots) sum += k.sumSquares(s.grad, s.floats);
  return Math.sqrt(sum);
}

/**
 * torch.nn.utils.clip_grad_norm_: scales all gradients by maxNorm / (total + 1e-6) when that is
 * below 1, and returns the total norm (before clipping). A NaN or infinite norm scales every
 * gradient to NaN or 0, as torch does; pass errorIfNonfinite to get a RecurValueError instead
 * (or test gradsFinite() first and skip the step).
 */
export function clipGradNorm(runtime: Runtime, slots: readonly ParamSlot[], maxNorm: number,
                             normType: NormType = 2, options: { errorIfNonfinite?: boolean } = {}): number {
  checkSlots(runtime, slots, 'clipGradNorm');
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm < 0) {
    throw new RecurOptionError(`clipGradNorm: maxNorm must be a number ≥ 0, got ${JSON.stringify(maxNorm)}`);
  }
  const total = totalNorm(runtime, slots, normKind(normType, 'clipGradNorm'));
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new RecurValueError(`clipGradNorm: the total gradient norm is ${total}, so it cannot be clipped`);
  }
  // torch computes in float32 tensors: (total + 1e-6).reciprocal() * max_norm, clamped to ≤ 1.
  const f = Math.fround;
  const coef = f(f(1 / f(f(total) + f(1e-6))) * f(maxNorm));
  if (!(coef >= 1)) {                           // multiplying by 1 would change nothing
    const k = trainKernels(runtime);
    for (const s of slots) k.scale(s.grad, s.floats, coef);
  }
  return total;
}

/** torch.nn.utils.clip_grad_value_: clamps every gradient entry to [−clipValue, clipValue] (NaN stays NaN). */
export function clipGradValue(runtime: Runtime, slots: readonly ParamSlot[], clipValue: number): void {
  checkSlots(runtime, slots, 'clipGradValue');
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue) || clipValue < 0) {
    throw new RecurOptionError(`clipGradValue: clipValue must be a number ≥ 0, got ${JSON.stringify(clipValue)}`);
  }
  const k = trainKernels(runtime);
  for (const s of slots) k.clampValues(s.grad, s.floats, -clipValue, clipValue);
}

/** Number of NaN and ±Infinity gradient entries over all slots. */
export function countNonFiniteGrads(runtime: Runtime, slots: readonly ParamSlot[]): number {
  checkSlots(runtime, slots, 'countNonFiniteGrads');
  let n = 0;
  for (const s of slots) n += runtime.kernels.countNonFinite(s.grad, s.floats);
  return n;
}

/** True when no gradient entry is NaN or ±Infinity (for skipping a step, e.g. after an overflow). */
export function gradsFinite(runtime: Runtime, slots: readonly ParamSlot[]): boolean {
  return countNonFiniteGrads(runtime, slots) === 0;
}
