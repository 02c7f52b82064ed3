// The weights of a TensorFlow.js model: the manifest's specs (name, shape, dtype, quantization)
// and the bytes they describe, packed back to back in manifest order, each group's shards
// concatenated (what tf.io.decodeWeights reads).
//
//   float32                       4 bytes a value, little-endian
//   quantization uint8 / uint16   1 / 2 bytes a value q; value = q · scale + min
//   quantization float16          2 bytes a value, IEEE binary16 (tensorflowjs_converter --quantize_float16)
//   int32 / bool                  4 / 1 bytes (optimizer state such as Adam's `iter`; never a layer weight)
//
// save({ includeOptimizer: true }) appends the optimizer's state with group: 'optimizer'; its
// bytes are counted and skipped.

import { RecurFormatError, RecurOptionError } from '../errors.js';
import { float32FromBytes, uint16FromBytes } from '../formats/bytes.js';
import { float16ToFloat32 } from '../formats/f16.js';
import { quoted } from './topology.js';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  group?: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

/** Bytes of one value as stored. */
const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The weight specs of a model.json (weightsManifest) or of tfjs ModelArtifacts (weightSpecs). */
export function weightSpecs(root: Record<string, unknown>): WeightSpec[] {
  let specs: unknown[];
  if (Array.isArray(root.weightsManifest)) {
    specs = root.weightsManifest.flatMap((group: any, i: number) => {
      if (!Array.isArray(group?.weights)) throw new RecurFormatError(`tfjs: weightsManifest[${i}].weights must be an array`);
      return group.weights;
    });
  } else if (Array.isArray(root.weightSpecs)) {
    specs = root.weightSpecs;
  } else {
    throw new RecurFormatError('tfjs: model.json has no weightsManifest (nor ModelArtifacts weightSpecs)');
  }
  const seen = new Set<string>();
  return specs.map((s: any, i) => {
    const name = s?.name;
    if (typeof name !== 'string') throw new RecurFormatError(`tfjs: weight #${i} has no name`);
    if (seen.has(name)) throw new RecurFormatError(`tfjs: weight '${name}' is listed twice in the manifest`);
    seen.add(name);
    if (!Array.isArray(s.shape) || !s.shape.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0)) {
      throw new RecurFormatError(`tfjs: weight '${name}' has shape ${quoted(s.shape)}; expected an array of sizes`);
    }
    if (!['float32', 'int32', 'bool'].includes(s.dtype)) {
      throw new RecurFormatError(`tfjs: weight '${name}' has dtype ${quoted(s.dtype)}; recur reads float32 weights (and skips int32 and bool ones)`);
    }
    const q = s.quantization;
    if (q != null) {
      if (!['uint8', 'uint16', 'float16'].includes(q.dtype)) {
        throw new RecurFormatError(`tfjs: weight '${name}' has quantization dtype ${quoted(q.dtype)}; known: uint8, uint16, float16`);
      }
      if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
        throw new RecurFormatError(`tfjs: weight '${name}' is ${q.dtype}-quantized but lacks a finite scale and min`);
      }
    }
    return { name, shape: s.shape, dtype: s.dtype, ...(typeof s.group === 'string' ? { group: s.group } : {}), ...(q != null ? { quantization: q } : {}) };
  });
}

export const elementCount = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Bytes the weight files of each weightsManifest group hold together, as its weights declare
 * (empty for ModelArtifacts, which carry their weight data): what a reader of model.json from
 * disk may read from the files a group's paths name, and no more.
 */
export function manifestGroupBytes(root: Record<string, unknown>): number[] {
  weightSpecs(root);                                   // checks every spec first
  if (!Array.isArray(root.weightsManifest)) return [];
  return root.weightsManifest.map((group: { weights: WeightSpec[] }) => group.weights.reduce(
    (n, s) => n + elementCount(s.shape) * STORED_BYTES[s.quantization?.dtype ?? s.dtype], 0));
}

/** One buffer from the weight file, or from its shards in manifest order. */
export function concatBytes(data: ArrayBuffer | Uint8Array | (ArrayBuffer | Uint8Array)[]): Uint8Array {
  const asBytes = (d: unknown, what: string): Uint8Array => {
    if (d instanceof Uint8Array) return d;
    if (d instanceof ArrayBuffer) return new Uint8Array(d);
    throw new RecurOptionError(`tfjs: ${what} must be an ArrayBuffer or Uint8Array, got ${d === null ? 'null' : typeof d}`);
  };
  if (!Array.isArray(data)) return asBytes(data, 'weightData');
  const parts = data.map((d, i) => asBytes(d, `weightData[${i}]`));
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}

/** Every float32 weight's values, by name; the bytes must be exactly what the specs describe. */
export function decodeWeights(specs: WeightSpec[], bytes: Uint8Array): Map<string, Float32Array> {
  const sizes = specs.map((s) => elementCount(s.shape) * STORED_BYTES[s.quantization?.dtype ?? s.dtype]);
  const expected = sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== expected) {
    throw new RecurFormatError(`tfjs: the weight data should have ${expected} bytes (${specs.length} weights in the manifest), got ${bytes.byteLength}`);
  }
  const out = new Map<string, Float32Array>();
  let at = 0;
  specs.forEach((spec, i) => {
    const chunk = bytes.subarray(at, at + sizes[i]);
    at += sizes[i];
    const q = spec.quantization;
    if (spec.dtype !== 'float32') return;
    let values: Float32Array;
    if (!q) values = Float32Array.from(float32FromBytes(chunk));   // a copy: the caller's buffer may change
    else if (q.dtype === 'float16') values = float16ToFloat32(uint16FromBytes(chunk));
    else {
      const codes = q.dtype === 'uint8' ? chunk : uint16FromBytes(chunk);
      values = new Float32Array(codes.length);
      for (let k = 0; k < codes.length; k++) values[k] = codes[k] * q.scale! + q.min!;
    }
    out.set(spec.name, values);
  });
  return out;
}
