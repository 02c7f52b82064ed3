// Every error recur throws on purpose is a RecurError; the subclass says what kind of mistake it
// is and the message names the tensor or option, what was expected and what was given.

export class RecurError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor or buffer has the wrong length or shape. */
export class RecurShapeError extends RecurError {}

/** A state dict lacks a tensor the layer needs, or has one it does not know. */
export class RecurStateDictError extends RecurError {}

/** A value that must be finite (weights, states) is NaN or ±Infinity. */
export class RecurValueError extends RecurError {}

/** An option passed to create() is missing, of the wrong type or out of range. */
export class RecurOptionError extends RecurError {}

/** A layer or model was used after dispose(). */
export class RecurDisposedError extends RecurError {}

/** The wasm kernels could not be loaded, or linear memory could not grow. */
export class RecurWasmError extends RecurError {}

/** A model file is malformed (bad header, offsets, dtype, …). */
export class RecurFormatError extends RecurError {}

/** What a value is, for messages: null, undefined, its class (Float64Array, Object) or its type. */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** A value as a message shows it: primitives as themselves, objects by their kind. */
export function shown(value: unknown): string {
  if (typeof value === 'object' && value !== null) return kindOf(value);
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
