// Elementwise ONNX operators (default domain, opsets 7–18): arithmetic, activations, comparisons
// and logic, the variadic Sum / Mean / Min / Max, Where, Clip and Cast. Softmax and LogSoftmax
// live in softmax.ts.
//
// Every binary operator is one broadcasting loop (binaryLoop) driving the operator's row (Row2).
// The plan is made once, at compile time: same shapes or one side a single value is a single row;
// otherwise the output's axes are first collapsed (neighbouring axes that every input reads the
// same way, contiguously or broadcast, become one), so "[…, N] with [N]" and "[M, N] with [M, 1]"
// are plain rows, and anything else walks an odometer over the outer axes, a row at a time.
//
// Element types follow tensor.ts. Floats are computed in double and stored as float32 (correctly
// rounded for + − × ÷ and √, within an ulp elsewhere). Ints stay ints: Div truncates toward zero
// as C and onnxruntime do, and an integer division or Mod by zero gives 0, never a non-integer.
// Comparisons and logic give bool (0/1 bytes).

import { DataType, typeName, type OnnxNode } from '../../onnx/onnx.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../formats/f16.js';
import type { Runtime } from '../../runtime/runtime.js';
import { attrFloat, attrInt, expectType, nodeError, required, type Kernel, type Op, type OpContext, type ValueInfo } from '../op.js';
import { graphKernels } from '../kernels.js';
import { addressIn, WasmBlock } from '../wasm-block.js';
import { broadcastDims, broadcastStrides, elemTypeOf, MAX_TENSOR_ELEMENTS, sameDims, type ElemType, type Tensor } from '../tensor.js';
import { softmaxOps } from './softmax.js';

type Data = Tensor['data'];
type Fn1 = (x: number) => number;
type Fn2 = (x: number, y: number) => number;

/**
 * One row of a binary operator: o[k] = a[i] ⊙ b[j] for k from k to end, i stepping by di and j by
 * dj (each 1, or 0 for a broadcast value). The broadcasting is shared (binaryLoop); the row is
 * each operator's own function literal, so V8 compiles it with ⊙ inlined. (A shared loop calling
 * a per-element function is a polymorphic call per element, with every number boxed: 5–7× slower.)
 */
type Row2 = (o: Data, k: number, end: number, a: Data, i: number, di: number, b: Data, j: number, dj: number) => void;
/** A whole unary operator: o[i] = f(x[i]) for i < n, likewise each operator's own literal. */
type Map1 = (o: Data, x: Data, n: number) => void;
type Loop2 = (a: Data, b: Data, o: Data) => void;

const NUMERIC: ElemType[] = ['float', 'int'];
const ANY: ElemType[] = ['float', 'int', 'bool'];
const FLT_MAX = 3.4028234663852886e38;
const noop = (): void => {};

// ---------------------------------------------------------------------------------------------
// Checks

const shape = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** The node must be given between min and max inputs (absent optional ones included). */
function arity(node: OnnxNode, inputs: readonly unknown[], min: number, max = min): void {
  const n = inputs.length;
  if (n >= min && n <= max) return;
  const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
  throw nodeError(node, `takes ${want} input${want === '1' ? '' : 's'}, got ${n}`);
}

/** The inputs' common element type, which must be one of `types`. */
function sameTypes(node: OnnxNode, infos: readonly ValueInfo[], types: ElemType[], roles?: string[]): ElemType {
  const role = (k: number) => roles?.[k] ?? `input ${k}`;
  const type = infos[0].type;
  infos.forEach((v, k) => {
    expectType(node, v, types, role(k));
    if (v.type !== type) throw nodeError(node, `${role(k)} is ${v.type} but ${role(0)} is ${type}; ONNX does not convert types implicitly`);
  });
  return type;
}

/** The numpy broadcast of all the shapes; a RecurFormatError naming the node when they do not broadcast. */
function broadcastAll(node: OnnxNode, shapes: readonly (readonly number[])[]): number[] {
  let dims: readonly number[] = shapes[0];
  for (let k = 1; k < shapes.length; k++) {
    const d = broadcastDims(dims, shapes[k]);
    if (!d) throw nodeError(node, `input shapes ${shapes.map(shape).join(', ')} do not broadcast`);
    dims = d;
  }
  if (product(dims) > MAX_TENSOR_ELEMENTS) throw nodeError(node, `the broadcast shape ${shape(dims)} has more than 2^26 elements`);
  return [...dims];
}

// ---------------------------------------------------------------------------------------------
// Broadcasting loops

/**
 * The output's axes with those of size 1 dropped and neighbours merged wherever every input reads
 * them the same way (contiguously, or both broadcast): strides[k] are input k's broadcastStrides
 * to `dims`, and the result's strides are per collapsed axis.
 */
function collapse(dims: readonly number[], strides: readonly number[][]): { dims: number[]; strides: number[][] } {
  const cd: number[] = [], cs: number[][] = strides.map(() => []);
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = cd.length - 1;
    if (last >= 0 && strides.every((s, k) => cs[k][last] === s[i] * dims[i])) {
      cd[last] *= dims[i];
      strides.forEach((s, k) => { cs[k][last] = s[i]; });
    } else {
      cd.push(dims[i]);
      strides.forEach((s, k) => cs[k].push(s[i]));
    }
  }
  return { dims: cd, strides: cs };
}

/**
 * A loop computing o = a ⊙ b over every element of an output of shape `out`, where a (of shape
 * aDims) and b (of shape bDims) broadcast to `out`, ⊙ being the operator's row. Everything is
 * worked out here, once; in place (o = a) is fine when aDims is `out`.
 */
export function binaryLoop(aDims: readonly number[], bDims: readonly number[], out: readonly number[], row: Row2): Loop2 {
  const n = product(out), na = product(aDims), nb = product(bDims);
  if (n === 0) return noop;
  if ((na === n || na === 1) && (nb === n || nb === 1)) {
    // Same shapes, or a single value on one side (or both): one row.
    const da = na === n ? 1 : 0, db = nb === n ? 1 : 0;
    return (a, b, o) => row(o, 0, n, a, 0, da, b, 0, db);
  }
  const { dims, strides: [sa, sb] } = collapse(out, [broadcastStrides(aDims, out), broadcastStrides(bDims, out)]);
  // Rows along the last collapsed axis, where each input steps by 1 or 0.
  const r = dims.length, inner = dims[r - 1], rows = n / inner, da = sa[r - 1], db = sb[r - 1];
  if (r === 2) {
    // "[…, N] with [N]", "[M, N] with [M, 1]", "[M, 1] with [1, N]": each row starts its own stride on.
    const ra = sa[0], rb = sb[0];
    return (a, b, o) => {
      for (let y = 0, k = 0; y < rows; y++, k += inner) row(o, k, k + inner, a, y * ra, da, b, y * rb, db);
    };
  }
  const idx = new Int32Array(r);                  // the odometer over the outer axes, reused by every run
  return (a, b, o) => {
    idx.fill(0);
    for (let y = 0, k = 0, ra = 0, rb = 0; y < rows; y++, k += inner) {
      row(o, k, k + inner, a, ra, da, b, rb, db);
      for (let d = r - 2; d >= 0; d--) {
        ra += sa[d]; rb += sb[d];
        if (++idx[d] < dims[d]) break;
        ra -= sa[d] * dims[d]; rb -= sb[d] * dims[d]; idx[d] = 0;
      }
    }
  };
}

/** A kernel for output 0 = a ⊙ b broadcast, of type `type`; the caller has checked the types. */
function binaryKernel(node: OnnxNode, a: ValueInfo, b: ValueInfo, type: ElemType, row: Row2): Kernel {
  const dims = broadcastAll(node, [a.dims, b.dims]);
  const loop = binaryLoop(a.dims, b.dims, dims, row);
  return { outputs: [{ type, dims }], run: (ins, outs) => loop(ins[0]!.data, ins[1]!.data, outs[0].data) };
}

/** A kernel for output 0 = map(x), of x's shape and of type `type`. */
function mapKernel(x: ValueInfo, type: ElemType, map: Map1): Kernel {
  const n = product(x.dims);
  return { outputs: [{ type, dims: [...x.dims] }], run: (ins, outs) => map(outs[0].data, ins[0]!.data, n) };
}

// ---------------------------------------------------------------------------------------------
// The same in wasm (assembly/elementwise.ts): float32, one input full-size and the other full-size
// or one value, four elements per instruction. Bit-identical to the loops above, which still run
// when a tensor is not in the runtime's memory (constants while folding).

/** Opcodes of ewBinary and ewUnary. */
const WASM_BINARY = { Add: 0, Sub: 1, Mul: 2, Div: 3 } as const;
const WASM_UNARY = { Relu: 0, Sqrt: 1, Square: 2, Neg: 3, Abs: 4 } as const;
/** Below this many elements the call costs more than the JavaScript loop. */
const WASM_MIN = 16;

function wasmBinary(rt: Runtime, op: number, a: ValueInfo, b: ValueInfo, js: Kernel): Kernel {
  const n = product(js.outputs[0].dims);
  // a ⊙ b with a full-size; for + and ×, which commute bit for bit, b ⊙ a when b is the full one.
  const swap = (op === WASM_BINARY.Add || op === WASM_BINARY.Mul) && product(a.dims) !== n && product(b.dims) === n;
  const [full, other, ia, ib] = swap ? [b, a, 1, 0] : [a, b, 0, 1];
  const nb = product(other.dims);
  if (full.type !== 'float' || product(full.dims) !== n || (nb !== n && nb !== 1) || n < WASM_MIN) return js;
  const gk = graphKernels(rt);
  // A constant other side (a bias, a scale) is copied into wasm memory once.
  const constant = other.value ? new WasmBlock(rt, nb) : undefined;
  constant?.view.set(other.value!.data as Float32Array);
  return {
    outputs: js.outputs,
    run(ins, outs) {
      const pa = addressIn(rt, ins[ia]!.data as Float32Array), py = addressIn(rt, outs[0].data as Float32Array);
      const pb = constant ? constant.ptr : addressIn(rt, ins[ib]!.data as Float32Array);
      if (pa < 0 || pb < 0 || py < 0) js.run(ins, outs);
      else gk.ewBinary(op, pa, pb, nb === n ? 1 : 0, py, n);
    },
    dispose() { constant?.free(); },
  };
}

function wasmUnary(rt: Runtime, op: number, x: ValueInfo, js: Kernel): Kernel {
  const n = product(x.dims);
  if (x.type !== 'float' || n < WASM_MIN) return js;
  const gk = graphKernels(rt);
  return {
    outputs: js.outputs,
    run(ins, outs) {
      const px = addressIn(rt, ins[0]!.data as Float32Array), py = addressIn(rt, outs[0].data as Float32Array);
      if (px < 0 || py < 0) js.run(ins, outs);
      else gk.ewUnary(op, px, py, n);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Operator builders

/**
 * An operator on one input of a type among `types`, giving the same shape and type; `make` reads
 * the node's attributes and picks the loop for the input's type.
 */
function unary(types: ElemType[], make: (node: OnnxNode, type: ElemType) => Map1, wasmOp?: number): Op {
  return (node, inputs, ctx: OpContext) => {
    arity(node, inputs, 1);
    const x = required(node, inputs, 0, 'input X');
    expectType(node, x, types, 'input X');
    const js = mapKernel(x, x.type, make(node, x.type));
    return ctx.rt && wasmOp !== undefined ? wasmUnary(ctx.rt, wasmOp, x, js) : js;
  };
}

/** A float-only unary operator without attributes. */
const floatMap = (map: Map1, wasmOp?: number): Op => unary(['float'], () => map, wasmOp);

/**
 * An operator on inputs A and B of one type among `types`, broadcast together: `row` computes
 * floats and bools, `int` ints (when it differs). The output has the inputs' type, or bool if `bool`.
 */
function binary(types: ElemType[], row: Row2, options: { int?: Row2; bool?: boolean; wasmOp?: number } = {}): Op {
  return (node, inputs, ctx: OpContext) => {
    arity(node, inputs, 2);
    const a = required(node, inputs, 0, 'input A'), b = required(node, inputs, 1, 'input B');
    const type = sameTypes(node, [a, b], types, ['input A', 'input B']);
    const js = binaryKernel(node, a, b, options.bool ? 'bool' : type, (type === 'int' && options.int) || row);
    return ctx.rt && options.wasmOp !== undefined && type === 'float' ? wasmBinary(ctx.rt, options.wasmOp, a, b, js) : js;
  };
}

const copyRow: Row2 = (o, k, end, a, i, di) => { for (; k < end; k++, i += di) o[k] = a[i]; };

/**
 * Sum, Mean, Min, Max: `row` folded over one or more inputs of one type, all broadcast together.
 * Floats accumulate in float32, input by input, as onnxruntime does; Mean then divides by the count.
 */
function variadic(types: ElemType[], row: Row2, mean = false): Op {
  return (node, inputs) => {
    arity(node, inputs, 1, Infinity);
    const infos = inputs.map((_, k) => required(node, inputs, k));
    const type = sameTypes(node, infos, types);
    const dims = broadcastAll(node, infos.map((v) => v.dims));
    const first = infos.length === 1
      ? binaryLoop(infos[0].dims, [], dims, copyRow)
      : binaryLoop(infos[0].dims, infos[1].dims, dims, row);
    const rest = infos.slice(2).map((v) => binaryLoop(dims, v.dims, dims, row));   // in place on the output
    const n = product(dims), count = infos.length;
    return {
      outputs: [{ type, dims }],
      run(ins, outs) {
        const o = outs[0].data;
        first(ins[0]!.data, (ins[1] ?? ins[0])!.data, o);
        for (let k = 0; k < rest.length; k++) rest[k](o, ins[k + 2]!.data, o);
        if (mean) for (let i = 0; i < n; i++) o[i] = o[i] / count;
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Element functions

/** Integer division truncating toward zero; 0 for a zero divisor. */
const divInt: Fn2 = (x, y) => (y === 0 ? 0 : Math.trunc(x / y) + 0);

/** Integer power (a negative exponent truncates: 2^-1 = 0); 0 where it is not finite (0^-1). */
const powInt: Fn2 = (x, y) => {
  const p = Math.trunc(x ** y);
  return Number.isFinite(p) ? p + 0 : 0;
};

/** Mod with fmod = 0: the remainder takes the divisor's sign (Python's %); 0 for a zero divisor. */
const floorModInt: Fn2 = (x, y) => {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r || 0;
};

/** Mod with fmod = 1: C's fmod, the remainder taking the dividend's sign; for ints, 0 for a zero divisor. */
const cMod = (x: number, y: number, type: ElemType): number => (type === 'int' ? (x % y) || 0 : x % y);

/** Round half to even, as ONNX (and numpy, and C's nearbyint) do; −0.5 … −0 round to −0. */
function roundEven(x: number): number {
  const f = Math.floor(x), d = x - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r === 0 ? x * 0 : r;
}

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * erf(x) to double precision where float32 can tell it from ±1: erf(x) = 2/√π · e^(−x²) ·
 * Σ (2x²)^k x / (1·3·…·(2k+1)), a series of positive terms (no cancellation). From |x| = 4 on,
 * 1 − |erf(x)| < 1.6e-8 is below half a float32 ulp of 1.
 */
export function erf(x: number): number {
  if (!(Math.abs(x) < 4)) return Number.isNaN(x) ? x : Math.sign(x);
  const x2 = 2 * x * x;
  let term = x, sum = x;
  for (let k = 1; Math.abs(term) > 1e-17 * Math.abs(sum); k++) { term *= x2 / (2 * k + 1); sum += term; }
  return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
}

const wordView = new Float32Array(1), wordBits = new Uint32Array(wordView.buffer);

/** x rounded to bfloat16 (nearest, ties to even, as onnxruntime rounds), as a float32 value. */
function roundBfloat16(x: number): number {
  wordView[0] = x;
  const b = wordBits[0];
  if ((b & 0x7fffffff) > 0x7f800000) return wordView[0];          // NaN
  wordBits[0] = (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000;
  return wordView[0];
}

/** An int64 from a number: truncated toward zero, clamped to ±(2^53 − 1) as the importer clamps; NaN → 0. */
function toInt64(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Math.trunc(x))) + 0;
}

/**
 * The conversion Cast applies for ONNX data type `to`. Floats truncate toward zero into integers,
 * which wrap as two's complement of the target's width (JS's ToInt32 does both at once); uint64
 * of a negative value clamps to 2^53 − 1. float16 and bfloat16 round to their precision and are
 * held as float32; double is held as float32. Anything nonzero (NaN too) is true.
 */
function castFn(to: number): Fn1 | undefined {
  switch (to) {
    case DataType.FLOAT: case DataType.DOUBLE: return (x) => x;
    case DataType.FLOAT16: return (x) => float16BitsToFloat32(float32ToFloat16Bits(x));
    case DataType.BFLOAT16: return roundBfloat16;
    case DataType.BOOL: return (x) => (x !== 0 ? 1 : 0);
    case DataType.INT8: return (x) => (x << 24) >> 24;
    case DataType.UINT8: return (x) => x & 0xff;
    case DataType.INT16: return (x) => (x << 16) >> 16;
    case DataType.UINT16: return (x) => x & 0xffff;
    case DataType.INT32: return (x) => x | 0;
    case DataType.UINT32: return (x) => x >>> 0;
    case DataType.INT64: return toInt64;
    case DataType.UINT64: return (x) => (x <= -1 ? Number.MAX_SAFE_INTEGER : toInt64(x));
    default: return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Operators that need more than a builder

/** Pow(X, Y): X float or int, Y float or int (opset 12 allows them to differ); the output has X's type. */
const Pow: Op = (node, inputs, ctx) => {
  arity(node, inputs, 2);
  const x = required(node, inputs, 0, 'input X'), y = required(node, inputs, 1, 'input Y');
  expectType(node, x, NUMERIC, 'input X');
  expectType(node, y, NUMERIC, 'input Y');
  // x² (magnitudes, as Silero's STFT squares its real and imaginary parts): a multiply, exactly
  // Math.pow's result, without the call per element.
  if (x.type === 'float' && y.value?.data.length === 1 && y.value.data[0] === 2 && y.dims.length <= x.dims.length) {
    const js = mapKernel(x, 'float', (o, a, n) => { for (let i = 0; i < n; i++) { const v = a[i]; o[i] = v * v; } });
    return ctx.rt ? wasmUnary(ctx.rt, WASM_UNARY.Square, x, js) : js;
  }
  const kernel = binaryKernel(node, x, y, x.type, x.type === 'int'
    ? (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = powInt(a[i], b[j]); }
    : (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = Math.pow(a[i], b[j]); });
  return { ...kernel, work: 16 * product(kernel.outputs[0].dims) };   // Math.pow: tens of ns an element
};

/** Mod(A, B): fmod = 0 (ints only) takes the divisor's sign, fmod = 1 the dividend's, as C's fmod. */
const Mod: Op = (node, inputs) => {
  arity(node, inputs, 2);
  const a = required(node, inputs, 0, 'input A'), b = required(node, inputs, 1, 'input B');
  const type = sameTypes(node, [a, b], NUMERIC, ['input A', 'input B']);
  const fmod = attrInt(node, 'fmod', 0);
  if (fmod !== 0 && fmod !== 1) throw nodeError(node, `attribute fmod is ${fmod}, expected 0 or 1`);
  if (type === 'float' && fmod === 0) throw nodeError(node, 'float inputs need attribute fmod = 1');
  return binaryKernel(node, a, b, type, fmod === 0
    ? (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = floorModInt(a[i], b[j]); }
    : (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = cMod(a[i], b[j], type); });
};

/** PRelu(X, slope): slope broadcasts to X's shape (one way only); the output has X's shape. */
const PRelu: Op = (node, inputs) => {
  arity(node, inputs, 2);
  const x = required(node, inputs, 0, 'input X'), slope = required(node, inputs, 1, 'input slope');
  sameTypes(node, [x, slope], NUMERIC, ['input X', 'input slope']);
  const kernel = binaryKernel(node, x, slope, x.type, (o, k, end, a, i, di, b, j, dj) => {
    for (; k < end; k++, i += di, j += dj) { const v = a[i]; o[k] = v < 0 ? v * b[j] : v; }
  });
  if (!sameDims(kernel.outputs[0].dims, x.dims)) throw nodeError(node, `slope ${shape(slope.dims)} does not broadcast to X ${shape(x.dims)}`);
  return kernel;
};

/** Where(condition, X, Y): bool condition, X and Y of one type, all three broadcast together. */
const Where: Op = (node, inputs) => {
  arity(node, inputs, 3);
  const c = required(node, inputs, 0, 'input condition');
  const x = required(node, inputs, 1, 'input X'), y = required(node, inputs, 2, 'input Y');
  expectType(node, c, ['bool'], 'input condition');
  const type = sameTypes(node, [x, y], ANY, ['input X', 'input Y']);
  const dims = broadcastAll(node, [c.dims, x.dims, y.dims]);
  const n = product(dims);
  let loop: (c: Data, x: Data, y: Data, o: Data) => void;
  if (n === 0) loop = noop;
  else if (product(c.dims) === n && product(x.dims) === n && product(y.dims) === n) {
    loop = (cs, xs, ys, o) => { for (let i = 0; i < n; i++) o[i] = cs[i] ? xs[i] : ys[i]; };
  } else {
    // binaryLoop's general walk, with three inputs: rows along the last collapsed axis, an
    // odometer over the others.
    const col = collapse(dims, [c.dims, x.dims, y.dims].map((d) => broadcastStrides(d, dims)));
    const cd = col.dims, [sc, sx, sy] = col.strides, r = cd.length, inner = cd[r - 1], rows = n / inner;
    const dc = sc[r - 1], dx = sx[r - 1], dy = sy[r - 1], idx = new Int32Array(r);
    loop = (cs, xs, ys, o) => {
      idx.fill(0);
      for (let row = 0, k = 0, rc = 0, rx = 0, ry = 0; row < rows; row++) {
        for (let j = 0, ci = rc, xi = rx, yi = ry; j < inner; j++, ci += dc, xi += dx, yi += dy) o[k++] = cs[ci] ? xs[xi] : ys[yi];
        for (let d = r - 2; d >= 0; d--) {
          rc += sc[d]; rx += sx[d]; ry += sy[d];
          if (++idx[d] < cd[d]) break;
          rc -= sc[d] * cd[d]; rx -= sx[d] * cd[d]; ry -= sy[d] * cd[d]; idx[d] = 0;
        }
      }
    };
  }
  return { outputs: [{ type, dims }], run: (ins, outs) => loop(ins[0]!.data, ins[1]!.data, ins[2]!.data, outs[0].data) };
};

/**
 * Clip(input, min, max). Before opset 11 the bounds are attributes; from 11 they are optional
 * scalar inputs (absent, or empty, means unbounded), read when the kernel runs, so they need not
 * be constants. An unbounded float side is ∓FLT_MAX, as onnxruntime has it; min > max gives max.
 */
const Clip: Op = (node, inputs, ctx) => {
  let x: ValueInfo, hasLo = false, hasHi = false, lo0 = -FLT_MAX, hi0 = FLT_MAX;
  if (ctx.opset < 11) {
    arity(node, inputs, 1);
    x = required(node, inputs, 0, 'input');
    expectType(node, x, ['float'], 'input');
    lo0 = attrFloat(node, 'min', -FLT_MAX); hi0 = attrFloat(node, 'max', FLT_MAX);
  } else {
    arity(node, inputs, 1, 3);
    x = required(node, inputs, 0, 'input');
    expectType(node, x, ctx.opset >= 12 ? NUMERIC : ['float'], 'input');
    const bound = (k: number, role: string): boolean => {
      const v = inputs[k];
      if (!v) return false;
      if (v.type !== x.type) throw nodeError(node, `${role} is ${v.type} but the input is ${x.type}`);
      const size = product(v.dims);
      if (size > 1) throw nodeError(node, `${role} must be a scalar, got shape ${shape(v.dims)}`);
      return size === 1;
    };
    hasLo = bound(1, 'min'); hasHi = bound(2, 'max');
    if (x.type === 'int') { lo0 = -Infinity; hi0 = Infinity; }
  }
  const n = product(x.dims);
  return {
    outputs: [{ type: x.type, dims: [...x.dims] }],
    run(ins, outs) {
      const xs = ins[0]!.data, os = outs[0].data;
      const lo = hasLo ? ins[1]!.data[0] : lo0, hi = hasHi ? ins[2]!.data[0] : hi0;
      for (let i = 0; i < n; i++) {
        const v = xs[i], r = v < lo ? lo : v;        // NaN stays NaN
        os[i] = r > hi ? hi : r;
      }
    },
  };
};

/** Cast(input) to the ONNX data type of attribute `to` (see castFn); any input type. */
const Cast: Op = (node, inputs) => {
  arity(node, inputs, 1);
  const x = required(node, inputs, 0, 'input');
  const to = attrInt(node, 'to');
  if (to === undefined) throw nodeError(node, "attribute 'to' is missing");
  const type = elemTypeOf(to), fn = castFn(to);
  if (!type || !fn) throw nodeError(node, `casting to ${typeName(to)} is not supported`);
  // Cast's own loop: a model uses few targets, so the call to fn stays cheap.
  const kernel = mapKernel(x, type, (o, xs, n) => { for (let i = 0; i < n; i++) o[i] = fn(xs[i]); });
  // Float to float32 or double changes nothing here (both are held as float32): the same buffer.
  return x.type === 'float' && (to === DataType.FLOAT || to === DataType.DOUBLE) ? { ...kernel, alias: 0 } : kernel;
};

// ---------------------------------------------------------------------------------------------
// The table. Rows read o[k] = a[i] ⊙ b[j] (see Row2); maps o[i] = f(x[i]).

/** float32 of an attribute's default, as onnxruntime reads it (0.01f, not 0.01). */
const f32 = Math.fround;

/** An operator whose elements cost `cost` units of Kernel.work each (a long series per element). */
const dear = (op: Op, cost: number): Op => (node, inputs, ctx) => {
  const kernel = op(node, inputs, ctx);
  return { ...kernel, work: cost * product(kernel.outputs[0].dims) };
};

export const elementwiseOps: Record<string, Op> = {
  // Arithmetic: A and B of one type, broadcast; the output keeps the type.
  Add: binary(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] + b[j]; }, { wasmOp: WASM_BINARY.Add }),
  Sub: binary(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] - b[j]; }, { wasmOp: WASM_BINARY.Sub }),
  Mul: binary(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] * b[j]; }, { wasmOp: WASM_BINARY.Mul }),
  Div: binary(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] / b[j]; }, {
    int: (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = divInt(a[i], b[j]); }, wasmOp: WASM_BINARY.Div,
  }),
  Pow,
  Mod,
  Sum: variadic(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] + b[j]; }),
  Mean: variadic(['float'], (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] + b[j]; }, true),
  Min: variadic(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = Math.min(a[i], b[j]); }),
  Max: variadic(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = Math.max(a[i], b[j]); }),

  // Unary maths
  Neg: unary(NUMERIC, (_, type) => (type === 'int'
    ? (o, x, n) => { for (let i = 0; i < n; i++) o[i] = 0 - x[i]; }       // no −0 among ints
    : (o, x, n) => { for (let i = 0; i < n; i++) o[i] = -x[i]; }), WASM_UNARY.Neg),
  Abs: unary(NUMERIC, () => (o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]); }, WASM_UNARY.Abs),
  Sign: unary(NUMERIC, () => (o, x, n) => { for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v > 0 ? 1 : v < 0 ? -1 : v; } }),
  Sqrt: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]); }, WASM_UNARY.Sqrt),
  Reciprocal: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = 1 / x[i]; }),
  Exp: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]); }),
  Log: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.log(x[i]); }),
  Sin: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]); }),
  Cos: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.cos(x[i]); }),
  Floor: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.floor(x[i]); }),
  Ceil: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.ceil(x[i]); }),
  Round: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = roundEven(x[i]); }),
  Erf: dear(floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = erf(x[i]); }), 8),

  // Activations
  Relu: unary(NUMERIC, () => (o, x, n) => { for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v < 0 ? 0 : v; } }, WASM_UNARY.Relu),
  LeakyRelu: unary(['float'], (node) => {
    const alpha = attrFloat(node, 'alpha', f32(0.01));
    return (o, x, n) => { for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v < 0 ? alpha * v : v; } };
  }),
  PRelu,
  Sigmoid: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = 1 / (1 + Math.exp(-x[i])); }),
  Tanh: floatMap((o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]); }),
  HardSigmoid: unary(['float'], (node) => {
    const alpha = attrFloat(node, 'alpha', f32(0.2)), beta = attrFloat(node, 'beta', f32(0.5));
    return (o, x, n) => { for (let i = 0; i < n; i++) o[i] = Math.max(0, Math.min(1, alpha * x[i] + beta)); };
  }),
  HardSwish: floatMap((o, x, n) => { for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v * Math.max(0, Math.min(1, v / 6 + 0.5)); } }),
  Elu: unary(['float'], (node) => {
    const alpha = attrFloat(node, 'alpha', 1);
    return (o, x, n) => { for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v < 0 ? alpha * Math.expm1(v) : v; } };
  }),
  Selu: unary(['float'], (node) => {
    const alpha = attrFloat(node, 'alpha', f32(1.67326319217681884765625)), gamma = attrFloat(node, 'gamma', f32(1.05070102214813232421875));
    return (o, x, n) => { for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v <= 0 ? gamma * alpha * Math.expm1(v) : gamma * v; } };
  }),
  ThresholdedRelu: unary(['float'], (node) => {
    const alpha = attrFloat(node, 'alpha', 1);
    return (o, x, n) => { for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v > alpha ? v : 0; } };
  }),
  Softplus: floatMap((o, x, n) => {
    for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)); }
  }),
  ...softmaxOps,
  Clip,

  // Comparisons and logic: bool outputs
  Equal: binary(ANY, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] === b[j] ? 1 : 0; }, { bool: true }),
  Less: binary(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] < b[j] ? 1 : 0; }, { bool: true }),
  Greater: binary(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] > b[j] ? 1 : 0; }, { bool: true }),
  LessOrEqual: binary(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] <= b[j] ? 1 : 0; }, { bool: true }),
  GreaterOrEqual: binary(NUMERIC, (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] >= b[j] ? 1 : 0; }, { bool: true }),
  Not: unary(['bool'], () => (o, x, n) => { for (let i = 0; i < n; i++) o[i] = 1 - x[i]; }),
  And: binary(['bool'], (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] & b[j]; }),
  Or: binary(['bool'], (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] | b[j]; }),
  Xor: binary(['bool'], (o, k, end, a, i, di, b, j, dj) => { for (; k < end; k++, i += di, j += dj) o[k] = a[i] ^ b[j]; }),

  Where,
  Cast,
};
