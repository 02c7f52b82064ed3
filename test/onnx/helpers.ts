// Shared by the ONNX importer's tests: fixtures, running an imported model the way the ONNX graph
// would run (inputs and outputs by graph name, through model.onnx), and a minimal protobuf
// writer to turn graph inputs into initializers.

import { readdirSync, readFileSync } from 'node:fs';
import type { OnnxSequential } from '../../src/onnx/index.js';

export const FIXTURES = new URL('../fixtures/onnx/', import.meta.url);

export const fixture = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, FIXTURES)));
export const fixtureJson = (path: string): any => JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8'));
export const fixtureDir = (path: string): string[] => readdirSync(new URL(path, FIXTURES)).sort();

/** A float tensor of a fixture JSON file ({shape, data: base64 LE float32}). */
export function jsonTensor(t: { shape: number[]; data: string }): { dims: number[]; data: Float32Array } {
  const bytes = Buffer.from(t.data, 'base64');
  return { dims: t.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}

export interface Feed { dims: number[]; data: Float32Array | Int32Array }

/**
 * Runs an imported model as the ONNX graph would: `feeds` by graph input name (the model input
 * and any initial-state inputs, or the rows of them model.onnx.initialStates names), results by
 * graph output name.
 */
export function runAsGraph(model: OnnxSequential, feeds: Record<string, Feed>): Record<string, Float32Array> {
  const { input, initialStates, outputs } = model.onnx;
  const x = feeds[input.name];
  const seqAxis = input.axes.indexOf('seq'), batchAxis = input.axes.indexOf('batch');
  const seqLen = seqAxis >= 0 ? x.dims[seqAxis] : 1;
  const batch = batchAxis >= 0 ? x.dims[batchAxis] : x.dims[0];
  const states: Record<string, { h?: Float32Array; c?: Float32Array }> = {};
  for (const s of initialStates) {
    const feed = feeds[s.input], data = feed.data as Float32Array;
    const perRow = data.length / feed.dims[0];   // an input packing several states: take its rows
    (states[s.layer] ??= {})[s.state] = s.rows ? data.subarray(s.rows[0] * perRow, s.rows[1] * perRow) : data;
  }
  const result = model.forward(x.data, { seqLen, batch, states });
  const out: Record<string, Float32Array> = {};
  for (const o of outputs) {
    if (o.from === 'output') { out[o.name] = result.output; continue; }
    const full = result.states[o.layer][o.state]!;
    const layer = model.layer(o.layer) as { numLayers: number; numDirections: number };
    const perRow = full.length / (layer.numLayers * layer.numDirections);   // batch · hidden
    out[o.name] = full.subarray(o.rows[0] * perRow, o.rows[1] * perRow);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A protobuf writer just big enough to add initializers to a ModelProto's graph.

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
  out.push(n);
  return out;
}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let n = 0, scale = 1;
  for (;;) {
    const byte = b[pos++];
    n += (byte & 0x7f) * scale;
    scale *= 0x80;
    if (byte < 0x80) return [n, pos];
  }
}

const concat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

/**
 * The model with each serialized TensorProto (whose name is a graph input's) appended to its
 * graph's initializers (GraphProto field 5): the input then has that constant value, as in
 * files written with keep_initializers_as_inputs.
 */
export function withInitializers(model: Uint8Array, tensors: Uint8Array[]): Uint8Array {
  let pos = 0;
  while (pos < model.length) {
    const start = pos;
    const [key, afterKey] = readVarint(model, pos);
    const wire = key & 7;
    if (wire === 0) { pos = readVarint(model, afterKey)[1]; continue; }
    if (wire === 1) { pos = afterKey + 8; continue; }
    if (wire === 5) { pos = afterKey + 4; continue; }
    const [length, body] = readVarint(model, afterKey);
    pos = body + length;
    if (key >>> 3 !== 7) continue;
    const extra = tensors.map((t) => concat([0x2a], varint(t.length), t));
    const graph = concat(model.subarray(body, pos), ...extra);
    return concat(model.subarray(0, start), [0x3a], varint(graph.length), graph, model.subarray(pos));
  }
  throw new Error('no graph field');
}

// ---------------------------------------------------------------------------------------------
// A minimal ModelProto writer for small hand-made graphs (onnx/onnx.proto field numbers).

const utf8 = (s: string) => new TextEncoder().encode(s);
/** A length-delimited field. */
const field = (n: number, body: Uint8Array | number[]) => concat(varint(n * 8 + 2), varint(body.length), body);
/** A varint field (non-negative values only). */
const intField = (n: number, value: number) => concat(varint(n * 8), varint(value));

export type AttrValue = number | number[] | string;
export interface NodeSpec { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: Record<string, AttrValue> }
/** A float initializer, or an int64 one (`int64: true`). */
export interface TensorSpec { name: string; dims: number[]; data: number[]; int64?: boolean }

function tensorProto(t: TensorSpec): Uint8Array {
  const raw = t.int64 ? new Uint8Array(new BigInt64Array(t.data.map(BigInt)).buffer) : new Uint8Array(new Float32Array(t.data).buffer);
  return concat(...t.dims.map((d) => intField(1, d)), intField(2, t.int64 ? 7 : 1), field(8, utf8(t.name)), field(9, raw));
}

function attribute(name: string, v: AttrValue): Uint8Array {
  // Integers only (the recurrent and layout ops' attributes), as INT / INTS; strings as STRING.
  const body = typeof v === 'string' ? [field(4, utf8(v)), intField(20, 3)]
    : typeof v === 'number' ? [intField(3, v), intField(20, 2)]
    : [...v.map((i) => intField(8, i)), intField(20, 7)];
  return concat(field(1, utf8(name)), ...body);
}

function valueInfo(name: string, dims?: (number | string)[], elemType = 1): Uint8Array {
  const shape = dims ? [field(2, concat(...dims.map((d) => field(1, typeof d === 'number' ? intField(1, d) : field(2, utf8(d))))))] : [];
  return concat(field(1, utf8(name)), field(2, field(1, concat(intField(1, elemType), ...shape))));
}

/** An opset-14 ModelProto: nodes in order, initializers, inputs and outputs with their dims. */
export function encodeModel(graph: {
  nodes: NodeSpec[]; initializers?: TensorSpec[]; inputs: [string, (number | string)[]][]; outputs: string[];
}): Uint8Array {
  const nodes = graph.nodes.map((n) => field(1, concat(
    ...n.inputs.map((i) => field(1, utf8(i))), ...n.outputs.map((o) => field(2, utf8(o))),
    ...(n.name ? [field(3, utf8(n.name))] : []), field(4, utf8(n.op)),
    ...Object.entries(n.attrs ?? {}).map(([k, v]) => field(5, attribute(k, v))),
  )));
  const body = concat(...nodes, field(2, utf8('test')), ...(graph.initializers ?? []).map((t) => field(5, tensorProto(t))),
    ...graph.inputs.map(([name, dims]) => field(11, valueInfo(name, dims))), ...graph.outputs.map((name) => field(12, valueInfo(name))));
  return concat(intField(1, 8), field(8, intField(2, 14)), field(7, body));
}
