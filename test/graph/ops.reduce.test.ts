// The reductions of the graph runtime (src/graph/ops/reduce.ts): every Reduce* over every set of
// axes against a plain-JS reference, keepdims and noop_with_empty_axes, axes as an attribute or
// an input by opset, ArgMax / ArgMin, and the RecurFormatErrors that name the node.

import { describe, it, expect } from 'vitest';
import { RecurFormatError } from '../../src/errors.js';
import type { OnnxAttribute, OnnxNode } from '../../src/onnx/onnx.js';
import { evaluateNode, type ValueInfo } from '../../src/graph/op.js';
import { reduceOps } from '../../src/graph/ops/reduce.js';
import { boolTensor, floatTensor, intTensor, stridesOf, type Tensor } from '../../src/graph/tensor.js';

type Attr = Partial<OnnxAttribute>;

function node(opType: string, attrs: Record<string, Attr> = {}, nIn = 1): OnnxNode {
  return {
    name: `my_${opType.toLowerCase()}`, opType, domain: '',
    inputs: Array.from({ length: nIn }, (_, i) => `in${i}`), outputs: ['out'],
    attributes: new Map(Object.entries(attrs).map(([name, a]) => [name, { name, floats: [], ints: [], strings: [], other: false, ...a }])),
  };
}
const i = (v: number): Attr => ({ i: v });
const ints = (...v: number[]): Attr => ({ ints: v });

const run = (n: OnnxNode, inputs: (Tensor | undefined)[], opset = 18) => evaluateNode(reduceOps[n.opType], n, inputs, { opset })[0];
const plain = (t: Tensor) => ({ type: t.type, dims: t.dims, data: Array.from(t.data) });

function expectNodeError(fn: () => unknown, n: OnnxNode, message: RegExp): void {
  let error: unknown;
  try { fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(RecurFormatError);
  expect((error as Error).message).toContain(`'${n.name}' (${n.opType})`);
  expect((error as Error).message).toMatch(message);
}

/** Plain-JS reductions: the fold of the list of elements one output element reduces. */
const REFERENCE: Record<string, (v: number[]) => number> = {
  ReduceSum: (v) => v.reduce((a, x) => a + x, 0),
  ReduceMean: (v) => v.reduce((a, x) => a + x, 0) / v.length,
  ReduceMax: (v) => Math.max(...v),
  ReduceMin: (v) => Math.min(...v),
  ReduceProd: (v) => v.reduce((a, x) => a * x, 1),
  ReduceL1: (v) => v.reduce((a, x) => a + Math.abs(x), 0),
  ReduceL2: (v) => Math.sqrt(v.reduce((a, x) => a + x * x, 0)),
  ReduceSumSquare: (v) => v.reduce((a, x) => a + x * x, 0),
  ReduceLogSum: (v) => Math.log(v.reduce((a, x) => a + x, 0)),
};

/** Reduces x over axes by grouping its elements by their kept coordinates. */
function reference(op: string, x: Tensor, axes: number[], keepdims: boolean): { dims: number[]; data: number[] } {
  const r = x.dims.length, all = axes.length ? axes : x.dims.map((_, k) => k);
  const dims = keepdims ? x.dims.map((d, k) => (all.includes(k) ? 1 : d)) : x.dims.filter((_, k) => !all.includes(k));
  const groups = new Map<number, number[]>(), outStrides = stridesOf(x.dims.map((d, k) => (all.includes(k) ? 1 : d)));
  const strides = stridesOf(x.dims);
  for (let e = 0; e < x.data.length; e++) {
    let out = 0;
    for (let k = 0; k < r; k++) if (!all.includes(k)) out += (Math.floor(e / strides[k]) % x.dims[k]) * outStrides[k];
    (groups.get(out) ?? groups.set(out, []).get(out)!).push(x.data[e]);
  }
  const size = dims.reduce((p, d) => p * d, 1);
  return { dims, data: Array.from({ length: size }, (_, o) => REFERENCE[op](groups.get(o)!)) };
}

/** Every subset of [0, r). */
const subsets = (r: number) => Array.from({ length: 2 ** r }, (_, m) => [...Array(r).keys()].filter((k) => m & (1 << k)));

/** A deterministic tensor of positive values (so ReduceLogSum is defined) in (0.5, 2). */
function sample(dims: number[]): Tensor {
  const n = dims.reduce((p, d) => p * d, 1);
  return floatTensor(dims, Array.from({ length: n }, (_, k) => 0.5 + ((k * 7919) % 97) / 64));
}

describe('Reduce* against a reference', () => {
  const x = sample([3, 4, 2, 5]);
  for (const op of Object.keys(REFERENCE)) {
    it(`${op} over every set of axes, keepdims 0 and 1`, () => {
      for (const axes of subsets(4)) {
        for (const keepdims of [0, 1]) {
          const y = run(node(op, { keepdims: i(keepdims) }, 2), [x, axes.length ? intTensor([axes.length], axes) : undefined]);
          const want = reference(op, x, axes, keepdims === 1);
          expect(y.dims, `${op} ${axes} ${keepdims}`).toEqual(want.dims);
          const got = Array.from(y.data);
          if (op === 'ReduceProd') want.data.forEach((v, k) => expect(Math.abs(got[k] - v) / v, `${op} [${axes}] at ${k}`).toBeLessThan(1e-6));
          else want.data.forEach((v, k) => expect(got[k], `${op} [${axes}] keepdims ${keepdims} at ${k}`).toBeCloseTo(v, 4));
        }
      }
    });
  }
});

describe('Reduce* semantics', () => {
  const x = floatTensor([3, 2, 2], [5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2]);
  it('ReduceMean follows the ONNX docs example, axes negative or not', () => {
    const y = run(node('ReduceMean', { keepdims: i(1) }, 2), [x, intTensor([1], [1])]);
    expect(plain(y)).toEqual(plain(floatTensor([3, 1, 2], [12.5, 1.5, 35, 1.5, 57.5, 1.5])));
    const z = run(node('ReduceMean', { keepdims: i(0) }, 2), [x, intTensor([1], [-2])]);
    expect(plain(z)).toEqual(plain(floatTensor([3, 2], [12.5, 1.5, 35, 1.5, 57.5, 1.5])));
  });
  it('reduces every axis without axes, and is an identity with noop_with_empty_axes', () => {
    expect(plain(run(node('ReduceSum'), [x], 13))).toEqual(plain(floatTensor([1, 1, 1], [219])));
    expect(plain(run(node('ReduceSum', { keepdims: i(0) }, 2), [x, intTensor([0], [])], 13))).toEqual(plain(floatTensor([], [219])));
    expect(plain(run(node('ReduceMax', { noop_with_empty_axes: i(1) }), [x]))).toEqual(plain(x));
    const kernel = reduceOps.ReduceSum(node('ReduceSum', { noop_with_empty_axes: i(1) }), [{ type: 'float', dims: [3, 2, 2] }], { opset: 13 });
    expect(kernel.alias).toBe(0);
    expect(kernel.outputs[0].dims).toEqual([3, 2, 2]);
  });
  it('takes axes as an attribute before opset 18 (13 for ReduceSum) and as an input from then', () => {
    expect(plain(run(node('ReduceMean', { axes: ints(0, 2), keepdims: i(0) }), [x], 17))).toEqual(plain(floatTensor([2], [15.5, 21])));
    expect(plain(run(node('ReduceSum', { axes: ints(1) }), [x], 11))).toEqual(plain(floatTensor([3, 1, 2], [25, 3, 70, 3, 115, 3])));
    expect(plain(run(node('ReduceSum', {}, 2), [x, intTensor([1], [1])], 13))).toEqual(plain(floatTensor([3, 1, 2], [25, 3, 70, 3, 115, 3])));
    const attr = node('ReduceSum', { axes: ints(1) });
    expectNodeError(() => run(attr, [x], 13), attr, /'axes' is input 1 from opset 13/);
    const input = node('ReduceMax', {}, 2);
    expectNodeError(() => run(input, [x, intTensor([1], [0])], 17), input, /'axes' is an attribute before opset 18/);
  });
  it('keeps ints (the mean truncated) and reduces bools with Max and Min', () => {
    const n = intTensor([2, 3], [1, -2, 4, 7, 0, -8]);
    expect(plain(run(node('ReduceSum', {}, 2), [n, intTensor([1], [1])]))).toEqual(plain(intTensor([2, 1], [3, -1])));
    expect(plain(run(node('ReduceMean', { keepdims: i(0) }, 2), [n, intTensor([1], [0])]))).toEqual(plain(intTensor([3], [4, -1, -2])));
    expect(plain(run(node('ReduceMin', { keepdims: i(0) }, 2), [n, intTensor([1], [1])]))).toEqual(plain(intTensor([2], [-2, -8])));
    expect(plain(run(node('ReduceProd', { keepdims: i(0) }, 2), [n, intTensor([1], [0])]))).toEqual(plain(intTensor([3], [7, 0, -32])));
    const b = boolTensor([2, 3], [1, 0, 1, 1, 1, 1]);
    expect(plain(run(node('ReduceMax', { keepdims: i(0) }, 2), [b, intTensor([1], [0])]))).toEqual(plain(boolTensor([3], [1, 1, 1])));
    expect(plain(run(node('ReduceMin', { keepdims: i(0) }, 2), [b, intTensor([1], [1])]))).toEqual(plain(boolTensor([2], [0, 1])));
    const sum = node('ReduceSum', {}, 2);
    expectNodeError(() => run(sum, [b, intTensor([1], [0])]), sum, /data is bool, expected float or int/);
  });
  it('gives the empty reduction its start value', () => {
    const empty = floatTensor([2, 0], []);
    expect(plain(run(node('ReduceSum', { keepdims: i(0) }, 2), [empty, intTensor([1], [1])]))).toEqual(plain(floatTensor([2], [0, 0])));
    expect(plain(run(node('ReduceProd', { keepdims: i(0) }, 2), [empty, intTensor([1], [1])]))).toEqual(plain(floatTensor([2], [1, 1])));
    expect(plain(run(node('ReduceMax', { keepdims: i(0) }, 2), [empty, intTensor([1], [1])]))).toEqual(plain(floatTensor([2], [-Infinity, -Infinity])));
    expect(run(node('ReduceSum', {}, 2), [empty, intTensor([1], [0])]).dims).toEqual([1, 0]);
  });
  it('reports axes out of range, twice, or not constant', () => {
    const n = node('ReduceMean', {}, 2);
    expectNodeError(() => run(n, [x, intTensor([1], [3])]), n, /axis 3 is out of range for rank 3/);
    expectNodeError(() => run(n, [x, intTensor([2], [1, -2])]), n, /name an axis twice/);
    const infos: ValueInfo[] = [{ type: 'float', dims: [3, 2, 2] }, { type: 'int', dims: [1] }];
    expectNodeError(() => reduceOps.ReduceMean(n, infos, { opset: 18 }), n, /'axes' \(input 1\) must be a constant/);
    expectNodeError(() => run(n, []), n, /data is missing/);
  });
});

describe('ArgMax and ArgMin', () => {
  const x = floatTensor([2, 3], [2, 1, 2, 3, 3, 1]);
  it('give the first index of the extreme, or the last with select_last_index', () => {
    expect(plain(run(node('ArgMax', { axis: i(1) }), [x]))).toEqual(plain(intTensor([2, 1], [0, 0])));
    expect(plain(run(node('ArgMax', { axis: i(1), select_last_index: i(1) }), [x]))).toEqual(plain(intTensor([2, 1], [2, 1])));
    expect(plain(run(node('ArgMin', { axis: i(-1), keepdims: i(0) }), [x]))).toEqual(plain(intTensor([2], [1, 2])));
    expect(plain(run(node('ArgMax', { keepdims: i(0) }), [x]))).toEqual(plain(intTensor([3], [1, 1, 0])));
    expect(plain(run(node('ArgMin'), [intTensor([3, 1], [4, -1, -1])]))).toEqual(plain(intTensor([1, 1], [1])));
    expect(plain(run(node('ArgMin', { select_last_index: i(1) }), [intTensor([3, 1], [4, -1, -1])]))).toEqual(plain(intTensor([1, 1], [2])));
  });
  it('index every axis of a rank-3 tensor against a reference', () => {
    const y = sample([3, 4, 5]);
    for (let axis = 0; axis < 3; axis++) {
      const got = run(node('ArgMax', { axis: i(axis), keepdims: i(0) }), [y]);
      const max = reference('ReduceMax', y, [axis], false);
      const strides = stridesOf(y.dims), outDims = y.dims.filter((_, k) => k !== axis);
      expect(got.dims).toEqual(outDims);
      Array.from(got.data).forEach((at, o) => {
        const coords = outDims.map((d, k) => Math.floor(o / stridesOf(outDims)[k]) % d);
        coords.splice(axis, 0, at);
        expect(y.data[coords.reduce((s, c, k) => s + c * strides[k], 0)]).toBe(max.data[o]);
      });
    }
  });
  it('report an axis out of range and an empty axis', () => {
    const n = node('ArgMax', { axis: i(2) });
    expectNodeError(() => run(n, [x]), n, /axis 2 is out of range for rank 2/);
    const e = node('ArgMin', { axis: i(1) });
    expectNodeError(() => run(e, [floatTensor([2, 0], [])]), e, /axis 1 is empty/);
  });
});
