// The shape operators of the graph runtime (src/graph/ops/shape.ts), node by node: results
// against the ONNX operator docs' examples or plain-JS references, the attribute-vs-input
// differences between opsets, and the RecurFormatErrors that name the node.

import { describe, it, expect } from 'vitest';
import { RecurFormatError, RecurValueError } from '../../src/errors.js';
import type { OnnxAttribute, OnnxNode, OnnxTensor } from '../../src/onnx/onnx.js';
import { evaluateNode, type ValueInfo } from '../../src/graph/op.js';
import { shapeOps } from '../../src/graph/ops/shape.js';
import { alloc, boolTensor, floatTensor, intTensor, stridesOf, type Tensor } from '../../src/graph/tensor.js';
import { loadOnnxGraph } from '../../src/graph/index.js';
import * as B from './onnx-builder.js';
import '../../src/node/index.js';

type Attr = Partial<OnnxAttribute>;

/** A node of opType with the given attributes, inputs named in0…, outputs out0…. */
function node(opType: string, attrs: Record<string, Attr> = {}, nIn = 1, nOut = 1): OnnxNode {
  return {
    name: `my_${opType.toLowerCase()}`, opType, domain: '',
    inputs: Array.from({ length: nIn }, (_, i) => `in${i}`),
    outputs: Array.from({ length: nOut }, (_, i) => `out${i}`),
    attributes: new Map(Object.entries(attrs).map(([name, a]) => [name, { name, floats: [], ints: [], strings: [], other: false, ...a }])),
  };
}
const i = (v: number): Attr => ({ i: v });
const ints = (...v: number[]): Attr => ({ ints: v });
const f = (v: number): Attr => ({ f: v });
const s = (v: string): Attr => ({ s: v });

/** Runs shapeOps[opType] on the node; every input is a constant, as evaluateNode makes them. */
function run(n: OnnxNode, inputs: (Tensor | undefined)[], opset = 17): Tensor[] {
  return evaluateNode(shapeOps[n.opType], n, inputs, { opset });
}
const run1 = (n: OnnxNode, inputs: (Tensor | undefined)[], opset = 17) => run(n, inputs, opset)[0];

/** Plain arrays of a result, for toEqual. */
const plain = (t: Tensor) => ({ type: t.type, dims: t.dims, data: Array.from(t.data) });
const F = (dims: number[], data: ArrayLike<number>) => plain(floatTensor(dims, data));
const I = (dims: number[], data: ArrayLike<number>) => plain(intTensor(dims, data));

/** 0, 1, 2, … as a float tensor of the given dims. */
function iota(dims: number[], type: 'float' | 'int' = 'float'): Tensor {
  const t = alloc(type, dims);
  for (let k = 0; k < t.data.length; k++) t.data[k] = k;
  return t;
}

/** Calls fn with each index of dims, in row-major order. */
function forEachIndex(dims: number[], fn: (idx: number[]) => void): void {
  const total = dims.reduce((p, d) => p * d, 1);
  for (let k = 0; k < total; k++) {
    const idx: number[] = [];
    let rest = k;
    for (let a = dims.length - 1; a >= 0; a--) { idx.unshift(rest % dims[a]); rest = Math.floor(rest / dims[a]); }
    fn(idx);
  }
}
const at = (t: Tensor, idx: number[]) => t.data[idx.reduce((o, v, k) => o + v * stridesOf(t.dims)[k], 0)];

/** Expects fn to throw a RecurFormatError naming the node and matching message. */
function expectNodeError(fn: () => unknown, n: OnnxNode, message: RegExp): void {
  let error: unknown;
  try { fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(RecurFormatError);
  expect((error as Error).message).toContain(`'${n.name}' (${n.opType})`);
  expect((error as Error).message).toMatch(message);
}

/** A float OnnxTensor (raw little-endian data), as a Constant's value attribute holds it. */
function onnxFloats(dims: number[], values: number[]): OnnxTensor {
  return {
    name: '', dims, dataType: 1, raw: new Uint8Array(Float32Array.from(values).buffer),
    runs: { float: [], int32: [], int64: [], double: [], uint64: [] }, external: false, segmented: false,
  };
}
function onnxInt64s(dims: number[], values: number[]): OnnxTensor {
  return {
    name: '', dims, dataType: 7, raw: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
    runs: { float: [], int32: [], int64: [], double: [], uint64: [] }, external: false, segmented: false,
  };
}

describe('Shape and Size', () => {
  it('gives the dims, sliced by start and end (opset 15)', () => {
    const x = iota([2, 3, 4]);
    expect(plain(run1(node('Shape'), [x]))).toEqual(I([3], [2, 3, 4]));
    expect(plain(run1(node('Shape', { start: i(1) }), [x], 15))).toEqual(I([2], [3, 4]));
    expect(plain(run1(node('Shape', { end: i(-1) }), [x], 15))).toEqual(I([2], [2, 3]));
    expect(plain(run1(node('Shape', { start: i(-10), end: i(10) }), [x], 15))).toEqual(I([3], [2, 3, 4]));
    expect(plain(run1(node('Shape', { start: i(2), end: i(1) }), [x], 15))).toEqual(I([0], []));
    expect(plain(run1(node('Shape'), [floatTensor([], [5])]))).toEqual(I([0], []));
  });
  it('Size counts the elements', () => {
    expect(plain(run1(node('Size'), [iota([2, 3, 4])]))).toEqual(I([], [24]));
    expect(plain(run1(node('Size'), [boolTensor([0, 3], [])]))).toEqual(I([], [0]));
  });
});

describe('Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout', () => {
  const x = iota([2, 3, 4]);
  it('Reshape copies dims for 0 and infers -1', () => {
    const n = node('Reshape', {}, 2);
    expect(run1(n, [x, intTensor([2], [0, -1])]).dims).toEqual([2, 12]);
    expect(run1(n, [x, intTensor([3], [-1, 3, 2])]).dims).toEqual([4, 3, 2]);
    expect(run1(n, [x, intTensor([4], [0, 0, 2, -1])]).dims).toEqual([2, 3, 2, 2]);
    const y = run1(n, [x, intTensor([1], [24])]);
    expect(plain(y)).toEqual(plain(iota([24])));
    expect(shapeOps.Reshape(n, [x, { type: 'int', dims: [1], value: intTensor([1], [24]) }], { opset: 17 }).alias).toBe(0);
  });
  it('Reshape with allowzero keeps 0 as a size', () => {
    const n = node('Reshape', { allowzero: i(1) }, 2);
    expect(run1(n, [iota([0, 3]), intTensor([2], [3, 0])], 14).dims).toEqual([3, 0]);
    expectNodeError(() => run1(n, [iota([2, 3]), intTensor([2], [0, 6])], 14), n, /cannot reshape/);
  });
  it('Reshape keeps ints and bools', () => {
    const n = node('Reshape', {}, 2);
    expect(plain(run1(n, [intTensor([2, 2], [1, -2, 3, 4]), intTensor([1], [-1])]))).toEqual(I([4], [1, -2, 3, 4]));
    expect(run1(n, [boolTensor([4], [1, 0, 0, 1]), intTensor([2], [2, 2])]).type).toBe('bool');
  });
  it('Reshape at opset 1 reads the shape attribute', () => {
    expect(run1(node('Reshape', { shape: ints(6, -1) }), [x], 4).dims).toEqual([6, 4]);
  });
  it('Reshape reports sizes that do not fit, and a shape computed at run time', () => {
    const n = node('Reshape', {}, 2);
    expectNodeError(() => run1(n, [x, intTensor([2], [5, 5])]), n, /cannot reshape \[2, 3, 4\] \(24 elements\) to \[5, 5\]/);
    expectNodeError(() => run1(n, [x, intTensor([2], [5, -1])]), n, /-1 cannot be inferred/);
    expectNodeError(() => run1(n, [x, intTensor([2], [-1, -1])]), n, /more than one -1/);
    expectNodeError(() => run1(n, [x, intTensor([4], [1, 1, 1, 0])]), n, /copies dim 3/);
    const infos: ValueInfo[] = [{ type: 'float', dims: [2, 3, 4] }, { type: 'int', dims: [2] }];
    expectNodeError(() => shapeOps.Reshape(n, infos, { opset: 17 }), n, /shape must be a constant/);
    expectNodeError(() => run1(n, [x, floatTensor([1], [24])]), n, /shape is float, expected int/);
    expectNodeError(() => run1(n, [x]), n, /shape is missing/);
  });
  it('Flatten splits the dims at axis', () => {
    const n = (axis: number) => node('Flatten', { axis: i(axis) });
    expect(run1(n(0), [x]).dims).toEqual([1, 24]);
    expect(run1(n(-1), [x]).dims).toEqual([6, 4]);
    expect(run1(n(3), [x]).dims).toEqual([24, 1]);
    expect(run1(node('Flatten'), [x]).dims).toEqual([2, 12]);
    expect(plain(run1(n(2), [x])).data).toEqual(Array.from(x.data));
    expectNodeError(() => run1(n(4), [x]), n(4), /axis 4 is out of range for rank 3/);
  });
  it('Squeeze takes axes as an attribute before opset 13 and as an input from it', () => {
    const y = iota([1, 3, 1, 2]);
    expect(run1(node('Squeeze', { axes: ints(0, -2) }), [y], 11).dims).toEqual([3, 2]);
    expect(run1(node('Squeeze', {}, 2), [y, intTensor([1], [2])], 13).dims).toEqual([1, 3, 2]);
    expect(run1(node('Squeeze'), [y], 13).dims).toEqual([3, 2]);
    expect(plain(run1(node('Squeeze'), [y], 13)).data).toEqual(Array.from(y.data));
    const bad = node('Squeeze', {}, 2);
    expectNodeError(() => run1(bad, [y, intTensor([1], [1])], 13), bad, /cannot squeeze axis 1 of size 3/);
    expectNodeError(() => run1(bad, [y, intTensor([1], [4])], 13), bad, /axis 4 is out of range for rank 4/);
    const attrAt13 = node('Squeeze', { axes: ints(0) });
    expectNodeError(() => run1(attrAt13, [y], 13), attrAt13, /'axes' is input 1 from opset 13/);
    expectNodeError(() => run1(bad, [y, intTensor([1], [0])], 11), bad, /'axes' is an attribute before opset 13/);
  });
  it('Unsqueeze inserts axes of the output', () => {
    const y = iota([3, 4]);
    expect(run1(node('Unsqueeze', {}, 2), [y, intTensor([2], [0, -1])], 13).dims).toEqual([1, 3, 4, 1]);
    expect(run1(node('Unsqueeze', { axes: ints(1) }), [y], 11).dims).toEqual([3, 1, 4]);
    expect(run1(node('Unsqueeze', {}, 2), [floatTensor([], [7]), intTensor([1], [0])], 13).dims).toEqual([1]);
    const dup = node('Unsqueeze', {}, 2);
    expectNodeError(() => run1(dup, [y, intTensor([2], [0, -4])], 13), dup, /name an axis twice/);
    expectNodeError(() => run1(dup, [y, intTensor([1], [3])], 13), dup, /axis 3 is out of range for rank 3/);
    const missing = node('Unsqueeze');
    expectNodeError(() => run1(missing, [y], 11), missing, /'axes' is missing/);
  });
  it('Identity and Dropout copy their input, Dropout makes a mask of all true', () => {
    const b = boolTensor([3], [1, 0, 1]);
    expect(plain(run1(node('Identity'), [b]))).toEqual(plain(b));
    const [y, mask] = run(node('Dropout', { seed: i(3) }, 2, 2), [x, floatTensor([], [0.5])], 13);
    expect(plain(y)).toEqual(plain(x));
    expect(plain(mask)).toEqual(plain(boolTensor([2, 3, 4], new Array(24).fill(1))));
    const n = node('Dropout', {}, 3);
    expect(plain(run1(n, [x, undefined, boolTensor([], [0])], 13))).toEqual(plain(x));
    expectNodeError(() => run1(n, [x, undefined, boolTensor([], [1])], 13), n, /inference only/);
    expect(shapeOps.Dropout(n, [{ type: 'float', dims: [2] }], { opset: 13 }).alias).toBe(0);
  });
});

describe('Transpose', () => {
  it('reverses the axes by default and follows perm', () => {
    const x = iota([2, 3, 4]);
    for (const perm of [undefined, [1, 0, 2], [2, 0, 1], [0, 1, 2]]) {
      const y = run1(node('Transpose', perm ? { perm: ints(...perm) } : {}), [x]);
      const p = perm ?? [2, 1, 0];
      expect(y.dims).toEqual(p.map((a) => x.dims[a]));
      forEachIndex(y.dims, (idx) => {
        const src: number[] = [];
        p.forEach((a, k) => { src[a] = idx[k]; });
        expect(at(y, idx)).toBe(at(x, src));
      });
    }
  });
  it('keeps ints and bools', () => {
    expect(plain(run1(node('Transpose'), [intTensor([2, 2], [1, 2, 3, 4])]))).toEqual(I([2, 2], [1, 3, 2, 4]));
    expect(plain(run1(node('Transpose'), [boolTensor([1, 2], [1, 0])]))).toEqual(plain(boolTensor([2, 1], [1, 0])));
  });
  it('reports a perm that is not a permutation', () => {
    const n = node('Transpose', { perm: ints(0, 0, 1) });
    expectNodeError(() => run1(n, [iota([2, 3, 4])]), n, /name an axis twice/);
    const short = node('Transpose', { perm: ints(1, 0) });
    expectNodeError(() => run1(short, [iota([2, 3, 4])]), short, /not a permutation/);
  });
});

/**
 * Python's slice(start, stop, step).indices(len), as numpy slices, but for one case where ONNX
 * (and onnxruntime) differ: a start before the axis with a negative step is clamped to 0, not -1.
 */
function pyRange(start: number, stop: number, step: number, len: number): number[] {
  const adjust = (v: number, isStart: boolean) => {
    if (v < 0) { v += len; if (v < 0) v = step < 0 && !isStart ? -1 : 0; } else if (v >= len) v = step < 0 ? len - 1 : len;
    return v;
  };
  const out: number[] = [];
  for (let k = adjust(start, true), end = adjust(stop, false); step > 0 ? k < end : k > end; k += step) out.push(k);
  return out;
}

/** x[slices] by plain indexing: one index list per axis. */
function take(x: Tensor, lists: number[][]): { dims: number[]; data: number[] } {
  const dims = lists.map((l) => l.length), data: number[] = [];
  forEachIndex(dims, (idx) => data.push(at(x, idx.map((v, a) => lists[a][v]))));
  return { dims, data };
}

describe('Slice', () => {
  const n = node('Slice', {}, 5);
  it('follows the ONNX docs examples', () => {
    const x = floatTensor([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(plain(run1(n, [x, intTensor([2], [1, 0]), intTensor([2], [2, 3]), intTensor([2], [0, 1]), intTensor([2], [1, 2])])))
      .toEqual(F([1, 2], [5, 7]));
    expect(plain(run1(node('Slice', {}, 3), [x, intTensor([2], [0, 1]), intTensor([2], [-1, 1000])])))
      .toEqual(F([1, 3], [2, 3, 4]));
  });
  it('takes negative steps and clamps starts and ends (slice_neg_steps)', () => {
    const x = iota([20, 10, 5]);
    const y = run1(n, [x, intTensor([3], [20, 10, 4]), intTensor([3], [0, 0, 1]), intTensor([3], [0, 1, 2]), intTensor([3], [-1, -3, -2])]);
    const want = take(x, [pyRange(20, 0, -1, 20), pyRange(10, 0, -3, 10), pyRange(4, 1, -2, 5)]);
    expect(want.dims).toEqual([19, 3, 2]);
    expect({ dims: y.dims, data: Array.from(y.data) }).toEqual(want);
  });
  it('matches Python slicing over many starts, ends and steps', () => {
    const x = iota([7, 3]);
    for (const start of [-9, -7, -3, -1, 0, 2, 6, 7, 9]) {
      for (const end of [-9, -8, -2, 0, 1, 5, 7, 10]) {
        for (const step of [-3, -1, 1, 2, 4]) {
          const y = run1(n, [x, intTensor([1], [start]), intTensor([1], [end]), intTensor([1], [0]), intTensor([1], [step])]);
          expect({ dims: y.dims, data: Array.from(y.data) }, `${start}:${end}:${step}`).toEqual(take(x, [pyRange(start, end, step, 7), [0, 1, 2]]));
        }
      }
    }
  });
  it('clamps a start before the axis to 0 with a negative step, as the spec and onnxruntime do', () => {
    const y = run1(n, [iota([7]), intTensor([1], [-9]), intTensor([1], [-9]), intTensor([1], [0]), intTensor([1], [-3])]);
    expect(plain(y)).toEqual(F([1], [0]));
  });
  it('takes INT64_MAX and INT64_MIN ends and negative axes', () => {
    const x = iota([3, 4], 'int');
    const to = run1(n, [x, intTensor([1], [1]), intTensor([1], [2 ** 63]), intTensor([1], [-1])]);
    expect(plain(to)).toEqual(I([3, 3], [1, 2, 3, 5, 6, 7, 9, 10, 11]));
    const back = run1(n, [x, intTensor([1], [-1]), intTensor([1], [-(2 ** 63)]), intTensor([1], [0]), intTensor([1], [-1])]);
    expect(plain(back)).toEqual(I([3, 4], [8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3]));
    const safe = run1(n, [x, intTensor([1], [0]), intTensor([1], [Number.MAX_SAFE_INTEGER]), intTensor([1], [1]), intTensor([1], [3])]);
    expect(plain(safe)).toEqual(I([3, 2], [0, 3, 4, 7, 8, 11]));
  });
  it('reads starts, ends and axes attributes before opset 10', () => {
    const x = iota([3, 4]);
    const y = run1(node('Slice', { starts: ints(1), ends: ints(3), axes: ints(1) }), [x], 9);
    expect(plain(y)).toEqual(F([3, 2], [1, 2, 5, 6, 9, 10]));
  });
  it('reports a zero step, mismatched lists, an axis out of range, and non-constant starts', () => {
    const x = iota([3, 4]);
    expectNodeError(() => run1(n, [x, intTensor([1], [0]), intTensor([1], [2]), intTensor([1], [0]), intTensor([1], [0])]), n, /step on axis 0 is 0/);
    expectNodeError(() => run1(n, [x, intTensor([2], [0, 0]), intTensor([1], [2])]), n, /one value per sliced axis/);
    expectNodeError(() => run1(n, [x, intTensor([1], [0]), intTensor([1], [2]), intTensor([1], [2])]), n, /axis 2 is out of range for rank 2/);
    const infos: ValueInfo[] = [{ type: 'float', dims: [3, 4] }, { type: 'int', dims: [1] }, { type: 'int', dims: [1], value: intTensor([1], [2]) }];
    expectNodeError(() => shapeOps.Slice(n, infos, { opset: 13 }), n, /starts must be a constant/);
  });
});

describe('Gather', () => {
  it('gathers along axis 1 with negative indices (ONNX docs example)', () => {
    const data = floatTensor([3, 3], [1.0, 1.2, 1.9, 2.3, 3.4, 3.9, 4.5, 5.7, 5.9]);
    const y = run1(node('Gather', { axis: i(1) }, 2), [data, intTensor([1, 2], [0, -1])]);
    expect(plain(y)).toEqual(F([3, 1, 2], [1.0, 1.9, 2.3, 3.9, 4.5, 5.9]));
  });
  it('gathers along axis 0 and every axis of a rank-3 tensor against a reference', () => {
    const data = floatTensor([3, 2], [1.0, 1.2, 2.3, 3.4, 4.5, 5.7]);
    expect(plain(run1(node('Gather', {}, 2), [data, intTensor([2, 2], [0, 1, 1, 2])])))
      .toEqual(F([2, 2, 2], [1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7]));
    const x = iota([2, 3, 4], 'int');
    for (let axis = -3; axis < 3; axis++) {
      const a = (axis + 3) % 3, len = x.dims[a];
      const idx = intTensor([3], [len - 1, -1, 0]);
      const y = run1(node('Gather', { axis: i(axis) }, 2), [x, idx]);
      expect(y.type).toBe('int');
      const lists = x.dims.map((d) => Array.from({ length: d }, (_, k) => k));
      lists[a] = [len - 1, len - 1, 0];
      expect({ dims: y.dims, data: Array.from(y.data) }).toEqual(take(x, lists));
    }
    expect(plain(run1(node('Gather', {}, 2), [intTensor([3], [5, 6, 7]), intTensor([], [-2])]))).toEqual(I([], [6]));
  });
  it('reports constant indices out of range at compile time and others when run', () => {
    const n = node('Gather', { axis: i(1) }, 2);
    const data = iota([2, 3]);
    expectNodeError(() => run1(n, [data, intTensor([1], [3])]), n, /index 3 is out of range for axis 1 of size 3/);
    expectNodeError(() => run1(node('Gather', { axis: i(2) }, 2), [data, intTensor([1], [0])]), node('Gather', { axis: i(2) }, 2), /axis 2 is out of range/);
    const kernel = shapeOps.Gather(n, [{ type: 'float', dims: [2, 3], value: data }, { type: 'int', dims: [1] }], { opset: 17 });
    const out = [alloc('float', kernel.outputs[0].dims)];
    kernel.run([data, intTensor([1], [-2])], out);
    expect(Array.from(out[0].data)).toEqual([1, 4]);
    expect(() => kernel.run([data, intTensor([1], [-4])], out)).toThrow(RecurValueError);
  });
});

describe('Gather in a plan', () => {
  // Constant consecutive indices on the outermost non-unit axis select one contiguous run: the
  // plan hands the output the input's buffer from that offset (no copy); other gathers copy.
  it('gives views and copies the same values, read by later nodes', async () => {
    const X = 'X', cases: [string, number, number[], number[]][] = [   // output, axis, index dims, indices
      ['one', 0, [], [1]], ['last two', 0, [2], [-2, -1]], ['reversed', 0, [2], [2, 1]], ['axis 1', 1, [], [1]],
    ];
    const nodes = cases.flatMap(([name, axis, , ], k) => [
      B.node('Gather', [X, `idx${k}`], [`g${k}`], [B.attr.i('axis', axis)]),
      B.node('Add', [`g${k}`, 'half'], [name]),
    ]);
    const bytes = B.encodeModel({ opset: 17, graph: {
      nodes,
      initializers: [B.tensor('half', B.FLOAT, [], [0.5]), ...cases.map(([, , dims, idx], k) => B.tensor(`idx${k}`, B.INT64, dims, idx))],
      inputs: [B.valueInfo(X, B.FLOAT, [3, 2, 4])],
      outputs: cases.map(([name]) => B.valueInfo(name, B.FLOAT)),
    } });
    const model = await loadOnnxGraph(bytes);
    const x = Float32Array.from({ length: 24 }, (_, k) => k);
    const out = model.run({ X: { dims: [3, 2, 4], data: x } });
    const at = (a: number, b: number, c: number) => x[a * 8 + b * 4 + c] + 0.5;
    const grid = (as: number[], bs: number[]) => as.flatMap((a) => bs.flatMap((b) => [0, 1, 2, 3].map((c) => at(a, b, c))));
    expect(out.one.dims).toEqual([2, 4]);
    expect(Array.from(out.one.data)).toEqual(grid([1], [0, 1]));
    expect(out['last two'].dims).toEqual([2, 2, 4]);
    expect(Array.from(out['last two'].data)).toEqual(grid([1, 2], [0, 1]));
    expect(Array.from(out.reversed.data)).toEqual(grid([2, 1], [0, 1]));
    expect(out['axis 1'].dims).toEqual([3, 4]);
    expect(Array.from(out['axis 1'].data)).toEqual([0, 1, 2].flatMap((a) => [0, 1, 2, 3].map((c) => at(a, 1, c))));
    model.dispose();
  });
});

describe('Expand and Tile', () => {
  it('Expand broadcasts both ways (ONNX docs examples)', () => {
    const x = floatTensor([3, 1], [1, 2, 3]);
    const y = run1(node('Expand', {}, 2), [x, intTensor([3], [2, 1, 6])]);
    expect(y.dims).toEqual([2, 3, 6]);
    forEachIndex(y.dims, (idx) => expect(at(y, idx)).toBe(idx[1] + 1));
    expect(plain(run1(node('Expand', {}, 2), [x, intTensor([2], [3, 4])]))).toEqual(F([3, 4], [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]));
    expect(plain(run1(node('Expand', {}, 2), [x, intTensor([1], [1])]))).toEqual(plain(x));
    expect(plain(run1(node('Expand', {}, 2), [boolTensor([], [1]), intTensor([1], [2])]))).toEqual(plain(boolTensor([2], [1, 1])));
    const n = node('Expand', {}, 2);
    expectNodeError(() => run1(n, [x, intTensor([2], [2, 2])]), n, /cannot broadcast \[3, 1\] to \[2, 2\]/);
  });
  it('Tile repeats the tensor (ONNX docs example) and checks repeats', () => {
    const n = node('Tile', {}, 2);
    expect(plain(run1(n, [floatTensor([2, 2], [0, 1, 2, 3]), intTensor([2], [2, 2])])))
      .toEqual(F([4, 4], [0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3]));
    const x = iota([2, 3, 1], 'int');
    const y = run1(n, [x, intTensor([3], [3, 1, 2])]);
    expect(y.dims).toEqual([6, 3, 2]);
    forEachIndex(y.dims, (idx) => expect(at(y, idx)).toBe(at(x, [idx[0] % 2, idx[1], 0])));
    expect(run1(n, [x, intTensor([3], [0, 1, 1])]).dims).toEqual([0, 3, 1]);
    expectNodeError(() => run1(n, [x, intTensor([2], [1, 1])]), n, /repeats has 2 values for an input of rank 3/);
    expectNodeError(() => run1(n, [x, intTensor([3], [1, -1, 1])]), n, /non-negative/);
    expectNodeError(() => run1(n, [x, intTensor([3], [2 ** 20, 2 ** 20, 1])]), n, /more than 2\^26/);
  });
});

describe('Concat and Split', () => {
  it('Concat joins along any axis', () => {
    const a = iota([2, 2]), b = floatTensor([2, 1], [10, 11]);
    expect(plain(run1(node('Concat', { axis: i(1) }, 2), [a, b]))).toEqual(F([2, 3], [0, 1, 10, 2, 3, 11]));
    expect(plain(run1(node('Concat', { axis: i(-1) }, 3), [b, a, b]))).toEqual(F([2, 4], [10, 0, 1, 10, 11, 2, 3, 11]));
    expect(plain(run1(node('Concat', { axis: i(0) }, 2), [intTensor([1, 2], [1, 2]), intTensor([2, 2], [3, 4, 5, 6])])))
      .toEqual(I([3, 2], [1, 2, 3, 4, 5, 6]));
    expect(plain(run1(node('Concat', { axis: i(0) }, 2), [intTensor([0], []), intTensor([2], [7, 8])]))).toEqual(I([2], [7, 8]));
  });
  it('Concat reports shapes and types that do not fit, and an axis out of range', () => {
    const n = node('Concat', { axis: i(1) }, 2);
    expectNodeError(() => run1(n, [iota([2, 2]), iota([3, 1])]), n, /input 1 of shape \[3, 1\] does not fit/);
    expectNodeError(() => run1(n, [iota([2, 2]), intTensor([2, 1], [1, 2])]), n, /input 1 is int/);
    const far = node('Concat', { axis: i(2) }, 2);
    expectNodeError(() => run1(far, [iota([2, 2]), iota([2, 2])]), far, /axis 2 is out of range for rank 2/);
  });
  it('Split by a split attribute (opset 11), a split input (13) and equal parts', () => {
    const x = iota([2, 6]);
    const [a, b] = run(node('Split', { axis: i(1), split: ints(2, 4) }, 1, 2), [x], 11);
    expect(plain(a)).toEqual(F([2, 2], [0, 1, 6, 7]));
    expect(plain(b)).toEqual(F([2, 4], [2, 3, 4, 5, 8, 9, 10, 11]));
    const [c, d] = run(node('Split', { axis: i(-1) }, 2, 2), [x, intTensor([2], [5, 1])], 13);
    expect(plain(c)).toEqual(F([2, 5], [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]));
    expect(plain(d)).toEqual(F([2, 1], [5, 11]));
    const parts = run(node('Split', {}, 1, 2), [x], 13);
    expect(parts.map(plain)).toEqual([F([1, 6], [0, 1, 2, 3, 4, 5]), F([1, 6], [6, 7, 8, 9, 10, 11])]);
  });
  it('Split into num_outputs parts, the last one smaller (opset 18)', () => {
    const x = iota([7], 'int');
    const parts = run(node('Split', { num_outputs: i(4) }, 1, 4), [x], 18);
    expect(parts.map(plain)).toEqual([I([2], [0, 1]), I([2], [2, 3]), I([2], [4, 5]), I([1], [6])]);
    const even = run(node('Split', { num_outputs: i(3) }, 1, 3), [iota([6])], 18);
    expect(even.map((t) => t.dims)).toEqual([[2], [2], [2]]);
  });
  it('Split reports sizes that do not add up', () => {
    const n = node('Split', {}, 2, 2);
    expectNodeError(() => run(n, [iota([6]), intTensor([2], [2, 3])], 13), n, /cannot split 6 \(axis 0\) into \[2, 3\]/);
    const uneven = node('Split', {}, 1, 4);
    expectNodeError(() => run(uneven, [iota([7])], 13), uneven, /cannot split 7 into 4 equal parts/);
    const both = node('Split', { num_outputs: i(2) }, 2, 2);
    expectNodeError(() => run(both, [iota([6]), intTensor([2], [3, 3])], 18), both, /not both/);
    const short = node('Split', { num_outputs: i(4) }, 1, 4);
    expectNodeError(() => run(short, [iota([6])], 18), short, /cannot split 6 into 4 parts of 2/);
    const wrong = node('Split', { num_outputs: i(3) }, 1, 2);
    expectNodeError(() => run(wrong, [iota([6])], 18), wrong, /num_outputs is 3 but the node has 2 outputs/);
    const attr = node('Split', { split: ints(3, 3) }, 1, 2);
    expectNodeError(() => run(attr, [iota([6])], 13), attr, /'split' is input 1 from opset 13/);
  });
});

describe('Pad', () => {
  const x = floatTensor([3, 2], [1.0, 1.2, 2.3, 3.4, 4.5, 5.7]);
  const pads = intTensor([4], [0, 2, 0, 0]);
  it('pads in modes constant, reflect and edge (ONNX docs examples)', () => {
    expect(plain(run1(node('Pad', { mode: s('constant') }, 3), [x, pads, floatTensor([], [0])])))
      .toEqual(F([3, 4], [0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7]));
    expect(plain(run1(node('Pad', { mode: s('reflect') }, 2), [x, pads])))
      .toEqual(F([3, 4], [1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7]));
    expect(plain(run1(node('Pad', { mode: s('edge') }, 2), [x, pads])))
      .toEqual(F([3, 4], [1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7]));
  });
  it('pads every axis against a reference, with pads wider than the axis as numpy does', () => {
    const y = iota([2, 3]);
    // np.pad(y, ((1, 2), (4, 1)), mode): reflect folds with period 2·(n - 1), edge clamps, wrap repeats.
    const refl = (v: number, d: number) => { if (d === 1) return 0; const p = 2 * (d - 1), j = ((v % p) + p) % p; return j < d ? j : p - j; };
    const modes: Record<string, (v: number, d: number) => number> = {
      reflect: refl, edge: (v, d) => Math.min(Math.max(v, 0), d - 1), wrap: (v, d) => ((v % d) + d) % d,
    };
    for (const [mode, src] of Object.entries(modes)) {
      const out = run1(node('Pad', { mode: s(mode) }, 2), [y, intTensor([4], [1, 4, 2, 1])], 19);
      expect(out.dims).toEqual([5, 8]);
      forEachIndex(out.dims, (idx) => expect(at(out, idx), `${mode} ${idx}`).toBe(at(y, [src(idx[0] - 1, 2), src(idx[1] - 4, 3)])));
    }
    expect(Array.from(run1(node('Pad', { mode: s('reflect') }, 2), [floatTensor([3], [1, 2, 3]), intTensor([2], [4, 4])]).data))
      .toEqual([1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]);
  });
  it('crops with negative pads and takes an int constant_value', () => {
    const y = iota([3, 4], 'int');
    const out = run1(node('Pad', {}, 3), [y, intTensor([4], [-1, 1, 1, -2]), intTensor([], [-7])]);
    expect(plain(out)).toEqual(I([3, 3], [-7, 4, 5, -7, 8, 9, -7, -7, -7]));
    expect(plain(run1(node('Pad', {}, 2), [boolTensor([2], [1, 1]), intTensor([2], [1, 0])]))).toEqual(plain(boolTensor([3], [0, 1, 1])));
    // Cropping comes first, so edge and reflect read the cropped axis (as onnxruntime does).
    const row = floatTensor([5], [0, 1, 2, 3, 4]);
    expect(Array.from(run1(node('Pad', { mode: s('edge') }, 2), [row, intTensor([2], [-2, 2])]).data)).toEqual([2, 3, 4, 4, 4]);
    expect(Array.from(run1(node('Pad', { mode: s('reflect') }, 2), [row, intTensor([2], [2, -2])]).data)).toEqual([2, 1, 0, 1, 2]);
    expect(Array.from(run1(node('Pad', { mode: s('wrap') }, 2), [row, intTensor([2], [-1, 1])], 19).data)).toEqual([1, 2, 3, 4, 1]);
  });
  it('pads only the given axes (opset 18)', () => {
    const out = run1(node('Pad', { mode: s('edge') }, 4), [x, intTensor([2], [1, 1]), undefined, intTensor([1], [-2])], 18);
    expect(plain(out)).toEqual(F([5, 2], [1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7]));
  });
  it('reads pads and value attributes before opset 11', () => {
    const out = run1(node('Pad', { pads: ints(1, 0, 0, 0), value: f(9) }), [x], 2);
    expect(plain(out)).toEqual(F([4, 2], [9, 9, 1.0, 1.2, 2.3, 3.4, 4.5, 5.7]));
  });
  it('reports bad pads, modes and non-constant pads', () => {
    const n = node('Pad', {}, 2);
    expectNodeError(() => run1(n, [x, intTensor([2], [1, 1])]), n, /pads has 2 values, expected 4/);
    expectNodeError(() => run1(n, [x, intTensor([4], [-2, 0, -2, 0])]), n, /crop more than the shape/);
    const m = node('Pad', { mode: s('mirror') }, 2);
    expectNodeError(() => run1(m, [x, pads]), m, /mode 'mirror' is not supported/);
    const e = node('Pad', { mode: s('edge') }, 2);
    expectNodeError(() => run1(e, [iota([0, 2]), intTensor([4], [1, 0, 0, 0])]), e, /empty axis/);
    expectNodeError(() => shapeOps.Pad(n, [{ type: 'float', dims: [3, 2] }, { type: 'int', dims: [4] }], { opset: 17 }), n, /pads must be a constant/);
  });
});

describe('Constant, ConstantOfShape, Range', () => {
  it('Constant holds a tensor, value_float(s) or value_int(s)', () => {
    expect(plain(run1(node('Constant', { value: { t: onnxFloats([2, 2], [1, 2, 3, 4.5]) } }, 0), []))).toEqual(F([2, 2], [1, 2, 3, 4.5]));
    expect(plain(run1(node('Constant', { value: { t: onnxInt64s([3], [1, -2, 3]) } }, 0), []))).toEqual(I([3], [1, -2, 3]));
    expect(plain(run1(node('Constant', { value_float: f(2.5) }, 0), []))).toEqual(F([], [2.5]));
    expect(plain(run1(node('Constant', { value_floats: { floats: [1, 2] } }, 0), []))).toEqual(F([2], [1, 2]));
    expect(plain(run1(node('Constant', { value_int: i(-3) }, 0), []))).toEqual(I([], [-3]));
    expect(plain(run1(node('Constant', { value_ints: ints(4, 5, 6) }, 0), []))).toEqual(I([3], [4, 5, 6]));
  });
  it('Constant reports strings, sparse tensors and bad tensors', () => {
    const str = node('Constant', { value_string: s('hi') }, 0);
    expectNodeError(() => run1(str, []), str, /'value_string' is not supported/);
    const sparse = node('Constant', { sparse_value: { other: true } }, 0);
    expectNodeError(() => run1(sparse, []), sparse, /'sparse_value' is not supported/);
    const bad = node('Constant', { value: { t: onnxFloats([3], [1, 2]) } }, 0);
    expectNodeError(() => run1(bad, []), bad, /raw_data has 8 bytes/);
    const none = node('Constant', {}, 0);
    expectNodeError(() => run1(none, []), none, /exactly one value attribute/);
  });
  it('ConstantOfShape fills the shape with value, float 0 by default', () => {
    expect(plain(run1(node('ConstantOfShape'), [intTensor([2], [2, 3])]))).toEqual(F([2, 3], [0, 0, 0, 0, 0, 0]));
    expect(plain(run1(node('ConstantOfShape', { value: { t: onnxInt64s([1], [7]) } }), [intTensor([1], [3])]))).toEqual(I([3], [7, 7, 7]));
    expect(plain(run1(node('ConstantOfShape', { value: { t: onnxFloats([1], [1.5]) } }), [intTensor([0], [])]))).toEqual(F([], [1.5]));
    const n = node('ConstantOfShape');
    expectNodeError(() => run1(n, [intTensor([2], [2, -1])]), n, /invalid size -1/);
    expectNodeError(() => run1(n, [intTensor([2], [2 ** 20, 2 ** 20])]), n, /more than 2\^26/);
    expectNodeError(() => shapeOps.ConstantOfShape(n, [{ type: 'int', dims: [2] }], { opset: 17 }), n, /shape must be a constant/);
  });
  it('Range counts from start to limit by delta (ONNX docs examples)', () => {
    const n = node('Range', {}, 3);
    expect(plain(run1(n, [intTensor([], [3]), intTensor([], [9]), intTensor([], [3])]))).toEqual(I([2], [3, 6]));
    expect(plain(run1(n, [intTensor([], [10]), intTensor([], [4]), intTensor([], [-2])]))).toEqual(I([3], [10, 8, 6]));
    expect(plain(run1(n, [floatTensor([], [1]), floatTensor([], [2]), floatTensor([], [0.25])]))).toEqual(F([4], [1, 1.25, 1.5, 1.75]));
    expect(run1(n, [intTensor([], [5]), intTensor([], [1]), intTensor([], [1])]).dims).toEqual([0]);
    expectNodeError(() => run1(n, [intTensor([], [0]), intTensor([], [1]), intTensor([], [0])]), n, /delta is 0/);
    expectNodeError(() => run1(n, [floatTensor([], [0]), floatTensor([], [1e9]), floatTensor([], [1])]), n, /more than 2\^26/);
    expectNodeError(() => run1(n, [floatTensor([], [0]), floatTensor([], [1e30]), floatTensor([], [1])]), n, /invalid size/);
    expectNodeError(() => run1(n, [intTensor([], [0]), floatTensor([], [1]), intTensor([], [1])]), n, /one type/);
  });
});
