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
 * and any initial-state inputs), results by graph output name.
 */
export function runAsGraph(model: OnnxSequential, feeds: Record<string, Feed>): Record<string, Float32Array> {
  const { input, initialStates, outputs } = model.onnx;
  const x = feeds[input.name];
  const seqAxis = input.axes.indexOf('seq'), batchAxis = input.axes.indexOf('batch');
  const seqLen = seqAxis >= 0 ? x.dims[seqAxis] : 1;
  const batch = batchAxis >= 0 ? x.dims[batchAxis] : x.dims[0];
  const states: Record<string, { h?: Float32Array; c?: Float32Array }> = {};
  for (const s of initialStates) (states[s.layer] ??= {})[s.state] = feeds[s.input].data as Float32Array;
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
