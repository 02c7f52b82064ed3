// An ONNX model run as a graph: what importOnnx returns when a file is not a chain of recur's
// layers (Silero VAD: a conv front end, If on the sample rate, an LSTM, state in and out).
//
//   const model = await loadOnnxGraph(bytes, { fixedInputs: { sr: 16000 } });
//   const { output, stateN } = model.run({ input: { dims: [1, 512], data }, state });
//   const s = model.stream();            // state inputs paired with outputs (state → stateN)
//   const p = s.step(frame);             // Float32Array of the first other output
//
// A plan (plan.ts) is made for each set of input shapes the model sees, when it first sees it,
// and kept (at most MAX_PLANS, least recently used dropped).

import { RecurDisposedError, RecurFormatError, RecurOptionError, RecurShapeError } from '../errors.js';
import { decodeModel, type OnnxGraph, type OnnxValueInfo } from '../onnx/onnx.js';
import { OwnedBlocks } from '../runtime/reclaim.js';
import { init, type Runtime } from '../runtime/runtime.js';
import { loadGraphKernels } from './kernels.js';
import { decodeSnapshot, encodeSnapshot, fnv1a } from '../stream/snapshot.js';
import { MAX_PLAN_ELEMENTS, MAX_RUN_WORK, Plan, unsupportedOperators, type PlanInput } from './plan.js';
import { alloc, elemTypeOf, sizeOf, type ElemType, type Tensor } from './tensor.js';

/** A tensor given to run(): { dims, data } (data converted to the input's type), or a scalar. */
export type TensorInput = { dims: readonly number[]; data: ArrayLike<number | boolean> | BigInt64Array | BigUint64Array } | number | bigint | boolean;

export interface GraphValue {
  name: string;
  type: ElemType;
  /** Declared dims: a size, a symbolic name, or undefined when the file does not say. */
  dims: (number | string | undefined)[] | undefined;
}

export interface OnnxGraphOptions {
  /** The runtime the model's kernels and buffers live in; default the shared one. */
  runtime?: Runtime;
  /** Inputs whose values are fixed at import, folded like weights (Silero's sr: 16000 keeps one branch). */
  fixedInputs?: Record<string, TensorInput>;
  /** Plan these input shapes now, so a problem with the graph shows at import. */
  shapes?: Record<string, number[]>;
  /** State inputs and the outputs that carry them to the next call; default: recognised by name. */
  states?: Record<string, string>;
  /** Most work one run may take (plan.ts MAX_RUN_WORK, 2^30 units: a few seconds); raise it for heavy graphs or long inputs. */
  maxRunWork?: number;
  /**
   * Run a Conv whose weight is a windowed Fourier basis (an STFT, as in Silero VAD) by FFT
   * (default true): ~4× less work for Silero's, and closer to the exact transform. false sums
   * the file's basis in float32 as onnxruntime-node does, bit for bit (with its fused
   * multiply-adds, emulated in the plain build at ~5× the matrix product's cost), which matters
   * only to a model that magnifies the last bits of small spectral values (Silero legacy takes
   * log(1 + 2^20·|X|)).
   * 'f32' runs the FFT in single precision, four frames a vector (about half the double FFT's
   * time): each bin within a few float32 ulps of the frame's largest ones rather than of itself,
   * which a model that reads small bins' last bits (Silero legacy) should not take.
   */
  fft?: boolean | 'f32';
}

/** Plans kept per model, one per set of input shapes (and no more elements than one plan may hold). */
const MAX_PLANS = 4;

export async function loadOnnxGraph(bytes: Uint8Array | ArrayBuffer, options: OnnxGraphOptions = {}): Promise<OnnxGraphModel> {
  const data = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(data instanceof Uint8Array)) throw new RecurFormatError('loadOnnxGraph: bytes must be a Uint8Array or an ArrayBuffer');
  const rt = options.runtime ?? (await init());
  await loadGraphKernels(rt);
  const model = decodeModel(data);
  return new OnnxGraphModel(model.graph, model.opset, rt, options);
}

export class OnnxGraphModel {
  /** The inputs run() takes (graph inputs less initializers and fixed inputs). */
  readonly inputs: GraphValue[];
  readonly outputs: GraphValue[];
  /** State input → the output that holds its next value. */
  readonly states: Readonly<Record<string, string>>;
  private readonly maxRunWork: number;
  private readonly fft: boolean | 'f32';
  private readonly fixed = new Map<string, Tensor>();
  private readonly plans = new Map<string, Plan>();
  /** The plans' wasm memory: freed by dispose(), or when the model (and every stream of it) is garbage-collected. */
  private readonly owned = new OwnedBlocks(this);
  private disposed = false;

  /** @internal Use loadOnnxGraph() or importOnnx(). `graph` is the decoded file (read by recur inspect). */
  constructor(readonly graph: OnnxGraph, readonly opset: number, readonly runtime: Runtime, options: OnnxGraphOptions) {
    if (graph.sparseInitializers) throw new RecurFormatError('ONNX graph: sparse initializers are not supported');
    if (!graph.outputs.length) throw new RecurFormatError('ONNX graph: it has no outputs');
    const unsupported = unsupportedOperators(graph);
    if (unsupported.length) {
      const names = [...new Set(unsupported.map((u) => u.split(' ')[0]))];
      throw new RecurFormatError(`ONNX graph: unsupported operator${names.length > 1 ? 's' : ''} ${names.join(', ')}: ${unsupported.slice(0, 20).join('; ')}${unsupported.length > 20 ? `; … ${unsupported.length - 20} more` : ''}`);
    }
    const declared = graph.inputs.filter((i) => !graph.initializers.has(i.name));
    for (const [name, value] of Object.entries(options.fixedInputs ?? {})) {
      const info = declared.find((i) => i.name === name);
      if (!info) throw new RecurFormatError(`fixedInputs: the graph has no input '${name}' (it has ${declared.map((i) => i.name).join(', ')})`);
      this.fixed.set(name, toTensor(value, valueInfo(info), `fixedInputs.${name}`));
    }
    this.inputs = declared.filter((i) => !this.fixed.has(i.name)).map(valueInfo);
    this.outputs = graph.outputs.map(valueInfo);
    this.states = options.states ? checkStates(options.states, this.inputs, this.outputs) : recogniseStates(this.inputs, this.outputs);
    const maxRunWork = options.maxRunWork ?? MAX_RUN_WORK;
    if (!(typeof maxRunWork === 'number' && maxRunWork > 0)) throw new RecurOptionError(`maxRunWork must be a positive number, got ${String(maxRunWork)}`);
    this.maxRunWork = maxRunWork;
    if (options.fft !== undefined && typeof options.fft !== 'boolean' && options.fft !== 'f32') throw new RecurOptionError(`fft must be true, false or 'f32', got ${String(options.fft)}`);
    this.fft = options.fft ?? true;
    // Plan now when the shapes are known (given, or all declared), so problems show at import.
    const shapes = options.shapes ?? (this.inputs.every((i) => i.dims?.every((d) => typeof d === 'number'))
      ? Object.fromEntries(this.inputs.map((i) => [i.name, i.dims as number[]])) : undefined);
    if (shapes) this.plan(this.inputs.map((i) => {
      const dims = shapes[i.name];
      if (!Array.isArray(dims)) throw new RecurOptionError(`shapes: give a shape for every input; '${i.name}' is missing`);
      return { name: i.name, type: i.type, dims: [...dims] };
    }));
  }

  /** Runs the graph once: every input by name, every output by name (copies). */
  run(inputs: Record<string, TensorInput>): Record<string, Tensor> {
    this.alive();
    if (inputs === null || typeof inputs !== 'object') throw new RecurShapeError('run: inputs must be an object of named tensors');
    const tensors = this.inputs.map((i) => {
      if (!Object.prototype.hasOwnProperty.call(inputs, i.name)) throw new RecurShapeError(`run: input '${i.name}' is missing`);
      return toTensor(inputs[i.name], i, `input '${i.name}'`);
    });
    const extra = Object.keys(inputs).filter((k) => !this.inputs.some((i) => i.name === k));
    if (extra.length) throw new RecurShapeError(`run: the graph has no input${extra.length > 1 ? 's' : ''} ${extra.map((e) => `'${e}'`).join(', ')}`);
    const plan = this.planFor(tensors);
    tensors.forEach((t, k) => plan.input(k).data.set(t.data as Float32Array));
    plan.run();
    return Object.fromEntries(this.outputs.map((o, k) => [o.name, copy(plan.output(k))]));
  }

  /** A stream over the model's state inputs (see GraphStream). */
  stream(options: { batch?: number } = {}): GraphStream {
    this.alive();
    if (!Object.keys(this.states).length) {
      throw new RecurFormatError(`stream: the graph has no state inputs paired with outputs (inputs ${this.inputs.map((i) => i.name).join(', ')}; outputs ${this.outputs.map((o) => o.name).join(', ')}); pass states: { input: output } to loadOnnxGraph`);
    }
    return new GraphStream(this, options?.batch ?? 1);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owned.freeAll();
    this.plans.clear();
  }

  /** @internal The plan for inputs of these shapes, made on first use. */
  planFor(tensors: { dims: readonly number[] }[]): Plan {
    const key = tensors.map((t) => t.dims.join('x')).join('|');
    let plan = this.plans.get(key);
    if (plan) { this.plans.delete(key); this.plans.set(key, plan); return plan; }   // most recent last
    plan = this.plan(this.inputs.map((i, k) => ({ name: i.name, type: i.type, dims: [...tensors[k].dims] })));
    return plan;
  }

  private plan(inputs: PlanInput[]): Plan {
    const key = inputs.map((i) => i.dims.join('x')).join('|');
    const plan = this.owned.add(new Plan(this.graph, inputs, this.fixed, { opset: this.opset, rt: this.runtime, fft: this.fft }, this.maxRunWork));
    this.plans.set(key, plan);
    // At most MAX_PLANS, and together no more than one plan may hold: the least recently used go.
    let held = 0;
    for (const p of this.plans.values()) held += p.elements;
    while (this.plans.size > MAX_PLANS || (this.plans.size > 1 && held > MAX_PLAN_ELEMENTS)) {
      const [oldest, p] = this.plans.entries().next().value as [string, Plan];
      this.plans.delete(oldest);
      held -= p.elements;
      this.owned.free(p);
    }
    return plan;
  }

  /** @internal */
  alive(): void { if (this.disposed) throw new RecurDisposedError('this ONNX graph model was disposed'); }
}

/**
 * Steps a graph whose recurrent state is carried by inputs and outputs: each step feeds the
 * state outputs of the last step back as state inputs (zeros at first), in the model's
 * buffers, so the caller passes only the other inputs.
 */
export class GraphStream {
  private readonly stateNames: string[];
  private readonly stateDims: number[][];
  private state: Float32Array[];
  private readonly free: GraphValue[];
  /** Positions in model.inputs of the free inputs and the states; in model.outputs of the states' next values. */
  private readonly inputIndex: number[];
  private readonly stateInputs: number[];
  private readonly stateOutputs: number[];
  private readonly firstOutput: number;
  private plan?: Plan;
  private lastDims?: number[][];
  private lastLength = -1;

  /** @internal */
  constructor(private readonly model: OnnxGraphModel, readonly batch: number) {
    if (!Number.isSafeInteger(batch) || batch < 1 || batch > 65536) throw new RecurShapeError(`stream: batch must be an integer from 1 to 65536, got ${typeof batch === 'number' ? batch : typeof batch}`);
    this.stateNames = Object.keys(model.states);
    this.stateDims = this.stateNames.map((name) => {
      const info = model.inputs.find((i) => i.name === name)!;
      if (!info.dims) throw new RecurFormatError(`stream: state input '${name}' has no declared shape`);
      const unknown = info.dims.filter((d) => typeof d !== 'number').length;
      if (unknown > 1) throw new RecurFormatError(`stream: state input '${name}' [${info.dims.join(', ')}] has more than one unknown size (batch)`);
      return info.dims.map((d) => (typeof d === 'number' ? d : batch));
    });
    this.state = this.stateDims.map((d) => new Float32Array(sizeOf(d)));
    this.free = model.inputs.filter((i) => !this.stateNames.includes(i.name));
    this.inputIndex = this.free.map((i) => model.inputs.indexOf(i));
    this.stateInputs = this.stateNames.map((n) => model.inputs.findIndex((i) => i.name === n));
    this.stateOutputs = this.stateNames.map((n) => model.outputs.findIndex((o) => o.name === model.states[n]));
    this.firstOutput = model.outputs.findIndex((_, k) => !this.stateOutputs.includes(k));
    if (this.firstOutput < 0) throw new RecurFormatError('stream: every output of the graph is a state');
  }

  /**
   * One call of the graph. Given a Float32Array (when the graph has one input besides the
   * states), returns the first output that is not a state; given named inputs, returns every
   * output that is not a state, by name (copies).
   */
  step(x: Float32Array): Float32Array;
  step(inputs: Record<string, TensorInput>): Record<string, Tensor>;
  step(x: Float32Array | Record<string, TensorInput>): Float32Array | Record<string, Tensor> {
    const m = this.model;
    m.alive();
    if (x instanceof Float32Array) {
      if (this.free.length !== 1) throw new RecurShapeError(`step: the graph has ${this.free.length} inputs besides its states (${this.free.map((i) => i.name).join(', ')}); pass them by name`);
      const info = this.free[0];
      if (info.type !== 'float') throw new RecurShapeError(`step: input '${info.name}' is ${info.type}; pass it as { dims, data }`);
      // The same length as the last step: the same plan, without working out the dims again.
      const plan = x.length === this.lastLength && this.plan?.live ? this.plan
        : this.planFor(streamDims(info, x.length, this.batch));
      this.lastLength = x.length;
      plan.input(this.inputIndex[0]).data.set(x);
      this.runStates(plan);
      return (plan.output(this.firstOutput).data as Float32Array).slice();
    }
    if (x === null || typeof x !== 'object') throw new RecurShapeError('step: pass a Float32Array or an object of named inputs');
    this.lastLength = -1;
    const given = this.free.map((i) => {
      if (!Object.prototype.hasOwnProperty.call(x, i.name)) throw new RecurShapeError(`step: input '${i.name}' is missing`);
      return toTensor(x[i.name], i, `input '${i.name}'`);
    });
    const plan = this.planFor(given.length === 1 ? given[0].dims : undefined, given);
    given.forEach((t, k) => plan.input(this.inputIndex[k]).data.set(t.data as Float32Array));
    this.runStates(plan);
    const outputs: Record<string, Tensor> = {};
    m.outputs.forEach((o, k) => { if (!this.stateOutputs.includes(k)) outputs[o.name] = copy(plan.output(k)); });
    return outputs;
  }

  /** The plan for these inputs (one free input of dims `single`, or several), kept while shapes repeat. */
  private planFor(single: number[] | undefined, given?: Tensor[]): Plan {
    const dims = single ? [single] : given!.map((t) => t.dims);
    const same = this.lastDims && this.lastDims.length === dims.length && this.lastDims.every((d, k) => d.length === dims[k].length && d.every((v, j) => v === dims[k][j]));
    if (same && this.plan?.live) return this.plan;
    const all = this.model.inputs.map((i) => {
      const s = this.stateNames.indexOf(i.name);
      return s >= 0 ? { dims: this.stateDims[s] } : { dims: dims[this.free.indexOf(i)] };
    });
    this.plan = this.model.planFor(all);
    this.lastDims = dims;
    return this.plan;
  }

  /** Feeds the states in, runs, and keeps the state outputs (checked against the state shapes). */
  private runStates(plan: Plan): void {
    this.stateInputs.forEach((k, s) => plan.input(k).data.set(this.state[s]));
    plan.run();
    this.stateOutputs.forEach((k, s) => {
      const t = plan.output(k);
      if (t.data.length !== this.state[s].length) throw new RecurShapeError(`step: output '${this.model.outputs[k].name}' has ${t.data.length} values but state '${this.stateNames[s]}' ${this.state[s].length}`);
      this.state[s].set(t.data as Float32Array);
    });
  }

  /** The states as bytes (recur's "RCST" snapshot, tied to the state names and shapes). */
  saveState(): Uint8Array {
    this.model.alive();
    return encodeSnapshot(this.fingerprint(), this.batch, this.state);
  }

  /** Restores saveState()'s bytes; a RecurFormatError (and no change) if they do not fit. */
  loadState(bytes: Uint8Array): void {
    this.model.alive();
    this.state = decodeSnapshot(bytes, this.fingerprint(), this.batch, this.state.map((s) => s.length));
  }

  /** Zero states, as a new stream starts. */
  reset(): void { for (const s of this.state) s.fill(0); }

  /** The current states by input name (copies). */
  get states(): Record<string, Float32Array> { return Object.fromEntries(this.stateNames.map((n, k) => [n, this.state[k].slice()])); }

  private fingerprint(): number {
    return fnv1a(JSON.stringify(this.stateNames.map((n, k) => [n, this.stateDims[k]])));
  }
}

// ---------------------------------------------------------------------------------------------

/** A graph input or output as declared; one the file gives no type is taken as float. */
function valueInfo(v: OnnxValueInfo): GraphValue {
  const type = v.elemType === undefined ? 'float' : elemTypeOf(v.elemType);
  if (!type) throw new RecurFormatError(`ONNX graph: input or output '${v.name}' is not a tensor of a supported type`);
  return { name: v.name, type, dims: v.dims?.map((d) => (typeof d === 'number' && d > 0 ? d : typeof d === 'string' && d ? d : undefined)) };
}

/** state → stateN, h → hn, c → cn, …: a float input and an output of its name plus a suffix. */
function recogniseStates(inputs: GraphValue[], outputs: GraphValue[]): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const i of inputs) {
    if (i.type !== 'float') continue;
    const o = outputs.find((o) => ['N', 'n', '_n', '_out', 'Out', '_next'].some((s) => o.name === i.name + s));
    if (o && o.type === 'float') pairs[i.name] = o.name;
  }
  return pairs;
}

function checkStates(states: Record<string, string>, inputs: GraphValue[], outputs: GraphValue[]): Record<string, string> {
  for (const [input, output] of Object.entries(states)) {
    if (!inputs.some((i) => i.name === input && i.type === 'float')) throw new RecurFormatError(`states: '${input}' is not a float input of the graph`);
    if (!outputs.some((o) => o.name === output && o.type === 'float')) throw new RecurFormatError(`states: '${output}' is not a float output of the graph`);
  }
  return { ...states };
}

/** A stream's input dims: the declared ones, unknown sizes from the batch and the data's length. */
function streamDims(info: GraphValue, length: number, batch: number): number[] {
  const declared = info.dims ?? [undefined, undefined];
  const dims = declared.map((d) => (typeof d === 'number' ? d : -1));
  const unknown = dims.flatMap((d, k) => (d < 0 ? [k] : []));
  if (unknown.length > 1) dims[unknown[0]] = batch;
  if (unknown.length > 2) throw new RecurShapeError(`step: input '${info.name}' [${declared.join(', ')}] has more than two unknown sizes; pass it as { dims, data }`);
  if (unknown.length) {
    const known = dims.reduce((p, d) => (d > 0 ? p * d : p), 1);
    dims[unknown[unknown.length - 1]] = length / known;
  }
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new RecurShapeError(`step: ${length} values do not fill input '${info.name}' [${declared.join(', ')}] with batch ${batch}`);
  return dims;
}

/**
 * A user's value as a tensor of the input's type and (declared) shape: numbers, BigInts or
 * booleans; an int input's values must be integers, a bool input's are true when nonzero.
 */
function toTensor(value: TensorInput, info: GraphValue, what: string): Tensor {
  const scalar = typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean';
  if (!scalar && (typeof value !== 'object' || value === null)) throw new RecurShapeError(`${what}: expected { dims, data } or a number, got ${value === null ? 'null' : typeof value}`);
  const v = scalar ? { dims: [], data: [value] } : value as Exclude<TensorInput, number | bigint | boolean>;
  if (!Array.isArray(v.dims) || !v.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new RecurShapeError(`${what}: dims must be a list of non-negative integers`);
  const data = v.data as ArrayLike<unknown>;
  if (!data || typeof data.length !== 'number') throw new RecurShapeError(`${what}: data must be an array or a typed array`);
  let n: number;
  try { n = sizeOf(v.dims, what); } catch (err) { throw new RecurShapeError((err as Error).message); }
  if (data.length !== n) throw new RecurShapeError(`${what}: dims [${v.dims.join(', ')}] need ${n} values, got ${data.length}`);
  if (info.dims && (info.dims.length !== v.dims.length || info.dims.some((d, k) => typeof d === 'number' && d !== v.dims[k]))) {
    throw new RecurShapeError(`${what}: dims [${v.dims.join(', ')}] do not match the declared [${info.dims.map((d) => d ?? '?').join(', ')}]`);
  }
  const t = alloc(info.type, v.dims as number[], what);
  for (let k = 0; k < n; k++) {
    const x = data[k];
    const number = typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : typeof x === 'boolean' ? (x ? 1 : 0) : undefined;
    if (number === undefined) throw new RecurShapeError(`${what}: data[${k}] is ${x === null ? 'null' : typeof x}, not a number`);
    if (info.type === 'int' && !Number.isInteger(number)) throw new RecurShapeError(`${what}: data[${k}] is ${number}, but the input holds integers`);
    t.data[k] = info.type === 'bool' ? (number ? 1 : 0) : number;
  }
  return t;
}

function copy(t: Tensor): Tensor {
  return { type: t.type, dims: [...t.dims], data: t.data.slice() };
}
