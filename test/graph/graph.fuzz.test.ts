// The graph runtime (src/graph) on hostile models and inputs. Model files are untrusted: whatever
// a file holds, loadOnnxGraph() and run() end in a result or a RecurError — never a wasm trap, a
// RangeError or TypeError, a hang or an allocation sized by what the file claims. Three surfaces:
//
//   1. real files mutated: Silero v5 (truncations, bit flips and byte overwrites away from its
//      weights, and mutations of its decoded graph: inputs rewired, attributes and small constants
//      set to hostile values, operators swapped, nodes dropped) and small graph-node fixtures
//      (every truncation, random bit flips and byte overwrites), each loaded and run;
//   2. every operator of the registry (OPS, and If), a few hundred generated single-node and
//      two-node models each (test/graph/onnx-builder.ts writes them): hostile attributes (negative,
//      zero, 2^31, 2^53, NaN, the wrong type, lists of the wrong length, axes out of range or
//      twice), shapes of rank 0–6 with empty and huge sizes, constant inputs with hostile values,
//      huge constants made by ConstantOfShape; each successful run is checked against the same
//      model with every input folded as a constant (run path and folding path agree); and tiny
//      files that make big tensors (ConstantOfShape, Expand of a fed scalar) for MatMul, Gemm,
//      Conv, ConvTranspose, LSTM, GRU and many reductions, which must be refused or finish;
//   3. hostile run() and stream inputs: wrong dims and lengths, NaN, BigInts, Symbols, non-arrays,
//      null; damaged state snapshots.
// Then each problem the fuzzing found, as a plain test.
//
// Every case must end within the time limit, a RecurFormatError from planning must name a node
// (`ONNX node 'n' (Op): …`) or graph input, and memory stays under MEMORY_LIMIT. The time limit is
// 1 s plus what this machine takes to allocate and touch 1.5 GiB (measured first): a case may
// legitimately fill the plan's 2^26 elements with ints (512 MiB of Float64Array) and run() copies
// its outputs out, and fresh memory costs 0.1 ms/MiB on a laptop (a limit of ~1.2 s) but
// ~5–8 ms/MiB in some sandboxes. Compute is bounded by the plan's work budget (~1 s).
//
// Fixed seeds. RECUR_FUZZ_RUNS=10 runs ten times as many cases (seeds shift with the factor);
// RECUR_FUZZ_REPORT=1 prints the outcome counts and slowest case per operator and surface.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node/index.js';   // where recur-graph.wasm is (build/)
import { RecurError, RecurFormatError } from '../../src/errors.js';
import { loadOnnxGraph, type OnnxGraphModel, type Tensor } from '../../src/graph/index.js';
import { OPS } from '../../src/graph/ops/index.js';
import { decodeModel, tensorFloats, tensorInts, type OnnxGraph, type OnnxTensor } from '../../src/onnx/onnx.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { defaultWasmUrl } from '../helpers.js';
import {
  attr, BOOL, DOUBLE, encodeModel, FLOAT, FLOAT16, INT32, INT64, INT8, node, rawData, UINT8, valueInfo,
  type AttrSpec, type GraphSpec, type NodeSpec, type TensorSpec, type ValueInfoSpec,
} from './onnx-builder.js';

const FACTOR = Math.max(1, Number(process.env.RECUR_FUZZ_RUNS ?? 1) || 1);
const REPORT = !!process.env.RECUR_FUZZ_REPORT;
const SEED = 0x5eed + (FACTOR > 1 ? FACTOR : 0);
/** Cases per operator. */
const PER_OP = 300 * FACTOR;
const MEMORY_LIMIT = 1.5 * 2 ** 30;
const TIMEOUT = 120_000 * FACTOR;
/** A run may do 2^30 units of work by default (a few seconds); the fuzz cases allow 2^28, as
 *  folding does, so each stays within the per-case time limit on a busy machine. */
const FUZZ_RUN_WORK = 2 ** 28;
let LIMIT_MS = 1000;

let runtime: Runtime;
beforeAll(async () => {
  runtime = await Runtime.create(readFileSync(defaultWasmUrl()));
  let touch = Infinity;                                   // ms to allocate and fill 64 MiB
  for (let k = 0; k < 2; k++) {
    const start = performance.now();
    new Float32Array(1 << 24).fill(1);
    touch = Math.min(touch, performance.now() - start);
  }
  LIMIT_MS = Math.round(1000 + 24 * touch);
});

type Outcome = 'ok' | 'decode-error' | 'plan-error' | 'run-error' | 'planned' | 'ok, folded refused';
const counts = new Map<string, Map<Outcome, number>>();
/** Per group: the slowest case (ms) and how many took over a second. */
const times = new Map<string, { max: number; slow: number }>();
/** How long the last attempt() took. */
let lastMs = 0;
function tally(group: string, outcome: Outcome, ms = lastMs): void {
  const m = counts.get(group) ?? new Map<Outcome, number>();
  m.set(outcome, (m.get(outcome) ?? 0) + 1);
  counts.set(group, m);
  const t = times.get(group) ?? { max: 0, slow: 0 };
  t.max = Math.max(t.max, ms);
  if (ms > 1000) t.slow++;
  times.set(group, t);
}
afterAll(() => {
  if (!REPORT) return;
  let total = 0;
  const lines = [...counts].map(([group, m]) => {
    const n = [...m.values()].reduce((a, b) => a + b, 0);
    total += n;
    const t = times.get(group)!;
    return `${group.padEnd(24)} ${String(n).padStart(6)}  slowest ${t.max.toFixed(0).padStart(4)} ms${t.slow ? ` (${t.slow} over 1 s)` : ''}  ${[...m].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`;
  });
  console.log(`${lines.join('\n')}\n${'total'.padEnd(24)} ${String(total).padStart(6)}  (factor ${FACTOR}, seed ${SEED}, time limit ${LIMIT_MS} ms a case)`);
});

// ---------------------------------------------------------------------------------------------
// The harness

type Feeds = Record<string, unknown>;

/** A RecurError, or the test fails with what was thrown instead. */
function expectRecurError(err: unknown, what: string): RecurError {
  if (err instanceof RecurError) return err;
  const e = err as Error;
  throw new Error(`${what}: threw ${e?.name ?? typeof err} instead of a RecurError: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`);
}

/**
 * A planning error must say which node (or graph input / output) it is about: one of `nodes`.
 * Files mutated byte by byte (no `nodes`) may fail in any RecurError: their graph inputs, outputs
 * and names change under the options and feeds given.
 */
function expectNamed(err: RecurError, nodes: string[], what: string): void {
  const m = err.message;
  if (!nodes.length || nodes.some((n) => m.includes(`ONNX node '${n}' (`) || m.includes(`node '${n}'`))) return;
  // Problems of the graph rather than of a node: no outputs, an output nothing computes, a graph
  // input or initializer of an unsupported type or size.
  if (/^(ONNX graph: (it has no outputs|output '|input or output '|graph input '|initializer ')|ONNX initializer '|graph input '|input ')/.test(m)) return;
  throw new Error(`${what}: the error does not name a node (${nodes.join(', ')}): ${err.name}: ${m}`);
}

function checkMemory(what: string): void {
  const rss = process.memoryUsage.rss();
  if (rss > MEMORY_LIMIT) throw new Error(`${what}: the process holds ${(rss / 2 ** 20).toFixed(0)} MiB`);
  if (runtime.memoryBytes > MEMORY_LIMIT) throw new Error(`${what}: wasm memory grew to ${(runtime.memoryBytes / 2 ** 20).toFixed(0)} MiB`);
}

/** Every output looks like a tensor: known type, safe dims, as many values as they say. */
function checkOutputs(out: Record<string, Tensor>, names: string[], what: string): void {
  for (const name of names) {
    const t = out[name];
    if (!t) throw new Error(`${what}: output '${name}' is missing`);
    const n = t.dims.reduce((a, d) => a * d, 1);
    const ok = t.dims.every((d) => Number.isSafeInteger(d) && d >= 0) && t.data.length === n &&
      (t.type === 'float' ? t.data instanceof Float32Array : t.type === 'int' ? t.data instanceof Float64Array : t.data instanceof Uint8Array);
    if (!ok) throw new Error(`${what}: output '${name}' is ${t.type} [${t.dims.join(', ')}] with ${t.data.length} values of ${t.data.constructor.name}`);
    if (t.type === 'int' && !t.data.every((v) => Number.isInteger(v))) throw new Error(`${what}: int output '${name}' holds a non-integer`);
    if (t.type === 'bool' && !t.data.every((v) => v === 0 || v === 1)) throw new Error(`${what}: bool output '${name}' holds a value other than 0 and 1`);
  }
}

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

interface Attempt {
  bytes: Uint8Array;
  options?: Parameters<typeof loadOnnxGraph>[1];
  /** run() these after loading (undefined: load only). */
  feeds?: Feeds;
  /** Node names an error may name. */
  nodes: string[];
  outputs: string[];
  /** Load again with the feeds as fixedInputs (everything folded) and compare. */
  fold?: boolean;
  what: string;
  /** Ms allowed (LIMIT_MS unless given). */
  limit?: number;
}

async function attempt(a: Attempt): Promise<Outcome> {
  const start = performance.now();
  try {
    return await attemptUntimed(a);
  } finally {
    const ms = lastMs = performance.now() - start;
    if (ms > (a.limit ?? LIMIT_MS)) throw new Error(`${a.what}: took ${ms.toFixed(0)} ms`);
    checkMemory(a.what);
  }
}

async function attemptUntimed(a: Attempt): Promise<Outcome> {
  try {
    decodeModel(a.bytes);
  } catch (err) {
    if (!(expectRecurError(err, a.what) instanceof RecurFormatError)) throw err;
    return 'decode-error';
  }
  let model: OnnxGraphModel;
  try {
    model = await loadOnnxGraph(a.bytes, { runtime, maxRunWork: FUZZ_RUN_WORK, ...a.options });
  } catch (err) {
    expectNamed(expectRecurError(err, `${a.what} (load)`), a.nodes, `${a.what} (load)`);
    return 'plan-error';
  }
  try {
    if (!a.feeds) return 'planned';
    let out: Record<string, Tensor>;
    try {
      out = model.run(a.feeds as never);
    } catch (err) {
      const e = expectRecurError(err, `${a.what} (run)`);
      if (e instanceof RecurFormatError) expectNamed(e, a.nodes, `${a.what} (run)`);
      return 'run-error';
    }
    const names = a.nodes.length ? a.outputs : Object.keys(out);   // a mutated file's outputs may be renamed
    checkOutputs(out, names, a.what);
    if (names.reduce((n, o) => n + out[o].data.length, 0) > 1 << 18) return 'ok';   // big: checking again would take long
    const again = model.run(a.feeds as never);            // the same plan, again: the same values
    compare(out, again, names, `${a.what}, run twice`);
    if (a.fold) {
      // The same model with every input a constant: planning folds it all on the host, and the
      // values must be the same. Folding may refuse what a run computes (a constant Gemm C that
      // is not finite cannot be a wasm Linear's bias; Gather checks constant indices even when
      // nothing is gathered), but only with a RecurError that names the node.
      let folded: OnnxGraphModel;
      try {
        folded = await loadOnnxGraph(a.bytes, { runtime, maxRunWork: FUZZ_RUN_WORK, ...a.options, fixedInputs: a.feeds as never });
      } catch (err) {
        expectNamed(expectRecurError(err, `${a.what} (folded)`), a.nodes, `${a.what} (folded)`);
        return 'ok, folded refused';
      }
      try {
        compare(out, folded.run({}), names, `${a.what}, folded`);
      } finally { folded.dispose(); }
    }
    return 'ok';
  } finally {
    model.dispose();
  }
}

function compare(a: Record<string, Tensor>, b: Record<string, Tensor>, names: string[], what: string): void {
  for (const name of names) {
    const x = a[name], y = b[name];
    if (x.type !== y.type || x.dims.join() !== y.dims.join()) throw new Error(`${what}: '${name}' is ${x.type} [${x.dims}] vs ${y.type} [${y.dims}]`);
    for (let i = 0; i < x.data.length; i++) {
      if (!same(x.data[i], y.data[i])) throw new Error(`${what}: '${name}'[${i}] is ${x.data[i]} vs ${y.data[i]}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Deterministic data

/** mulberry32: the data of a case's tensors from one seed fast-check draws. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type ET = 'float' | 'int' | 'bool';

/** n values of a type: floats in ±4 (NaN and ±Infinity now and then if `wild`), ints in [-3, 5], bools. */
function values(rand: () => number, type: ET, n: number, wild = false): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (type === 'bool') out[i] = r < 0.5 ? 0 : 1;
    else if (type === 'int') out[i] = Math.floor(r * 9) - 3;
    else if (wild && r < 0.03) out[i] = [NaN, Infinity, -Infinity][Math.floor(r * 100) % 3];
    else out[i] = Math.round((r * 8 - 4) * 64) / 64;
  }
  return out;
}

const product = (dims: readonly number[]) => dims.reduce((a, d) => a * d, 1);

// ---------------------------------------------------------------------------------------------
// Cases: one operator node (and the nodes that make its big constants)

/** One input of the node under test: a graph input (fed at run), a constant, or absent (''). */
type In =
  | { kind: 'slot'; type: ET; dims: number[]; onnxType?: number; declared?: 'exact' | 'symbolic' | 'none' }
  | { kind: 'const'; type: ET; dims: number[]; onnxType?: number; values?: (number | bigint)[] }
  | { kind: 'absent' };

interface OpCase {
  op: string;
  opset: number;
  inputs: In[];
  attrs: (AttrSpec | undefined)[];
  outputs: number;
  /** Seed of the data of constants and feeds. */
  seed: number;
  /** NaN and ±Infinity in the data. */
  wild: boolean;
  domain?: string;
}

const ONNX_TYPE: Record<ET, number> = { float: FLOAT, int: INT64, bool: BOOL };
/** Largest constant written into the file; bigger ones come from a ConstantOfShape node. */
const MAX_INLINE = 4096;
/** Largest graph input fed to run(); bigger ones are only planned. */
const MAX_FEED = 1 << 16;

interface Built { bytes: Uint8Array; feeds?: Feeds; nodes: string[]; outputs: string[]; foldable: boolean }

function build(c: OpCase): Built {
  const rand = prng(c.seed);
  const nodes: NodeSpec[] = [], initializers: TensorSpec[] = [], inputs: ValueInfoSpec[] = [];
  const feeds: Feeds = {};
  let runnable = true;
  const names = c.inputs.map((input, k) => {
    if (input.kind === 'absent') return '';
    const name = `x${k}`;
    const onnxType = input.onnxType ?? ONNX_TYPE[input.type];
    if (input.kind === 'slot') {
      const declared = input.declared ?? 'exact';
      inputs.push(valueInfo(name, onnxType, declared === 'none' ? undefined : declared === 'symbolic' ? input.dims.map((_, i) => `d${k}_${i}`) : input.dims));
      const n = product(input.dims);
      if (n > MAX_FEED) runnable = false;
      else feeds[name] = { dims: input.dims, data: values(rand, input.type, n, c.wild) };
      return name;
    }
    const n = product(input.dims);
    if (input.values || n <= MAX_INLINE) {
      const data = input.values ?? values(rand, input.type, n, c.wild);
      initializers.push({ name, dataType: onnxType, dims: input.dims, data });
    } else {
      // A big constant from a tiny file: ConstantOfShape(shape) filled with one value.
      initializers.push({ name: `${name}_shape`, dataType: INT64, dims: [input.dims.length], data: input.dims });
      nodes.push(node('ConstantOfShape', [`${name}_shape`], [name], [attr.t('value', { dataType: onnxType, dims: [1], data: values(rand, input.type, 1) })], `make_${name}`));
    }
    return name;
  });
  const outputs = Array.from({ length: c.outputs }, (_, k) => `y${k}`);
  const name = `n_${c.op.toLowerCase()}`;
  nodes.push({ ...node(c.op, names, outputs, c.attrs.filter((a): a is AttrSpec => !!a), name), domain: c.domain });
  const graph: GraphSpec = { nodes, initializers, inputs, outputs: outputs.map((o) => valueInfo(o)) };
  const total = Object.values(feeds).reduce((a: number, f) => a + (f as { data: unknown[] }).data.length, 0);
  return {
    bytes: encodeModel({ opset: c.opset, graph }), feeds: runnable ? feeds : undefined,
    nodes: allNames(nodes), outputs, foldable: runnable && total <= 4096,
  };
}

/** The names of these nodes and of every node of their sub-graphs. */
function allNames(nodes: NodeSpec[]): string[] {
  return nodes.flatMap((n) => [n.name ?? '', ...(n.attributes ?? []).flatMap((a) => (a.kind === 'g' ? allNames(a.value.nodes) : []))]);
}

async function runOpCase(c: OpCase, group: string): Promise<void> {
  const b = build(c);
  const what = `${group}: ${describeCase(c)}`;
  tally(group, await attempt({ bytes: b.bytes, feeds: b.feeds, nodes: b.nodes, outputs: b.outputs, fold: b.foldable, what }));
}

function describeCase(c: OpCase): string {
  const input = (i: In) => (i.kind === 'absent' ? '-' : `${i.kind} ${i.type} [${i.dims.join(',')}]${i.kind === 'const' && i.values ? ` = [${i.values.slice(0, 8).join(',')}${i.values.length > 8 ? ',…' : ''}]` : ''}`);
  const a = (x: AttrSpec) => `${x.name}=${x.kind === 'g' ? 'graph' : x.kind === 't' ? `tensor[${x.value.dims}]` : JSON.stringify(x.value, (_, v) => (typeof v === 'bigint' ? `${v}n` : Number.isNaN(v) ? 'NaN' : v))}`;
  return `${c.op} opset ${c.opset} (${c.inputs.map(input).join('; ')}) {${c.attrs.filter((x): x is AttrSpec => !!x).map(a).join(' ')}} → ${c.outputs} out`;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const HOSTILE_INTS = [0, -1, -2, 2 ** 20, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 62, -(2 ** 63)];
const HOSTILE_FLOATS = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 1e30, -1e30, 3.4e38, 2 ** 31, 2 ** 53, -1];

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
/** Mostly small, sometimes hostile. */
const anInt = (lo = -3, hi = 6) => fc.oneof(w(8, fc.integer({ min: lo, max: hi })), w(2, fc.constantFrom(...HOSTILE_INTS)));
const aFloat = fc.oneof(w(6, fc.double({ min: -4, max: 4, noNaN: true })), w(2, fc.constantFrom(...HOSTILE_FLOATS)));
/** A size: mostly 1–4, sometimes 0 or a little bigger, rarely huge. */
const aDim = fc.oneof(w(30, fc.integer({ min: 1, max: 4 })), w(4, fc.constant(0)), w(3, fc.constantFrom(5, 7, 16, 33)), w(1, fc.constantFrom(1 << 12, 1 << 16, 1 << 20, 2 ** 31, 2 ** 40)));
const aShape = (min = 0, max = 4) => fc.array(aDim, { minLength: min, maxLength: max });
/** A shape that usually fits `base` for broadcasting: the same, a suffix, some dims 1, or anything. */
const related = (base: number[]) => fc.oneof(
  w(4, fc.constant(base)),
  w(2, fc.integer({ min: 0, max: base.length }).map((k) => base.slice(k))),
  w(2, fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }).map((ones) => base.map((d, i) => (ones[i] ? 1 : d)))),
  w(1, aShape(0, 5)),
);

const aType = (good: ET[]) => fc.oneof(w(12, fc.constantFrom(...good)), w(1, fc.constantFrom<ET>('float', 'int', 'bool')));
/** The ONNX type a runtime type is stored as in the file: usually the plain one. */
const onnxTypeOf = (t: ET) => (t === 'float' ? fc.constantFrom(FLOAT, FLOAT, FLOAT, DOUBLE, FLOAT16) : t === 'int' ? fc.constantFrom(INT64, INT64, INT32, INT8, UINT8) : fc.constant(BOOL));

/** A graph input or a constant of this type and shape (the file's storage type varies). */
const anInput = (type: ET, dims: number[], constWeight = 1, slotWeight = 3): fc.Arbitrary<In> => fc.tuple(
  fc.oneof(w(slotWeight, fc.constant('slot' as const)), w(constWeight, fc.constant('const' as const))),
  onnxTypeOf(type), fc.constantFrom<'exact' | 'symbolic' | 'none'>('exact', 'exact', 'exact', 'exact', 'symbolic', 'none'),
).map(([kind, onnxType, declared]) => (kind === 'slot' ? { kind, type, dims, onnxType, declared } : { kind, type, dims, onnxType }));

/** A constant int list (rank 1) with these values, now and then of the wrong element type or rank. */
const intsConst = (vals: fc.Arbitrary<readonly (number | bigint)[]>): fc.Arbitrary<In> => fc.tuple(vals, fc.integer({ min: 0, max: 19 })).map(([given, r]): In => {
  const v = [...given];
  if (r === 0) return { kind: 'const', type: 'float', dims: [v.length], values: v.map(Number) };
  if (r === 1) return { kind: 'const', type: 'int', dims: [1, v.length], values: v };
  if (r === 2) return { kind: 'slot', type: 'int', dims: [v.length] };
  return { kind: 'const', type: 'int', dims: [v.length], onnxType: r === 3 ? INT32 : INT64, values: v };
});

const intList = (min = 0, max = 5, lo = -3, hi = 6) => fc.array(anInt(lo, hi), { minLength: min, maxLength: max });

/**
 * An attribute `name` that should be of `kind`: usually of that kind with sensible values
 * (`good`), sometimes with hostile values or of another kind, sometimes absent.
 */
function anAttr(name: string, kind: 'i' | 'f' | 's' | 'ints' | 'floats' | 'strings', good?: fc.Arbitrary<unknown>): fc.Arbitrary<AttrSpec | undefined> {
  const hostile: Record<typeof kind, fc.Arbitrary<AttrSpec>> = {
    i: anInt().map((v) => attr.i(name, v)),
    f: aFloat.map((v) => attr.f(name, v)),
    s: fc.constantFrom('', 'NOTSET', 'x'.repeat(300), 'é', 'forward ').map((v) => attr.s(name, v)),
    ints: intList(0, 8).map((v) => attr.ints(name, v)),
    floats: fc.array(aFloat, { maxLength: 4 }).map((v) => attr.floats(name, v)),
    strings: fc.array(fc.constantFrom('', 'Tanh', 'sigmoid', 'Relu', 'x'), { maxLength: 4 }).map((v) => attr.strings(name, v)),
  };
  const right = good ? good.map((v) => ({ name, kind, value: v }) as AttrSpec) : hostile[kind];
  const wrong = fc.constantFrom(...(Object.keys(hostile) as (keyof typeof hostile)[]).filter((k) => k !== kind)).chain((k) => hostile[k]);
  const odd = fc.oneof(wrong, fc.constant(attr.t(name, { dataType: INT64, dims: [1], data: [1] })), fc.constant(attr.g(name, { nodes: [] })));
  return fc.oneof(w(8, right), w(3, hostile[kind]), w(1, odd), w(4, fc.constant(undefined)));
}

/** A few attributes no operator has, now and then. */
const junkAttrs = fc.oneof(w(12, fc.constant([] as AttrSpec[])), w(1, fc.constant([attr.i('no_such_attribute', 1)])));

const seedArb = fc.integer();
const wildArb = fc.oneof(w(4, fc.constant(false)), w(1, fc.constant(true)));

function opCase(op: string, parts: {
  opset: fc.Arbitrary<number>; inputs: fc.Arbitrary<In[]>; attrs?: fc.Arbitrary<(AttrSpec | undefined)[]>; outputs?: fc.Arbitrary<number>;
}): fc.Arbitrary<OpCase> {
  return fc.record({
    op: fc.constant(op), opset: parts.opset, inputs: parts.inputs,
    attrs: fc.tuple(parts.attrs ?? fc.constant([]), junkAttrs).map(([a, j]) => [...a, ...j]),
    outputs: parts.outputs ?? fc.oneof(w(20, fc.constant(1)), w(1, fc.constantFrom(0, 2))),
    seed: seedArb, wild: wildArb,
  });
}

/** opCase with everything decided per opset. */
function recipe(op: string, opsets: number[], parts: (opset: number) => {
  inputs: fc.Arbitrary<In[]>; attrs?: fc.Arbitrary<(AttrSpec | undefined)[]>; outputs?: fc.Arbitrary<number>;
}): fc.Arbitrary<OpCase> {
  return fc.constantFrom(...opsets).chain((opset) => {
    const p = parts(opset);
    // Now and then one input too few or too many.
    const inputs = fc.tuple(p.inputs, fc.integer({ min: 0, max: 29 })).map(([ins, r]): In[] =>
      (r === 0 ? ins.slice(0, -1) : r === 1 ? [...ins, ins[0] ?? { kind: 'absent' }] : ins));
    return opCase(op, { opset: fc.constant(opset), inputs, attrs: p.attrs, outputs: p.outputs });
  });
}

const ALL: ET[] = ['float', 'int', 'bool'];
const NUM: ET[] = ['float', 'int'];
const FLT: ET[] = ['float'];

/** One input of a type among `types` and a shape of rank ≤ maxRank. */
const oneInput = (types: ET[], maxRank = 6, constWeight = 1) =>
  fc.tuple(aType(types), aShape(0, maxRank)).chain(([t, d]) => anInput(t, d, constWeight));

const unaryRecipe = (op: string, types: ET[], floatAttrs: string[] = []) => recipe(op, [6, 13, 17], () => ({
  inputs: oneInput(types).map((x) => [x]),
  attrs: fc.tuple(...floatAttrs.map((a) => anAttr(a, 'f', fc.double({ min: -3, max: 3, noNaN: true })))),
}));

/** Two inputs of one type (usually) and shapes that usually broadcast. */
const twoInputs = (types: ET[], constWeight = 1) => fc.tuple(aType(types), aShape(0, 4)).chain(([t, a]) =>
  fc.tuple(related(a), fc.oneof(w(12, fc.constant(t)), w(1, aType(ALL)))).chain(([b, tb]) =>
    fc.tuple(anInput(t, a, constWeight), anInput(tb, b, constWeight))));

const binaryRecipe = (op: string, types: ET[], attrs?: fc.Arbitrary<(AttrSpec | undefined)[]>) =>
  recipe(op, [7, 13, 14, 17], () => ({ inputs: twoInputs(types), attrs }));

const variadicRecipe = (op: string, types: ET[]) => recipe(op, [8, 13], () => ({
  inputs: fc.tuple(aType(types), aShape(0, 4), fc.integer({ min: 1, max: 4 })).chain(([t, a, n]) =>
    fc.array(related(a), { minLength: n, maxLength: n }).chain((shapes) => fc.tuple(...shapes.map((s) => anInput(t, s))))),
}));

/** A Reshape target for dims: the same count rearranged, with -1 or 0, or hostile. */
const reshapeTarget = (d: number[]) => fc.oneof(
  fc.constant([product(d)]), fc.constant([-1]), fc.constant([...d].reverse()), fc.constant([0, -1]), fc.constant([-1, -1]),
  fc.constant([...d, 1]), fc.constant(d.map((_, i) => (i === 0 ? -1 : 0))), intList(0, 6, -2, 8),
);

/** Sizes that sum to d in n parts (or do not). */
const splitSizes = (d: number, n: number) => fc.oneof(
  fc.array(fc.nat(), { minLength: n, maxLength: n }).map((cuts) => {
    if (!n) return [];
    const sorted = cuts.map((c) => (Number.isSafeInteger(d) ? c % (d + 1) : 0)).sort((a, b) => a - b).slice(0, n - 1);
    return [...sorted, d].map((c, i) => c - (i ? sorted[i - 1] : 0));
  }),
  intList(n, n, -2, 6), intList(0, 5),
);

const axisAttr = (name = 'axis') => anAttr(name, 'i', fc.integer({ min: -6, max: 6 }));

/** A shape with more sizes of 1 (for Squeeze). */
const shapeWithOnes = fc.array(fc.oneof(w(1, fc.constant(1)), w(2, aDim)), { maxLength: 5 });

/** Axes (for Squeeze, Unsqueeze, Reduce*): an attribute before opset `since`, an input from it. */
function axesParam(opset: number, since: number, rank: number) {
  const axes = fc.oneof(w(4, fc.uniqueArray(fc.integer({ min: -rank, max: Math.max(0, rank - 1) }), { maxLength: rank })), w(1, intList(0, 4, -8, 8)));
  if (opset < since) return fc.tuple(fc.oneof(w(3, axes.map((a) => attr.ints('axes', a))), w(1, fc.constant(undefined))), fc.constant<In[]>([]));
  return fc.tuple(fc.constant(undefined), fc.oneof(w(3, intsConst(axes).map((x) => [x])), w(1, fc.constant<In[]>([]))));
}

const squeezeRecipe = (op: string) => recipe(op, [11, 13], () => ({
  inputs: fc.constant([]), attrs: fc.constant([]),
})).chain((c) => fc.tuple(shapeWithOnes, aType(ALL)).chain(([d, t]) =>
  fc.tuple(anInput(t, d), axesParam(c.opset, 13, op === 'Unsqueeze' ? d.length + 2 : d.length)).map(([x, [a, more]]) => ({
    ...c, inputs: [x, ...more], attrs: [...c.attrs, a],
  }))));

const sliceRecipe = recipe('Slice', [9, 10, 13], () => ({
  inputs: fc.constant([]),
})).chain((c) => fc.tuple(aType(ALL), aShape(1, 4)).chain(([t, d]) => {
  const n = fc.integer({ min: 0, max: d.length + 1 });
  return fc.tuple(anInput(t, d), n).chain(([x, k]) => {
    const list = (lo: number, hi: number) => fc.oneof(w(4, fc.array(fc.integer({ min: lo, max: hi }), { minLength: k, maxLength: k })), w(1, intList(0, 5, -9, 9)));
    const steps = fc.oneof(w(4, fc.array(fc.constantFrom(1, 1, 2, -1, -2, 3), { minLength: k, maxLength: k })), w(1, intList(k, k)), w(1, fc.constant([0])));
    const axes = fc.oneof(w(3, k <= d.length ? fc.shuffledSubarray([...d.keys()], { minLength: k, maxLength: k }) : intList(k, k, -5, 5)), w(1, intList(k, k, -5, 5)));
    return fc.tuple(list(-5, 5), list(-5, 9), fc.option(axes, { nil: undefined }), fc.option(steps, { nil: undefined })).chain(([starts, ends, ax, st]): fc.Arbitrary<OpCase> => {
      if (c.opset < 10) {
        return fc.constant({ ...c, inputs: [x], attrs: [attr.ints('starts', starts), attr.ints('ends', ends), ...(ax ? [attr.ints('axes', ax)] : []), ...c.attrs] });
      }
      return fc.tuple(intsConst(fc.constant(starts)), intsConst(fc.constant(ends)), intsConst(fc.constant(ax ?? [])), intsConst(fc.constant(st ?? [])))
        .map(([s, e, a, p]) => ({ ...c, inputs: [x, s, e, ax ? a : { kind: 'absent' } as In, ...(st ? [p] : [])] }));
    });
  });
}));

const padRecipe = recipe('Pad', [2, 11, 13, 18], () => ({ inputs: fc.constant([]) })).chain((c) =>
  fc.tuple(aType(ALL), aShape(0, 4), fc.constantFrom('constant', 'constant', 'reflect', 'edge', 'wrap', 'bogus')).chain(([t, d, mode]) => {
    const r = d.length;
    const pads = fc.oneof(w(6, fc.array(fc.integer({ min: -2, max: 3 }), { minLength: 2 * r, maxLength: 2 * r })), w(1, intList(2 * r, 2 * r)),
      w(1, intList(0, 9)), w(1, fc.constant(d.flatMap(() => [1 << 20, 0]))), w(1, fc.constant(d.flatMap(() => [-(2 ** 40), 2 ** 40]))));
    const value = fc.oneof(w(3, fc.constant(undefined)), w(2, fc.tuple(aType([t]), fc.constantFrom<number[]>([], [1])).chain(([vt, vd]) => anInput(vt, vd, 3, 1))), w(1, anInput(t, [2])));
    return fc.tuple(anInput(t, d), pads, value, aFloat, fc.option(fc.uniqueArray(fc.integer({ min: -r, max: r }), { maxLength: r }), { nil: undefined })).chain(([x, p, v, f, axes]): fc.Arbitrary<OpCase> => {
      const modeAttr = mode === 'constant' && p.length % 3 === 0 ? [] : [attr.s('mode', mode)];
      if (c.opset < 11) return fc.constant({ ...c, inputs: [x], attrs: [...modeAttr, attr.ints('pads', p), attr.f('value', f), ...c.attrs] });
      const axesIn = c.opset >= 18 && axes ? intsConst(fc.constant(axes)).map((a) => [a]) : fc.constant<In[]>([]);
      return fc.tuple(intsConst(fc.constant(axes && c.opset >= 18 ? p.slice(0, 2 * axes.length) : p)), axesIn).map(([pi, ai]) => ({
        ...c, attrs: [...modeAttr, ...c.attrs], inputs: [x, pi, ...(v || ai.length ? [v ?? { kind: 'absent' } as In] : []), ...ai],
      }));
    });
  }));

/** A small tensor of a random type and shape (Constant's and ConstantOfShape's value), now and then lying about its size. */
const aTensorSpec = fc.tuple(fc.constantFrom(FLOAT, INT64, INT32, BOOL, DOUBLE, FLOAT16, UINT8, 8, 0, 99), aShape(0, 3), seedArb, fc.integer({ min: 0, max: 9 }))
  .map(([dataType, dims, seed, lie]): TensorSpec => {
    const n = Math.min(product(dims), 64);
    const data = values(prng(seed), dataType === FLOAT || dataType === DOUBLE ? 'float' : 'int', n);
    return lie === 0 ? { dataType, dims, raw: new Uint8Array(3) } : { dataType, dims: product(dims) > 64 ? [n] : dims, data };
  });

const constantRecipe = recipe('Constant', [9, 12, 13], () => ({
  inputs: fc.constant<In[]>([]),
  attrs: fc.oneof(
    w(4, aTensorSpec.map((t) => [attr.t('value', t)])),
    w(1, aFloat.map((f) => [attr.f('value_float', f)])),
    w(1, fc.array(aFloat, { maxLength: 5 }).map((f) => [attr.floats('value_floats', f)])),
    w(1, anInt().map((i) => [attr.i('value_int', i)])),
    w(1, intList(0, 5).map((i) => [attr.ints('value_ints', i)])),
    w(1, fc.constant<AttrSpec[]>([attr.s('value_string', 'x')])),
    w(1, fc.constant<AttrSpec[]>([attr.strings('value_strings', ['x'])])),
    w(1, fc.constant<AttrSpec[]>([attr.i('value_int', 1), attr.f('value_float', 1)])),
    w(1, fc.constant<AttrSpec[]>([])),
    w(1, fc.constant<AttrSpec[]>([attr.f('value', 1)])),
  ),
}));

const constantOfShapeRecipe = recipe('ConstantOfShape', [9, 20], () => ({
  inputs: fc.oneof(w(4, fc.array(aDim, { maxLength: 4 })), w(1, intList(0, 3, -2, 3)), w(1, fc.constantFrom([2 ** 20, 2 ** 20], [2 ** 14, 2 ** 14], [2 ** 13, 2 ** 13], [-1], [2 ** 53 - 1, 0])))
    .chain((dims) => intsConst(fc.constant(dims)).map((x) => [x])),
  attrs: fc.oneof(w(2, fc.constant(undefined)), w(3, aTensorSpec.map((t) => attr.t('value', { ...t, ...(t.raw ? {} : { dims: [1], data: t.data?.length ? [t.data[0]] : [0] }) }))), w(1, aTensorSpec.map((t) => attr.t('value', t))))
    .map((a) => [a]),
}));

const rangeRecipe = recipe('Range', [11], () => ({
  inputs: fc.tuple(aType(NUM), fc.constantFrom<number[]>([], [], [], [1], [2])).chain(([t, dims]) => {
    const v = t === 'int' ? anInt(-10, 10) : fc.oneof(w(4, fc.double({ min: -10, max: 10, noNaN: true })), w(1, fc.constantFrom(...HOSTILE_FLOATS)));
    const delta = fc.oneof(w(4, fc.constantFrom(1, -1, 2, 3, 0.5)), w(1, fc.constantFrom(0, 1e-30, -1e-30, NaN, Infinity, 2 ** -20)), w(1, v));
    const scalar = (x: fc.Arbitrary<number>) => fc.tuple(x, fc.integer({ min: 0, max: 19 }), aType([t])).map(([value, r, tt]): In =>
      (r === 0 ? { kind: 'slot', type: tt, dims } : { kind: 'const', type: tt, dims, values: Array(product(dims)).fill(value) }));
    return fc.tuple(scalar(v), scalar(fc.oneof(w(4, v), w(1, fc.constantFrom(2 ** 20, 2 ** 31, 1e30, -(2 ** 31))))), scalar(delta));
  }),
}));

function reduceRecipe(op: string, since: number, types: ET[]) {
  return recipe(op, [11, 13, 18], () => ({ inputs: fc.constant([]) })).chain((c) => fc.tuple(aType(types), aShape(0, 5)).chain(([t, d]) =>
    fc.tuple(anInput(t, d), axesParam(c.opset, since, d.length), anAttr('keepdims', 'i', fc.constantFrom(0, 1)), anAttr('noop_with_empty_axes', 'i', fc.constantFrom(0, 1)))
      .map(([x, [a, more], k, noop]) => ({ ...c, inputs: [x, ...more], attrs: [...c.attrs, a, k, ...(c.opset >= since ? [noop] : [])] }))));
}

const argRecipe = (op: string) => recipe(op, [11, 13], () => ({
  inputs: oneInput(NUM, 5).map((x) => [x]),
  attrs: fc.tuple(axisAttr(), anAttr('keepdims', 'i', fc.constantFrom(0, 1)), anAttr('select_last_index', 'i', fc.constantFrom(0, 1))),
}));

const softmaxRecipe = (op: string) => recipe(op, [11, 13], () => ({ inputs: oneInput(FLT, 5).map((x) => [x]), attrs: fc.tuple(axisAttr()) }));

const clipRecipe = recipe('Clip', [6, 11, 12, 13], (opset) => ({
  inputs: oneInput(opset >= 12 ? NUM : FLT, 4).chain((x) => {
    if (opset < 11) return fc.constant([x]);
    const t = x.kind === 'absent' ? 'float' : x.type;
    const bound = fc.oneof(w(2, fc.constant<In>({ kind: 'absent' })), w(3, fc.constantFrom<number[]>([], [], [1], [0], [2]).chain((d) => aType([t]).chain((bt) => anInput(bt, d, 2, 1)))));
    return fc.tuple(bound, bound).map(([lo, hi]) => [x, lo, hi]);
  }),
  attrs: opset < 11 ? fc.tuple(anAttr('min', 'f'), anAttr('max', 'f')) : fc.constant([]),
}));

const CAST_TARGETS = [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16];
const castRecipe = recipe('Cast', [6, 13, 19], () => ({
  inputs: oneInput(ALL).map((x) => [x]),
  attrs: fc.tuple(fc.oneof(w(6, fc.constantFrom(...CAST_TARGETS)), w(2, fc.constantFrom(0, 8, 14, 15, 17, 99, -1, 2 ** 31, 2 ** 53 - 1)))
    .chain((to) => anAttr('to', 'i', fc.constant(to)))),
}));

const whereRecipe = recipe('Where', [9, 16], () => ({
  inputs: fc.tuple(aType(ALL), aShape(0, 4)).chain(([t, a]) => fc.tuple(related(a), related(a), aType(['bool'])).chain(([b, cdims, ct]) =>
    fc.tuple(anInput(ct, cdims), anInput(t, a), anInput(t, b)))),
}));

const convDims = fc.record({
  N: fc.oneof(w(6, fc.integer({ min: 1, max: 2 })), w(1, fc.constant(0))),
  C: fc.integer({ min: 1, max: 4 }),
  L: fc.oneof(w(8, fc.integer({ min: 1, max: 12 })), w(1, fc.constant(0)), w(1, fc.constantFrom(300, 1 << 16, 1 << 20))),
  groupPick: fc.oneof(w(5, fc.constant(1)), w(2, fc.constant('C' as const)), w(1, fc.constantFrom(2, 3, 0, -1, 2 ** 31))),
  perGroup: fc.integer({ min: 1, max: 3 }),
  K: fc.oneof(w(8, fc.integer({ min: 1, max: 5 })), w(1, fc.constantFrom(0, 13, 64, 1 << 12))),
  rank: fc.oneof(w(12, fc.constant(3)), w(1, fc.constantFrom(2, 4))),
  wrongW: fc.integer({ min: 0, max: 14 }),
  bias: fc.integer({ min: 0, max: 4 }),
  xConst: fc.integer({ min: 0, max: 9 }),
});

function convRecipe(op: 'Conv' | 'ConvTranspose') {
  return recipe(op, [11, 13], () => ({ inputs: fc.constant([]) })).chain((c) => convDims.chain((g) => {
    const groups = g.groupPick === 'C' ? g.C : g.groupPick;
    const G = groups >= 1 && groups <= 8 ? groups : 1;
    const M = G * g.perGroup;
    const xDims = g.rank === 3 ? [g.N, g.C, g.L] : g.rank === 2 ? [g.C, g.L] : [g.N, g.C, g.L, 2];
    let wDims = op === 'Conv' ? [M, Math.max(1, Math.floor(g.C / G)), g.K] : [g.C, g.perGroup, g.K];
    if (g.wrongW === 0) wDims = [M, g.C + 1, g.K];
    if (g.wrongW === 1) wDims = [M, g.K];
    const x: In = g.xConst === 0 ? { kind: 'const', type: 'float', dims: xDims } : { kind: 'slot', type: 'float', dims: xDims };
    const W: In = g.wrongW === 2 ? { kind: 'slot', type: 'float', dims: wDims } : { kind: 'const', type: g.wrongW === 3 ? 'int' : 'float', dims: wDims };
    const bias: In[] = g.bias === 0 ? [{ kind: 'const', type: 'float', dims: [M] }] : g.bias === 1 ? [{ kind: 'const', type: 'float', dims: [M + 1] }] : g.bias === 2 ? [{ kind: 'slot', type: 'float', dims: [M] }] : [];
    const one = (name: string, good: fc.Arbitrary<number>) => anAttr(name, 'ints', fc.oneof(w(4, good.map((v) => [v])), w(1, fc.constant([])), w(1, intList(2, 2))));
    const attrs = fc.tuple(
      one('strides', fc.integer({ min: 1, max: 3 })), one('dilations', fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(1 << 20, 2 ** 31))),
      anAttr('pads', 'ints', fc.oneof(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 2 }), fc.constant([1 << 20, 1 << 20]))),
      anAttr('auto_pad', 's', fc.constantFrom('NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID', 'bogus')),
      anAttr('kernel_shape', 'ints', fc.oneof(fc.constant([g.K]), fc.constant([g.K + 1]))),
      anAttr('group', 'i', fc.constant(groups)),
      op === 'ConvTranspose' ? anAttr('output_padding', 'ints', fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 1 })) : fc.constant(undefined),
      op === 'ConvTranspose' ? anAttr('output_shape', 'ints', fc.oneof(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 1 }), fc.constant([2 ** 31]), fc.constant([1 << 20]))) : fc.constant(undefined),
    );
    return attrs.map((a) => ({ ...c, inputs: [x, W, ...bias], attrs: [...a, ...c.attrs] }));
  }));
}

const matmulRecipe = recipe('MatMul', [9, 13], () => ({
  inputs: fc.record({
    batchA: aShape(0, 2), batchB: aShape(0, 2), M: aDim, K: aDim, N: aDim, rankA: fc.constantFrom(1, 2, 2, 2), rankB: fc.constantFrom(1, 2, 2, 2),
    kB: fc.oneof(w(8, fc.constant(undefined)), w(1, aDim)), bConst: fc.boolean(), sameBatch: fc.boolean(), typeB: aType(FLT),
  }).map((s): In[] => {
    const a = s.rankA === 1 ? [s.K] : [...s.batchA, s.M, s.K];
    const b = s.rankB === 1 ? [s.kB ?? s.K] : [...(s.sameBatch ? s.batchA : s.batchB), s.kB ?? s.K, s.N];
    return [{ kind: 'slot', type: 'float', dims: a }, s.bConst ? { kind: 'const', type: s.typeB, dims: b } : { kind: 'slot', type: s.typeB, dims: b }];
  }),
}));

const gemmRecipe = recipe('Gemm', [7, 11, 13], () => ({ inputs: fc.constant([]) })).chain((c) => fc.record({
  M: aDim, K: aDim, N: aDim, tA: fc.boolean(), tB: fc.boolean(), bConst: fc.boolean(),
  c: fc.constantFrom('none', 'none', 'scalar', 'row', 'col', 'full', 'wrong', 'rank3'), cConst: fc.boolean(),
  alpha: anAttr('alpha', 'f', fc.constantFrom(1, 1, 0.5, -2)), beta: anAttr('beta', 'f', fc.constantFrom(1, 1, 0, 2)),
  transA: fc.oneof(w(6, fc.constant('same')), w(1, anAttr('transA', 'i'))), transB: fc.oneof(w(6, fc.constant('same')), w(1, anAttr('transB', 'i'))),
}).map((s): OpCase => {
  const A = s.tA ? [s.K, s.M] : [s.M, s.K], B = s.tB ? [s.N, s.K] : [s.K, s.N];
  const cDims = { none: [], scalar: [], row: [s.N], col: [s.M, 1], full: [s.M, s.N], wrong: [s.N + 1], rank3: [1, s.M, s.N] }[s.c];
  const inputs: In[] = [{ kind: 'slot', type: 'float', dims: A }, { kind: s.bConst ? 'const' : 'slot', type: 'float', dims: B },
    ...(s.c === 'none' ? [] : [{ kind: s.cConst ? 'const' : 'slot', type: 'float', dims: cDims } as In])];
  const trans = (a: AttrSpec | undefined | 'same', name: string, t: boolean) => (a === 'same' ? (t ? attr.i(name, 1) : undefined) : a);
  return { ...c, inputs, attrs: [s.alpha, s.beta, trans(s.transA, 'transA', s.tA), trans(s.transB, 'transB', s.tB), ...c.attrs] };
}));

function recurrentRecipe(op: 'LSTM' | 'GRU' | 'RNN') {
  const G = { LSTM: 4, GRU: 3, RNN: 1 }[op];
  return recipe(op, [7, 14], () => ({ inputs: fc.constant([]) })).chain((c) => fc.record({
    T: fc.oneof(w(6, fc.integer({ min: 1, max: 4 })), w(1, fc.constantFrom(0, 300, 1 << 16))),
    B: fc.oneof(w(6, fc.integer({ min: 1, max: 3 })), w(1, fc.constant(0))),
    I: fc.integer({ min: 1, max: 4 }), H: fc.oneof(w(8, fc.integer({ min: 1, max: 4 })), w(1, fc.constantFrom(0, 64, 1024))),
    hidden: fc.oneof(w(4, fc.constant('same')), w(2, fc.constant('absent')), w(1, fc.constantFrom(0, -1, 5, 2 ** 31))),
    direction: fc.constantFrom('forward', 'forward', 'bidirectional', 'reverse', 'sideways', undefined),
    layout: fc.oneof(w(4, fc.constant(undefined)), w(2, fc.constant(1)), w(1, fc.constantFrom(0, 2, -1))),
    bias: fc.boolean(), seqLens: fc.constantFrom('none', 'none', 'right', 'wrong'), h0: fc.constantFrom('none', 'slot', 'const', 'wrong'),
    c0: fc.constantFrom('none', 'slot', 'wrong'), peephole: fc.constantFrom('none', 'none', 'right', 'wrong'),
    wrongW: fc.integer({ min: 0, max: 12 }), outputs: fc.integer({ min: 1, max: op === 'LSTM' ? 4 : 3 }),
    activations: fc.oneof(w(6, fc.constant(undefined)), w(1, fc.array(fc.constantFrom('Sigmoid', 'Tanh', 'Relu', 'Tanh', 'HardSigmoid'), { maxLength: 6 }))),
    clip: fc.oneof(w(6, fc.constant(undefined)), w(1, aFloat)),
    extra: fc.oneof(w(8, fc.constant(undefined)), w(1, fc.constantFrom('input_forget', 'linear_before_reset'))),
  }).map((s): OpCase => {
    const D = s.direction === 'bidirectional' ? 2 : 1, H = s.H, batchMajor = s.layout === 1;
    const x = batchMajor ? [s.B, s.T, s.I] : [s.T, s.B, s.I];
    const state = batchMajor ? [s.B, D, H] : [D, s.B, H];
    const W = s.wrongW === 0 ? [D, G * H + 1, s.I] : [D, G * H, s.I], R = s.wrongW === 1 ? [D, G * H, H + 1] : [D, G * H, H];
    const inputs: In[] = [
      { kind: 'slot', type: 'float', dims: x },
      { kind: s.wrongW === 2 ? 'slot' : 'const', type: 'float', dims: W },
      { kind: 'const', type: s.wrongW === 3 ? 'int' : 'float', dims: R },
      s.bias ? { kind: 'const', type: 'float', dims: [D, 2 * G * H] } : { kind: 'absent' },
      s.seqLens === 'none' ? { kind: 'absent' } : { kind: 'const', type: 'int', dims: [s.B], values: Array(s.B).fill(s.seqLens === 'right' ? s.T : 1) },
      s.h0 === 'none' ? { kind: 'absent' } : { kind: s.h0 === 'const' ? 'const' : 'slot', type: 'float', dims: s.h0 === 'wrong' ? [D, s.B + 1, H] : state },
      op === 'LSTM' && s.c0 !== 'none' ? { kind: 'slot', type: 'float', dims: s.c0 === 'wrong' ? [D, H] : state } : { kind: 'absent' },
      op === 'LSTM' && s.peephole !== 'none' ? { kind: 'const', type: 'float', dims: s.peephole === 'right' ? [D, 3 * H] : [D, H] } : { kind: 'absent' },
    ];
    while (inputs.length > 3 && inputs[inputs.length - 1].kind === 'absent') inputs.pop();
    const attrs: AttrSpec[] = [];
    if (s.hidden === 'same') attrs.push(attr.i('hidden_size', H));
    else if (s.hidden !== 'absent') attrs.push(attr.i('hidden_size', s.hidden));
    if (s.direction) attrs.push(attr.s('direction', s.direction));
    if (s.layout !== undefined && c.opset >= 14) attrs.push(attr.i('layout', s.layout));
    if (s.activations) attrs.push(attr.strings('activations', s.activations));
    if (s.clip !== undefined) attrs.push(attr.f('clip', s.clip));
    if (s.extra) attrs.push(attr.i(s.extra, 1));
    return { ...c, inputs, attrs: [...attrs, ...c.attrs], outputs: s.outputs };
  }));
}

/** Recipes for every operator of the registry, by name. */
const RECIPES: Record<string, fc.Arbitrary<OpCase>> = {
  // Elementwise
  ...Object.fromEntries(['Sqrt', 'Reciprocal', 'Exp', 'Log', 'Sin', 'Cos', 'Floor', 'Ceil', 'Round', 'Erf', 'Sigmoid', 'Tanh', 'HardSwish', 'Softplus']
    .map((op) => [op, unaryRecipe(op, FLT)])),
  ...Object.fromEntries(['Neg', 'Abs', 'Sign', 'Relu'].map((op) => [op, unaryRecipe(op, NUM)])),
  LeakyRelu: unaryRecipe('LeakyRelu', FLT, ['alpha']),
  HardSigmoid: unaryRecipe('HardSigmoid', FLT, ['alpha', 'beta']),
  Elu: unaryRecipe('Elu', FLT, ['alpha']),
  Selu: unaryRecipe('Selu', FLT, ['alpha', 'gamma']),
  ThresholdedRelu: unaryRecipe('ThresholdedRelu', FLT, ['alpha']),
  Not: unaryRecipe('Not', ['bool']),
  ...Object.fromEntries(['Add', 'Sub', 'Mul', 'Div', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'PRelu'].map((op) => [op, binaryRecipe(op, NUM)])),
  Pow: recipe('Pow', [7, 13, 15], () => ({
    inputs: fc.oneof(twoInputs(NUM), oneInput(NUM, 4).map((x): In[] => [x, { kind: 'const', type: x.kind === 'absent' ? 'float' : x.type, dims: [], values: [2] }])),
  })),
  Mod: binaryRecipe('Mod', NUM, fc.tuple(anAttr('fmod', 'i', fc.constantFrom(0, 1)))),
  Equal: binaryRecipe('Equal', ALL),
  ...Object.fromEntries(['And', 'Or', 'Xor'].map((op) => [op, binaryRecipe(op, ['bool'])])),
  ...Object.fromEntries(['Sum', 'Min', 'Max'].map((op) => [op, variadicRecipe(op, NUM)])),
  Mean: variadicRecipe('Mean', FLT),
  Softmax: softmaxRecipe('Softmax'),
  LogSoftmax: softmaxRecipe('LogSoftmax'),
  Clip: clipRecipe,
  Where: whereRecipe,
  Cast: castRecipe,

  // Shapes and data movement
  Shape: recipe('Shape', [13, 15], () => ({ inputs: oneInput(ALL).map((x) => [x]), attrs: fc.tuple(anAttr('start', 'i'), anAttr('end', 'i')) })),
  Size: recipe('Size', [13], () => ({ inputs: oneInput(ALL).map((x) => [x]) })),
  Reshape: recipe('Reshape', [4, 5, 14], (opset) => ({
    inputs: fc.tuple(aType(ALL), aShape(0, 4)).chain(([t, d]) => fc.tuple(anInput(t, d), reshapeTarget(d)).chain(([x, s]) =>
      (opset < 5 ? fc.constant<In[]>([x]) : intsConst(fc.constant(s)).map((si) => [x, si])))),
    attrs: opset < 5 ? fc.tuple(anAttr('shape', 'ints', fc.constantFrom([-1], [2, -1], [0, 0]))) : fc.tuple(anAttr('allowzero', 'i', fc.constantFrom(0, 1))),
  })),
  Flatten: recipe('Flatten', [9, 13], () => ({ inputs: oneInput(ALL).map((x) => [x]), attrs: fc.tuple(axisAttr()) })),
  Squeeze: squeezeRecipe('Squeeze'),
  Unsqueeze: squeezeRecipe('Unsqueeze'),
  Identity: recipe('Identity', [13], () => ({ inputs: oneInput(ALL).map((x) => [x]) })),
  Dropout: recipe('Dropout', [7, 10, 12, 13], (opset) => ({
    inputs: oneInput(FLT).chain((x) => (opset < 12 ? fc.constant([x]) : fc.tuple(
      fc.oneof(fc.constant<In>({ kind: 'absent' }), fc.constant<In>({ kind: 'const', type: 'float', dims: [], values: [0.5] })),
      fc.oneof(fc.constant<In>({ kind: 'absent' }), fc.constantFrom(0, 1).map((v): In => ({ kind: 'const', type: 'bool', dims: [], values: [v] })), fc.constant<In>({ kind: 'slot', type: 'bool', dims: [] })),
    ).map(([r, m]) => [x, r, m]))),
    attrs: fc.tuple(opset < 12 ? anAttr('ratio', 'f') : fc.constant(undefined), anAttr('seed', 'i')),
    outputs: fc.constantFrom(1, 2, 2, 3),
  })),
  Transpose: recipe('Transpose', [13], () => ({ inputs: fc.constant([]) })).chain((c) => fc.tuple(aType(ALL), aShape(0, 6)).chain(([t, d]) =>
    fc.tuple(anInput(t, d), fc.oneof(w(4, fc.shuffledSubarray([...d.keys()], { minLength: d.length, maxLength: d.length })), w(1, intList(0, 7, -7, 7)), w(1, fc.constant(undefined))))
      .map(([x, perm]) => ({ ...c, inputs: [x], attrs: perm ? [attr.ints('perm', perm), ...c.attrs] : c.attrs })))),
  Slice: sliceRecipe,
  Expand: recipe('Expand', [13], () => ({
    inputs: fc.tuple(aType(ALL), aShape(0, 4)).chain(([t, d]) => fc.tuple(anInput(t, d), fc.oneof(w(4, related(d).map((r) => [2, ...r])), w(2, related(d)),
      w(1, intList(0, 4, -2, 4)), w(1, fc.constantFrom([2 ** 20, 2 ** 20], [1 << 13, 1 << 13], [2 ** 31], [-1, 2], [2 ** 53 - 1]))))
      .chain(([x, shape]) => intsConst(fc.constant(shape)).map((s) => [x, s]))),
  })),
  Tile: recipe('Tile', [13], () => ({
    inputs: fc.tuple(aType(ALL), aShape(0, 4)).chain(([t, d]) => fc.tuple(anInput(t, d),
      fc.oneof(w(4, fc.array(fc.integer({ min: 0, max: 3 }), { minLength: d.length, maxLength: d.length })), w(1, intList(d.length, d.length)),
        w(1, fc.constant(d.map(() => 1 << 20))), w(1, intList(0, 5))))
      .chain(([x, rep]) => intsConst(fc.constant(rep)).map((r) => [x, r]))),
  })),
  Concat: recipe('Concat', [11, 13], () => ({ inputs: fc.constant([]) })).chain((c) =>
    fc.tuple(aType(ALL), aShape(0, 4), fc.integer({ min: 1, max: 4 }), fc.integer({ min: -5, max: 5 })).chain(([t, d, n, axis]) => {
      const a = d.length ? ((axis % d.length) + d.length) % d.length : 0;
      const part = fc.oneof(w(6, aDim.map((k) => d.map((v, i) => (i === a ? k : v)))), w(1, related(d)));
      return fc.tuple(fc.array(part, { minLength: n, maxLength: n }), fc.oneof(w(8, fc.constant(t)), w(1, aType(ALL)))).chain(([shapes, t2]) =>
        fc.tuple(...shapes.map((s, k) => anInput(k === n - 1 ? t2 : t, s))).chain((xs) =>
          fc.oneof(w(8, fc.constant(attr.i('axis', axis))), w(1, anAttr('axis', 'i'))).map((ax) => ({ ...c, inputs: xs, attrs: [ax, ...c.attrs] }))));
    })),
  Split: recipe('Split', [11, 13, 18], () => ({ inputs: fc.constant([]) })).chain((c) =>
    fc.tuple(aType(ALL), aShape(1, 4), fc.integer({ min: 1, max: 4 }), fc.integer({ min: -4, max: 4 })).chain(([t, d, n, axis]) => {
      const a = ((axis % d.length) + d.length) % d.length;
      return fc.tuple(anInput(t, d), fc.option(splitSizes(d[a], n), { nil: undefined }), fc.oneof(w(3, fc.constant(undefined)), w(1, fc.constant(n)), w(1, anInt())))
        .chain(([x, sizes, parts]) => {
          const axisA = attr.i('axis', axis);
          const partsA = c.opset >= 18 && parts !== undefined ? [attr.i('num_outputs', parts)] : [];
          if (c.opset < 13) return fc.constant({ ...c, inputs: [x], attrs: [axisA, ...(sizes ? [attr.ints('split', sizes)] : []), ...partsA, ...c.attrs], outputs: n });
          return intsConst(fc.constant(sizes ?? [])).map((s) => ({ ...c, inputs: sizes ? [x, s] : [x], attrs: [axisA, ...partsA, ...c.attrs], outputs: n }));
        });
    })),
  Gather: recipe('Gather', [11, 13], () => ({
    inputs: fc.tuple(aType(ALL), aShape(0, 4), aShape(0, 2), fc.integer({ min: 0, max: 3 })).chain(([t, d, id, kind]) =>
      fc.tuple(anInput(t, d), kind === 0
        ? fc.constant<In>({ kind: 'slot', type: 'int', dims: id })
        : fc.array(anInt(-6, 6), { minLength: Math.min(product(id), 64), maxLength: Math.min(product(id), 64) })
          .map((v): In => ({ kind: 'const', type: kind === 3 ? 'float' : 'int', dims: product(id) > 64 ? [v.length] : id, values: v })))),
    attrs: fc.tuple(axisAttr()),
  })),
  Pad: padRecipe,
  Constant: constantRecipe,
  ConstantOfShape: constantOfShapeRecipe,
  Range: rangeRecipe,

  // Reductions
  ReduceSum: reduceRecipe('ReduceSum', 13, NUM),
  ...Object.fromEntries(['ReduceMean', 'ReduceSumSquare', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceProd'].map((op) => [op, reduceRecipe(op, 18, NUM)])),
  ReduceMax: reduceRecipe('ReduceMax', 18, ALL),
  ReduceMin: reduceRecipe('ReduceMin', 18, ALL),
  ArgMax: argRecipe('ArgMax'),
  ArgMin: argRecipe('ArgMin'),

  // Heavy operators
  Conv: convRecipe('Conv'),
  ConvTranspose: convRecipe('ConvTranspose'),
  MatMul: matmulRecipe,
  Gemm: gemmRecipe,
  LSTM: recurrentRecipe('LSTM'),
  GRU: recurrentRecipe('GRU'),
  RNN: recurrentRecipe('RNN'),
};

// ---------------------------------------------------------------------------------------------
// If: branches that disagree, are missing or of the wrong kind, nested; a constant or fed condition

type Src = 'identity' | 'const' | 'add' | 'cast' | 'outer' | 'missing' | 'nested';

/** A branch graph with about nOut outputs, each made one way (reading the outer graph's x1). */
function branchArb(prefix: string, nOut: number, depth: number): fc.Arbitrary<GraphSpec> {
  const src = fc.constantFrom<Src>(...(['identity', 'identity', 'const', 'add', 'cast', 'outer', 'missing', ...(depth < 3 ? ['nested', 'nested'] : [])] as Src[]));
  return fc.oneof(w(12, fc.constant(nOut)), w(1, fc.integer({ min: 0, max: 3 }))).chain((n) =>
    fc.array(fc.tuple(src, fc.integer({ min: 1, max: 3 })), { minLength: n, maxLength: n }).chain((outs) =>
      fc.tuple(...outs.map(([s], k) => (s === 'nested' ? ifNodeArb(`${prefix}_${k}`, [`${prefix}_o${k}`], depth + 1).map((x) => x as NodeSpec | undefined) : fc.constant(undefined))))
        .map((nested): GraphSpec => {
          const nodes: NodeSpec[] = [], outputs: ValueInfoSpec[] = [];
          outs.forEach(([s, m], k) => {
            const o = `${prefix}_o${k}`;
            if (s === 'identity') nodes.push(node('Identity', ['x1'], [o], [], `${prefix}_id${k}`));
            if (s === 'const') nodes.push(node('Constant', [], [o], [attr.floats('value_floats', Array(m).fill(k))], `${prefix}_c${k}`));
            if (s === 'add') nodes.push(node('Add', ['x1', 'x1'], [o], [], `${prefix}_add${k}`));
            if (s === 'cast') nodes.push(node('Cast', ['x1'], [o], [attr.i('to', INT64)], `${prefix}_cast${k}`));
            if (s === 'nested') nodes.push(nested[k]!);
            outputs.push(valueInfo(s === 'outer' ? 'x1' : o));
          });
          return { name: prefix, nodes, outputs };
        })));
}

/** If(x0) → outputs, with then / else branches usually present. */
function ifNodeArb(prefix: string, outputs: string[], depth: number): fc.Arbitrary<NodeSpec> {
  const branch = (side: string) => fc.oneof(
    w(10, branchArb(`${prefix}_${side}`, outputs.length, depth).map((g) => attr.g(`${side}_branch`, g))),
    w(1, fc.constant(undefined)), w(1, fc.constant(attr.i(`${side}_branch`, 1))));
  return fc.tuple(branch('then'), branch('else')).map(([t, e]) => node('If', ['x0'], outputs, [t, e].filter((a): a is AttrSpec => !!a), `${prefix}_if`));
}

const condInput: fc.Arbitrary<In> = fc.oneof(
  w(4, fc.constantFrom(0, 1).map((v): In => ({ kind: 'const', type: 'bool', dims: [], values: [v] }))),
  w(4, fc.constant<In>({ kind: 'slot', type: 'bool', dims: [] })),
  w(1, fc.constant<In>({ kind: 'slot', type: 'bool', dims: [1] })),
  w(1, fc.constantFrom<In>({ kind: 'slot', type: 'int', dims: [] }, { kind: 'slot', type: 'float', dims: [] }, { kind: 'slot', type: 'bool', dims: [2] },
    { kind: 'const', type: 'bool', dims: [0], values: [] }, { kind: 'absent' })),
);

const ifRecipe: fc.Arbitrary<OpCase> = fc.tuple(fc.constantFrom(11, 13, 16), condInput, aShape(0, 3), fc.oneof(w(8, fc.constant(1)), w(2, fc.constantFrom(0, 2, 3))), seedArb, wildArb)
  .chain(([opset, cond, xDims, nOut, seed, wild]) => {
    const outputs = Array.from({ length: nOut }, (_, k) => `y${k}`);
    return ifNodeArb('n', outputs, 0).map((n): OpCase => ({
      op: 'If', opset, inputs: [cond, { kind: 'slot', type: 'float', dims: xDims }], attrs: n.attributes ?? [], outputs: nOut, seed, wild,
    }));
  });

/** If nested `depth` deep in its then_branch (ONNX files may nest 16 deep). */
const deepIf = fc.tuple(fc.integer({ min: 1, max: 20 }), fc.boolean()).map(([depth, constCond]) => {
  const level = (d: number, out: string): NodeSpec => (d === 0
    ? node('Identity', ['x1'], [out], [], `leaf`)
    : node('If', ['x0'], [out], [
      attr.g('then_branch', { nodes: [level(d - 1, `t${d}`)], outputs: [valueInfo(`t${d}`)] }),
      attr.g('else_branch', { nodes: [node('Neg', ['x1'], [`e${d}`], [], `neg${d}`)], outputs: [valueInfo(`e${d}`)] }),
    ], `if${d}`));
  const graph: GraphSpec = {
    nodes: [level(depth, 'y0')],
    initializers: constCond ? [{ name: 'x0', dataType: BOOL, dims: [], data: [1] }] : [],
    inputs: [...(constCond ? [] : [valueInfo('x0', BOOL, [])]), valueInfo('x1', FLOAT, [3])],
    outputs: [valueInfo('y0')],
  };
  const nodes = ['leaf', ...Array.from({ length: depth }, (_, d) => [`if${d + 1}`, `neg${d + 1}`]).flat()];
  return { depth, constCond, graph, nodes };
});

// ---------------------------------------------------------------------------------------------
// Heavy: a tiny file that makes big tensors (ConstantOfShape, Expand of a fed scalar) and feeds
// them to operators whose work is more than their outputs (MatMul, Gemm, Conv, ConvTranspose,
// LSTM, many reductions of one tensor). Planning or running must refuse or finish in time.

interface HeavyCase { kind: string; graph: GraphSpec; feeds: Feeds; nodes: string[]; outputs: string[] }

const BIG = fc.constantFrom(1, 16, 256, 1024, 2048, 4096, 8192, 16384, 1 << 16);
const i64 = (name: string, v: number[]): TensorSpec => ({ name, dataType: INT64, dims: [v.length], data: v });

const heavyArb: fc.Arbitrary<HeavyCase> = fc.record({
  kind: fc.constantFrom('matmul-fold', 'matmul-run', 'matmul-js', 'gemm-js', 'conv', 'conv-fold', 'convT', 'lstm', 'gru', 'reduce-many', 'softmax-many', 'range'),
  a: BIG, b: BIG, c: BIG, k: fc.constantFrom(1, 3, 16, 64, 512, 4096), n: fc.constantFrom(1, 10, 100, 1000, 4000),
}).map(({ kind, a, b, c, k, n }): HeavyCase => {
  const feeds: Feeds = { x: { dims: [1], data: [0.25] } };
  const inputs = [valueInfo('x', FLOAT, [1])];
  const initializers: TensorSpec[] = [];
  const nodes: NodeSpec[] = [];
  const outputs = ['y'];
  const constOf = (out: string, dims: number[]) => {
    initializers.push(i64(`${out}_shape`, dims));
    nodes.push(node('ConstantOfShape', [`${out}_shape`], [out], [attr.t('value', { dataType: FLOAT, dims: [1], data: [0.5] })], `make_${out}`));
  };
  const expand = (out: string, dims: number[]) => { initializers.push(i64(`${out}_shape`, dims)); nodes.push(node('Expand', ['x', `${out}_shape`], [out], [], `expand_${out}`)); };
  switch (kind) {
    case 'matmul-fold': constOf('A', [a, b]); constOf('B', [b, c]); nodes.push(node('MatMul', ['A', 'B'], ['y'], [], 'mm')); break;
    case 'matmul-run': expand('A', [a, b]); constOf('B', [b, c]); nodes.push(node('MatMul', ['A', 'B'], ['y'], [], 'mm')); break;
    case 'matmul-js': expand('A', [a, b]); expand('B', [b, c]); nodes.push(node('MatMul', ['A', 'B'], ['y'], [], 'mm')); break;
    case 'gemm-js': expand('A', [a, b]); constOf('B', [b, c]); nodes.push(node('Gemm', ['A', 'B'], ['y'], [attr.f('alpha', 2)], 'gemm')); break;
    case 'conv': expand('X', [1, a, b]); constOf('W', [c, a, k]); nodes.push(node('Conv', ['X', 'W'], ['y'], [], 'conv')); break;
    case 'conv-fold': constOf('X', [1, a, b]); constOf('W', [c, a, k]); nodes.push(node('Conv', ['X', 'W'], ['y'], [], 'conv')); break;
    case 'convT': expand('X', [1, a, b]); constOf('W', [a, c, k]); nodes.push(node('ConvTranspose', ['X', 'W'], ['y'], [], 'convT')); break;
    case 'lstm': case 'gru': {
      const G = kind === 'lstm' ? 4 : 3;
      expand('X', [a, 1, k]); constOf('W', [1, G * c, k]); constOf('R', [1, G * c, c]);
      nodes.push(node(kind.toUpperCase(), ['X', 'W', 'R'], ['y'], [attr.i('hidden_size', c)], 'rnn'));
      break;
    }
    case 'reduce-many': case 'softmax-many': {
      expand('X', [a, b]);
      outputs.length = 0;
      for (let i = 0; i < n; i++) {
        nodes.push(node(kind === 'reduce-many' ? 'ReduceSum' : 'Softmax', ['X'], [`y${i}`], kind === 'reduce-many' ? [attr.i('keepdims', 0)] : [], `op${i}`));
        outputs.push(`y${i}`);
      }
      break;
    }
    case 'range': {
      initializers.push({ name: 'start', dataType: FLOAT, dims: [], data: [0] }, { name: 'limit', dataType: FLOAT, dims: [], data: [a * b] }, { name: 'delta', dataType: FLOAT, dims: [], data: [1 / k] });
      nodes.push(node('Range', ['start', 'limit', 'delta'], ['r'], [], 'range'), node('Add', ['r', 'x'], ['y'], [], 'add'));
      break;
    }
  }
  return { kind, graph: { nodes, initializers, inputs, outputs: outputs.map((o) => valueInfo(o)) }, feeds, nodes: nodes.map((x) => x.name!), outputs };
});

/** A stable number per name, so each operator's cases have their own seed. */
const hash = (s: string) => [...s].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0, 2166136261) % 100_000;
const params = (name: string, numRuns: number) => ({ seed: SEED + hash(name), numRuns, endOnFailure: true });

describe('every operator on hostile attributes, shapes and constants', () => {
  it('has a recipe for every operator of the registry', () => {
    expect(Object.keys(OPS).filter((op) => !RECIPES[op])).toEqual([]);
  });

  for (const op of [...Object.keys(OPS).sort(), 'If']) {
    it(`${op}: ${PER_OP} generated models`, async () => {
      const arb = op === 'If' ? ifRecipe : RECIPES[op];
      await fc.assert(fc.asyncProperty(arb, (c) => runOpCase(c, op)), params(op, PER_OP));
    }, TIMEOUT);
  }

  it('If nested 1 to 20 deep (more than 16 is refused by the decoder)', async () => {
    await fc.assert(fc.asyncProperty(deepIf, async ({ depth, constCond, graph, nodes }) => {
      const bytes = encodeModel({ opset: 13, graph });
      const feeds: Feeds = { x1: { dims: [3], data: [1, -2, 3] }, ...(constCond ? {} : { x0: true }) };
      const outcome = await attempt({ bytes, feeds, nodes, outputs: ['y0'], fold: true, what: `If ${depth} deep` });
      tally('If (nested)', outcome);
      expect(outcome).toBe(depth > 16 ? 'decode-error' : 'ok');
    }), params('deepIf', 40 * FACTOR));
  }, TIMEOUT);

  it('heavy work from tiny files: refused or done in time', async () => {
    await fc.assert(fc.asyncProperty(heavyArb, async (h) => {
      const bytes = encodeModel({ opset: 17, graph: h.graph });
      tally(`heavy ${h.kind}`, await attempt({ bytes, feeds: h.feeds, nodes: h.nodes, outputs: h.outputs, what: `heavy ${h.kind}: ${JSON.stringify(h.graph.initializers?.map((t) => t.data))}` }));
    }), params('heavy', 50 * FACTOR));
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// Real files, mutated

const SILERO = new Uint8Array(readFileSync(new URL('../../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx', import.meta.url)));
const SILERO_OPTIONS = { fixedInputs: { sr: 16000 } };
const SILERO_FEEDS: Feeds = {
  input: { dims: [1, 576], data: Float32Array.from({ length: 576 }, (_, i) => 0.3 * Math.sin(i * 0.05)) },
  state: { dims: [2, 1, 128], data: new Float32Array(256) },
};
/** Silero with its sample rate fixed (one branch of its If kept), or fed (both planned, one run). */
const sileroRun = (fixed: boolean) => (fixed ? { options: SILERO_OPTIONS, feeds: SILERO_FEEDS } : { options: {}, feeds: { ...SILERO_FEEDS, sr: 16000 } });
/** Silero's loading and planning: a few tens of ms here, but a mutant may plan more. */
const SILERO_LIMIT = () => LIMIT_MS + 1000;

/** Byte ranges of the big tensors of a file (weights): flips there only change numbers. */
function weightRanges(bytes: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [];
  const visit = (g: OnnxGraph) => {
    const tensors: OnnxTensor[] = [...g.initializers.values()];
    for (const n of g.nodes) for (const a of n.attributes.values()) { if (a.t) tensors.push(a.t); if (a.g) visit(a.g); }
    for (const t of tensors) if (t.raw && t.raw.length > 64) ranges.push([t.raw.byteOffset - bytes.byteOffset, t.raw.byteOffset - bytes.byteOffset + t.raw.length]);
  };
  visit(decodeModel(bytes).graph);
  return ranges.sort((a, b) => a[0] - b[0]);
}

/** The positions of a file outside its weights. */
function structurePositions(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let at = 0;
  for (const [from, to] of [...weightRanges(bytes), [bytes.length, bytes.length] as [number, number]]) {
    for (let i = at; i < from; i++) out.push(i);
    at = Math.max(at, to);
  }
  return out;
}

// The decoded graph back to a GraphSpec, to mutate it as a graph and write it again.

function specOfTensor(t: OnnxTensor): TensorSpec {
  if (t.raw) return { name: t.name, dataType: t.dataType, dims: t.dims, raw: t.raw };
  const data = [FLOAT, DOUBLE, FLOAT16].includes(t.dataType) ? tensorFloats(t, t.name) : tensorInts(t, t.name, 1 << 20);
  return { name: t.name, dataType: t.dataType, dims: t.dims, raw: rawData(t.dataType, data) };
}

function specOfGraph(g: OnnxGraph): GraphSpec {
  return {
    nodes: g.nodes.map((n) => ({
      opType: n.opType, name: n.name, domain: n.domain || undefined, inputs: [...n.inputs], outputs: [...n.outputs],
      attributes: [...n.attributes.values()].map((a): AttrSpec => {
        if (a.g) return attr.g(a.name, specOfGraph(a.g));
        if (a.t) return attr.t(a.name, specOfTensor(a.t));
        if (a.f !== undefined) return attr.f(a.name, a.f);
        if (a.i !== undefined) return attr.i(a.name, a.i);
        if (a.s !== undefined) return attr.s(a.name, a.s);
        if (a.floats.length) return attr.floats(a.name, a.floats);
        if (a.strings.length) return attr.strings(a.name, a.strings);
        return attr.ints(a.name, a.ints);
      }),
    })),
    initializers: [...g.initializers.values()].map(specOfTensor),
    inputs: g.inputs.map((v) => ({ name: v.name, elemType: v.elemType, dims: v.dims?.map((d) => d ?? '') })),
    outputs: g.outputs.map((v) => ({ name: v.name, elemType: v.elemType, dims: v.dims?.map((d) => d ?? '') })),
  };
}

/** Every graph of a spec (the main graph and If's branches, nested). */
function graphsOf(g: GraphSpec): GraphSpec[] {
  return [g, ...g.nodes.flatMap((n) => (n.attributes ?? []).flatMap((a) => (a.kind === 'g' ? graphsOf(a.value) : [])))];
}

/** Small int or float tensors (shapes, axes, pads, indices, scalars) of a graph: initializers and Constant values. */
function smallTensors(g: GraphSpec): TensorSpec[] {
  const out = [...(g.initializers ?? [])];
  for (const n of g.nodes) for (const a of n.attributes ?? []) if (a.kind === 't') out.push(a.value);
  return out.filter((t) => t.raw && t.raw.length <= 64 && [INT64, INT32, FLOAT].includes(t.dataType));
}

type Mutation = { kind: 'rewire' | 'attribute' | 'constant' | 'operator' | 'drop' | 'swap'; pick: number; pick2: number; value: number };

const OP_NAMES = Object.keys(OPS);

/** Applies one mutation to a (copied) graph spec, in place. */
function mutate(root: GraphSpec, m: Mutation): string {
  const graphs = graphsOf(root);
  const g = graphs[m.pick % graphs.length];
  const n = g.nodes[m.pick2 % Math.max(1, g.nodes.length)];
  if (!n) return 'nothing';
  switch (m.kind) {
    case 'rewire': {
      if (!n.inputs.length) return 'nothing';
      const names = [...new Set(g.nodes.flatMap((x) => x.outputs).concat((g.initializers ?? []).map((t) => t.name!), (root.inputs ?? []).map((v) => v.name)))];
      const k = m.value % n.inputs.length;
      const to = names[Math.abs(m.value * 7919) % names.length];
      n.inputs[k] = to;
      return `${n.name} input ${k} ← ${to}`;
    }
    case 'swap': {
      if (n.inputs.length < 2) return 'nothing';
      n.inputs.reverse();
      return `${n.name} inputs reversed`;
    }
    case 'attribute': {
      const attrs = n.attributes ?? [];
      const a = attrs[m.value % Math.max(1, attrs.length)];
      if (!a) return 'nothing';
      const hostileInt = HOSTILE_INTS[m.value % HOSTILE_INTS.length] ?? 0;
      const small = (m.value % 9) - 3;
      const v = m.value % 2 ? hostileInt : small;
      if (a.kind === 'i') a.value = v;
      else if (a.kind === 'f') a.value = HOSTILE_FLOATS[m.value % HOSTILE_FLOATS.length];
      else if (a.kind === 'ints') a.value = a.value.length && m.value % 3 ? a.value.map((x, i) => (i === m.value % a.value.length ? v : x)) : [...a.value, v];
      else if (a.kind === 's') a.value = ['', 'bogus', 'reflect', 'SAME_UPPER'][m.value % 4];
      else if (a.kind === 'g') a.value = { nodes: [], outputs: [] };
      else return 'nothing';
      return `${n.name} attribute ${a.name} = ${String(a.value)}`;
    }
    case 'constant': {
      const ts = graphs.flatMap(smallTensors);
      const t = ts[m.pick2 % Math.max(1, ts.length)];
      if (!t || !t.raw) return 'nothing';
      const raw = t.raw.slice(), view = new DataView(raw.buffer);
      const size = t.dataType === INT64 ? 8 : 4, count = raw.length / size;
      if (!count) return 'nothing';
      const at = (m.value % count) * size;
      const v = m.value % 2 ? HOSTILE_INTS[m.value % HOSTILE_INTS.length] : (m.value % 9) - 3;
      if (t.dataType === INT64) view.setBigInt64(at, BigInt.asIntN(64, BigInt(v)), true);
      else if (t.dataType === INT32) view.setInt32(at, v, true);
      else view.setFloat32(at, m.value % 3 ? v : HOSTILE_FLOATS[m.value % HOSTILE_FLOATS.length], true);
      t.raw = raw;
      return `tensor ${t.name ?? '(value)'}[${at / size}] = ${v}`;
    }
    case 'operator': {
      const was = n.opType;
      n.opType = OP_NAMES[m.value % OP_NAMES.length];
      return `${n.name} ${was} → ${n.opType}`;
    }
    case 'drop': {
      g.nodes.splice(g.nodes.indexOf(n), 1);
      return `${n.name} dropped`;
    }
  }
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('rewire', 'rewire', 'attribute', 'attribute', 'constant', 'constant', 'constant', 'operator', 'drop', 'swap'),
  pick: fc.nat(), pick2: fc.nat(), value: fc.nat(),
});

describe('real files, mutated: a result or a RecurError', () => {
  it('Silero v5 as it is: loads and runs', async () => {
    expect(await attempt({ bytes: SILERO, options: SILERO_OPTIONS, feeds: SILERO_FEEDS, nodes: [], outputs: ['output', 'stateN'], what: 'Silero v5', limit: SILERO_LIMIT() })).toBe('ok');
  });

  it('Silero v5 truncated at sampled lengths (and at every boundary of its top-level fields)', async () => {
    expect(graphsOf(specOfGraph(decodeModel(SILERO).graph)).flatMap((g) => g.nodes).length).toBeGreaterThan(600);
    const lengths = new Set([0, 1, 2, 10, 20, 21, 22, SILERO.length - 1, SILERO.length - 2, SILERO.length - 20]);
    const rand = prng(SEED);
    while (lengths.size < 60 * FACTOR) lengths.add(Math.floor(rand() * SILERO.length));
    for (const n of [...lengths].sort((a, b) => a - b)) {
      tally('Silero truncated', await attempt({ bytes: SILERO.subarray(0, n), options: SILERO_OPTIONS, feeds: SILERO_FEEDS, nodes: [], outputs: ['output', 'stateN'], what: `Silero cut at ${n}`, limit: SILERO_LIMIT() }));
    }
  }, TIMEOUT);

  it('Silero v5 with bit flips and byte overwrites, mostly outside its weights', async () => {
    const structure = structurePositions(SILERO);
    expect(structure.length).toBeGreaterThan(1000);
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 4 }),
      async (edits) => {
        const bytes = SILERO.slice();
        for (const [at, bit, value, how] of edits) {
          const i = how === 0 ? at % bytes.length : structure[at % structure.length];
          if (how < 7) bytes[i] ^= 1 << bit; else bytes[i] = value;
        }
        tally('Silero bit flips', await attempt({ bytes, options: SILERO_OPTIONS, feeds: SILERO_FEEDS, nodes: [], outputs: ['output', 'stateN'], what: `Silero edited ${JSON.stringify(edits)}`, limit: SILERO_LIMIT() }));
      }), params('silero-bits', 70 * FACTOR));
  }, TIMEOUT);

  it('Silero v5 as a graph, mutated: inputs rewired, attributes and small constants made hostile, operators swapped, nodes dropped', async () => {
    const base = specOfGraph(decodeModel(SILERO).graph);
    const opset = decodeModel(SILERO).opset;
    const again = encodeModel({ opset, graph: base });
    expect(await attempt({ bytes: again, options: SILERO_OPTIONS, feeds: SILERO_FEEDS, nodes: [], outputs: ['output', 'stateN'], what: 'Silero v5 re-encoded', limit: SILERO_LIMIT() })).toBe('ok');
    expect(await attempt({ bytes: again, ...sileroRun(false), nodes: [], outputs: ['output', 'stateN'], what: 'Silero v5 re-encoded, sr fed', limit: SILERO_LIMIT() })).toBe('ok');
    await fc.assert(fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.boolean(), async (mutations, fixed) => {
      const graph = structuredClone(base);
      const done = mutations.map((m) => mutate(graph, m));
      const bytes = encodeModel({ opset, graph });
      tally(`Silero graph mutants${fixed ? '' : ', sr fed'}`, await attempt({ bytes, ...sileroRun(fixed), nodes: [], outputs: ['output', 'stateN'], what: `Silero (sr ${fixed ? 'fixed' : 'fed'}): ${done.join('; ')}`, limit: SILERO_LIMIT() }));
    }), params('silero-graph', 60 * FACTOR));
  }, TIMEOUT);

  // Small fixtures of onnx's node tests: each model with the inputs of its test_data_set_0.
  const FIXTURES = ['test_conv1d_all_attributes', 'test_convtranspose1d_all_attributes', 'test_if', 'test_lstm_with_peepholes', 'test_gru_batchwise',
    'test_slice_neg_steps', 'test_reflect_pad', 'test_gather_negative_indices', 'test_split_variable_parts_2d', 'test_reshape_zero_and_negative_dim',
    'test_gemm_all_attributes', 'test_matmul_4d', 'test_expand_dim_changed', 'test_clip_splitbounds'];
  const dir = new URL('../fixtures/onnx/graph-nodes/', import.meta.url);
  const cases = JSON.parse(readFileSync(new URL('cases.json', dir), 'utf8'));

  /** The fixture's bytes, feeds, and which inputs must be fixed (constants) for recur to plan it. */
  async function fixture(name: string) {
    const bytes = new Uint8Array(readFileSync(new URL(`${name}/model.onnx`, dir)));
    const { readTensorProto } = await import('../../src/onnx/index.js');
    const inputs: string[] = cases[name].inputs;
    const all: Record<string, { dims: number[]; data: ArrayLike<number> }> = {};
    inputs.forEach((input, i) => {
      const t = readTensorProto(new Uint8Array(readFileSync(new URL(`${name}/test_data_set_0/input_${i}.pb`, dir))));
      all[input] = { dims: t.dims, data: t.data };
    });
    const nodes: string[] = [];
    const outputs: string[] = cases[name].outputs;
    for (const fixed of [[], inputs.slice(1), inputs]) {
      const options = { fixedInputs: Object.fromEntries(fixed.map((k) => [k, all[k]])) };
      const feeds = Object.fromEntries(inputs.filter((k) => !fixed.includes(k)).map((k) => [k, all[k]]));
      if (await attempt({ bytes, options, feeds, nodes, outputs, what: name }) === 'ok') return { bytes, options, feeds, nodes, outputs };
    }
    throw new Error(`${name} does not run`);
  }

  for (const name of FIXTURES) {
    it(`${name}: every truncation, random bit flips and byte overwrites`, async () => {
      const f = await fixture(name);
      for (let n = 0; n < f.bytes.length; n++) {
        tally('fixtures truncated', await attempt({ ...f, bytes: f.bytes.subarray(0, n), what: `${name} cut at ${n}` }));
      }
      await fc.assert(fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 4 }),
        async (edits) => {
          const bytes = f.bytes.slice();
          for (const [at, bit, value, flip] of edits) { if (flip) bytes[at % bytes.length] ^= 1 << bit; else bytes[at % bytes.length] = value; }
          tally('fixtures edited', await attempt({ ...f, bytes, what: `${name} edited ${JSON.stringify(edits)}` }));
        }), params(name, 150 * FACTOR));
    }, TIMEOUT);
  }
});

// ---------------------------------------------------------------------------------------------
// Hostile inputs to run() and to streams

describe('hostile run() and stream inputs: a result or a RecurError', () => {
  const hostileTensors: unknown[] = [
    null, undefined, 'input', 42, true, 10n, NaN, Symbol('x'), {}, [], [1, 2, 3], () => 1, new Float32Array(576),
    { dims: null, data: [] }, { dims: [1, 576] }, { dims: [1, 576], data: null }, { dims: [1, 576], data: 5 }, { dims: [1, 576], data: 'x'.repeat(576) },
    { dims: [-1, 576], data: new Float32Array(576) }, { dims: [1.5, 384], data: new Float32Array(576) }, { dims: [1, 576], data: new Float32Array(575) },
    { dims: [1, 577], data: new Float32Array(577) }, { dims: [576], data: new Float32Array(576) }, { dims: [1, 1, 576], data: new Float32Array(576) },
    { dims: [1, 576], data: new BigInt64Array(576).fill(3n) }, { dims: [1, 576], data: new BigUint64Array(576).fill(2n ** 63n) },
    { dims: [1, 576], data: new Float64Array(576).fill(NaN) }, { dims: [1, 576], data: new Float32Array(576).fill(Infinity) },
    { dims: [1, 576], data: Array(576).fill(undefined) }, { dims: [1, 576], data: Array(576).fill('1') }, { dims: [1, 576], data: Array(576).fill(true) },
    { dims: [1, 576], data: Array(576).fill(Symbol('x')) }, { dims: [1, 576], data: Array(576).fill({}) }, { dims: [1, 576], data: Array(576).fill(10n) },
    { dims: '1,576', data: new Float32Array(576) }, { dims: [1, '576'], data: new Float32Array(576) }, { dims: [2 ** 31, 2 ** 31], data: { length: 2 ** 62 } },
    { dims: [1 << 13, 1 << 13], data: { length: 1 << 26 } }, { dims: [1, 576], data: { length: 576 } }, { dims: [1, 576], data: { length: -1 } },
    { dims: [1, 0], data: [] }, { dims: [0, 576], data: [] }, { dims: [1, 1], data: [0] }, { dims: [1, 100000], data: new Float32Array(100000) },
    Object.assign(Object.create(null), { dims: [1, 576], data: new Float32Array(576) }),
  ];

  async function each(run: (value: unknown) => unknown, what: string): Promise<void> {
    for (const value of hostileTensors) {
      const start = performance.now();
      let outcome: Outcome = 'ok';
      try { run(value); } catch (err) { expectRecurError(err, `${what} ${String(typeof value === 'symbol' ? 'symbol' : JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))).slice(0, 80)}`); outcome = 'run-error'; }
      tally('run() inputs', outcome, performance.now() - start);
      if (performance.now() - start > LIMIT_MS) throw new Error(`${what}: took ${performance.now() - start} ms`);
      checkMemory(what);
    }
  }

  it('Silero: run() with every hostile value for each input, and hostile input objects', async () => {
    const model = await loadOnnxGraph(SILERO, { runtime, ...SILERO_OPTIONS });
    try {
      await each((v) => model.run({ ...SILERO_FEEDS, input: v } as never), 'input');
      await each((v) => model.run({ ...SILERO_FEEDS, state: v } as never), 'state');
      await each((v) => model.run(v as never), 'inputs');
      await each((v) => model.run({ ...SILERO_FEEDS, extra: v } as never), 'extra input');
      // And it still runs.
      const out = model.run(SILERO_FEEDS as never);
      checkOutputs(out, ['output', 'stateN'], 'Silero after hostile inputs');
    } finally { model.dispose(); }
  }, TIMEOUT);

  it('Silero stream: step() and loadState() with hostile values, stream() with hostile batches', async () => {
    const model = await loadOnnxGraph(SILERO, { runtime, ...SILERO_OPTIONS });
    try {
      const s = model.stream();
      s.step(new Float32Array(512));
      const saved = s.saveState();
      await each((v) => s.step(v as never), 'step');
      await each((v) => s.step({ input: v } as never), 'step({ input })');
      await each((v) => s.loadState(v as never), 'loadState');
      for (const bytes of [new Uint8Array(0), saved.subarray(0, 19), saved.subarray(0, saved.length - 1), Uint8Array.from(saved, (b, i) => (i === 16 ? 0xff : b)), new Uint8Array(saved.length)]) {
        try { s.loadState(bytes); } catch (err) { expectRecurError(err, 'loadState of damaged bytes'); }
      }
      for (const length of [0, 1, 511, 513, 1 << 20]) {
        try { s.step(new Float32Array(length)); } catch (err) { expectRecurError(err, `step of ${length} samples`); }
      }
      await each((v) => model.stream({ batch: v } as never), 'stream({ batch })');
      await each((v) => model.stream(v as never), 'stream(options)');
      s.reset();
      expect(s.step(new Float32Array(512)).length).toBe(1);
    } finally { model.dispose(); }
  }, TIMEOUT);

  it('int, bool and scalar inputs: every hostile value', async () => {
    const bytes = encodeModel({ opset: 17, graph: {
      nodes: [node('Cast', ['b'], ['bf'], [attr.i('to', FLOAT)], 'cast'), node('Where', ['b', 'x', 's'], ['w'], [], 'where'),
        node('Gather', ['w', 'i'], ['y'], [], 'gather')],
      inputs: [valueInfo('b', BOOL, [4]), valueInfo('x', FLOAT, [4]), valueInfo('s', FLOAT, []), valueInfo('i', INT64, ['n'])],
      outputs: [valueInfo('y'), valueInfo('bf')],
    } });
    const model = await loadOnnxGraph(bytes, { runtime });
    const feeds = { b: { dims: [4], data: [true, false, 1, 0] }, x: { dims: [4], data: [1, 2, 3, 4] }, s: 7, i: { dims: [2], data: [3, -1] } };
    try {
      expect(Array.from(model.run(feeds).y.data)).toEqual([7, 7]);
      for (const name of ['b', 'x', 's', 'i']) await each((v) => model.run({ ...feeds, [name]: v } as never), name);
      await each((v) => model.run({ ...feeds, i: { dims: [1], data: [v] } } as never), 'index value');
    } finally { model.dispose(); }
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// What the fuzzing found, one case each

describe('what fuzzing the graph runtime found, case by case', () => {
  const model = (graph: GraphSpec, opset = 17) => loadOnnxGraph(encodeModel({ opset, graph }), { runtime });
  async function refused(graph: GraphSpec, message: RegExp): Promise<void> {
    const start = performance.now();
    const err = await model(graph).then((m) => { m.dispose(); return undefined; }, (e) => e);
    expect(err).toBeInstanceOf(RecurFormatError);
    expect(err.message).toMatch(message);
    expect(performance.now() - start).toBeLessThan(LIMIT_MS);
  }
  const shape = (name: string, dims: number[]): TensorSpec => ({ name, dataType: INT64, dims: [dims.length], data: dims });

  it('a [1] input expanded to [4096, 4096] and multiplied by itself is refused at once (it would run for minutes)', async () => {
    await refused({
      nodes: [node('Expand', ['x', 's'], ['A'], [], 'expand'), node('MatMul', ['A', 'A'], ['y'], [], 'mm')],
      initializers: [shape('s', [4096, 4096])], inputs: [valueInfo('x', FLOAT, [1])], outputs: [valueInfo('y')],
    }, /^ONNX node 'mm' \(MatMul\): with the nodes before it, it takes one run past 1073741824 units of work/);
  });

  it('a thousand reductions of one 2048 × 2048 tensor are refused (each reads all of it)', async () => {
    const nodes = [node('Expand', ['x', 's'], ['X'], [], 'expand')];
    for (let i = 0; i < 1000; i++) nodes.push(node('ReduceSum', ['X'], [`y${i}`], [attr.i('keepdims', 0)], `sum${i}`));
    await refused({ nodes, initializers: [shape('s', [2048, 2048])], inputs: [valueInfo('x', FLOAT, [1])], outputs: nodes.slice(1).map((n) => valueInfo(n.outputs[0])) },
      /^ONNX node 'sum\d+' \(ReduceSum\): .*one run past 1073741824 units of work/);
  });

  it('an initializer larger than a plan may hold is refused before it is decoded', async () => {
    await refused({
      nodes: [node('Identity', ['big'], ['y'], [], 'id')],
      initializers: [{ name: 'big', dataType: INT8, dims: [2 ** 27], raw: new Uint8Array(1) }], outputs: [valueInfo('y')],
    }, /initializer 'big': shape \[134217728\] has more than 2\^26 elements/);
  });

  it('MatMul by a constant of no columns gives an empty result (it was a RecurOptionError from the Linear layer)', async () => {
    const m = await model({
      nodes: [node('MatMul', ['a', 'b'], ['y'], [], 'mm')],
      initializers: [{ name: 'b', dataType: FLOAT, dims: [3, 0], data: [] }], inputs: [valueInfo('a', FLOAT, [2, 3])], outputs: [valueInfo('y')],
    });
    expect(m.run({ a: { dims: [2, 3], data: [1, 2, 3, 4, 5, 6] } }).y.dims).toEqual([2, 0]);
    m.dispose();
  });

  it('a Conv whose gathered receptive fields would pass 2^24 floats runs on direct loops, as plain JavaScript computes it', async () => {
    const { convOps } = await import('../../src/graph/ops/conv.js');
    const { evaluateNode } = await import('../../src/graph/op.js');
    const rand = prng(7);
    const w = Float32Array.from(values(rand, 'float', 4 * 256 * 64)), x = Float32Array.from(values(rand, 'float', 256 * 1100));
    const before = runtime.memoryBytes;
    const m = await model({
      nodes: [node('Conv', ['x', 'w'], ['y'], [], 'conv')],
      initializers: [{ name: 'w', dataType: FLOAT, dims: [4, 256, 64], data: w }], inputs: [valueInfo('x', FLOAT, [1, 256, 1100])], outputs: [valueInfo('y')],
    });
    const y = m.run({ x: { dims: [1, 256, 1100], data: x } }).y;
    m.dispose();
    expect(runtime.memoryBytes - before).toBeLessThan(2 ** 24);            // not 1037 × 256 × 64 floats of im2col
    const n = { name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: new Map() };
    const [want] = evaluateNode(convOps.Conv, n, [{ type: 'float', dims: [1, 256, 1100], data: x }, { type: 'float', dims: [4, 256, 64], data: w }], { opset: 17 });
    expect(y.dims).toEqual([1, 4, 1037]);
    let worst = 0;
    for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - want.data[i]));
    expect(worst).toBeLessThan(1e-3);
  });

  it('run() inputs that are not numbers are RecurShapeErrors (a Symbol threw a TypeError; undefined was taken as NaN)', async () => {
    const m = await model({
      nodes: [node('Gather', ['x', 'i'], ['y'], [], 'gather'), node('Not', ['b'], ['nb'], [], 'not')],
      inputs: [valueInfo('x', FLOAT, [3]), valueInfo('i', INT64, []), valueInfo('b', BOOL, [2])], outputs: [valueInfo('y'), valueInfo('nb')],
    });
    const ok = { x: { dims: [3], data: [1, 2, 3] }, i: -1, b: { dims: [2], data: [0, 1] } };
    expect(Array.from(m.run(ok).y.data)).toEqual([3]);
    const { RecurShapeError } = await import('../../src/errors.js');
    for (const [feeds, message] of [
      [{ ...ok, x: { dims: [3], data: [1, Symbol('s'), 3] } }, /input 'x': data\[1\] is symbol, not a number/],
      [{ ...ok, x: undefined }, /input 'x': expected \{ dims, data \} or a number, got undefined/],
      [{ ...ok, i: 'one' }, /input 'i': expected \{ dims, data \} or a number, got string/],
      [{ ...ok, i: 0.5 }, /input 'i': data\[0\] is 0.5, but the input holds integers/],
      [{ ...ok, x: { dims: [1 << 14, 1 << 14], data: { length: 2 ** 28 } } }, /input 'x': shape \[16384, 16384\] has more than 2\^26 elements/],
    ] as const) {
      expect(() => m.run(feeds as never)).toThrow(RecurShapeError);
      expect(() => m.run(feeds as never)).toThrow(message);
    }
    expect(Array.from(m.run({ ...ok, b: { dims: [2], data: [2, 0] } }).nb.data)).toEqual([0, 1]);   // bools are 0 or 1
    expect(() => m.stream({ batch: Symbol('b') as never })).toThrow(/batch must be an integer from 1 to 65536, got symbol|no state inputs/);
    m.dispose();
  });

  it('Flatten of an empty tensor whose other sizes multiply past 2^53 is refused by name (its output is no shape)', async () => {
    const m = await model({ nodes: [node('Flatten', ['x'], ['y'], [], 'flat')], inputs: [valueInfo('x', BOOL, [0, 2 ** 40, 2 ** 20, 1, 3])], outputs: [valueInfo('y')] });
    expect(() => m.run({ x: { dims: [0, 2 ** 40, 2 ** 20, 1, 3], data: [] } })).toThrow(/^ONNX node 'flat' \(Flatten\): output: shape \[0, \d+\] has an invalid size/);
    m.dispose();
  });

  it('MatMul with an empty result and a batch of 2^42 matrices is empty (its batch was sized, unnamed)', async () => {
    const m = await model({ nodes: [node('MatMul', ['a', 'b'], ['y'], [], 'mm')], inputs: [valueInfo('a', FLOAT, [2]), valueInfo('b', FLOAT, [2 ** 40, 4, 2, 0])], outputs: [valueInfo('y')] });
    expect(m.run({ a: { dims: [2], data: [1, 2] }, b: { dims: [2 ** 40, 4, 2, 0], data: [] } }).y.dims).toEqual([2 ** 40, 4, 0]);
    m.dispose();
  });

  it('Pad (opset 2) of ints with value Infinity pads with an integer (it wrote Infinity into an int tensor)', async () => {
    const m = await model({ nodes: [node('Pad', ['x'], ['y'], [attr.ints('pads', [1, 0]), attr.f('value', Infinity)], 'pad')], inputs: [valueInfo('x', INT64, [1])], outputs: [valueInfo('y')] }, 2);
    expect(Array.from(m.run({ x: { dims: [1], data: [5] } }).y.data)).toEqual([Number.MAX_SAFE_INTEGER, 5]);
    m.dispose();
  });

  it('a node with no name is named by its first output that is there', async () => {
    await refused({
      nodes: [{ opType: 'LSTM', inputs: ['x', 'w', 'r'], outputs: ['', 'h'], attributes: [attr.s('direction', 'sideways')] }],
      initializers: [{ name: 'w', dataType: FLOAT, dims: [1, 4, 1], data: [0, 0, 0, 0] }, { name: 'r', dataType: FLOAT, dims: [1, 4, 1], data: [0, 0, 0, 0] }],
      inputs: [valueInfo('x', FLOAT, [1, 1, 1])], outputs: [valueInfo('h')],
    }, /^ONNX node 'h' \(LSTM\): direction must be/);
  });
});
