// The graph runtime's elementwise operators against results computed here in plain JS: every
// broadcasting pattern, int arithmetic, Cast's rounding and wrapping, Softmax's two axis
// semantics, Clip's optional bounds, Where, comparisons and logic, and the errors compile() raises.

import { describe, expect, it } from 'vitest';
import { RecurFormatError } from '../../src/errors.js';
import { elementwiseOps } from '../../src/graph/ops/elementwise.js';
import { evaluateNode, type Op, type ValueInfo } from '../../src/graph/op.js';
import { boolTensor, floatTensor, intTensor, type ElemType, type Tensor } from '../../src/graph/tensor.js';
import type { OnnxAttribute, OnnxNode } from '../../src/onnx/onnx.js';

type AttrValue = Partial<Pick<OnnxAttribute, 'i' | 'f' | 's' | 'ints' | 'floats'>>;

function node(opType: string, inputs: number, attrs: Record<string, AttrValue> = {}, name = `${opType.toLowerCase()}_1`): OnnxNode {
  return {
    name, opType, domain: '',
    inputs: Array.from({ length: inputs }, (_, k) => `x${k}`),
    outputs: ['y'],
    attributes: new Map(Object.entries(attrs).map(([k, v]) => [k, { name: k, floats: [], ints: [], strings: [], other: false, ...v }])),
  };
}

const op = (opType: string): Op => {
  const o = elementwiseOps[opType];
  if (!o) throw new Error(`no op ${opType}`);
  return o;
};

/** Runs one node on the given tensors and returns its single output. */
function run(opType: string, inputs: (Tensor | undefined)[], attrs: Record<string, AttrValue> = {}, opset = 17): Tensor {
  const outputs = evaluateNode(op(opType), node(opType, inputs.length, attrs), inputs, { opset });
  expect(outputs).toHaveLength(1);
  return outputs[0];
}

/** What compile() says about inputs of these types and shapes (no values: as a plan sees them). */
function compile(opType: string, infos: (ValueInfo | undefined)[], attrs: Record<string, AttrValue> = {}, opset = 17, name?: string) {
  return op(opType)(node(opType, infos.length, attrs, name), infos, { opset });
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Deterministic float32 values, none zero: a mix of signs and magnitudes. */
function floats(dims: number[], seed = 1): Tensor {
  const n = size(dims);
  return floatTensor(dims, Array.from({ length: n }, (_, i) => {
    const v = (((i + 1) * 7919 * seed) % 97) / 13 - 3.6;
    return v === 0 ? 0.25 : v;
  }));
}

function ints(dims: number[], seed = 1, nonzero = false): Tensor {
  const n = size(dims);
  return intTensor(dims, Array.from({ length: n }, (_, i) => {
    const v = (((i + 3) * 31 * seed) % 23) - 11;
    return nonzero && v === 0 ? 5 : v;
  }));
}

/** numpy's broadcast of several shapes, written out plainly. */
function broadcastShape(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x !== 1) { if (d !== 1 && d !== x) throw new Error('no broadcast'); d = x; }
    }
    return d;
  });
}

/** The reference: fn of the inputs' elements, each index found by unravelling the output's. */
function reference(inputs: Tensor[], fn: (...xs: number[]) => number): { dims: number[]; data: number[] } {
  const dims = broadcastShape(inputs.map((t) => t.dims)), n = size(dims), rank = dims.length;
  const data: number[] = [];
  for (let flat = 0; flat < n; flat++) {
    const idx: number[] = new Array(rank);
    for (let d = rank - 1, rest = flat; d >= 0; d--) { idx[d] = rest % dims[d]; rest = Math.floor(rest / dims[d]); }
    const xs = inputs.map((t) => {
      let off = 0;
      for (let d = 0; d < t.dims.length; d++) {
        const i = t.dims[d] === 1 ? 0 : idx[rank - t.dims.length + d];
        off = off * t.dims[d] + i;
      }
      return t.data[off];
    });
    data.push(fn(...xs));
  }
  return { dims, data };
}

/** Elementwise within rel (relative) or abs, NaN matching NaN and infinities matching exactly. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-6, abs = 1e-30): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) { expect(a, `element ${i}`).toBeNaN(); continue; }
    if (!Number.isFinite(e)) { expect(a, `element ${i}`).toBe(e); continue; }
    if (Math.abs(a - e) > Math.max(abs, rel * Math.abs(e))) expect(a, `element ${i} (expected ${e})`).toBe(e);
  }
}

/** fn must throw a RecurFormatError naming the node (`'name' (Op)`) and matching message. */
function expectNodeError(fn: () => unknown, name: string, opType: string, message: RegExp): void {
  let error: unknown;
  try { fn(); } catch (e) { error = e; }
  expect(error).toBeInstanceOf(RecurFormatError);
  const text = (error as Error).message;
  expect(text).toContain(`'${name}' (${opType})`);
  expect(text).toMatch(message);
}

const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------

describe('binary operators broadcast in every pattern', () => {
  const patterns: [string, number[], number[]][] = [
    ['same shape', [2, 3], [2, 3]],
    ['scalar on the right', [2, 3], []],
    ['scalar on the left', [], [2, 3]],
    ['size-1 tensor', [2, 3], [1]],
    ['two scalars', [], []],
    ['trailing [..., N] with [N]', [2, 3, 4], [4]],
    ['trailing, swapped', [4], [2, 3, 4]],
    ['[M, N] with [M, 1]', [3, 4], [3, 1]],
    ['middle axis', [2, 3, 4], [3, 1]],
    ['middle axis with leading 1', [2, 3, 4], [1, 3, 1]],
    ['leading axis', [2, 3, 4], [2, 1, 1]],
    ['both sides', [3, 1], [1, 4]],
    ['both sides, rank 3', [2, 1, 4], [3, 1]],
    ['rank 5 alternating', [2, 1, 3, 1, 2], [1, 4, 3, 2, 1]],
    ['ones everywhere', [1, 3, 1], [2, 1, 1, 4]],
    ['same counts, different ranks', [1, 6], [6]],
    ['empty', [0, 3], [3]],
  ];
  const ops: [string, (x: number, y: number) => number][] = [
    ['Add', (x, y) => x + y], ['Sub', (x, y) => x - y], ['Mul', (x, y) => x * y], ['Div', (x, y) => x / y],
  ];
  for (const [what, ad, bd] of patterns) {
    it(`${what}: ${JSON.stringify(ad)} with ${JSON.stringify(bd)}`, () => {
      const a = floats(ad, 1), b = floats(bd, 3);
      for (const [name, fn] of ops) {
        const y = run(name, [a, b]);
        const ref = reference([a, b], fn);
        expect(y.type).toBe('float');
        expect(y.dims).toEqual(ref.dims);
        expect(y.data).toBeInstanceOf(Float32Array);
        expect(Array.from(y.data), name).toEqual(ref.data.map(f32));   // + − × ÷ are correctly rounded
      }
    });
  }

  it('a compiled kernel runs again with new values (its scratch is reset)', () => {
    const infos: ValueInfo[] = [{ type: 'float', dims: [2, 1, 3, 1, 2] }, { type: 'float', dims: [1, 4, 3, 2, 1] }];
    const kernel = compile('Mul', infos);
    const out: Tensor = { type: 'float', dims: kernel.outputs[0].dims, data: new Float32Array(size(kernel.outputs[0].dims)) };
    for (const seed of [1, 5, 7]) {
      const a = floats(infos[0].dims, seed), b = floats(infos[1].dims, seed + 1);
      kernel.run([a, b], [out]);
      expect(Array.from(out.data)).toEqual(reference([a, b], (x, y) => x * y).data.map(f32));
    }
  });

  it('int arithmetic stays int, and Div truncates toward zero', () => {
    const a = intTensor([4], [7, -7, 7, -7]), b = intTensor([4], [2, 2, -2, -2]);
    const div = run('Div', [a, b]);
    expect(div.type).toBe('int');
    expect(div.data).toBeInstanceOf(Float64Array);
    expect(Array.from(div.data)).toEqual([3, -3, -3, 3]);
    expect(Array.from(run('Div', [intTensor([3], [1, 0, -5]), intTensor([], [0])]).data)).toEqual([0, 0, 0]);   // not ±Infinity
    expect(Array.from(run('Div', [intTensor([2], [-1, 1]), intTensor([], [3])]).data).map((v) => Object.is(v, -0))).toEqual([false, false]);

    const x = ints([2, 3, 4], 1), y = ints([3, 1], 2, true);
    for (const [name, fn] of [['Add', (p: number, q: number) => p + q], ['Sub', (p: number, q: number) => p - q],
      ['Mul', (p: number, q: number) => p * q], ['Div', (p: number, q: number) => Math.trunc(p / q) + 0]] as const) {
      const out = run(name, [x, y]);
      expect(out.type).toBe('int');
      expect(Array.from(out.data), name).toEqual(reference([x, y], fn).data);
    }
  });

  it('Pow: float base with float or int exponents, and int Pow gives ints', () => {
    const base = floatTensor([2, 3], [2, 3, 0.5, 4, 9, 1.5]);
    expectClose(run('Pow', [base, floatTensor([3], [2, 0.5, -1])]).data, reference([base, floatTensor([3], [2, 0.5, -1])], Math.pow).data.map(f32));
    const e = run('Pow', [base, intTensor([], [3])]);
    expect(e.type).toBe('float');
    expectClose(e.data, [8, 27, 0.125, 64, 729, 3.375]);
    const p = run('Pow', [intTensor([4], [2, -2, 3, 2]), intTensor([4], [3, 3, 0, -1])]);
    expect(p.type).toBe('int');
    expect(Array.from(p.data)).toEqual([8, -8, 1, 0]);
  });

  it('Mod: fmod 0 takes the divisor’s sign, fmod 1 the dividend’s', () => {
    const a = intTensor([4], [-7, 7, -7, 7]), b = intTensor([4], [3, -3, -3, 3]);
    expect(Array.from(run('Mod', [a, b]).data)).toEqual([2, -2, -1, 1]);
    expect(Array.from(run('Mod', [a, b], { fmod: { i: 1 } }).data)).toEqual([-1, 1, -1, 1]);
    expect(Array.from(run('Mod', [intTensor([2], [6, -6]), intTensor([], [3])]).data).map((v) => Object.is(v, 0))).toEqual([true, true]);
    const f = run('Mod', [floatTensor([3], [5.5, -5.5, 1]), floatTensor([], [2])], { fmod: { i: 1 } });
    expect(Array.from(f.data)).toEqual([1.5, -1.5, 1]);
  });

  it('PRelu: the slope broadcasts to X', () => {
    const x = floatTensor([2, 3], [-1, 2, -3, 4, -5, 6]), slope = floatTensor([3], [0.5, 0.25, 0.125]);
    expect(Array.from(run('PRelu', [x, slope]).data)).toEqual([-0.5, 2, -0.375, 4, -1.25, 6]);
  });
});

describe('variadic Sum, Mean, Min and Max', () => {
  const a = floats([3], 1), b = floats([2, 1], 2), c = floatTensor([], [0.75]);
  it('broadcast all their inputs together', () => {
    const cases: [string, (...xs: number[]) => number][] = [
      ['Sum', (...xs) => xs.reduce((p, q) => f32(p + q))],
      ['Mean', (...xs) => f32(xs.reduce((p, q) => f32(p + q)) / xs.length)],
      ['Min', Math.min], ['Max', Math.max],
    ];
    for (const [name, fn] of cases) {
      const y = run(name, [a, b, c]);
      const ref = reference([a, b, c], fn);
      expect(y.dims).toEqual([2, 3]);
      expect(Array.from(y.data), name).toEqual(ref.data.map(f32));
    }
  });

  it('take one input, and inputs whose first two broadcast to less than the output', () => {
    expect(Array.from(run('Sum', [a]).data)).toEqual(Array.from(a.data));
    expect(Array.from(run('Max', [a]).data)).toEqual(Array.from(a.data));
    const y = run('Sum', [floatTensor([1], [1]), floatTensor([], [2]), floatTensor([2, 2], [10, 20, 30, 40])]);
    expect(y.dims).toEqual([2, 2]);
    expect(Array.from(y.data)).toEqual([13, 23, 33, 43]);
    const m = run('Min', [intTensor([2], [5, -1]), intTensor([2, 1], [0, 9]), intTensor([1, 2], [3, 3])]);
    expect(m.type).toBe('int');
    expect(Array.from(m.data)).toEqual([0, -1, 3, -1]);
  });
});

describe('unary operators', () => {
  const x = floatTensor([12], [-3.5, -2.5, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2.5, 3.7, 20]);
  const cases: [string, (v: number) => number, Record<string, AttrValue>?][] = [
    ['Neg', (v) => -v], ['Abs', Math.abs], ['Exp', Math.exp], ['Floor', Math.floor], ['Ceil', Math.ceil],
    ['Relu', (v) => Math.max(v, 0)], ['Tanh', Math.tanh], ['Sigmoid', (v) => 1 / (1 + Math.exp(-v))],
    ['LeakyRelu', (v) => (v < 0 ? f32(0.01) * v : v)],
    ['LeakyRelu', (v) => (v < 0 ? f32(0.2) * v : v), { alpha: { f: f32(0.2) } }],
    ['HardSigmoid', (v) => Math.max(0, Math.min(1, f32(0.2) * v + 0.5))],
    ['HardSigmoid', (v) => Math.max(0, Math.min(1, f32(0.3) * v + f32(0.1))), { alpha: { f: f32(0.3) }, beta: { f: f32(0.1) } }],
    ['Elu', (v) => (v < 0 ? Math.exp(v) - 1 : v)],
    ['Elu', (v) => (v < 0 ? 0.5 * (Math.exp(v) - 1) : v), { alpha: { f: 0.5 } }],
    ['Softplus', (v) => Math.log(1 + Math.exp(v))],
    ['Sign', Math.sign], ['Sin', Math.sin], ['Cos', Math.cos],
    ['HardSwish', (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5))],
    ['ThresholdedRelu', (v) => (v > 1 ? v : 0)],
  ];
  for (const [name, fn, attrs] of cases) {
    it(`${name}${attrs ? ` ${JSON.stringify(attrs)}` : ''}`, () => {
      const y = run(name, [x], attrs);
      expect(y.type).toBe('float');
      expect(y.dims).toEqual([12]);
      expectClose(y.data, Array.from(x.data, fn).map(f32), 1e-6);
    });
  }

  it('Sqrt, Log and Reciprocal, with their NaNs and infinities', () => {
    const v = floatTensor([5], [4, 2, 0, -1, 0.25]);
    expectClose(run('Sqrt', [v]).data, [2, f32(Math.SQRT2), 0, NaN, 0.5]);
    expectClose(run('Log', [v]).data, [f32(Math.log(4)), f32(Math.LN2), -Infinity, NaN, f32(Math.log(0.25))]);
    expectClose(run('Reciprocal', [v]).data, [0.25, 0.5, Infinity, -1, 4]);
  });

  it('Sigmoid and Softplus do not overflow', () => {
    expectClose(run('Sigmoid', [floatTensor([3], [-100, 0, 100])]).data, [f32(1 / (1 + Math.exp(100))), 0.5, 1]);
    expectClose(run('Softplus', [floatTensor([3], [-100, 0, 100])]).data, [f32(Math.exp(-100)), f32(Math.LN2), 100]);
  });

  it('Round rounds halves to even', () => {
    const y = run('Round', [floatTensor([10], [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6, -0.2])]);
    expect(Array.from(y.data)).toEqual([0, 2, 2, -0, -2, -2, 2, 3, -3, -0]);
  });

  it('Erf matches the float32 of erf to the last bit', () => {
    // math.erf in Python, rounded to float32
    const xs = [0, 1e-3, 0.5, 1, -2, 2.7, 3.5, -3.9, 5];
    const want = [0, 0.001128378789871931, 0.5204998850822449, 0.8427007794380188, -0.9953222870826721,
      0.9998656511306763, 0.9999992847442627, -0.9999999403953552, 1];
    expect(Array.from(run('Erf', [floatTensor([xs.length], xs)]).data)).toEqual(want);
  });

  it('Neg, Abs, Relu and Sign keep ints int', () => {
    const v = intTensor([4], [-3, 0, 2, -1]);
    for (const [name, want] of [['Neg', [3, 0, -2, 1]], ['Abs', [3, 0, 2, 1]], ['Relu', [0, 0, 2, 0]], ['Sign', [-1, 0, 1, -1]]] as const) {
      const y = run(name, [v]);
      expect(y.type).toBe('int');
      expect(Array.from(y.data), name).toEqual(want);
    }
    expect(Object.is(run('Neg', [intTensor([1], [0])]).data[0], 0)).toBe(true);
  });
});

describe('Softmax and LogSoftmax', () => {
  const x = floats([2, 3, 4], 5);

  /** Softmax of x over groups: `outer` blocks of n values `inner` apart. */
  function softmax(t: Tensor, outer: number, n: number, inner: number, log = false): number[] {
    const out = new Array<number>(t.data.length);
    for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) {
      const idx = Array.from({ length: n }, (_, k) => o * n * inner + k * inner + j);
      const max = Math.max(...idx.map((k) => t.data[k]));
      const sum = idx.reduce((s, k) => s + Math.exp(t.data[k] - max), 0);
      for (const k of idx) out[k] = log ? t.data[k] - max - Math.log(sum) : Math.exp(t.data[k] - max) / sum;
    }
    return out.map(f32);
  }

  it('opset < 13: axis 1 by default, the input coerced to 2D', () => {
    const y = run('Softmax', [x], {}, 11);
    expect(y.dims).toEqual([2, 3, 4]);
    expectClose(y.data, softmax(x, 2, 12, 1));
    expect(Array.from(y.data.slice(0, 12)).reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    expectClose(run('Softmax', [x], { axis: { i: 2 } }, 11).data, softmax(x, 6, 4, 1));
    expectClose(run('Softmax', [x], { axis: { i: 0 } }, 11).data, softmax(x, 1, 24, 1));
    expectClose(run('LogSoftmax', [x], {}, 11).data, softmax(x, 2, 12, 1, true));
  });

  it('opset ≥ 13: axis −1 by default, along that one axis', () => {
    expectClose(run('Softmax', [x], {}, 13).data, softmax(x, 6, 4, 1));
    expectClose(run('Softmax', [x], { axis: { i: 1 } }, 13).data, softmax(x, 2, 3, 4));
    expectClose(run('Softmax', [x], { axis: { i: -3 } }, 17).data, softmax(x, 1, 2, 12));
    expectClose(run('LogSoftmax', [x], { axis: { i: 1 } }, 13).data, softmax(x, 2, 3, 4, true));
    expectClose(run('LogSoftmax', [x], {}, 17).data, softmax(x, 6, 4, 1, true));
  });

  it('is stable for large logits', () => {
    expectClose(run('Softmax', [floatTensor([3], [1000, 1000, -1000])]).data, [0.5, 0.5, 0]);
    expectClose(run('LogSoftmax', [floatTensor([2], [1000, 0])]).data, [0, -1000]);
  });
});

describe('Clip', () => {
  const x = floatTensor([6], [-3, -1, 0, 0.5, 2, 7]);
  it('without min or max (absent inputs) leaves values alone', () => {
    expect(Array.from(run('Clip', [x]).data)).toEqual(Array.from(x.data));
    expect(Array.from(run('Clip', [x, undefined, undefined]).data)).toEqual(Array.from(x.data));
  });

  it('with only max, only min, and both', () => {
    expect(Array.from(run('Clip', [x, undefined, floatTensor([], [1])]).data)).toEqual([-3, -1, 0, 0.5, 1, 1]);
    expect(Array.from(run('Clip', [x, floatTensor([], [0])]).data)).toEqual([0, 0, 0, 0.5, 2, 7]);
    expect(Array.from(run('Clip', [x, floatTensor([], [-1]), floatTensor([], [2])]).data)).toEqual([-1, -1, 0, 0.5, 2, 2]);
    expect(Array.from(run('Clip', [x, floatTensor([], [3]), floatTensor([], [1])]).data)).toEqual([1, 1, 1, 1, 1, 1]);   // min > max: max
    expect(Array.from(run('Clip', [x, floatTensor([0], [])]).data)).toEqual(Array.from(x.data));                           // empty: no bound
  });

  it('reads min and max when it runs, so they need not be constants', () => {
    const kernel = compile('Clip', [{ type: 'float', dims: [6] }, { type: 'float', dims: [] }, { type: 'float', dims: [] }]);
    const out: Tensor = { type: 'float', dims: [6], data: new Float32Array(6) };
    kernel.run([x, floatTensor([], [0]), floatTensor([], [1])], [out]);
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0.5, 1, 1]);
    kernel.run([x, floatTensor([], [-2]), floatTensor([], [5])], [out]);
    expect(Array.from(out.data)).toEqual([-2, -1, 0, 0.5, 2, 5]);
  });

  it('clips ints (opset 12+) and takes attributes before opset 11', () => {
    const y = run('Clip', [intTensor([4], [-5, 0, 5, 10]), intTensor([], [-1]), intTensor([], [6])]);
    expect(y.type).toBe('int');
    expect(Array.from(y.data)).toEqual([-1, 0, 5, 6]);
    expect(Array.from(run('Clip', [x], { min: { f: -0.5 }, max: { f: 1 } }, 6).data)).toEqual([-0.5, -0.5, 0, 0.5, 1, 1]);
    expect(Array.from(run('Clip', [x], { max: { f: 0 } }, 6).data)).toEqual([-3, -1, 0, 0, 0, 0]);
  });

  it('keeps NaN', () => {
    expect(run('Clip', [floatTensor([1], [NaN]), floatTensor([], [0]), floatTensor([], [1])]).data[0]).toBeNaN();
  });
});

describe('comparisons and logic give bool', () => {
  it('Equal, Less, Greater, LessOrEqual, GreaterOrEqual broadcast and output bool', () => {
    const a = floatTensor([2, 3], [1, 2, 3, 4, NaN, 6]), b = floatTensor([3], [1, 5, 3]);
    const cases: [string, (x: number, y: number) => boolean][] = [
      ['Equal', (x, y) => x === y], ['Less', (x, y) => x < y], ['Greater', (x, y) => x > y],
      ['LessOrEqual', (x, y) => x <= y], ['GreaterOrEqual', (x, y) => x >= y],
    ];
    for (const [name, fn] of cases) {
      const y = run(name, [a, b]);
      expect(y.type, name).toBe('bool');
      expect(y.data).toBeInstanceOf(Uint8Array);
      expect(y.dims).toEqual([2, 3]);
      expect(Array.from(y.data), name).toEqual(reference([a, b], (x, z) => (fn(x, z) ? 1 : 0)).data);
    }
  });

  it('Equal compares ints and bools', () => {
    expect(Array.from(run('Equal', [intTensor([3], [1, 2, 3]), intTensor([], [2])]).data)).toEqual([0, 1, 0]);
    expect(Array.from(run('Equal', [boolTensor([2], [true, false]), boolTensor([2, 1], [true, false])]).data)).toEqual([1, 0, 0, 1]);
  });

  it('Not, And, Or, Xor', () => {
    const p = boolTensor([2, 2], [true, true, false, false]), q = boolTensor([2], [true, false]);
    expect(Array.from(run('Not', [p]).data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(run('And', [p, q]).data)).toEqual([1, 0, 0, 0]);
    expect(Array.from(run('Or', [p, q]).data)).toEqual([1, 1, 1, 0]);
    expect(Array.from(run('Xor', [p, q]).data)).toEqual([0, 1, 1, 0]);
    expect(run('Xor', [p, q]).type).toBe('bool');
  });
});

describe('Where', () => {
  it('broadcasts condition, X and Y three ways', () => {
    const c = boolTensor([2, 1], [true, false]), x = floatTensor([3], [1, 2, 3]), y = floatTensor([], [-1]);
    const out = run('Where', [c, x, y]);
    expect(out.type).toBe('float');
    expect(out.dims).toEqual([2, 3]);
    expect(Array.from(out.data)).toEqual([1, 2, 3, -1, -1, -1]);

    const c3 = boolTensor([2, 1, 4], [1, 0, 1, 0, 0, 1, 1, 0]), x3 = floats([3, 1], 2), y3 = floats([1, 3, 4], 3);
    const got = run('Where', [c3, x3, y3]);
    expect(got.dims).toEqual([2, 3, 4]);
    expect(Array.from(got.data)).toEqual(reference([c3, x3, y3], (k, p, q) => (k ? p : q)).data);
  });

  it('same shapes, ints and bools', () => {
    const c = boolTensor([4], [1, 0, 0, 1]);
    const i = run('Where', [c, intTensor([4], [1, 2, 3, 4]), intTensor([4], [-1, -2, -3, -4])]);
    expect(i.type).toBe('int');
    expect(Array.from(i.data)).toEqual([1, -2, -3, 4]);
    const b = run('Where', [c, boolTensor([], [true]), boolTensor([4], [0, 0, 1, 0])]);
    expect(b.type).toBe('bool');
    expect(Array.from(b.data)).toEqual([1, 0, 1, 1]);
  });
});

describe('Cast', () => {
  const cast = (t: Tensor, to: number) => run('Cast', [t], { to: { i: to } });

  it('to float16 rounds to half precision (held as float32)', () => {
    const y = cast(floatTensor([6], [0.1, 3.14159, 65519, 65520, 1e-8, -2.5e-6]), 10);
    expect(y.type).toBe('float');
    expect(Array.from(y.data)).toEqual([0.0999755859375, 3.140625, 65504, Infinity, 0, -2.5033950805664062e-6]);
    expect(cast(floatTensor([1], [NaN]), 10).data[0]).toBeNaN();
  });

  it('to bfloat16 rounds to nearest, ties to even', () => {
    const y = cast(floatTensor([4], [1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, 0.1]), 16);
    expect(Array.from(y.data)).toEqual([1, 1.015625, 1.0078125, 0.10009765625]);
  });

  it('to double keeps float32, from ints and bools too', () => {
    expect(Array.from(cast(floatTensor([1], [0.1]), 11).data)).toEqual([f32(0.1)]);
    const y = cast(intTensor([3], [-3, 16777217, 0]), 1);
    expect(y.type).toBe('float');
    expect(Array.from(y.data)).toEqual([-3, 16777216, 0]);
    expect(Array.from(cast(boolTensor([2], [true, false]), 1).data)).toEqual([1, 0]);
  });

  it('float to int truncates toward zero, and narrow ints wrap as two’s complement', () => {
    const v = floatTensor([5], [300.7, -129, 200, -1.5, 255.9]);
    const i8 = cast(v, 3);
    expect(i8.type).toBe('int');
    expect(Array.from(i8.data)).toEqual([44, 127, -56, -1, -1]);
    expect(Array.from(cast(v, 2).data)).toEqual([44, 127, 200, 255, 255]);                 // uint8
    expect(Array.from(cast(floatTensor([3], [40000, -40000, 2.9]), 5).data)).toEqual([-25536, 25536, 2]);   // int16
    expect(Array.from(cast(floatTensor([2], [70000, -1]), 4).data)).toEqual([4464, 65535]);   // uint16
    expect(Array.from(cast(floatTensor([3], [2.9, -2.9, 3e9]), 6).data)).toEqual([2, -2, -1294967296]);   // int32
    expect(Array.from(cast(floatTensor([2], [-1, 3e9]), 12).data)).toEqual([4294967295, 3000000000]);   // uint32
    const i64 = cast(floatTensor([4], [-2.7, -0.5, 1e10, NaN]), 7);
    expect(Array.from(i64.data)).toEqual([-2, 0, 1e10, 0]);
    expect(Object.is(i64.data[1], 0)).toBe(true);
    expect(Array.from(cast(intTensor([3], [255, 256, -1]), 3).data)).toEqual([-1, 0, -1]);   // int64 → int8
  });

  it('to bool: nonzero (and NaN) is true', () => {
    const y = cast(floatTensor([5], [0, -0, 0.5, NaN, -3]), 9);
    expect(y.type).toBe('bool');
    expect(y.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(y.data)).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(cast(intTensor([3], [0, 7, -1]), 9).data)).toEqual([0, 1, 1]);
  });
});

describe('errors are RecurFormatErrors naming the node, raised by compile()', () => {
  const f = (dims: number[]): ValueInfo => ({ type: 'float', dims });
  const t = (type: ElemType, dims: number[]): ValueInfo => ({ type, dims });

  it('shapes that do not broadcast', () => {
    expectNodeError(() => compile('Add', [f([2, 3]), f([4])], {}, 17, 'add_1'), 'add_1', 'Add', /\[2, 3\], \[4\] do not broadcast/);
    expectNodeError(() => compile('Mul', [f([2, 3]), f([3, 3])], {}, 17, 'gate'), 'gate', 'Mul', /do not broadcast/);
    expectNodeError(() => compile('Where', [t('bool', [2]), f([3]), f([3])], {}, 17, 'w'), 'w', 'Where', /do not broadcast/);
    expectNodeError(() => compile('Sum', [f([2]), f([2]), f([5])], {}, 17, 's'), 's', 'Sum', /do not broadcast/);
    expectNodeError(() => compile('PRelu', [f([3]), f([2, 3])], {}, 17, 'p'), 'p', 'PRelu', /does not broadcast to X/);
  });

  it('wrong element types', () => {
    expectNodeError(() => compile('Not', [f([2])], {}, 17, 'not_1'), 'not_1', 'Not', /input X is float, expected bool/);
    expectNodeError(() => compile('Add', [t('bool', [2]), t('bool', [2])], {}, 17, 'a'), 'a', 'Add', /bool/);
    expectNodeError(() => compile('Add', [f([2]), t('int', [2])], {}, 17, 'a'), 'a', 'Add', /input B is int but input A is float/);
    expectNodeError(() => compile('Exp', [t('int', [2])], {}, 17, 'e'), 'e', 'Exp', /int, expected float/);
    expectNodeError(() => compile('And', [f([2]), f([2])], {}, 17, 'and'), 'and', 'And', /expected bool/);
    expectNodeError(() => compile('Where', [f([2]), f([2]), f([2])], {}, 17, 'w'), 'w', 'Where', /condition is float/);
    expectNodeError(() => compile('Where', [t('bool', [2]), f([2]), t('int', [2])], {}, 17, 'w'), 'w', 'Where', /input Y is int/);
    expectNodeError(() => compile('Softmax', [t('int', [2])], {}, 17, 'sm'), 'sm', 'Softmax', /expected float/);
    expectNodeError(() => compile('Mod', [f([2]), f([2])], {}, 17, 'm'), 'm', 'Mod', /fmod = 1/);
    expectNodeError(() => compile('Mean', [t('int', [2])], {}, 17, 'mean'), 'mean', 'Mean', /expected float/);
    expectNodeError(() => compile('Clip', [f([2]), t('int', [])], {}, 17, 'c'), 'c', 'Clip', /min is int/);
  });

  it('wrong numbers of inputs, attributes and axes', () => {
    expectNodeError(() => compile('Add', [f([2])], {}, 17, 'a'), 'a', 'Add', /takes 2 inputs, got 1/);
    expectNodeError(() => compile('Relu', [f([2]), f([2])], {}, 17, 'r'), 'r', 'Relu', /takes 1 input, got 2/);
    expectNodeError(() => compile('Add', [f([2]), undefined], {}, 17, 'a'), 'a', 'Add', /input B is missing/);
    expectNodeError(() => compile('Clip', [f([2]), f([2])], {}, 17, 'c'), 'c', 'Clip', /min must be a scalar/);
    expectNodeError(() => compile('Cast', [f([2])], { to: { i: 8 } }, 17, 'cast'), 'cast', 'Cast', /string is not supported/);
    expectNodeError(() => compile('Cast', [f([2])], {}, 17, 'cast'), 'cast', 'Cast', /'to' is missing/);
    expectNodeError(() => compile('Softmax', [f([2, 3])], { axis: { i: 2 } }, 13, 'sm'), 'sm', 'Softmax', /axis 2 is out of range for rank 2/);
    expectNodeError(() => compile('Softmax', [f([])], {}, 13, 'sm'), 'sm', 'Softmax', /out of range for rank 0/);
  });

  it('never when run on valid shapes, and only declared outputs', () => {
    const kernel = compile('Add', [f([2, 1, 3]), f([4, 1])]);
    expect(kernel.outputs).toEqual([{ type: 'float', dims: [2, 4, 3] }]);
    expect(compile('Less', [t('int', [2]), t('int', [])]).outputs).toEqual([{ type: 'bool', dims: [2] }]);
    expect(compile('Cast', [f([2])], { to: { i: 7 } }).outputs).toEqual([{ type: 'int', dims: [2] }]);
  });
});
