// What an operator is to the graph runtime: a function that, given one node and what is known
// about its inputs when the plan is made (type, shape, and the value itself for constants),
// checks the node, works out its outputs' types and shapes, and returns a Kernel that computes
// them. The same Kernel folds constants at import (run once on constant inputs) and runs every
// call of a plan (run on the plan's preallocated buffers), so each operator is written once.
//
// Kernels never allocate in run(): outputs arrive allocated with the shapes compile() declared.
// Every problem with a node (an attribute out of range, shapes that do not fit) is a
// RecurFormatError that names the node, raised by compile(), never by run().

import { RecurFormatError } from '../errors.js';
import type { OnnxAttribute, OnnxGraph, OnnxNode } from '../onnx/onnx.js';
import type { Runtime } from '../runtime/runtime.js';
import { alloc, type ElemType, type Tensor } from './tensor.js';

/** What the plan knows of a value before it runs: its type and shape, and its data if constant. */
export interface ValueInfo {
  type: ElemType;
  dims: number[];
  /** The value itself when it is a constant (an initializer, or folded from constants). */
  value?: Tensor;
}

export interface Kernel {
  /** Type and shape of each of the node's outputs. */
  outputs: { type: ElemType; dims: number[] }[];
  /**
   * Computes the outputs from the inputs (absent optional inputs are undefined). Outputs are
   * preallocated with the declared types and shapes; run() must fill every element.
   */
  run(inputs: (Tensor | undefined)[], outputs: Tensor[]): void;
  /**
   * Output 0 is input `alias` under a new shape (Reshape, Squeeze, Identity…): the plan may give
   * it the input's buffer, and then skips run(). run() must still copy when called.
   */
  alias?: number;
  /** With `alias`: output 0 starts this many elements into the input (a contiguous Slice). */
  aliasOffset?: number;
  /**
   * What one run() costs, in units of an element read or written by a JavaScript loop (a few ns);
   * default: one per element of the inputs and outputs. Operators whose work grows faster than
   * their data (MatMul, Gemm, Conv, ConvTranspose, LSTM/GRU/RNN) or whose elements are dear (Pow,
   * Erf, Softmax) say. The plan bounds the sum (MAX_FOLD_WORK while folding, MAX_RUN_WORK a run).
   */
  work?: number;
  /**
   * The plan found a Relu the only reader of output 0 (a float): from now on run() writes it as
   * that Relu would (v < 0 → 0; NaN and −0 stay), and the Relu becomes an alias. Kernels that
   * cannot fuse it leave this out.
   */
  fuseRelu?(): void;
  /**
   * An STFT [1, 2F, L'] whose halves (re, im) are read only by Sqrt(Pow(re, 2) + Pow(im, 2)): from
   * now on run() writes that magnitude, [1, F, L'], in the first half (rows F… are left as
   * they are), computed as those nodes compute it, and the plan drops them.
   */
  fuseMagnitude?(): void;
  /** A Pad that reflects one row [1…, L] at its ends (begin, end < L): what it does, for fusePad. */
  reflectRow?: { begin: number; end: number; length: number };
  /**
   * Input 0 comes from such a Pad, read by nothing else: if the kernel can, from now on it reads
   * the Pad's input instead (reflecting it itself, the same values) and says true; the plan
   * drops the Pad.
   */
  fusePad?(pad: { begin: number; end: number; length: number }): boolean;
  /** Frees what compile() took (wasm memory for packed weights). */
  dispose?(): void;
}

export interface OpContext {
  /** The default-domain opset the model imports (attributes moved to inputs across versions). */
  opset: number;
  /** The runtime whose kernels heavy operators may use; absent when only folding on the host. */
  rt?: Runtime;
  /**
   * Counts floats of wasm memory a kernel is about to take until dispose() (packed weights,
   * scratch) with the plan's buffers (MAX_PLAN_ELEMENTS); throws, before anything is allocated,
   * when they do not fit. Absent outside a plan.
   */
  reserve?(floats: number): void;
  /** Run Convs recognised as STFTs by FFT (OnnxGraphOptions.fft); default false (as onnxruntime sums).
   *  'f32': by FFT in single precision (four frames a vector, ~half the time; see assembly/fft.ts stftReal32). */
  fft?: boolean | 'f32';
}

export type Op = (node: OnnxNode, inputs: (ValueInfo | undefined)[], ctx: OpContext) => Kernel;

/**
 * Kernel.work per multiply-add, by what does it (measured): a JavaScript loop, recur's wasm GEMM
 * and recurrent kernels (SIMD, weights packed), its direct wasm convolution.
 */
export const WORK = { loop: 1, gemm: 1 / 64, direct: 1 / 8 } as const;

// ---------------------------------------------------------------------------------------------
// Helpers for operators

/** How errors name a node: its name, or its first output when it has none (as exporters often leave it). */
export function nodeName(node: OnnxNode): string {
  return node.name || node.outputs.find(Boolean) || '?';
}

/** A RecurFormatError naming the node: `ONNX node 'conv1' (Conv): <message>`. */
export function nodeError(node: OnnxNode, message: string): RecurFormatError {
  return new RecurFormatError(`ONNX node '${nodeName(node)}' (${node.opType}): ${message}`);
}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.get(name);
}

export function attrInt(node: OnnxNode, name: string, fallback: number): number;
export function attrInt(node: OnnxNode, name: string): number | undefined;
export function attrInt(node: OnnxNode, name: string, fallback?: number): number | undefined {
  const a = attribute(node, name);
  if (!a) return fallback;
  if (a.i === undefined) throw nodeError(node, `attribute '${name}' should be an integer`);
  return a.i;
}

export function attrFloat(node: OnnxNode, name: string, fallback: number): number;
export function attrFloat(node: OnnxNode, name: string): number | undefined;
export function attrFloat(node: OnnxNode, name: string, fallback?: number): number | undefined {
  const a = attribute(node, name);
  if (!a) return fallback;
  if (a.f === undefined) throw nodeError(node, `attribute '${name}' should be a float`);
  return a.f;
}

export function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a = attribute(node, name);
  if (!a) return undefined;
  if (a.i !== undefined && !a.ints.length) throw nodeError(node, `attribute '${name}' should be a list of integers`);
  return a.ints;
}

export function attrFloats(node: OnnxNode, name: string): number[] | undefined {
  return attribute(node, name)?.floats;
}

export function attrString(node: OnnxNode, name: string, fallback: string): string;
export function attrString(node: OnnxNode, name: string): string | undefined;
export function attrString(node: OnnxNode, name: string, fallback?: string): string | undefined {
  const a = attribute(node, name);
  if (!a) return fallback;
  if (a.s === undefined) throw nodeError(node, `attribute '${name}' should be a string`);
  return a.s;
}

export function attrStrings(node: OnnxNode, name: string): string[] | undefined {
  return attribute(node, name)?.strings;
}

export function attrGraph(node: OnnxNode, name: string): OnnxGraph | undefined {
  return attribute(node, name)?.g;
}

/** Input k, which must be present. */
export function required(node: OnnxNode, inputs: (ValueInfo | undefined)[], k: number, role = `input ${k}`): ValueInfo {
  const v = inputs[k];
  if (!v) throw nodeError(node, `${role} is missing`);
  return v;
}

/** Input k's value, which must be known when the plan is made (a constant). */
export function constantInput(node: OnnxNode, inputs: (ValueInfo | undefined)[], k: number, role = `input ${k}`): ValueInfo & { value: Tensor } {
  const v = required(node, inputs, k, role);
  if (!v.value) throw nodeError(node, `${role} must be a constant (an initializer, or computed from shapes), not computed from the inputs' values`);
  return v as ValueInfo & { value: Tensor };
}

/** An axis attribute or input normalised to [0, rank): ONNX lets it count from the end. */
export function normalizeAxis(node: OnnxNode, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw nodeError(node, `${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Every input of the list must be of one of the given types. */
export function expectType(node: OnnxNode, v: ValueInfo, types: ElemType[], role: string): void {
  if (!types.includes(v.type)) throw nodeError(node, `${role} is ${v.type}, expected ${types.join(' or ')}`);
}

/** Runs one node on tensors it is given (constant folding, tests): compile, allocate, run. */
export function evaluateNode(op: Op, node: OnnxNode, inputs: (Tensor | undefined)[], ctx: OpContext): Tensor[] {
  const infos = inputs.map((t) => (t ? { type: t.type, dims: t.dims, value: t } : undefined));
  const kernel = op(node, infos, ctx);
  try {
    const outputs = kernel.outputs.map((o) => alloc(o.type, o.dims, `ONNX node '${nodeName(node)}' output`));
    kernel.run(inputs, outputs);
    return outputs;
  } finally {
    kernel.dispose?.();
  }
}
