// The values an ONNX graph computes, as the graph runtime holds them. Three element types are
// enough for the graphs recur runs: every float type (float, double, float16, bfloat16) is held
// as float32, every integer type as exact integers in a Float64Array (int64 values beyond ±2^53
// are clamped when decoded, as the importer always has), and bool as 0/1 bytes.
//
// Layout: row-major, dims[0] outermost. A tensor of rank 0 (a scalar) has dims [] and one element.

import { RecurFormatError } from '../errors.js';

export type ElemType = 'float' | 'int' | 'bool';

export interface Tensor {
  type: ElemType;
  dims: number[];
  /** float → Float32Array, int → Float64Array (integers), bool → Uint8Array (0 or 1). */
  data: Float32Array | Float64Array | Uint8Array;
}

/**
 * Largest element count of a tensor the runtime makes: 256 MiB of f32 (512 MiB as an int tensor's
 * Float64Array), far beyond what the graphs recur runs need, and low enough that a hostile file's
 * shapes cannot make one allocation of gigabytes.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 26;

/** The element count of dims; a RecurFormatError for negative, fractional or too large sizes. */
export function sizeOf(dims: readonly number[], what = 'tensor'): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RecurFormatError(`${what}: shape [${dims.join(', ')}] has an invalid size ${d}`);
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMENTS) throw new RecurFormatError(`${what}: shape [${dims.join(', ')}] has more than 2^26 elements`);
  return n;
}

/** Row-major strides of dims, in elements. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let k = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = k; k *= dims[i]; }
  return s;
}

/** A zero-filled tensor of the given type and shape. */
export function alloc(type: ElemType, dims: readonly number[], what?: string): Tensor {
  const n = sizeOf(dims, what);
  const data = type === 'float' ? new Float32Array(n) : type === 'int' ? new Float64Array(n) : new Uint8Array(n);
  return { type, dims: [...dims], data };
}

export function floatTensor(dims: number[], data: ArrayLike<number>): Tensor {
  return { type: 'float', dims, data: Float32Array.from(data) };
}

export function intTensor(dims: number[], data: ArrayLike<number>): Tensor {
  return { type: 'int', dims, data: Float64Array.from(data) };
}

export function boolTensor(dims: number[], data: ArrayLike<number | boolean>): Tensor {
  return { type: 'bool', dims, data: Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0)) };
}

/** The same data under other dims (no copy); the counts must agree. */
export function reshaped(t: Tensor, dims: number[]): Tensor {
  return { type: t.type, dims, data: t.data };
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** ONNX's multidirectional (numpy) broadcast of two shapes; undefined if they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length), out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1, y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/**
 * Strides that read `dims` (of a tensor broadcast to `to`) with 0 on broadcast axes, aligned to
 * the right as numpy does: index i of the result reads element Σ idx[k]·strides[k].
 */
export function broadcastStrides(dims: readonly number[], to: readonly number[]): number[] {
  const own = stridesOf(dims), out = new Array<number>(to.length).fill(0);
  for (let i = 0; i < dims.length; i++) {
    const k = to.length - dims.length + i;
    out[k] = dims[i] === 1 ? 0 : own[i];
  }
  return out;
}

/** ONNX TensorProto.DataType → how the runtime holds it; undefined for strings and unknown types. */
export function elemTypeOf(onnxType: number): ElemType | undefined {
  if (onnxType === 1 || onnxType === 10 || onnxType === 11 || onnxType === 16) return 'float';   // float, float16, double, bfloat16
  if (onnxType === 9) return 'bool';
  if ((onnxType >= 2 && onnxType <= 7) || onnxType === 12 || onnxType === 13) return 'int';
  return undefined;
}
