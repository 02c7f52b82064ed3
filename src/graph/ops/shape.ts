// Operators that move data without arithmetic: shape queries (Shape, Size), new views of the same
// elements (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout), copies of strided views
// (Transpose, Slice, Expand, Tile, Concat, Split, Gather, Pad) and constants (Constant,
// ConstantOfShape, Range).
//
// Every output shape is fixed when the plan is made, so an input that decides a shape (Reshape's
// shape, Slice's starts, Pad's pads…) must be a constant; data inputs are read only in run().
// Copies go through one strided loop (stridedLoop + copyStrided), planned at compile time: axes
// of size 1 are dropped and neighbours contiguous in both operands merged, so run() is a tight
// inner loop and never allocates.

import {
  attrFloat, attrInt, attrInts, attrFloats, attrString, constantInput, expectType, nodeError, nodeName, normalizeAxis, required,
  type Kernel, type Op, type OpContext, type ValueInfo,
} from '../op.js';
import type { OnnxNode } from '../../onnx/onnx.js';
import { RecurValueError } from '../../errors.js';
import { tensorFromOnnx } from '../constant.js';
import { broadcastDims, broadcastStrides, sizeOf, stridesOf, type ElemType, type Tensor } from '../tensor.js';

type Data = Tensor['data'];

// ---------------------------------------------------------------------------------------------
// Helpers shared with the other operator files

/** sizeOf(dims) for a shape the node makes, its failure a RecurFormatError naming the node. */
export function checkedSize(node: OnnxNode, dims: readonly number[], what = 'output'): number {
  try {
    return sizeOf(dims, what);
  } catch (err) {
    throw nodeError(node, (err as Error).message);
  }
}

/** The integers of constant input k (an int tensor of rank 0 or 1). */
export function constInts(node: OnnxNode, inputs: (ValueInfo | undefined)[], k: number, role: string): number[] {
  const v = constantInput(node, inputs, k, role);
  expectType(node, v, ['int'], role);
  if (v.dims.length > 1) throw nodeError(node, `${role} should be a 1-D tensor, has shape [${v.dims.join(', ')}]`);
  return Array.from(v.value.data);
}

/**
 * A list of integers that is attribute `name` before opset `since` and input k from then on
 * (Squeeze's axes, Split's split, Reduce*'s axes…); undefined when the node does not give it.
 */
export function intsParam(node: OnnxNode, inputs: (ValueInfo | undefined)[], ctx: OpContext, name: string, k: number, since: number): number[] | undefined {
  if (ctx.opset >= since) {
    if (node.attributes.has(name)) throw nodeError(node, `'${name}' is input ${k} from opset ${since}, not an attribute (the model imports opset ${ctx.opset})`);
    return inputs[k] ? constInts(node, inputs, k, `'${name}' (input ${k})`) : undefined;
  }
  if (inputs[k]) throw nodeError(node, `'${name}' is an attribute before opset ${since}, not an input (the model imports opset ${ctx.opset})`);
  return attrInts(node, name);
}

/** Axes normalised to [0, rank), each at most once. */
export function normalizeAxes(node: OnnxNode, axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => normalizeAxis(node, a, rank, what === 'axes' ? 'axis' : what));
  if (new Set(out).size !== out.length) throw nodeError(node, `${what} [${axes.join(', ')}] name an axis twice`);
  return out;
}

/**
 * A loop over the elements of a shape that reads operand a at a0 + Σ idx[k]·aStrides[k] and
 * operand b at b0 + Σ idx[k]·bStrides[k], simplified when planned: axes of size 1 are dropped
 * and neighbouring axes contiguous in both operands merged. The innermost axis is a row of n
 * elements (strides ia, ib); dims/sa/sb are the outer axes.
 */
export interface StridedLoop {
  count: number;
  n: number; ia: number; ib: number;
  dims: number[]; sa: number[]; sb: number[];
  /** The odometer run() counts with, allocated once here. */
  idx: Int32Array;
}

/** Plans a loop over `dims` (whose element count sizeOf has bounded) with strides for a and b. */
export function stridedLoop(dims: readonly number[], aStrides: readonly number[], bStrides: readonly number[]): StridedLoop {
  let count = 1;
  for (const d of dims) count *= d;
  const d: number[] = [], sa: number[] = [], sb: number[] = [];
  if (count > 0) {
    for (let k = 0; k < dims.length; k++) {
      if (dims[k] === 1) continue;
      const last = d.length - 1;
      if (last >= 0 && sa[last] === aStrides[k] * dims[k] && sb[last] === bStrides[k] * dims[k]) {
        d[last] *= dims[k]; sa[last] = aStrides[k]; sb[last] = bStrides[k];
      } else {
        d.push(dims[k]); sa.push(aStrides[k]); sb.push(bStrides[k]);
      }
    }
  }
  const n = d.pop() ?? 1, ia = sa.pop() ?? 0, ib = sb.pop() ?? 0;
  return { count, n, ia, ib, dims: d, sa, sb, idx: new Int32Array(d.length) };
}

/** Calls row(x, y, a, b, loop) for each row of the loop, a and b the row's first offsets. */
export function eachRow<X, Y>(loop: StridedLoop, x: X, a0: number, y: Y, b0: number,
  row: (x: X, y: Y, a: number, b: number, loop: StridedLoop) => void): void {
  if (loop.count === 0) return;
  const { dims, sa, sb, idx } = loop;
  idx.fill(0);
  let a = a0, b = b0;
  for (;;) {
    row(x, y, a, b, loop);
    let k = dims.length - 1;
    for (; k >= 0; k--) {
      a += sa[k]; b += sb[k];
      if (++idx[k] < dims[k]) break;
      a -= sa[k] * dims[k]; b -= sb[k] * dims[k]; idx[k] = 0;
    }
    if (k < 0) return;
  }
}

function copyRow(src: Data, dst: Data, a: number, b: number, loop: StridedLoop): void {
  const { n, ia, ib } = loop;
  if (ia === 1 && ib === 1 && n >= 32 && src.constructor === dst.constructor) dst.set(src.subarray(a, a + n) as never, b);   // one memcpy
  else if (ia === 1 && ib === 1) for (let i = 0; i < n; i++) dst[b + i] = src[a + i];
  else for (let i = 0; i < n; i++) dst[b + i * ib] = src[a + i * ia];
}

/** dst[b0 + Σ idx·bStrides] = src[a0 + Σ idx·aStrides] over the loop's shape. */
export function copyStrided(loop: StridedLoop, src: Data, a0: number, dst: Data, b0: number): void {
  eachRow(loop, src, a0, dst, b0, copyRow);
}

/** A kernel whose one output (type, dims) is the strided view `loop` of input 0 from `offset`. */
function viewKernel(type: ElemType, dims: number[], loop: StridedLoop, offset = 0): Kernel {
  // One contiguous run of the input (a Slice of leading axes, as of Silero's STFT halves): the
  // plan may give the output the input's buffer from `offset` on.
  const contiguous = loop.dims.length === 0 && (loop.ia === 1 || loop.n <= 1) && loop.count > 0;
  return {
    ...(contiguous ? { alias: 0, aliasOffset: offset } : {}),
    outputs: [{ type, dims }],
    run(inputs, outputs) { copyStrided(loop, inputs[0]!.data, offset, outputs[0].data, 0); },
  };
}

/** Output 0 is input 0 under other dims: aliased by the plan, copied when run. */
function aliasKernel(type: ElemType, dims: number[]): Kernel {
  return {
    outputs: [{ type, dims }],
    alias: 0,
    run(inputs, outputs) { outputs[0].data.set(inputs[0]!.data); },
  };
}

// ---------------------------------------------------------------------------------------------
// Shapes and sizes

/** Shape(data [d0…dr-1]) → int [end - start]: the dims from start to end (opset 15), clamped. */
const Shape: Op = (node, inputs) => {
  const x = required(node, inputs, 0, 'data'), r = x.dims.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(attrInt(node, 'start', 0)), end = clamp(attrInt(node, 'end', r));
  const dims = x.dims.slice(start, Math.max(start, end));
  return {
    outputs: [{ type: 'int', dims: [dims.length] }],
    work: dims.length,                                     // reads no data
    run(_inputs, outputs) { outputs[0].data.set(dims); },
  };
};

/** Size(data) → int scalar: the element count. */
const Size: Op = (node, inputs) => {
  const x = required(node, inputs, 0, 'data');
  const n = checkedSize(node, x.dims, 'data');
  return {
    outputs: [{ type: 'int', dims: [] }],
    work: 1,
    run(_inputs, outputs) { outputs[0].data[0] = n; },
  };
};

// ---------------------------------------------------------------------------------------------
// Views of the same elements (aliases)

/** The dims Reshape makes of `from`: 0 copies the input's dim (unless allowzero), one -1 is inferred. */
function reshapeDims(node: OnnxNode, from: readonly number[], shape: readonly number[], allowzero: boolean): number[] {
  const n = checkedSize(node, from, 'data');
  if (allowzero && shape.includes(0) && shape.includes(-1)) throw nodeError(node, `shape [${shape.join(', ')}] has both 0 and -1, which allowzero forbids`);
  let infer = -1;
  const dims = shape.map((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw nodeError(node, `shape [${shape.join(', ')}] has more than one -1`);
      infer = i;
      return 1;
    }
    if (d === 0 && !allowzero) {
      if (i >= from.length) throw nodeError(node, `shape [${shape.join(', ')}] copies dim ${i} (a 0) of an input of rank ${from.length}`);
      return from[i];
    }
    if (!Number.isSafeInteger(d) || d < 0) throw nodeError(node, `shape [${shape.join(', ')}] has an invalid size ${d}`);
    return d;
  });
  const known = checkedSize(node, dims, 'shape');
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) throw nodeError(node, `cannot reshape [${from.join(', ')}] (${n} elements) to [${shape.join(', ')}]: the -1 cannot be inferred`);
    dims[infer] = n / known;
  } else if (known !== n) {
    throw nodeError(node, `cannot reshape [${from.join(', ')}] (${n} elements) to [${dims.join(', ')}] (${known} elements)`);
  }
  return dims;
}

/** Reshape(data, shape: constant int [k]) → data under the k dims of shape (opset < 5: attribute). */
const Reshape: Op = (node, inputs, ctx) => {
  const x = required(node, inputs, 0, 'data');
  const shape = ctx.opset < 5 ? attrInts(node, 'shape') : constInts(node, inputs, 1, 'shape');
  if (!shape) throw nodeError(node, `attribute 'shape' is missing`);
  return aliasKernel(x.type, reshapeDims(node, x.dims, shape, attrInt(node, 'allowzero', 0) !== 0));
};

/** Flatten(data [d0…dr-1]) → [d0·…·d(axis-1), d(axis)·…·d(r-1)]; axis in [-r, r], default 1. */
const Flatten: Op = (node, inputs) => {
  const x = required(node, inputs, 0, 'input'), r = x.dims.length;
  let axis = attrInt(node, 'axis', 1);
  if (!Number.isInteger(axis) || axis < -r || axis > r) throw nodeError(node, `axis ${axis} is out of range for rank ${r}`);
  if (axis < 0) axis += r;
  checkedSize(node, x.dims, 'input');
  const prod = (ds: number[]) => ds.reduce((p, d) => p * d, 1);
  const dims = [prod(x.dims.slice(0, axis)), prod(x.dims.slice(axis))];
  checkedSize(node, dims);                                 // [0, 2^40·2^20] is empty but no shape
  return aliasKernel(x.type, dims);
};

/** Squeeze(data, axes?) → data without the given axes of size 1 (all of them without axes). */
const Squeeze: Op = (node, inputs, ctx) => {
  const x = required(node, inputs, 0, 'data'), r = x.dims.length;
  const given = intsParam(node, inputs, ctx, 'axes', 1, 13);
  let dims: number[];
  if (given === undefined || given.length === 0) {
    dims = x.dims.filter((d) => d !== 1);
  } else {
    const axes = normalizeAxes(node, given, r);
    for (const a of axes) if (x.dims[a] !== 1) throw nodeError(node, `cannot squeeze axis ${a} of size ${x.dims[a]} (shape [${x.dims.join(', ')}])`);
    dims = x.dims.filter((_, i) => !axes.includes(i));
  }
  return aliasKernel(x.type, dims);
};

/** Unsqueeze(data [r dims], axes [k]) → rank r+k, with 1 at each of the axes (of the output). */
const Unsqueeze: Op = (node, inputs, ctx) => {
  const x = required(node, inputs, 0, 'data');
  const given = intsParam(node, inputs, ctx, 'axes', 1, 13);
  if (given === undefined) throw nodeError(node, `'axes' is missing`);
  const rank = x.dims.length + given.length;
  const axes = normalizeAxes(node, given, rank);
  const dims: number[] = [];
  for (let i = 0, k = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x.dims[k++]);
  return aliasKernel(x.type, dims);
};

/** Identity(x) → x. */
const Identity: Op = (node, inputs) => {
  const x = required(node, inputs, 0, 'input');
  return aliasKernel(x.type, [...x.dims]);
};

/** Dropout(data, ratio?, training_mode?) at inference → data, and an optional mask of all true. */
const Dropout: Op = (node, inputs, ctx) => {
  const x = required(node, inputs, 0, 'data');
  if (inputs[2]) {
    const mode = constantInput(node, inputs, 2, 'training_mode');
    if (mode.value.data.some((v) => v !== 0)) throw nodeError(node, 'training_mode is true, but recur runs Dropout for inference only');
  }
  const dims = [...x.dims];
  if (node.outputs.length < 2) return aliasKernel(x.type, dims);
  const maskType: ElemType = ctx.opset >= 10 ? 'bool' : x.type;
  return {
    outputs: [{ type: x.type, dims }, { type: maskType, dims: [...dims] }],
    alias: 0,
    run(inputs, outputs) {
      outputs[0].data.set(inputs[0]!.data);
      outputs[1].data.fill(1);
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Strided copies

/** Transpose(data [d0…dr-1]) → [d(perm0)…]; perm defaults to the reversed axes. */
const Transpose: Op = (node, inputs) => {
  const x = required(node, inputs, 0, 'data'), r = x.dims.length;
  const perm = attrInts(node, 'perm') ?? x.dims.map((_, i) => r - 1 - i);
  if (perm.length !== r || normalizeAxes(node, perm, r, 'perm').some((p, i) => p !== perm[i])) {
    throw nodeError(node, `perm [${perm.join(', ')}] is not a permutation of the ${r} axes`);
  }
  const dims = perm.map((p) => x.dims[p]);
  checkedSize(node, dims);
  const strides = stridesOf(x.dims);
  return viewKernel(x.type, dims, stridedLoop(dims, perm.map((p) => strides[p]), stridesOf(dims)));
};

/** Slice(data, starts, ends, axes?, steps?) → the elements start, start+step, … before end on each axis. */
const Slice: Op = (node, inputs, ctx) => {
  const x = required(node, inputs, 0, 'data'), r = x.dims.length;
  let starts: number[] | undefined, ends: number[] | undefined, axes: number[] | undefined, steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = attrInts(node, 'starts'); ends = attrInts(node, 'ends'); axes = attrInts(node, 'axes');
    if (!starts || !ends) throw nodeError(node, `attributes 'starts' and 'ends' are required`);
  } else {
    starts = constInts(node, inputs, 1, 'starts'); ends = constInts(node, inputs, 2, 'ends');
    if (inputs[3]) axes = constInts(node, inputs, 3, 'axes');
    if (inputs[4]) steps = constInts(node, inputs, 4, 'steps');
  }
  axes ??= starts.map((_, i) => i);
  if (ends.length !== starts.length || axes.length !== starts.length || (steps && steps.length !== starts.length)) {
    throw nodeError(node, `starts, ends, axes and steps should have one value per sliced axis (${starts.length}, ${ends.length}, ${axes.length}, ${steps?.length ?? '-'})`);
  }
  const which = normalizeAxes(node, axes, r);
  const strides = stridesOf(x.dims), dims = [...x.dims], viewStrides = [...strides];
  let offset = 0;
  which.forEach((axis, i) => {
    const d = x.dims[axis], step = steps?.[i] ?? 1;
    if (step === 0) throw nodeError(node, `step on axis ${axis} is 0`);
    let s = starts![i], e = ends![i];
    if (s < 0) s += d;
    if (e < 0) e += d;
    let n: number;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d); e = Math.min(Math.max(e, 0), d);
      n = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = Math.min(Math.max(s, 0), d - 1); e = Math.min(Math.max(e, -1), d - 1);
      n = d === 0 ? 0 : Math.max(0, Math.ceil((s - e) / -step));
    }
    dims[axis] = n;
    viewStrides[axis] = strides[axis] * step;
    if (n > 0) offset += s * strides[axis];
  });
  checkedSize(node, dims);
  return viewKernel(x.type, dims, stridedLoop(dims, viewStrides, stridesOf(dims)), offset);
};

/** Expand(data, shape: constant int [k]) → data broadcast with shape (numpy rules, both ways). */
const Expand: Op = (node, inputs) => {
  const x = required(node, inputs, 0, 'input');
  const shape = constInts(node, inputs, 1, 'shape');
  const dims = broadcastDims(x.dims, shape);
  if (!dims) throw nodeError(node, `cannot broadcast [${x.dims.join(', ')}] to [${shape.join(', ')}]`);
  checkedSize(node, dims);
  return viewKernel(x.type, dims, stridedLoop(dims, broadcastStrides(x.dims, dims), stridesOf(dims)));
};

/** Tile(data [d0…], repeats: constant int [r]) → [d0·repeats0, …]: the whole tensor repeated. */
const Tile: Op = (node, inputs) => {
  const x = required(node, inputs, 0, 'input'), r = x.dims.length;
  const repeats = constInts(node, inputs, 1, 'repeats');
  if (repeats.length !== r) throw nodeError(node, `repeats has ${repeats.length} values for an input of rank ${r}`);
  if (repeats.some((k) => !Number.isSafeInteger(k) || k < 0)) throw nodeError(node, `repeats [${repeats.join(', ')}] should be non-negative`);
  const dims = x.dims.map((d, i) => d * repeats[i]);
  checkedSize(node, dims);
  // Output axis i as two: which repeat (reading the input from its start) and where in it.
  const inS = stridesOf(x.dims), outS = stridesOf(dims);
  const loopDims: number[] = [], a: number[] = [], b: number[] = [];
  for (let i = 0; i < r; i++) {
    loopDims.push(repeats[i], x.dims[i]);
    a.push(0, inS[i]);
    b.push(x.dims[i] * outS[i], outS[i]);
  }
  return viewKernel(x.type, dims, stridedLoop(loopDims, a, b));
};

/** Concat(inputs… each [… d_k(i) …]) → [… Σ d_k(i) …] along axis. */
const Concat: Op = (node, inputs) => {
  const xs = node.inputs.map((_, k) => required(node, inputs, k));
  if (!xs.length) throw nodeError(node, 'needs at least one input');
  const first = xs[0], r = first.dims.length;
  if (r === 0) throw nodeError(node, 'cannot concatenate scalars');
  const axisAttr = attrInt(node, 'axis');
  if (axisAttr === undefined) throw nodeError(node, `attribute 'axis' is missing`);
  const axis = normalizeAxis(node, axisAttr, r);
  const dims = [...first.dims];
  dims[axis] = 0;
  for (const [k, v] of xs.entries()) {
    if (v.type !== first.type) throw nodeError(node, `input ${k} is ${v.type}, input 0 is ${first.type}`);
    if (v.dims.length !== r || v.dims.some((d, i) => i !== axis && d !== first.dims[i])) {
      throw nodeError(node, `input ${k} of shape [${v.dims.join(', ')}] does not fit input 0 of shape [${first.dims.join(', ')}] along axis ${axis}`);
    }
    dims[axis] += v.dims[axis];
  }
  checkedSize(node, dims);
  const outS = stridesOf(dims);
  let at = 0;
  const parts = xs.map((v) => {
    const part = { loop: stridedLoop(v.dims, stridesOf(v.dims), outS), offset: at * outS[axis] };
    at += v.dims[axis];
    return part;
  });
  return {
    outputs: [{ type: first.type, dims }],
    run(inputs, outputs) {
      for (let k = 0; k < parts.length; k++) copyStrided(parts[k].loop, inputs[k]!.data, 0, outputs[0].data, parts[k].offset);
    },
  };
};

/**
 * Split(data [… d …], split?) → outputs [… s_j …] with Σ s_j = d along axis: sizes from `split`
 * (an attribute before opset 13, a constant input from it), else `num_outputs` (opset 18, the
 * last part smaller when d does not divide), else equal parts.
 */
const Split: Op = (node, inputs, ctx) => {
  const x = required(node, inputs, 0, 'input'), r = x.dims.length;
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), r);
  const d = x.dims[axis], count = node.outputs.length;
  let sizes = intsParam(node, inputs, ctx, 'split', 1, 13);
  const parts = ctx.opset >= 18 ? attrInt(node, 'num_outputs') : undefined;
  if (sizes && parts !== undefined) throw nodeError(node, `give either 'split' or 'num_outputs', not both`);
  if (parts !== undefined && parts !== count) throw nodeError(node, `num_outputs is ${parts} but the node has ${count} outputs`);
  if (count < 1) throw nodeError(node, 'has no outputs');
  if (!sizes) {
    const chunk = d % count === 0 ? d / count : parts !== undefined ? Math.ceil(d / count) : NaN;
    if (Number.isNaN(chunk)) throw nodeError(node, `cannot split ${d} into ${count} equal parts`);
    sizes = Array.from({ length: count }, (_, j) => (j < count - 1 ? chunk : d - chunk * (count - 1)));
    if (d > 0 && sizes[count - 1] <= 0) throw nodeError(node, `cannot split ${d} into ${count} parts of ${chunk}`);
  }
  if (sizes.length !== count) throw nodeError(node, `split has ${sizes.length} sizes for ${count} outputs`);
  if (sizes.some((s) => !Number.isSafeInteger(s) || s < 0) || sizes.reduce((a, s) => a + s, 0) !== d) {
    throw nodeError(node, `cannot split ${d} (axis ${axis}) into [${sizes.join(', ')}]`);
  }
  const inS = stridesOf(x.dims);
  let at = 0;
  const outs = sizes.map((s) => {
    const dims = [...x.dims];
    dims[axis] = s;
    const part = { dims, loop: stridedLoop(dims, inS, stridesOf(dims)), offset: at * inS[axis] };
    at += s;
    return part;
  });
  return {
    outputs: outs.map((o) => ({ type: x.type, dims: o.dims })),
    run(inputs, outputs) {
      for (let j = 0; j < outs.length; j++) copyStrided(outs[j].loop, inputs[0]!.data, outs[j].offset, outputs[j].data, 0);
    },
  };
};

/**
 * Gather(data [a… n b…], indices [i…]) → [a… i… b…] along axis: out[a, i, b] = data[a, indices[i], b],
 * indices counting from the end when negative.
 */
const Gather: Op = (node, inputs) => {
  const x = required(node, inputs, 0, 'data'), ind = required(node, inputs, 1, 'indices');
  expectType(node, ind, ['int'], 'indices');
  const r = x.dims.length;
  if (r === 0) throw nodeError(node, 'cannot gather from a scalar');
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), r);
  const n = x.dims[axis];
  if (ind.value) {
    for (const i of ind.value.data) if (i < -n || i >= n) throw nodeError(node, `index ${i} is out of range for axis ${axis} of size ${n}`);
  }
  const dims = [...x.dims.slice(0, axis), ...ind.dims, ...x.dims.slice(axis + 1)];
  const total = checkedSize(node, dims);
  const count = checkedSize(node, ind.dims, 'indices');
  const inner = x.dims.slice(axis + 1).reduce((p, v) => p * v, 1);
  const outer = total === 0 ? 0 : total / (count * inner);
  // Constant consecutive indices on the outermost non-unit axis (Silero's state[0], state[1]) pick
  // one contiguous run of the input: the plan may give the output the input's buffer from there on.
  const first = ind.value && count > 0 ? (ind.value.data[0] < 0 ? ind.value.data[0] + n : ind.value.data[0]) : -1;
  const contiguous = outer === 1 && first >= 0 && Array.from(ind.value!.data).every((i, j) => (i < 0 ? i + n : i) === first + j);
  return {
    ...(contiguous ? { alias: 0, aliasOffset: first * inner } : {}),
    outputs: [{ type: x.type, dims }],
    run(inputs, outputs) {
      const src = inputs[0]!.data, idx = inputs[1]!.data, dst = outputs[0].data;
      let o = 0;
      for (let a = 0; a < outer; a++) {
        for (let j = 0; j < count; j++) {
          let i = idx[j];
          if (i < 0) i += n;
          if (!(i >= 0 && i < n)) throw new RecurValueError(`ONNX node '${nodeName(node)}' (Gather): index ${idx[j]} is out of range for axis ${axis} of size ${n}`);
          const from = (a * n + i) * inner;
          for (let b = 0; b < inner; b++) dst[o++] = src[from + b];
        }
      }
    },
  };
};

/**
 * The source index each output position of one padded axis reads (-1: the constant). Negative
 * pads crop first (as onnxruntime does), and reflect, edge and wrap read the cropped axis.
 */
function padMap(node: OnnxNode, mode: string, d: number, begin: number, end: number, out: number): Int32Array {
  const lo = Math.max(0, -begin), n = d - lo - Math.max(0, -end), before = Math.max(0, begin);
  const map = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const i = o - before;
    let j: number;
    if (i >= 0 && i < n) j = i;
    else if (mode === 'constant') { map[o] = -1; continue; }
    else if (n <= 0) throw nodeError(node, `cannot pad an empty axis in mode '${mode}'`);
    else if (mode === 'edge') j = i < 0 ? 0 : n - 1;
    else if (mode === 'wrap') j = ((i % n) + n) % n;
    else if (n === 1) j = 0;
    else { const p = 2 * (n - 1); j = ((i % p) + p) % p; if (j >= n) j = p - j; }   // reflect, as numpy
    map[o] = lo + j;
  }
  return map;
}

/**
 * Pad(data [d…], pads [2k], constant_value?, axes? [k]) → [d + begin + end …]: mode constant,
 * reflect (as numpy, even past the axis' length), edge or wrap; negative pads crop. Pads (and the
 * value) are attributes before opset 11.
 */
const Pad: Op = (node, inputs, ctx) => {
  const x = required(node, inputs, 0, 'data'), r = x.dims.length;
  const mode = attrString(node, 'mode', 'constant');
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) throw nodeError(node, `mode '${mode}' is not supported`);
  let pads: number[] | undefined, axes = x.dims.map((_, i) => i), value = 0;
  if (ctx.opset < 11) {
    pads = attrInts(node, 'pads');
    if (!pads) throw nodeError(node, `attribute 'pads' is missing`);
    value = attrFloat(node, 'value', 0);
  } else {
    pads = constInts(node, inputs, 1, 'pads');
    const v = inputs[2];
    if (v) {
      if (v.type !== x.type) throw nodeError(node, `constant_value is ${v.type}, data is ${x.type}`);
      if (checkedSize(node, v.dims, 'constant_value') !== 1) throw nodeError(node, `constant_value should be one value, has shape [${v.dims.join(', ')}]`);
    }
    if (ctx.opset >= 18 && inputs[3]) axes = normalizeAxes(node, constInts(node, inputs, 3, 'axes'), r);
  }
  if (pads.length !== 2 * axes.length) throw nodeError(node, `pads has ${pads.length} values, expected ${2 * axes.length}`);
  if (x.type === 'int') value = Number.isNaN(value) ? 0 : Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Math.trunc(value)));
  else if (x.type === 'bool') value = value ? 1 : 0;
  const begin = new Array<number>(r).fill(0), end = new Array<number>(r).fill(0);
  axes.forEach((a, i) => { begin[a] = pads![i]; end[a] = pads![i + axes.length]; });
  if (begin.some((p) => !Number.isSafeInteger(p)) || end.some((p) => !Number.isSafeInteger(p))) throw nodeError(node, `pads [${pads.join(', ')}] should be integers`);
  const dims = x.dims.map((d, i) => d + begin[i] + end[i]);
  if (dims.some((d) => d < 0)) throw nodeError(node, `pads [${pads.join(', ')}] crop more than the shape [${x.dims.join(', ')}] has`);
  const total = checkedSize(node, dims);

  // Axes of output size 1 fix a source offset (or make everything padding); the rest (at most
  // 28, each ≥ 2) are looped over with their maps, the last one as rows.
  const inS = stridesOf(x.dims), maps: Int32Array[] = [], strides: number[] = [];
  let base = 0, allPad = false;
  if (total > 0) {
    for (let k = 0; k < r; k++) {
      const map = padMap(node, mode, x.dims[k], begin[k], end[k], dims[k]);
      if (dims[k] !== 1) { maps.push(map); strides.push(inS[k]); }
      else if (map[0] < 0) allPad = true;
      else base += map[0] * inS[k];
    }
  }
  const last = maps.pop() ?? Int32Array.of(0), lastStride = strides.pop() ?? 0, rank = maps.length;
  const idx = new Int32Array(rank);
  // The unpadded middle of each row, [mid, midEnd) in the output (the longest run of the map
  // that reads consecutive inputs; reflect and edge pads read inputs at the edges too), is one
  // contiguous run of the input when its stride is 1: copied as a run, the rest through the map.
  let mid = 0, midEnd = 0;
  if (lastStride === 1) {
    for (let i = 0; i < last.length;) {
      let j = i + 1;
      if (last[i] >= 0) while (j < last.length && last[j] === last[i] + (j - i)) j++;
      if (last[i] >= 0 && j - i > midEnd - mid) { mid = i; midEnd = j; }
      i = j;
    }
  }
  const L = x.dims[r - 1];
  const row = mode === 'reflect' && x.type === 'float' && r >= 1 && x.dims.slice(0, -1).every((d, k) => d === 1 && begin[k] === 0 && end[k] === 0)
    && begin[r - 1] >= 0 && end[r - 1] >= 0 && begin[r - 1] < L && end[r - 1] < L;
  return {
    outputs: [{ type: x.type, dims }],
    ...(row ? { reflectRow: { begin: begin[r - 1], end: end[r - 1], length: L } } : {}),
    run(inputs, outputs) {
      const src = inputs[0]!.data, dst = outputs[0].data;
      const c = ctx.opset >= 11 && inputs[2] ? inputs[2].data[0] : value;
      if (total === 0) return;
      if (allPad) { dst.fill(c); return; }
      idx.fill(0);
      for (let o = 0; ;) {
        let off = base, pad = false;
        for (let k = 0; k < rank; k++) {
          const m = maps[k][idx[k]];
          if (m < 0) pad = true;
          off += m * strides[k];
        }
        if (pad) { dst.fill(c, o, o + last.length); o += last.length; }
        else {
          for (let i = 0; i < mid; i++) { const m = last[i]; dst[o++] = m < 0 ? c : src[off + m * lastStride]; }
          if (midEnd - mid >= 64) { const from = off + last[mid]; dst.set(src.subarray(from, from + midEnd - mid), o); o += midEnd - mid; }
          else for (let i = mid, from = off + last[mid] - mid; i < midEnd; i++) dst[o++] = src[from + i];
          for (let i = Math.max(mid, midEnd); i < last.length; i++) { const m = last[i]; dst[o++] = m < 0 ? c : src[off + m * lastStride]; }
        }
        let k = rank - 1;
        for (; k >= 0; k--) {
          if (++idx[k] < maps[k].length) break;
          idx[k] = 0;
        }
        if (k < 0) return;
      }
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Constants

/** Constant → its value: a tensor (value), or value_float(s) / value_int(s). */
const Constant: Op = (node) => {
  const set = [...node.attributes.keys()];
  if (set.length !== 1) throw nodeError(node, `should have exactly one value attribute, has [${set.join(', ')}]`);
  const a = node.attributes.get(set[0])!;
  let value: Tensor;
  switch (set[0]) {
    case 'value':
      if (!a.t) throw nodeError(node, `attribute 'value' is not a tensor`);
      try { value = tensorFromOnnx(a.t, 'value'); } catch (err) { throw nodeError(node, (err as Error).message); }
      break;
    case 'value_float': value = { type: 'float', dims: [], data: Float32Array.of(attrFloat(node, 'value_float', 0)) }; break;
    case 'value_floats': { const f = attrFloats(node, 'value_floats')!; value = { type: 'float', dims: [f.length], data: Float32Array.from(f) }; break; }
    case 'value_int': value = { type: 'int', dims: [], data: Float64Array.of(attrInt(node, 'value_int', 0)) }; break;
    case 'value_ints': { const v = attrInts(node, 'value_ints')!; value = { type: 'int', dims: [v.length], data: Float64Array.from(v) }; break; }
    default: throw nodeError(node, `attribute '${set[0]}' is not supported (strings and sparse tensors are not)`);
  }
  checkedSize(node, value.dims);
  return {
    outputs: [{ type: value.type, dims: [...value.dims] }],
    run(_inputs, outputs) { outputs[0].data.set(value.data); },
  };
};

/** ConstantOfShape(shape: constant int [k]) → a tensor of that shape filled with `value` (float 0). */
const ConstantOfShape: Op = (node, inputs) => {
  const dims = constInts(node, inputs, 0, 'shape');
  checkedSize(node, dims);
  let value: Tensor = { type: 'float', dims: [1], data: Float32Array.of(0) };
  const a = node.attributes.get('value');
  if (a) {
    if (!a.t) throw nodeError(node, `attribute 'value' is not a tensor`);
    try { value = tensorFromOnnx(a.t, 'value'); } catch (err) { throw nodeError(node, (err as Error).message); }
    if (value.data.length !== 1) throw nodeError(node, `value should hold one element, has ${value.data.length}`);
  }
  const v = value.data[0];
  return {
    outputs: [{ type: value.type, dims }],
    run(_inputs, outputs) { outputs[0].data.fill(v); },
  };
};

/** Range(start, limit, delta: constant scalars) → [max(ceil((limit - start) / delta), 0)]. */
const Range: Op = (node, inputs) => {
  const [start, limit, delta] = (['start', 'limit', 'delta'] as const).map((role, k) => {
    const v = constantInput(node, inputs, k, role);
    expectType(node, v, ['float', 'int'], role);
    if (v.value.data.length !== 1) throw nodeError(node, `${role} should be a scalar, has shape [${v.dims.join(', ')}]`);
    return v;
  });
  if (limit.type !== start.type || delta.type !== start.type) throw nodeError(node, 'start, limit and delta should have one type');
  const s = start.value.data[0], l = limit.value.data[0], d = delta.value.data[0];
  if (d === 0) throw nodeError(node, 'delta is 0');
  const n = Math.max(Math.ceil((l - s) / d), 0);
  checkedSize(node, [n]);
  return {
    outputs: [{ type: start.type, dims: [n] }],
    run(inputs, outputs) {
      const s = inputs[0]!.data[0], d = inputs[2]!.data[0], out = outputs[0].data;
      for (let i = 0; i < n; i++) out[i] = s + i * d;
    },
  };
};

export const shapeOps: Record<string, Op> = {
  Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout,
  Transpose, Slice, Expand, Tile, Concat, Split, Gather, Pad,
  Constant, ConstantOfShape, Range,
};
