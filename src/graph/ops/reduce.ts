// Reductions over axes: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
// ReduceL2, ReduceSumSquare, ReduceLogSum, and ArgMax / ArgMin along one axis.
//
// The axes are an attribute up to opset 12 (ReduceSum) or 17 (the others) and a constant input
// from then on; no axes means every axis, unless noop_with_empty_axes makes the node an identity.
// A reduction is planned as one strided loop whose outer axes are the kept ones and inner axes the
// reduced ones (see stridedLoop in shape.ts): each row folds into a float64 accumulator, then into
// the output element it belongs to, so run() allocates nothing.

import { attrInt, expectType, nodeError, normalizeAxis, required, type Op } from '../op.js';
import { stridesOf, type ElemType, type Tensor } from '../tensor.js';
import { checkedSize, eachRow, intsParam, normalizeAxes, stridedLoop, type StridedLoop } from './shape.js';

type Data = Tensor['data'];

/** How one Reduce* folds elements: start value, one element, a partial result, the final value. */
interface Reduction {
  types: ElemType[];
  /** The fold's start (the result over no elements, before finish), by element type. */
  init(type: ElemType): number;
  step(acc: number, x: number): number;
  merge(acc: number, part: number): number;
  finish?(acc: number, count: number): number;
}

const add = (a: number, b: number) => a + b;
const sum = (extra: Partial<Reduction> & Pick<Reduction, 'step'>): Reduction => ({ types: ['float', 'int'], init: () => 0, merge: add, ...extra });

const REDUCTIONS: Record<string, [Reduction, number]> = {
  ReduceSum: [sum({ step: add }), 13],
  ReduceMean: [sum({ step: add, finish: (a, n) => a / n }), 18],
  ReduceSumSquare: [sum({ step: (a, x) => a + x * x }), 18],
  ReduceL1: [sum({ step: (a, x) => a + Math.abs(x) }), 18],
  ReduceL2: [sum({ step: (a, x) => a + x * x, finish: (a) => Math.sqrt(a) }), 18],
  ReduceLogSum: [sum({ step: add, finish: (a) => Math.log(a) }), 18],
  ReduceProd: [{ types: ['float', 'int'], init: () => 1, step: (a, x) => a * x, merge: (a, x) => a * x }, 18],
  ReduceMax: [{
    types: ['float', 'int', 'bool'], step: Math.max, merge: Math.max,
    init: (t) => (t === 'float' ? -Infinity : t === 'int' ? Number.MIN_SAFE_INTEGER : 0),
  }, 18],
  ReduceMin: [{
    types: ['float', 'int', 'bool'], step: Math.min, merge: Math.min,
    init: (t) => (t === 'float' ? Infinity : t === 'int' ? Number.MAX_SAFE_INTEGER : 1),
  }, 18],
};

/**
 * Reduce*(data [d0…dr-1], axes?) → [d0…] with each reduced axis 1 (keepdims, the default) or
 * removed; the axes are input 1 from opset `since`, attribute 'axes' before.
 */
function reduceOp(red: Reduction, since: number): Op {
  return (node, inputs, ctx) => {
    const x = required(node, inputs, 0, 'data'), r = x.dims.length;
    expectType(node, x, red.types, 'data');
    checkedSize(node, x.dims, 'data');
    const given = intsParam(node, inputs, ctx, 'axes', 1, since) ?? [];
    const keepdims = attrInt(node, 'keepdims', 1) !== 0;
    if (!given.length && attrInt(node, 'noop_with_empty_axes', 0) !== 0) {
      return {
        outputs: [{ type: x.type, dims: [...x.dims] }],
        alias: 0,
        run(inputs, outputs) { outputs[0].data.set(inputs[0]!.data); },
      };
    }
    const axes = given.length ? normalizeAxes(node, given, r) : x.dims.map((_, i) => i);
    const isReduced = x.dims.map((_, i) => axes.includes(i));
    const kept = x.dims.filter((_, i) => !isReduced[i]);
    const dims = keepdims ? x.dims.map((d, i) => (isReduced[i] ? 1 : d)) : kept;
    const outN = checkedSize(node, dims);
    const count = axes.reduce((p, a) => p * x.dims[a], 1);

    // Kept axes outside (writing the output in order), reduced axes inside (stride 0 in it).
    const inS = stridesOf(x.dims), outS = stridesOf(kept);
    const keptAxes = [...x.dims.keys()].filter((i) => !isReduced[i]), order = [...keptAxes, ...[...axes].sort((a, b) => a - b)];
    const loop = stridedLoop(order.map((i) => x.dims[i]), order.map((i) => inS[i]), order.map((_, k) => outS[k] ?? 0));
    const start = red.init(x.type), { step, merge, finish } = red, isInt = x.type === 'int';
    const row = (src: Data, dst: Data, a: number, b: number, l: StridedLoop) => {
      const { n, ia, ib } = l;
      if (ib === 0 && step === add) {              // sums (ReduceSum, ReduceMean…): the fold inlined
        let acc = start;
        for (let i = 0; i < n; i++) acc += src[a + i * ia];
        dst[b] = merge(dst[b], acc);
      } else if (ib === 0) {
        let acc = start;
        for (let i = 0; i < n; i++) acc = step(acc, src[a + i * ia]);
        dst[b] = merge(dst[b], acc);
      } else {
        for (let i = 0; i < n; i++) dst[b + i * ib] = step(dst[b + i * ib], src[a + i * ia]);
      }
    };
    return {
      outputs: [{ type: x.type, dims }],
      run(inputs, outputs) {
        const y = outputs[0].data;
        y.fill(start);
        eachRow(loop, inputs[0]!.data, 0, y, 0, row);
        if (finish && !isInt) for (let i = 0; i < outN; i++) y[i] = finish(y[i], count);
        if (isInt) {
          // Integers stay integers: the mean and norms truncated, -0 (a product with 0) made 0.
          for (let i = 0; i < outN; i++) {
            const v = finish ? finish(y[i], count) : y[i];
            y[i] = Number.isFinite(v) ? Math.trunc(v) + 0 : 0;
          }
        }
      },
    };
  };
}

/**
 * ArgMax / ArgMin(data [… n …]) → int [… 1 …] (keepdims) or [… …]: the index of the largest
 * (smallest) element along axis, the first one unless select_last_index.
 */
function argOp(max: boolean): Op {
  return (node, inputs) => {
    const x = required(node, inputs, 0, 'data'), r = x.dims.length;
    expectType(node, x, ['float', 'int'], 'data');
    checkedSize(node, x.dims, 'data');
    if (r === 0) throw nodeError(node, 'cannot take the index of a scalar');
    const axis = normalizeAxis(node, attrInt(node, 'axis', 0), r);
    const n = x.dims[axis];
    if (n === 0) throw nodeError(node, `axis ${axis} is empty`);
    const last = attrInt(node, 'select_last_index', 0) !== 0;
    const dims = attrInt(node, 'keepdims', 1) !== 0 ? x.dims.map((d, i) => (i === axis ? 1 : d)) : x.dims.filter((_, i) => i !== axis);
    const outN = checkedSize(node, dims), inner = stridesOf(x.dims)[axis], outer = inner === 0 ? 0 : outN / inner;
    return {
      outputs: [{ type: 'int', dims }],
      run(inputs, outputs) {
        const src = inputs[0]!.data, y = outputs[0].data;
        for (let o = 0; o < outer; o++) {
          for (let b = 0; b < inner; b++) {
            const base = o * n * inner + b;
            let best = src[base], at = 0;
            for (let i = 1; i < n; i++) {
              const v = src[base + i * inner];
              const better = max ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
              if (better) { best = v; at = i; }
            }
            y[o * inner + b] = at;
          }
        }
      },
    };
  };
}

export const reduceOps: Record<string, Op> = {
  ...Object.fromEntries(Object.entries(REDUCTIONS).map(([name, [red, since]]) => [name, reduceOp(red, since)])),
  ArgMax: argOp(true),
  ArgMin: argOp(false),
};
