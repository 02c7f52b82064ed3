// An ONNX graph → a Sequential description and state dict, by following the graph from its input
// to its outputs and recognising the layers torch.onnx.export (and similar exporters) write:
//
//   Gather(weight, ids)                        → Embedding
//   LSTM / GRU / RNN                           → LSTM / GRU / RNN (recurrent.ts); consecutive nodes
//                                                of one multi-layer module fold into one layer with
//                                                numLayers, decided by data flow (grouping.ts)
//   MatMul(x, Wᵀ) [+ Add(b)], Gemm(x, W, b)    → Linear
//   Softmax / LogSoftmax as the very last op   → dropped; reported as finalActivation
//
// Everything else torch writes around these is layout and shape bookkeeping, which recur does
// not need because its layers never move data between them: Transpose, Squeeze, Unsqueeze,
// Reshape, Identity, Dropout, Cast on the activations; Shape, Gather, Concat, Slice,
// ConstantOfShape, Expand, Constant building the zero initial states, and Slice, Gather,
// Unsqueeze reading initial states out of a graph input. The converter checks that
// bookkeeping symbolically instead of running it: each axis of the activations is a list of
// atoms — the model input's non-feature axes (which become seq and batch once a recurrent node
// says which is which), directions D, and features — and every layer checks that its input is
// laid out as recur will have it in memory: [seq, batch, features] or [batch, seq, features]
// with the features last and directions before hidden units. Anything the graph does that recur
// cannot reproduce is a RecurFormatError naming the node.

import { RecurFormatError } from '../errors.js';
import type { LayerDescription, SequentialDescription } from '../model/sequential.js';
import { DataType, decodeModel, tensorFloats, tensorInts, typeName, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx.js';
import { continuesGroup, stackedFinalStates, type RecurrentNode, type StateSource } from './grouping.js';
import { cellAttributes, cellWeights, type CellAttributes, type CellType, type CellWeights } from './recurrent.js';

/** What importOnnx makes of a file, before any wasm memory is used. */
export interface OnnxConversion {
  /** The layers, for Sequential.create(). */
  architecture: SequentialDescription;
  /** Every tensor under `<layer>.<PyTorch name>`, for Sequential.loadStateDict(). */
  stateDict: Record<string, Float32Array>;
  /** The graph input that feeds the first layer; its axes in recur's terms ('seq', 'batch', 'features'). */
  input: { name: string; ids: boolean; axes: string[] };
  /**
   * Graph inputs that are a recurrent layer's initial state: pass them as forward(x, { states: { [layer]: { h, c } } }).
   * `rows` [from, to): only those rows of the input are the state (an input packing several, such as
   * Silero's [h; c] read with Gather); absent: all of it.
   */
  initialStates: { input: string; layer: string; state: 'h' | 'c'; rows?: [number, number] }[];
  /** Where each graph output is in forward()'s result. */
  outputs: OnnxOutput[];
  /** A Softmax/LogSoftmax the graph ends with, dropped: forward() returns the logits before it. */
  finalActivation?: 'softmax' | 'logSoftmax';
  opset: number;
  producer: string;
}

export type OnnxOutput =
  | { name: string; from: 'output'; activation?: 'softmax' | 'logSoftmax' }
  /** rows [from, to) of states[layer][state], which is [numLayers·directions, batch, hidden]. */
  | { name: string; from: 'state'; layer: string; state: 'h' | 'c'; rows: [number, number] };

// ---------------------------------------------------------------------------------------------
// Symbolic values

/** One factor of an axis: a model-input axis ('x0', 'x1'), directions ('D') or features ('F'). */
interface Atom { label: string; size?: number }
/** An axis is the product of its atoms, row-major; [] is an axis of size 1. */
type Axis = Atom[];
/** An entry of a shape vector: a known size, or the atoms of the axis it measures. */
type Dim = number | Atom[];

type Value =
  | { kind: 'const'; name: string; dims: number[]; tensor?: OnnxTensor; floats?: Float32Array; ints?: number[] }
  /** stage: how many layers made them; sub: which node of a multi-layer recurrent layer (its Y). */
  | { kind: 'data'; axes: Axis[]; stage: number; sub?: number; ids?: boolean; linear?: number; final?: 'softmax' | 'logSoftmax' }
  | { kind: 'shape'; dims?: Dim[]; scalar: boolean }
  /** Zeros; `origin` (the node output that made them) and rows [from, to) of it, when known, tell layers' states apart. */
  | { kind: 'zeros'; origin?: string; from?: number; to?: number; squeezed?: boolean }
  | { kind: 'state'; layer: number; state: 'h' | 'c'; from: number; to: number; transposed: boolean; node: string }
  /** Rows [from, to) of a graph input that reaches only initial states; squeezed: one row read without its axis (Gather). */
  | { kind: 'stateInput'; input: string; from: number; to?: number; squeezed?: boolean }
  | { kind: 'graphInput'; input: string };

type Data = Extract<Value, { kind: 'data' }>;
type Const = Extract<Value, { kind: 'const' }>;

type LayerPlan =
  | { type: 'embedding'; hint: string; weight: Float32Array; numEmbeddings: number; embeddingDim: number }
  | { type: 'linear'; hint: string; weight: Float32Array; bias?: Float32Array; inFeatures: number; outFeatures: number }
  | { type: CellType; hint: string; attrs: CellAttributes; bias: boolean; peephole: boolean;
      sublayers: CellWeights[]; nodes: RecurrentNode[] };

const RECURRENT: Record<string, CellType> = { LSTM: 'lstm', GRU: 'gru', RNN: 'rnn' };

const STEP_SELECTION = 'selecting part of the activations (such as y[-1], the last time step) has no recur equivalent: ' +
  "recur's layers return every time step, so take the part you need from forward()'s output";

/** Largest shape vector, axes list or index list read from a constant. */
const MAX_SMALL = 64;
/** An end index at or beyond this means "to the end" (exporters write INT64_MAX or INT32_MAX). */
const TO_END = 2 ** 31 - 1;
/** The sequence axis of a one-step model: its input [batch, features] is unsqueezed to X [1, batch, features]. */
const ONE_STEP = 'step';

/** Ops through which a graph input can still be (rows of) an initial state. */
const ROW_OPS = new Set(['Slice', 'Identity', 'Gather', 'Unsqueeze', 'Squeeze']);

const SUPPORTED = new Set([
  'LSTM', 'GRU', 'RNN', 'Gather', 'MatMul', 'Gemm', 'Add', 'Softmax', 'LogSoftmax',
  'Identity', 'Dropout', 'Cast', 'Constant', 'Shape', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice',
  'ConstantOfShape', 'Expand', 'Transpose', 'Reshape',
]);

export function convertOnnx(bytes: Uint8Array): OnnxConversion {
  const model = decodeModel(bytes);
  const c = new Converter(model.graph, model.opset);
  return { ...c.run(), opset: model.opset, producer: model.producer };
}

class Converter {
  private readonly values = new Map<string, Value>();
  private readonly layers: LayerPlan[] = [];
  /** The model input's non-feature axes, in its order: ['x0', 'x1'] (or ['x0']). */
  private stream: string[] = [];
  /** Their declared sizes and names (from the graph input's shape), for messages and sequence_lens. */
  private declared: Record<string, number | string | undefined> = {};
  /** Which stream axis a recurrent node has used as the sequence axis. */
  private time?: string;
  private needed = new Set<string>();
  /** Whether two recurrent nodes' final states are stacked by a Concat (grouping.ts). */
  private stacked: (a: OnnxNode, b: OnnxNode) => boolean = () => false;

  constructor(private readonly graph: OnnxGraph, private readonly opset: number) {}

  run(): Omit<OnnxConversion, 'opset' | 'producer'> {
    const g = this.graph;
    if (g.sparseInitializers) throw new RecurFormatError('ONNX graph: sparse initializers are not supported');
    if (!g.outputs.length) throw new RecurFormatError('ONNX graph: it has no outputs');
    const nodes = this.neededNodes();
    const unsupported = nodes.filter((n) => !SUPPORTED.has(n.opType) || (n.domain !== '' && n.domain !== 'ai.onnx'));
    if (unsupported.length) {
      const ops = [...new Set(unsupported.map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType)))];
      throw new RecurFormatError(
        `ONNX graph: unsupported operator${ops.length > 1 ? 's' : ''} ${ops.slice(0, 12).join(', ')}${ops.length > 12 ? ', …' : ''} (node${unsupported.length > 1 ? 's' : ''} ` +
        `${unsupported.slice(0, 6).map((n) => `'${n.name || n.opType}'`).join(', ')}${unsupported.length > 6 ? ', …' : ''}). ` +
        'recur imports Embedding (Gather), LSTM, GRU, RNN and Linear (MatMul + Add, Gemm) layers, a final Softmax or LogSoftmax, ' +
        'and the layout and shape ops exporters write around them');
    }
    const { name: inputName, stateInputs, otherInputs } = this.classifyInputs(nodes);
    this.stacked = stackedFinalStates(nodes);
    for (const [name, t] of g.initializers) this.values.set(name, { kind: 'const', name, dims: t.dims, tensor: t });
    this.defineInput(inputName);
    for (const name of stateInputs) {
      const rows = this.stateRows(name);
      // A [batch, hidden] input is one row without its axis (to be unsqueezed to [1, batch, hidden]).
      this.values.set(name, { kind: 'stateInput', input: name, from: 0, to: rows, squeezed: this.graph.inputs.find((i) => i.name === name)?.dims?.length === 2 });
    }
    for (const name of otherInputs) this.values.set(name, { kind: 'graphInput', input: name });
    for (const n of nodes) this.node(n);
    if (!this.layers.length) throw new RecurFormatError(`ONNX graph: no layer recur can run follows the input '${inputName}'`);
    return this.finish(inputName);
  }

  // -------------------------------------------------------------------------------------------
  // The graph around the layers

  /** The nodes some graph output depends on, in file order (ONNX requires topological order). */
  private neededNodes(): OnnxNode[] {
    const needed = this.needed;
    for (const o of this.graph.outputs) needed.add(o.name);
    const keep: boolean[] = [];
    for (let i = this.graph.nodes.length - 1; i >= 0; i--) {
      const n = this.graph.nodes[i];
      keep[i] = n.outputs.some((o) => o !== '' && needed.has(o));
      if (keep[i]) for (const name of n.inputs) if (name !== '') needed.add(name);
    }
    return this.graph.nodes.filter((_, i) => keep[i]);
  }

  /**
   * The one graph input the layers run on; the inputs that only reach a recurrent node's
   * initial_h / initial_c (possibly through Slice, Gather, Unsqueeze, Squeeze or Identity), which become forward() states;
   * and those that only reach its weights or sequence_lens (refused there, with the reason).
   */
  private classifyInputs(nodes: OnnxNode[]): { name: string; stateInputs: string[]; otherInputs: string[] } {
    const g = this.graph;
    const consumers = new Map<string, { node: OnnxNode; index: number }[]>();
    nodes.forEach((node) => node.inputs.forEach((name, index) => {
      if (!consumers.has(name)) consumers.set(name, []);
      consumers.get(name)!.push({ node, index });
    }));
    // Iterative, so a long chain of Identity nodes cannot overflow the stack.
    const onlyFeeds = (input: string, indices: number[]): boolean => {
      const seen = new Set<string>(), todo = [input];
      let reached = false;
      while (todo.length) {
        const name = todo.pop()!;
        if (seen.has(name)) continue;
        seen.add(name);
        for (const { node, index } of consumers.get(name) ?? []) {
          if (Object.hasOwn(RECURRENT, node.opType)) {
            if (!indices.includes(index) || (index === 6 && node.opType !== 'LSTM')) return false;
            reached = true;
          } else if (ROW_OPS.has(node.opType) && index === 0) todo.push(...node.outputs);
          else if (node.opType !== 'Shape') return false;
        }
      }
      return reached;
    };
    const used = g.inputs.filter((i) => !g.initializers.has(i.name) && this.needed.has(i.name)).map((i) => i.name);
    const stateInputs = used.filter((name) => onlyFeeds(name, [5, 6]));
    const otherInputs = used.filter((name) => !stateInputs.includes(name) && onlyFeeds(name, [1, 2, 3, 4, 7]));
    const data = used.filter((name) => !stateInputs.includes(name) && !otherInputs.includes(name));
    if (data.length !== 1) {
      throw new RecurFormatError(data.length
        ? `ONNX graph: ${data.length} inputs (${data.join(', ')}) feed its layers; recur's Sequential takes one input (and initial states)`
        : 'ONNX graph: no graph input feeds its layers');
    }
    return { name: data[0], stateInputs, otherInputs };
  }

  /** The model input as activations: token ids [x0(, x1)] or floats [x0(, x1), features]. */
  private defineInput(name: string): void {
    const info = this.graph.inputs.find((i) => i.name === name)!;
    const dims = info.dims;
    const ids = info.elemType === DataType.INT64 || info.elemType === DataType.INT32;
    if (!ids && info.elemType !== DataType.FLOAT) {
      throw new RecurFormatError(`ONNX graph input '${name}' is ${info.elemType === undefined ? 'not a tensor' : typeName(info.elemType)}; recur takes float32 features or int64/int32 token ids`);
    }
    const streamRank = dims ? dims.length - (ids ? 0 : 1) : 0;
    if (!dims || streamRank < 1 || streamRank > 2) {
      throw new RecurFormatError(`ONNX graph input '${name}' must be declared as ${ids ? '[seq, batch] token ids' : '[seq, batch, features] or [rows, features]'}, got ${dims ? `[${dims.join(', ')}]` : 'no shape'}`);
    }
    const axes: Axis[] = [];
    for (let k = 0; k < streamRank; k++) {
      const label = `x${k}`;
      this.stream.push(label);
      this.declared[label] = dims[k];
      axes.push([{ label }]);
    }
    if (!ids) {
      const features = dims[dims.length - 1];
      if (typeof features !== 'number' || features < 1) throw new RecurFormatError(`ONNX graph input '${name}': its feature size (last dimension) must be fixed, got ${features ?? 'unknown'}`);
      axes.push([{ label: 'F', size: features }]);
    }
    this.values.set(name, { kind: 'data', axes, stage: 0, ids });
  }

  private node(n: OnnxNode): void {
    const op = n.opType;
    if (Object.hasOwn(RECURRENT, op)) return this.recurrent(n, RECURRENT[op]);
    const x = this.input(n, 0);
    switch (op) {
      case 'Identity': return this.set(n, 0, this.need(n, x));
      case 'Dropout': {
        if (n.outputs[1] && this.needed.has(n.outputs[1])) this.fail(n, 'its mask output is used; recur runs inference only');
        const training = this.input(n, 2);
        if (training && (training.kind !== 'const' || this.ints(n, training).some((v) => v !== 0))) this.fail(n, 'training_mode must be a constant false');
        return this.set(n, 0, this.need(n, x));
      }
      case 'Cast': {
        const v = this.need(n, x), to = n.attributes.get('to')?.i;
        if (v.kind === 'shape' || v.kind === 'zeros') return this.set(n, 0, v);
        if (v.kind === 'data' && (v.ids ? to === DataType.INT64 || to === DataType.INT32 : to === DataType.FLOAT)) return this.set(n, 0, v);
        return this.fail(n, `casting ${this.describe(v)} to ${typeName(to ?? 0)} is not supported`);
      }
      case 'Constant': return this.set(n, 0, this.constant(n));
      case 'Shape': return this.set(n, 0, this.shapeOf(n, this.need(n, x)));
      case 'Gather': return this.gather(n, this.need(n, x));
      case 'Unsqueeze': case 'Squeeze': return this.squeeze(n, this.need(n, x), op === 'Unsqueeze');
      case 'Concat': return this.concat(n);
      case 'Slice': return this.slice(n, this.need(n, x));
      case 'ConstantOfShape': {
        const value = n.attributes.get('value')?.t;
        if (value && tensorFloatsOrInts(value, `ONNX node '${n.name || n.opType}' value`).some((v) => v !== 0)) {
          this.fail(n, 'a non-zero fill value is only supported as a zero initial state');
        }
        return this.set(n, 0, { kind: 'zeros', origin: n.outputs[0], from: 0, to: this.firstDim(n, this.need(n, x)) });
      }
      case 'Expand': {
        const v = this.need(n, x);
        if (v.kind === 'zeros' || (v.kind === 'const' && this.isZero(n, v))) return this.set(n, 0, { kind: 'zeros', origin: n.outputs[0], from: 0 });
        return this.fail(n, `Expand of ${this.describe(v)} is not supported (only of zeros, for initial states)`);
      }
      case 'Transpose': return this.transpose(n, this.need(n, x));
      case 'Reshape': return this.reshape(n, this.need(n, x));
      case 'MatMul': return this.matmul(n, this.need(n, x));
      case 'Gemm': return this.gemm(n, this.need(n, x));
      case 'Add': return this.add(n);
      case 'Softmax': case 'LogSoftmax': return this.softmax(n, this.need(n, x), op === 'Softmax' ? 'softmax' : 'logSoftmax');
      default: this.fail(n, 'unsupported operator');
    }
  }

  private constant(n: OnnxNode): Const {
    const a = n.attributes;
    const name = n.outputs[0] ?? '';
    if (a.get('value')?.t) { const t = a.get('value')!.t!; return { kind: 'const', name, dims: t.dims, tensor: t }; }
    if (a.has('value_float')) return { kind: 'const', name, dims: [], floats: new Float32Array([a.get('value_float')!.f ?? 0]) };
    if (a.has('value_floats')) { const f = a.get('value_floats')!.floats; return { kind: 'const', name, dims: [f.length], floats: new Float32Array(f) }; }
    if (a.has('value_int')) return { kind: 'const', name, dims: [], ints: [a.get('value_int')!.i ?? 0] };
    if (a.has('value_ints')) { const i = a.get('value_ints')!.ints; return { kind: 'const', name, dims: [i.length], ints: i }; }
    return this.fail(n, `only tensor, float and int constants are supported (attributes: ${[...a.keys()].join(', ') || 'none'})`);
  }

  private shapeOf(n: OnnxNode, v: Value): Value {
    let dims: Dim[] | undefined;
    if (v.kind === 'data') dims = v.axes.map((axis) => (axis.every((a) => a.size !== undefined) ? product(axis) : axis));
    else if (v.kind === 'const') dims = v.dims;
    if (dims) {
      const rank = dims.length;
      const start = clampIndex(n.attributes.get('start')?.i ?? 0, rank), end = clampIndex(n.attributes.get('end')?.i ?? rank, rank);
      dims = dims.slice(start, end);
    }
    return { kind: 'shape', dims, scalar: false };
  }

  private gather(n: OnnxNode, table: Value): void {
    const axis = n.attributes.get('axis')?.i ?? 0;
    const index = this.need(n, this.input(n, 1));
    if (table.kind === 'const' && index.kind === 'data') {
      if (axis !== 0) this.fail(n, `an embedding lookup gathers along axis 0, got axis ${axis}`);
      return this.set(n, 0, this.embedding(n, table, index));
    }
    if (index.kind !== 'const') return this.fail(n, `Gather of ${this.describe(table)} by ${this.describe(index)} is not supported`);
    const picks = this.ints(n, index);
    const scalar = index.dims.length === 0;
    if (!scalar && index.dims.length !== 1) this.fail(n, 'indices must be a scalar or a vector here');
    if (table.kind === 'shape') {
      if (!table.dims) return this.set(n, 0, { kind: 'shape', scalar });
      const dims = table.dims;
      return this.set(n, 0, { kind: 'shape', scalar, dims: picks.map((i) => dims[this.index(n, i, dims.length)]) });
    }
    if (table.kind === 'state' && (axis === 0 || axis === -3) && scalar && !table.transposed) {
      const row = table.from + this.index(n, picks[0], table.to - table.from);
      return this.set(n, 0, { ...table, from: row, to: row + 1 });
    }
    if (table.kind === 'zeros' || table.kind === 'stateInput') {
      // Rows of an initial state: Silero-style state[0], state[1] read out of one input.
      const base = table.from ?? 0, size = table.to === undefined ? undefined : table.to - base;
      const at = picks.map((p) => (p < 0 && size !== undefined ? p + size : p));
      const consecutive = at.length > 0 && at.every((p, i) => p >= 0 && (size === undefined || p < size) && (i === 0 || p === at[i - 1] + 1));
      if ((axis === 0 || axis === -3) && !table.squeezed && consecutive && (table.kind === 'stateInput' || table.origin !== undefined)) {
        return this.set(n, 0, { ...table, from: base + at[0], to: base + at[0] + at.length, squeezed: scalar });
      }
      if (table.kind === 'zeros') return this.set(n, 0, { kind: 'zeros' });
      return this.fail(n, `Gather of ${this.describe(table)} must read whole rows (axis 0, consecutive indices) to be an initial state`);
    }
    if (table.kind === 'data') return this.fail(n, `${STEP_SELECTION} (here Gather of ${this.describe(table)})`);
    return this.fail(n, `Gather of ${this.describe(table)} is not supported (only embedding lookups and shape arithmetic)`);
  }

  /** The first entry of a shape vector, when it is known (the rows of the zeros ConstantOfShape makes). */
  private firstDim(n: OnnxNode, shape: Value): number | undefined {
    if (shape.kind === 'shape') return typeof shape.dims?.[0] === 'number' ? shape.dims[0] : undefined;
    if (shape.kind !== 'const' || shape.dims.length !== 1) return undefined;
    if (!shape.ints && shape.tensor?.dataType !== DataType.INT64 && shape.tensor?.dataType !== DataType.INT32) return undefined;
    return this.ints(n, shape)[0];
  }

  private squeeze(n: OnnxNode, v: Value, unsqueeze: boolean): void {
    const given = this.opset >= 13 ? this.input(n, 1) : undefined;
    const axes = given ? this.ints(n, this.need(n, given)) : n.attributes.get('axes')?.ints;
    const what = unsqueeze ? 'Unsqueeze' : 'Squeeze';
    const leading = axes?.length === 1 && (axes[0] === 0 || (!unsqueeze && axes[0] === -3));
    if (v.kind === 'zeros' || v.kind === 'stateInput') {
      // [B, H] ↔ [1, B, H]: one row of an initial state, read with Gather or sliced.
      const rows = v.to === undefined || v.from === undefined ? undefined : v.to - v.from;
      if (unsqueeze ? leading && v.squeezed : (leading || !axes) && !v.squeezed && rows === 1) return this.set(n, 0, { ...v, squeezed: !unsqueeze });
      if (v.kind === 'zeros') return this.set(n, 0, { kind: 'zeros' });
      return this.fail(n, `${what} of ${this.describe(v)} is supported only between one row [batch, hidden] and [1, batch, hidden]`);
    }
    if (v.kind === 'shape') {
      if (unsqueeze ? v.scalar && axes?.length === 1 && (axes[0] === 0 || axes[0] === -1) : !v.scalar && v.dims?.length === 1) {
        return this.set(n, 0, { ...v, scalar: !unsqueeze });
      }
      return this.fail(n, `${what} of a shape vector is supported only between a scalar and a 1-element vector`);
    }
    if (v.kind === 'state' && (unsqueeze ? leading : v.to - v.from === 1 && (!axes || leading))) {
      return this.set(n, 0, v);   // [1, B, H] ↔ [B, H]: the same memory
    }
    if (v.kind !== 'data' && v.kind !== 'const') return this.fail(n, `${what} of ${this.describe(v)} is not supported`);
    const shape: Axis[] | number[] = v.kind === 'data' ? v.axes : v.dims;
    const rank = shape.length;
    let out: (Axis | number)[];
    if (unsqueeze) {
      if (!axes || !axes.length) return this.fail(n, 'Unsqueeze needs axes');
      const outRank = rank + axes.length;
      const at = new Set(axes.map((a) => this.index(n, a, outRank)));
      if (at.size !== axes.length) this.fail(n, `axes [${axes.join(', ')}] repeat an axis`);
      out = [];
      let k = 0;
      for (let i = 0; i < outRank; i++) out.push(at.has(i) ? (v.kind === 'data' ? [] : 1) : shape[k++]);
    } else {
      const size = (s: Axis | number) => (typeof s === 'number' ? s : s.length === 0 ? 1 : undefined);
      const drop = axes && axes.length ? new Set(axes.map((a) => this.index(n, a, rank))) : new Set(shape.map((s, i) => (size(s) === 1 ? i : -1)));
      for (const i of drop) {
        if (i >= 0 && size(shape[i]) !== 1) this.fail(n, `axis ${i} of ${this.describe(v)} does not have size 1`);
      }
      out = shape.filter((_, i) => !drop.has(i));
    }
    if (v.kind === 'data') this.set(n, 0, { ...v, axes: out as Axis[], linear: undefined });
    else this.set(n, 0, { ...v, dims: out as number[] });
  }

  private concat(n: OnnxNode): void {
    const parts = n.inputs.filter((i) => i !== '').map((name) => this.need(n, this.values.get(name)));
    const axis = n.attributes.get('axis')?.i ?? 0;
    if (parts.every((p) => p.kind === 'zeros' || (p.kind === 'const' && this.isZero(n, p)))) return this.set(n, 0, { kind: 'zeros' });
    if (parts.every((p) => p.kind === 'shape' || (p.kind === 'const' && p.dims.length === 1))) {
      const dims: Dim[] = [];
      for (const p of parts) {
        if (p.kind === 'const') dims.push(...this.ints(n, p));
        else if (p.kind === 'shape' && p.dims && !p.scalar) dims.push(...p.dims);
        else return this.set(n, 0, { kind: 'shape', scalar: false });
      }
      return this.set(n, 0, { kind: 'shape', dims, scalar: false });
    }
    if (parts.every((p) => p.kind === 'state') && (axis === 0 || axis === -3)) {
      const states = parts as Extract<Value, { kind: 'state' }>[];
      const [first] = states;
      const joined = states.every((s, i) => s.layer === first.layer && s.state === first.state && !s.transposed &&
        (i === 0 || s.from === states[i - 1].to));
      if (joined) return this.set(n, 0, { ...first, to: states[states.length - 1].to });
      return this.fail(n, "only final states of consecutive layers of one recurrent module can be concatenated (as PyTorch's h_n)");
    }
    return this.fail(n, `Concat of ${parts.map((p) => this.describe(p)).join(' and ')} has no recur equivalent (recur's Sequential is a chain of layers)`);
  }

  private slice(n: OnnxNode, v: Value): void {
    let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
    if (this.opset >= 10) {
      const arg = (i: number) => { const a = this.input(n, i); return a ? this.ints(n, this.need(n, a)) : undefined; };
      starts = arg(1) ?? []; ends = arg(2) ?? []; axes = arg(3); steps = arg(4);
    } else {
      starts = n.attributes.get('starts')?.ints ?? []; ends = n.attributes.get('ends')?.ints ?? []; axes = n.attributes.get('axes')?.ints;
    }
    if (v.kind === 'zeros' && v.origin === undefined) return this.set(n, 0, v);
    if (v.kind === 'zeros' && (starts.length !== 1 || ends.length !== 1 || v.squeezed || (steps && steps.some((s) => s !== 1)))) return this.set(n, 0, { kind: 'zeros' });
    if (starts.length !== 1 || ends.length !== 1 || (steps && steps.some((s) => s !== 1))) {
      return this.fail(n, `only a one-axis, step-1 Slice of a shape or an initial state is supported, not of ${this.describe(v)}`);
    }
    const axis = axes?.[0] ?? 0;
    const range = (size: number | undefined): [number, number | undefined] => {
      const at = (i: number, end: boolean): number | undefined => {
        if (i < 0) { if (size === undefined) this.fail(n, 'a negative index needs a known size'); i += size!; }
        if (end && i >= TO_END && size === undefined) return undefined;
        return size === undefined ? Math.max(0, i) : Math.min(Math.max(0, i), size);
      };
      return [at(starts[0], false)!, at(ends[0], true)];
    };
    if (v.kind === 'shape' && v.dims && axis === 0) {
      const [from, to] = range(v.dims.length);
      return this.set(n, 0, { ...v, dims: v.dims.slice(from, to) });
    }
    if (v.kind === 'shape') return this.set(n, 0, { kind: 'shape', scalar: false });
    if (v.kind === 'zeros' || v.kind === 'stateInput') {
      if (v.squeezed || (axis !== 0 && axis !== -3)) {
        if (v.kind === 'zeros') return this.set(n, 0, { kind: 'zeros' });
        return this.fail(n, `Slice of ${this.describe(v)} must take whole rows (axis 0) to be an initial state`);
      }
      const base = v.from ?? 0, size = v.to === undefined ? undefined : v.to - base;
      const [from, to] = range(size);
      return this.set(n, 0, { ...v, from: base + from, to: to === undefined ? undefined : base + to, squeezed: false });
    }
    if (v.kind === 'state' && (axis === 0 || axis === -3)) {
      const [from, to] = range(v.to - v.from);
      return this.set(n, 0, { ...v, from: v.from + from, to: v.from + to! });
    }
    if (v.kind === 'data') return this.fail(n, `${STEP_SELECTION} (here Slice of ${this.describe(v)})`);
    return this.fail(n, `Slice of ${this.describe(v)} is not supported`);
  }

  private transpose(n: OnnxNode, v: Value): void {
    if (v.kind === 'zeros') return this.set(n, 0, { kind: 'zeros' });
    const rank = v.kind === 'data' ? v.axes.length : v.kind === 'const' ? v.dims.length : -1;
    if (rank < 0) return this.fail(n, `Transpose of ${this.describe(v)} is not supported`);
    const perm = n.attributes.get('perm')?.ints ?? [...Array(rank).keys()].reverse();
    if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => !(p >= 0 && p < rank))) {
      this.fail(n, `perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
    }
    if (v.kind === 'data') return this.set(n, 0, { ...v, axes: perm.map((p) => v.axes[p]), linear: undefined });
    const c = v as Const;
    if (rank !== 2) return this.fail(n, 'only 2-D constants (weights) can be transposed');
    if (perm[0] === 0) return this.set(n, 0, c);
    const [rows, cols] = c.dims, src = this.floats(n, c), out = new Float32Array(src.length);
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = src[r * cols + k];
    return this.set(n, 0, { kind: 'const', name: c.name, dims: [cols, rows], floats: out });
  }

  private reshape(n: OnnxNode, v: Value): void {
    const target = this.need(n, this.input(n, 1));
    if (v.kind === 'zeros') return this.set(n, 0, { kind: 'zeros' });
    const allowZero = (n.attributes.get('allowzero')?.i ?? 0) !== 0;
    let tokens: Dim[];
    if (target.kind === 'const') tokens = this.ints(n, target);
    else if (target.kind === 'shape' && target.dims && !target.scalar) tokens = target.dims;
    else return this.fail(n, `the target shape must be a constant or built from Shape(), got ${this.describe(target)}`);
    if (tokens.some((t) => typeof t === 'number' && (t < -1 || (t === 0 && allowZero)))) this.fail(n, `target shape [${tokens.map(dimText).join(', ')}] is invalid here`);
    if (tokens.filter((t) => t === -1).length > 1) this.fail(n, 'target shape has more than one -1');
    if (v.kind === 'const') {
      const count = product(v.dims.map((d) => ({ label: 'F', size: d })));
      const dims = tokens.map((t, i) => (t === 0 ? v.dims[i] : t));
      if (dims.some((d) => typeof d !== 'number')) this.fail(n, 'a constant can only be reshaped to a constant shape');
      const known = (dims as number[]).filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const resolved = (dims as number[]).map((d) => (d === -1 ? count / known : d));
      if (product(resolved.map((d) => ({ label: 'F', size: d }))) !== count || resolved.some((d) => !Number.isInteger(d))) {
        this.fail(n, `cannot reshape [${v.dims.join(', ')}] to [${tokens.map(dimText).join(', ')}]`);
      }
      return this.set(n, 0, { ...v, dims: resolved });
    }
    if (v.kind !== 'data') return this.fail(n, `Reshape of ${this.describe(v)} is not supported`);
    this.set(n, 0, { ...v, axes: this.regroup(n, v, tokens), linear: undefined });
  }

  /** Reshape as a regrouping of the activations' atoms: a size must be a product of whole atoms. */
  private regroup(n: OnnxNode, v: Data, tokens: Dim[]): Axis[] {
    const atoms = v.axes.flat();
    let i = 0, j = atoms.length;
    const size = (a: Atom) => a.size ?? (typeof this.declared[a.label] === 'number' ? (this.declared[a.label] as number) : undefined);
    const bad = (why: string): never => this.fail(n, `cannot reshape ${this.describe(v)} to [${tokens.map(dimText).join(', ')}]: ${why}`);
    const take = (token: Dim, position: number, left: boolean): Axis => {
      const next = () => (i < j ? atoms[left ? i : j - 1] : undefined);
      const consume = () => (left ? atoms[i++] : atoms[--j]);
      let want: Atom[];
      if (token === 0) {
        if (position >= v.axes.length) bad(`0 copies axis ${position}, which the input lacks`);
        want = v.axes[position];
      } else if (typeof token !== 'number') want = token;
      else {
        if (token === 1) {
          const a = next();
          return a && size(a) === 1 ? [consume()] : [];
        }
        const group: Atom[] = [];
        let p = 1;
        while (p < token) {
          const a = next();
          if (!a) bad('the sizes do not add up');
          const s = size(a!);
          if (s === undefined) bad(`the ${this.atomName(a!)} axis is only known at run time`);
          group[left ? 'push' : 'unshift'](consume());
          p *= s!;
        }
        if (p !== token) bad(`${token} is not a product of whole axes`);
        return group;
      }
      const order = left ? want : [...want].reverse();
      for (const w of order) {
        const a = next();
        if (!a || !sameAtom(a, w)) bad(`expected the ${this.atomName(w)} axis`);
        consume();
      }
      return want;
    };
    const wild = tokens.indexOf(-1);
    const out: Axis[] = new Array(tokens.length);
    const stop = wild < 0 ? tokens.length : wild;
    for (let k = 0; k < stop; k++) out[k] = take(tokens[k], k, true);
    if (wild >= 0) {
      for (let k = tokens.length - 1; k > wild; k--) out[k] = take(tokens[k], k, false);
      out[wild] = atoms.slice(i, j);
      i = j;
    }
    if (i !== j) bad('the sizes do not add up');
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Layers

  private embedding(n: OnnxNode, table: Const, ids: Data): Data {
    if (!ids.ids || ids.stage !== 0) this.fail(n, 'an embedding lookup must take the model input token ids directly');
    if (table.dims.length !== 2) this.fail(n, `the embedding table must be 2-D, got [${table.dims.join(', ')}]`);
    const [numEmbeddings, embeddingDim] = table.dims;
    const weight = this.finite(n, table, this.floats(n, table));
    if (!(numEmbeddings >= 1 && embeddingDim >= 1)) this.fail(n, `the embedding table [${table.dims.join(', ')}] is empty`);
    this.layers.push({ type: 'embedding', hint: moduleName(table.name) || scopeOf(n.name), weight, numEmbeddings, embeddingDim });
    return { kind: 'data', axes: [...ids.axes, [{ label: 'F', size: embeddingDim }]], stage: this.layers.length };
  }

  /** A Linear layer on the activations' last axis; weight is [out, in]. */
  private linear(n: OnnxNode, x: Data, weight: Float32Array, out: number, inFeatures: number, bias: Float32Array | undefined, names: string[]): Data {
    this.current(n, x);
    const features = this.rows(n, x);
    if (features !== inFeatures) this.fail(n, `the weight takes ${inFeatures} features but its input has ${features}`);
    const hint = names.map(moduleName).find(Boolean) || scopeOf(n.name);
    this.layers.push({ type: 'linear', hint, weight, bias, inFeatures, outFeatures: out });
    return { kind: 'data', axes: [...x.axes.slice(0, -1), [{ label: 'F', size: out }]], stage: this.layers.length, linear: this.layers.length - 1 };
  }

  private matmul(n: OnnxNode, x: Value): void {
    const w = this.need(n, this.input(n, 1));
    if (x.kind !== 'data' || w.kind !== 'const') return this.fail(n, this.layerInputError(x, w));
    if (w.dims.length !== 2) this.fail(n, `the weight must be 2-D, got [${w.dims.join(', ')}]`);
    const [K, N] = w.dims, src = this.finite(n, w, this.floats(n, w)), weight = new Float32Array(K * N);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) weight[j * K + k] = src[k * N + j];
    this.set(n, 0, this.linear(n, x, weight, N, K, undefined, [w.name]));
  }

  private gemm(n: OnnxNode, x: Value): void {
    const w = this.need(n, this.input(n, 1)), cIn = this.input(n, 2), a = n.attributes;
    if (x.kind !== 'data' || w.kind !== 'const') return this.fail(n, this.layerInputError(x, w));
    if ((a.get('transA')?.i ?? 0) !== 0) this.fail(n, 'transA = 1 is not supported');
    if (x.axes.length !== 2) this.fail(n, `Gemm takes a 2-D input, got ${this.describe(x)}`);
    if (w.dims.length !== 2) this.fail(n, `the weight must be 2-D, got [${w.dims.join(', ')}]`);
    const alpha = a.get('alpha')?.f ?? 1, beta = a.get('beta')?.f ?? 1, transB = (a.get('transB')?.i ?? 0) !== 0;
    const [N, K] = transB ? w.dims : [w.dims[1], w.dims[0]];
    const src = this.finite(n, w, this.floats(n, w)), weight = new Float32Array(N * K);
    for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) weight[j * K + k] = alpha * (transB ? src[j * K + k] : src[k * N + j]);
    let bias: Float32Array | undefined;
    const names = [w.name];
    if (cIn) {
      const c = this.need(n, cIn);
      if (c.kind !== 'const') return this.fail(n, `C must be a constant bias, got ${this.describe(c)}`);
      bias = this.broadcastBias(n, c, N).map((b) => beta * b);
      names.push(c.name);
    }
    this.set(n, 0, this.linear(n, x, weight, N, K, bias, names));
  }

  /** Add is supported as the bias of the Linear (MatMul or Gemm) just before it. */
  private add(n: OnnxNode): void {
    const [p, q] = [this.need(n, this.input(n, 0)), this.need(n, this.input(n, 1))];
    const [x, b] = p.kind === 'data' ? [p, q] : [q, p];
    if (x.kind !== 'data' || b.kind !== 'const' || x.linear === undefined) {
      return this.fail(n, `Add of ${this.describe(p)} and ${this.describe(q)}: recur supports Add only as the bias right after a MatMul or Gemm`);
    }
    const layer = this.layers[x.linear] as Extract<LayerPlan, { type: 'linear' }>;
    const bias = this.broadcastBias(n, b, layer.outFeatures);
    layer.bias = layer.bias ? layer.bias.map((v, i) => v + bias[i]) : bias;
    if (!layer.hint || !moduleName(layer.hint)) layer.hint = moduleName(b.name) || layer.hint;
    this.set(n, 0, { ...x, linear: undefined });
  }

  private softmax(n: OnnxNode, x: Value, kind: 'softmax' | 'logSoftmax'): void {
    if (x.kind !== 'data') return this.fail(n, `${n.opType} of ${this.describe(x)} is not supported`);
    this.current(n, x);
    this.rows(n, x);
    const rank = x.axes.length;
    const axis = this.index(n, n.attributes.get('axis')?.i ?? (this.opset >= 13 ? -1 : 1), rank);
    if (axis !== rank - 1) this.fail(n, `it normalises over axis ${axis} of ${this.describe(x)}; only the last (features) axis is supported`);
    this.set(n, 0, { ...x, final: kind, linear: undefined });
  }

  private recurrent(n: OnnxNode, type: CellType): void {
    const fail = (m: string): never => this.fail(n, m);
    const attrs = cellAttributes(type, n.attributes, fail);
    const x = this.need(n, this.input(n, 0));
    if (x.kind !== 'data') return fail(`its input X is ${this.describe(x)}, not the activations`);
    this.current(n, x);
    const tensor = (i: number, role: string) => {
      const v = this.input(n, i);
      if (!v) return undefined;
      if (v.kind !== 'const') return fail(`input ${role} must be a constant (an initializer), got ${this.describe(v)}`);
      return { dims: v.dims, values: this.floats(n, v), name: v.name };
    };
    const W = tensor(1, 'W'), R = tensor(2, 'R'), B = tensor(3, 'B'), P = type === 'lstm' ? tensor(7, 'P') : undefined;
    if (!W || !R) return fail('inputs W and R are required');
    const weights = cellWeights(type, attrs, { W, R, B, P }, fail);
    const D = attrs.bidirectional ? 2 : 1, H = weights.hiddenSize;

    const expected = attrs.batchMajor ? '[batch, seq, features]' : '[seq, batch, features]';
    if (x.axes.length !== 3) fail(`X must be ${expected}, got ${this.describe(x)}`);
    const [seq, batch] = attrs.batchMajor ? [x.axes[1], x.axes[0]] : [x.axes[0], x.axes[1]];
    // A one-step model: its input [batch, features] unsqueezed to X [1, batch, features].
    const step = this.stream.length === 1 && seq.length === 0 && batch.length === 1 && batch[0].label === this.stream[0];
    if (!step && (this.stream.length !== 2 || seq.length !== 1 || batch.length !== 1 || !this.stream.includes(seq[0].label) ||
        !this.stream.includes(batch[0].label) || seq[0].label === batch[0].label)) {
      fail(`X must be ${expected} of the model input's axes${this.stream.length === 1 ? ' (or one step of a [batch, features] input, unsqueezed to its sequence axis)' : ''}, got ${this.describe(x)}`);
    }
    const time = step ? ONE_STEP : seq[0].label;
    if (this.time !== undefined && this.time !== time) {
      fail(`it runs along the ${step ? 'one-step' : this.atomName(seq[0])} axis, but an earlier layer ran along the ${this.atomName({ label: this.time })} axis`);
    }
    this.time = time;
    const features = featureSize(x.axes[2]);
    if (features !== weights.inputSize) fail(`W takes ${weights.inputSize} input features but X has ${features === undefined ? this.describe(x) : features}`);

    const lens = this.input(n, 4);
    if (lens) {
      const length = step ? 1 : this.declared[time];
      const values = lens.kind === 'const' ? this.ints(n, lens, 1 << 20) : undefined;
      if (!values || typeof length !== 'number' || values.some((v) => v !== length)) {
        fail('sequence_lens (per-example lengths) is not supported: recur runs every sequence of a batch to the same length ' +
          '(a constant sequence_lens equal to the declared sequence length is accepted)');
      }
    }
    const options = [type, H, D, attrs.batchMajor, attrs.linearBeforeReset, attrs.nonlinearity, attrs.clip, !!B, !!P].join('|');
    const me: RecurrentNode = {
      node: n, scope: scopeOf(n.name) || moduleName(W.name), options,
      h: this.stateSource(n, 5, 'initial_h', D),
      c: type === 'lstm' ? this.stateSource(n, 6, 'initial_c', D) : { kind: 'zeros', node: n.name },
    };

    // One more layer of the multi-layer module before it, or a new layer (grouping.ts).
    const last = this.layers[this.layers.length - 1];
    let layer = this.layers.length - 1, sub: number;
    if (last && last.type === type && continuesGroup(last.nodes, me, this.stacked)) {
      last.sublayers.push(weights);
      last.nodes.push(me);
      sub = last.sublayers.length - 1;
    } else {
      this.layers.push({ type, hint: me.scope, attrs, bias: !!B, peephole: !!P, sublayers: [weights], nodes: [me] });
      layer = this.layers.length - 1;
      sub = 0;
    }
    const directions: Axis = D > 1 ? [{ label: 'D', size: D }] : [];
    const hidden: Axis = [{ label: 'F', size: H }];
    const y: Axis[] = attrs.batchMajor ? [batch, seq, directions, hidden] : [seq, directions, batch, hidden];
    this.set(n, 0, { kind: 'data', axes: y, stage: this.layers.length, sub });
    const state = (which: 'h' | 'c'): Value => ({ kind: 'state', layer, state: which, from: sub * D, to: (sub + 1) * D, transposed: attrs.batchMajor && D > 1, node: n.name });
    this.set(n, 1, state('h'));
    if (type === 'lstm') this.set(n, 2, state('c'));
  }

  /** Where a recurrent node's initial state comes from: zeros (of which tensor, when known), or rows of a graph input. */
  private stateSource(n: OnnxNode, index: number, role: string, D: number): StateSource {
    const v = this.input(n, index), node = n.name;
    if (!v) return { kind: 'zeros', node };
    if (v.kind === 'zeros') return { kind: 'zeros', origin: v.origin, from: v.from, to: v.to, node };
    if (v.kind === 'const') {
      if (this.isZero(n, v)) return { kind: 'zeros', origin: v.name, from: 0, to: v.dims[0], node };
      return this.fail(n, `${role} is a constant non-zero tensor; recur takes initial states when it runs (forward(x, { states })), so make it a graph input`);
    }
    if (v.kind === 'stateInput') {
      if (v.squeezed) this.fail(n, `${role} is a row of graph input '${v.input}' without its leading axis; it must be [directions, batch, hidden] (Unsqueeze it)`);
      const batchMajor = (n.attributes.get('layout')?.i ?? 0) === 1;
      return { kind: 'input', input: v.input, from: v.from, to: v.to, transposed: batchMajor && D > 1, node };
    }
    if (v.kind === 'state') return this.fail(n, `${role} is the final state of another layer (an encoder–decoder); recur's Sequential passes only activations between layers`);
    return this.fail(n, `${role} is ${this.describe(v)}, not a graph input or zeros`);
  }

  // -------------------------------------------------------------------------------------------
  // The result

  private finish(inputName: string): Omit<OnnxConversion, 'opset' | 'producer'> {
    const names = this.layerNames();
    const batchFirst = this.time !== undefined && this.time === this.stream[1];
    const architecture: SequentialDescription = { layers: [] };
    const stateDict: Record<string, Float32Array> = {};
    const initialStates: OnnxConversion['initialStates'] = [];
    this.layers.forEach((plan, i) => {
      const name = names[i];
      let d: LayerDescription;
      if (plan.type === 'embedding') {
        d = { name, type: 'embedding', numEmbeddings: plan.numEmbeddings, embeddingDim: plan.embeddingDim };
        stateDict[`${name}.weight`] = plan.weight;
      } else if (plan.type === 'linear') {
        d = { name, type: 'linear', inFeatures: plan.inFeatures, outFeatures: plan.outFeatures, bias: plan.bias !== undefined };
        stateDict[`${name}.weight`] = plan.weight;
        if (plan.bias) stateDict[`${name}.bias`] = plan.bias;
      } else {
        const first = plan.sublayers[0], a = plan.attrs;
        const common = {
          name, inputSize: first.inputSize, hiddenSize: first.hiddenSize, numLayers: plan.sublayers.length,
          bias: plan.bias, batchFirst, bidirectional: a.bidirectional, ...(a.clip !== undefined ? { clip: a.clip } : {}),
        };
        d = plan.type === 'lstm' ? { ...common, type: 'lstm', peephole: plan.peephole }
          : plan.type === 'gru' ? { ...common, type: 'gru', linearBeforeReset: a.linearBeforeReset }
          : { ...common, type: 'rnn', nonlinearity: a.nonlinearity };
        plan.sublayers.forEach((w, l) => w.directions.forEach((tensors, dir) => {
          for (const [key, values] of Object.entries(tensors)) stateDict[`${name}.${key}_l${l}${dir ? '_reverse' : ''}`] = values;
        }));
        for (const state of ['h', 'c'] as const) {
          const source = this.initialState(plan, state, name);
          if (source) initialStates.push({ input: source.input, layer: name, state, ...(source.rows ? { rows: source.rows } : {}) });
        }
      }
      architecture.layers.push(d);
    });
    const overlap = (s: OnnxConversion['initialStates'][number], t: typeof s) => s.input === t.input &&
      (!s.rows || !t.rows || (s.rows[0] < t.rows[1] && t.rows[0] < s.rows[1]));
    const twice = initialStates.find((s, i) => initialStates.some((t, j) => j < i && overlap(s, t)));
    if (twice) throw new RecurFormatError(`ONNX graph input '${twice.input}' is the initial state of more than one layer; recur takes one per layer`);

    const outputs: OnnxOutput[] = this.graph.outputs.map(({ name }) => {
      const v = this.values.get(name);
      if (!v || this.graph.initializers.has(name) || name === inputName) {
        throw new RecurFormatError(`ONNX graph output '${name}' is ${v ? 'an input or a constant' : 'never computed'}`);
      }
      if (v.kind === 'data') {
        const where = `ONNX graph output '${name}'`;
        if (v.stage !== this.layers.length || !this.latest(v)) {
          const inner = v.stage !== this.layers.length ? `'${names[v.stage - 1] ?? 'the input'}'` : `layer ${v.sub} of '${names[v.stage - 1]}'`;
          throw new RecurFormatError(`${where} is the output of an inner layer (${inner}); recur returns the last layer's output and each recurrent layer's final state`);
        }
        this.checkLayout(v.axes.flat(), `${where} ${this.describe(v)}`);
        return { name, from: 'output', ...(v.final ? { activation: v.final } : {}) };
      }
      if (v.kind === 'state') {
        if (v.transposed) throw new RecurFormatError(`ONNX graph output '${name}' is a final state laid out [batch, directions, hidden] (layout = 1); recur returns states as [directions, batch, hidden]`);
        return { name, from: 'state', layer: names[v.layer], state: v.state, rows: [v.from, v.to] };
      }
      throw new RecurFormatError(`ONNX graph output '${name}' is ${this.describe(v)}; recur returns activations and final states`);
    });
    const finalActivation = outputs.map((o) => (o.from === 'output' ? o.activation : undefined)).find(Boolean);
    const info = this.graph.inputs.find((i) => i.name === inputName)!;
    const ids = info.elemType !== DataType.FLOAT;
    const axes = this.stream.map((label) => this.atomName({ label }));
    return {
      architecture, stateDict, input: { name: inputName, ids, axes: ids ? axes : [...axes, 'features'] },
      initialStates, outputs, ...(finalActivation ? { finalActivation } : {}),
    };
  }

  /**
   * The graph input that holds a recurrent layer's initial h or c, checked to be [layers·D, batch, H]
   * consecutive rows in order; with `rows` when the input holds more than this state.
   */
  private initialState(plan: Extract<LayerPlan, { type: CellType }>, state: 'h' | 'c', name: string): { input: string; rows?: [number, number] } | undefined {
    const sources = plan.nodes.map((node) => node[state]);
    if (sources.every((s) => s.kind === 'zeros')) return undefined;
    const D = plan.attrs.bidirectional ? 2 : 1, L = sources.length;
    const first = sources.find((s) => s.kind === 'input') as Extract<StateSource, { kind: 'input' }>;
    const where = `layer '${name}': initial_${state}`;
    const base = sources[0].kind === 'input' ? sources[0].from : 0;
    sources.forEach((s, l) => {
      if (s.kind === 'zeros') throw new RecurFormatError(`${where} of node '${first.node}' is graph input '${first.input}' but that of another of its nodes is zeros; recur takes one initial state per layer`);
      if (s.input !== first.input) throw new RecurFormatError(`${where} comes from two graph inputs ('${first.input}', '${s.input}'); recur takes one per layer`);
      if (s.transposed) throw new RecurFormatError(`${where} ('${s.input}') is laid out [batch, directions, hidden] (layout = 1); recur takes [directions, batch, hidden]`);
      if (s.from !== base + l * D || (s.to !== base + (l + 1) * D && !(s.to === undefined && l === L - 1))) {
        throw new RecurFormatError(`${where}: node '${s.node}' takes rows [${s.from}, ${s.to ?? 'end'}) of '${s.input}', expected [${base + l * D}, ${base + (l + 1) * D}) (layer ${l} of ${L}, ${D} direction${D > 1 ? 's' : ''})`);
      }
    });
    const end = base + L * D, declared = this.stateRows(first.input);
    const toEnd = sources[L - 1].kind === 'input' && (sources[L - 1] as { to?: number }).to === undefined;
    if (declared !== undefined && (declared < end || (toEnd && declared !== end))) {
      throw new RecurFormatError(`${where}: graph input '${first.input}' has ${declared} rows but the layer has ${L} layer${L > 1 ? 's' : ''} × ${D} direction${D > 1 ? 's' : ''}`);
    }
    const whole = base === 0 && (declared === undefined || declared === end);
    return { input: first.input, ...(whole ? {} : { rows: [base, end] as [number, number] }) };
  }

  /** The declared rows of an initial-state input: [rows, batch, hidden], or 1 for [batch, hidden]; undefined if unknown. */
  private stateRows(input: string): number | undefined {
    const dims = this.graph.inputs.find((i) => i.name === input)?.dims;
    if (dims?.length === 2) return 1;
    return typeof dims?.[0] === 'number' ? dims[0] : undefined;
  }

  /**
   * Layer names: the PyTorch module a layer came from when the file says (initializer names
   * such as 'head.bias', or torch.onnx.export's node-name scopes such as '/lstm/LSTM'), else
   * 'embed', 'rnn0', 'rnn1', 'linear0', …; made identifiers and unique.
   */
  private layerNames(): string[] {
    const used = new Set<string>();
    const counts: Record<string, number> = {};
    return this.layers.map((plan) => {
      const kind = plan.type === 'embedding' ? 'embed' : plan.type === 'linear' ? 'linear' : 'rnn';
      const k = counts[kind] = (counts[kind] ?? -1) + 1;
      let base = identifier(plan.hint) || (kind === 'embed' ? (k ? `embed${k}` : 'embed') : `${kind}${k}`);
      for (let i = 2; used.has(base); i++) base = `${identifier(plan.hint) || kind}_${i}`;
      used.add(base);
      return base;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Checks and helpers

  private input(n: OnnxNode, i: number): Value | undefined {
    const name = n.inputs[i];
    if (name === undefined || name === '') return undefined;
    const v = this.values.get(name);
    if (!v) this.fail(n, `input '${name}' is not produced by any earlier node (the graph must be topologically sorted)`);
    return v;
  }

  private need(n: OnnxNode, v: Value | undefined): Value {
    if (!v) return this.fail(n, 'a required input is missing');
    return v;
  }

  private set(n: OnnxNode, i: number, v: Value): void {
    const name = n.outputs[i];
    if (name === undefined || name === '') return;
    if (this.values.has(name)) this.fail(n, `output '${name}' is already defined`);
    this.values.set(name, v);
  }

  /** A layer's input must be the latest activations, not a branch, and not after the final Softmax. */
  private current(n: OnnxNode, x: Data): void {
    if (x.final) this.fail(n, `it follows a ${x.final === 'softmax' ? 'Softmax' : 'LogSoftmax'}, which recur supports only as the graph's last op`);
    if (x.ids && n.opType !== 'Gather') this.fail(n, 'it takes token ids; recur needs an embedding (Gather) first');
    if (x.stage !== this.layers.length || !this.latest(x)) this.fail(n, "it takes the output of an earlier layer, not the last one; recur's Sequential is a chain of layers");
  }

  /** Whether activations of the last layer are its final output: of a multi-layer recurrent layer, its last node's Y. */
  private latest(x: Data): boolean {
    const last = this.layers[x.stage - 1];
    return x.sub === undefined || !last || !('nodes' in last) || x.sub === last.nodes.length - 1;
  }

  /** Features of activations laid out as recur has them ([stream axes…, features]); fails otherwise. */
  private rows(n: OnnxNode, x: Data): number {
    const prefix = x.axes.slice(0, -1).flat().map((a) => a.label);
    const size = featureSize(x.axes[x.axes.length - 1] ?? []);
    if (size === undefined || prefix.length !== this.stream.length || prefix.some((l, i) => l !== this.stream[i])) {
      this.fail(n, `its input is ${this.describe(x)}; recur's layers see their input as [${this.stream.map((label) => this.atomName({ label })).join(', ')}, features]`);
    }
    return size!;
  }

  /** Activations as a graph output must be recur's output in memory: stream axes in order, then features. */
  private checkLayout(atoms: Atom[], where: string): void {
    const k = this.stream.length;
    const size = featureSize(atoms.slice(k));
    if (size === undefined || atoms.slice(0, k).some((a, i) => a.label !== this.stream[i])) {
      throw new RecurFormatError(`${where} is not laid out as recur's output [${this.stream.map((label) => this.atomName({ label })).join(', ')}, features]`);
    }
  }

  private layerInputError(x: Value, w: Value): string {
    if (x.kind === 'state') return 'it takes the final hidden state of a recurrent layer (as in fc(h[-1])); recur\'s Sequential applies each layer to the whole output sequence, so run the model and apply this head to forward().states yourself';
    return `${this.describe(x)} times ${this.describe(w)} is not a Linear layer (activations times a constant weight)`;
  }

  private broadcastBias(n: OnnxNode, c: Const, size: number): Float32Array {
    const values = this.finite(n, c, this.floats(n, c));
    if (values.length === size && c.dims.slice(0, -1).every((d) => d === 1)) return values.slice();
    if (values.length === 1) return new Float32Array(size).fill(values[0]);
    return this.fail(n, `bias [${c.dims.join(', ')}] does not broadcast over ${size} output features only`);
  }

  private floats(n: OnnxNode, c: Const): Float32Array {
    const values = c.floats ?? (c.tensor ? tensorFloats(c.tensor, `ONNX node '${n.name || n.opType}' input '${c.name}'`) : undefined);
    if (!values) return this.fail(n, `'${c.name}' must be a float tensor`);
    if (values.length !== product(c.dims.map((d) => ({ label: 'F', size: d })))) this.fail(n, `'${c.name}' has ${values.length} values for dims [${c.dims.join(', ')}]`);
    return values;
  }

  private ints(n: OnnxNode, v: Value, limit = MAX_SMALL): number[] {
    if (v.kind !== 'const') return this.fail(n, `expected a constant list of integers, got ${this.describe(v)}`);
    if (v.ints) return v.ints;
    if (!v.tensor) return this.fail(n, `'${v.name}' must be an integer tensor`);
    return tensorInts(v.tensor, `ONNX node '${n.name || n.opType}' input '${v.name}'`, limit);
  }

  private isZero(n: OnnxNode, c: Const): boolean {
    if (c.ints) return c.ints.every((v) => v === 0);
    if (c.floats) return c.floats.every((v) => v === 0);
    return tensorFloatsOrInts(c.tensor!, `ONNX node '${n.name || n.opType}' input '${c.name}'`).every((v) => v === 0);
  }

  private finite(n: OnnxNode, c: Const, values: Float32Array): Float32Array {
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) this.fail(n, `'${c.name}' has a non-finite value (${values[bad]}) at index ${bad}`);
    return values;
  }

  private index(n: OnnxNode, i: number, size: number): number {
    const k = i < 0 ? i + size : i;
    if (!(k >= 0 && k < size)) this.fail(n, `index ${i} is out of range for ${size}`);
    return k;
  }

  private atomName(a: Atom): string {
    if (a.label === 'D') return `directions(${a.size})`;
    if (a.label === 'F') return `features(${a.size})`;
    if (this.time !== undefined) return a.label === this.time ? 'seq' : 'batch';
    const declared = this.declared[a.label];
    return typeof declared === 'string' ? declared : `input axis ${a.label.slice(1)}`;
  }

  private describe(v: Value): string {
    switch (v.kind) {
      case 'data': return `activations [${v.axes.map((axis) => (axis.length ? axis.map((a) => this.atomName(a)).join('·') : '1')).join(', ')}]`;
      case 'const': return `constant '${v.name}' [${v.dims.join(', ')}]`;
      case 'shape': return 'a shape';
      case 'zeros': return 'zeros';
      case 'state': return `the final ${v.state} of node '${v.node}'`;
      case 'stateInput': return `initial-state input '${v.input}'`;
      case 'graphInput': return `graph input '${v.input}' (given at run time)`;
    }
  }

  private fail(n: OnnxNode, message: string): never {
    throw new RecurFormatError(`ONNX node '${n.name || '(unnamed)'}' (${n.opType}): ${message}`);
  }
}

const sameAtom = (a: Atom, b: Atom) => a.label === b.label && a.size === b.size;

/** Size of a valid feature block: [features] or [directions, features] (recur's [forward | reverse] halves). */
function featureSize(atoms: Atom[]): number | undefined {
  if (atoms.length === 1 && atoms[0].label === 'F') return atoms[0].size;
  if (atoms.length === 2 && atoms[0].label === 'D' && atoms[1].label === 'F') return atoms[0].size! * atoms[1].size!;
  return undefined;
}

function product(atoms: Atom[]): number {
  return atoms.reduce((p, a) => p * (a.size ?? NaN), 1);
}

const dimText = (d: Dim) => (typeof d === 'number' ? String(d) : d.map((a) => a.label).join('·') || '1');

const clampIndex = (i: number, size: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);

function tensorFloatsOrInts(t: OnnxTensor, what: string): ArrayLike<number> & { some(f: (v: number) => boolean): boolean; every(f: (v: number) => boolean): boolean } {
  const float = t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE || t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16;
  return float ? tensorFloats(t, what) : tensorInts(t, what, 1 << 24);
}

/** 'lstm' from torch.onnx.export's node name '/lstm/LSTM_1'; 'encoder_rnn' from '/encoder/rnn/GRU'. */
function scopeOf(nodeName: string): string {
  if (!nodeName.startsWith('/')) return '';
  const parts = nodeName.split('/').filter(Boolean);
  return parts.length > 1 ? parts.slice(0, -1).join('_') : '';
}

/** 'head' from an initializer 'head.bias', 'lstm' from 'lstm.weight_ih_l0'; '' from 'onnx::MatMul_216'. */
function moduleName(tensorName: string): string {
  const m = /^([A-Za-z_][\w.]*)\.(weight|bias)(_\w+)?$/.exec(tensorName);
  return m ? m[1].replace(/\./g, '_') : '';
}

function identifier(s: string): string {
  const id = s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+|_+$/g, '');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}
