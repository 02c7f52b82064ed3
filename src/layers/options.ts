// Checking the plain-JSON options every layer takes.

import { RecurOptionError, RecurStateDictError, shown } from '../errors.js';

// Upper bounds, checked before any loop or allocation grows with a size: a description is plain
// JSON (a model file's metadata), so it can claim numLayers 2^53 in a few bytes.
/** Largest size of one dimension (units, features, vocabulary, batch, steps): wasm32 memory is
 *  4 GiB, 2^30 floats, so no larger dimension can ever be allocated. */
export const MAX_SIZE = 2 ** 30;
/** Most stacked layers in one recurrent layer (far deeper than any trained RNN). */
export const MAX_LAYERS = 1024;
/** Most parameters one layer may have: 2^30 floats fill the whole 4 GiB of wasm32 memory. */
export const MAX_PARAMETERS = 2 ** 30;

export function positiveInt(layer: string, name: string, value: unknown, fallback?: number, max = MAX_SIZE): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RecurOptionError(`${layer}: ${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if (v > max) throw new RecurOptionError(`${layer}: ${name} must be at most ${max}, got ${v}`);
  return v;
}

/** Refuses a layer whose parameters could never fit wasm32 memory, before anything is allocated. */
export function parameterBudget(layer: string, count: number, sizes: string): void {
  if (!(count <= MAX_PARAMETERS)) {
    throw new RecurOptionError(`${layer}: ${count} parameters (${sizes}) are more than the 2^30 (${MAX_PARAMETERS}) that wasm32 memory (4 GiB) can hold`);
  }
}

export function flag(layer: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new RecurOptionError(`${layer}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(layer: string, name: string, value: unknown, allowed: T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new RecurOptionError(`${layer}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** An options argument: undefined means none ({}); anything but a plain object is refused. */
export function optionsObject<T extends object>(who: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new RecurOptionError(`${who}: options must be an object, got ${shown(options)}`);
  }
  return options;
}

/** A state dict argument: an object of tensors by name. */
export function stateDictObject(who: string, dict: unknown): void {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
    throw new RecurStateDictError(`${who}: state dict must be an object of tensors by name, got ${shown(dict)}`);
  }
}

/** Rejects options the layer does not know (a typo would otherwise be silently ignored). */
export function noUnknown(layer: string, options: object, known: string[]): void {
  optionsObject(layer, options ?? null);
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new RecurOptionError(`${layer}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${known.join(', ')}`);
  }
}

/** A seed for the initial weights: an integer in [0, 2³²), or undefined for a random one. */
export function seedOption(layer: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new RecurOptionError(`${layer}: seed must be an integer in [0, 2^32), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Options that say how a layer's weights were first drawn, not what it computes: left out where
 *  architectures are compared (stream snapshots, checkpoints). */
export const INIT_OPTIONS = ['seed', 'recurrentInit', 'forgetBias', 'chronoMaxLength'];

export function withoutInitOptions<T extends object>(description: T): Partial<T> {
  return Object.fromEntries(Object.entries(description).filter(([k]) => !INIT_OPTIONS.includes(k))) as Partial<T>;
}
