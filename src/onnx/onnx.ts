// The parts of ONNX's protobuf messages (onnx/onnx.proto, IR versions 3–8) the importer needs:
// ModelProto → GraphProto → NodeProto, AttributeProto, TensorProto, ValueInfoProto. Fields we do
// not use are skipped unread. Sub-graphs (If's branches) are decoded no deeper than
// MAX_GRAPH_DEPTH, so a hostile file cannot deepen the recursion without bound. Tensor data stays a view into the file until a tensor
// is used, and is then checked against its dims before anything is allocated.

import { RecurFormatError } from '../errors.js';
import { bfloat16ToFloat32, float16ToFloat32 } from '../formats/f16.js';
import { countVarints, int64, ProtoReader, varints, Wire } from './protobuf.js';

/** TensorProto.DataType values recur reads. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
} as const;

const TYPE_NAMES = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]));
export const typeName = (t: number): string => TYPE_NAMES[t] ?? `data type ${t}`;

/** Bytes per element in raw_data, and the repeated field other encoders use instead. */
const STORAGE: Record<number, { size: number; field: 'float' | 'int32' | 'int64' | 'double' | 'uint64' }> = {
  [DataType.FLOAT]: { size: 4, field: 'float' },
  [DataType.DOUBLE]: { size: 8, field: 'double' },
  [DataType.FLOAT16]: { size: 2, field: 'int32' },
  [DataType.BFLOAT16]: { size: 2, field: 'int32' },
  [DataType.INT64]: { size: 8, field: 'int64' },
  [DataType.INT32]: { size: 4, field: 'int32' },
  [DataType.INT16]: { size: 2, field: 'int32' },
  [DataType.UINT16]: { size: 2, field: 'int32' },
  [DataType.INT8]: { size: 1, field: 'int32' },
  [DataType.UINT8]: { size: 1, field: 'int32' },
  [DataType.BOOL]: { size: 1, field: 'int32' },
  [DataType.UINT32]: { size: 4, field: 'uint64' },
  [DataType.UINT64]: { size: 8, field: 'uint64' },
};

/** A tensor as the file has it: dims, type, and its data still in the file's bytes. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  raw?: Uint8Array;
  /** Runs of the typed repeated fields (float_data, int32_data, …): packed bytes or one element. */
  runs: Record<'float' | 'int32' | 'int64' | 'double' | 'uint64', Uint8Array[]>;
  external: boolean;
  segmented: boolean;
}

export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
  strings: string[];
  /** A sub-graph (If's then_branch / else_branch). */
  g?: OnnxGraph;
  /** Sparse tensors, lists of graphs or type protos, which are never read. */
  other: boolean;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  /** The element type of a tensor value; undefined for sequences, maps and missing types. */
  elemType?: number;
  /** Each dimension: a size, a symbolic name, or undefined; undefined if the rank is unknown. */
  dims?: (number | string | undefined)[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  sparseInitializers: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  /** The version of the default ('' / 'ai.onnx') operator set. */
  opset: number;
  producer: string;
  graph: OnnxGraph;
}

/** Limit on the values of one repeated attribute (perm, axes, activations): far more than any real use. */
const MAX_ATTRIBUTE_VALUES = 65536;
/** Limit on the elements of one tensor: what a 32-bit wasm memory could hold as f32. */
export const MAX_ELEMENTS = 2 ** 30;

/** Limit on the nesting of sub-graphs (Silero VAD nests If four deep). */
export const MAX_GRAPH_DEPTH = 16;

export function decodeModel(bytes: Uint8Array): OnnxModel {
  const r = new ProtoReader(bytes, 'ModelProto');
  let irVersion = 0, producer = '', graph: OnnxGraph | undefined, opset: number | undefined;
  const opsets: string[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) { r.expect(wire, Wire.Varint, field); irVersion = r.int64(); }
    else if (field === 2) { r.expect(wire, Wire.Bytes, field); producer = r.string(); }
    else if (field === 7) { r.expect(wire, Wire.Bytes, field); graph = decodeGraph(r.message('GraphProto'), 0); }
    else if (field === 8) {
      r.expect(wire, Wire.Bytes, field);
      const { domain, version } = decodeOpset(r.message('OperatorSetIdProto'));
      if (domain === '' || domain === 'ai.onnx') opset = version;
      opsets.push(domain);
    } else r.skip(wire);
  }
  if (!graph) throw new RecurFormatError('ONNX ModelProto: it has no graph (is this an ONNX model file?)');
  if (opset === undefined) {
    throw new RecurFormatError(`ONNX ModelProto: it imports no version of the default operator set${opsets.length ? ` (only ${opsets.join(', ')})` : ''}`);
  }
  return { irVersion, opset, producer, graph };
}

function decodeOpset(r: ProtoReader): { domain: string; version: number } {
  let domain = '', version = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) { r.expect(wire, Wire.Bytes, field); domain = r.string(); }
    else if (field === 2) { r.expect(wire, Wire.Varint, field); version = r.int64(); }
    else r.skip(wire);
  }
  return { domain, version };
}

function decodeGraph(r: ProtoReader, depth: number): OnnxGraph {
  if (depth > MAX_GRAPH_DEPTH) r.fail(`sub-graphs are nested more than ${MAX_GRAPH_DEPTH} deep`);
  const g: OnnxGraph = { nodes: [], initializers: new Map(), sparseInitializers: 0, inputs: [], outputs: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, field); g.nodes.push(decodeNode(r.message('NodeProto'), depth)); break;
      case 5: {
        r.expect(wire, Wire.Bytes, field);
        const t = decodeTensor(r.message('TensorProto'));
        if (g.initializers.has(t.name)) throw new RecurFormatError(`ONNX graph: two initializers are named '${t.name}'`);
        g.initializers.set(t.name, t);
        break;
      }
      case 11: r.expect(wire, Wire.Bytes, field); g.inputs.push(decodeValueInfo(r.message('ValueInfoProto'))); break;
      case 12: r.expect(wire, Wire.Bytes, field); g.outputs.push(decodeValueInfo(r.message('ValueInfoProto'))); break;
      case 15: r.skip(wire); g.sparseInitializers++; break;
      default: r.skip(wire);
    }
  }
  return g;
}

function decodeNode(r: ProtoReader, depth: number): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, field); n.inputs.push(r.string()); break;
      case 2: r.expect(wire, Wire.Bytes, field); n.outputs.push(r.string()); break;
      case 3: r.expect(wire, Wire.Bytes, field); n.name = r.string(); break;
      case 4: r.expect(wire, Wire.Bytes, field); n.opType = r.string(); break;
      case 5: {
        r.expect(wire, Wire.Bytes, field);
        const a = decodeAttribute(r.message('AttributeProto'), depth);
        if (n.attributes.has(a.name)) throw new RecurFormatError(`ONNX node '${n.name}': attribute '${a.name}' appears twice`);
        n.attributes.set(a.name, a);
        break;
      }
      case 7: r.expect(wire, Wire.Bytes, field); n.domain = r.string(); break;
      default: r.skip(wire);
    }
  }
  return n;
}

function decodeAttribute(r: ProtoReader, depth: number): OnnxAttribute {
  const a: OnnxAttribute = { name: '', floats: [], ints: [], strings: [], other: false };
  const count = () => {
    if (a.floats.length + a.ints.length + a.strings.length >= MAX_ATTRIBUTE_VALUES) r.fail(`more than ${MAX_ATTRIBUTE_VALUES} values`);
  };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, field); a.name = r.string(); break;
      case 2: r.expect(wire, Wire.Fixed32, field); a.f = r.float(); break;
      case 3: r.expect(wire, Wire.Varint, field); a.i = r.int64(); break;
      case 4: r.expect(wire, Wire.Bytes, field); a.s = r.string(); break;
      case 5: r.expect(wire, Wire.Bytes, field); a.t = decodeTensor(r.message('TensorProto')); break;
      case 7: {
        const run = r.repeated(wire, field, Wire.Fixed32);
        if (run.length % 4) r.fail('packed floats are not a multiple of 4 bytes');
        const view = new DataView(run.buffer, run.byteOffset, run.length);
        for (let k = 0; k < run.length; k += 4) { count(); a.floats.push(view.getFloat32(k, true)); }
        break;
      }
      case 8: {
        const values = varints([r.repeated(wire, field, Wire.Varint)], 'AttributeProto ints', MAX_ATTRIBUTE_VALUES);
        for (const v of values) { count(); a.ints.push(v); }
        break;
      }
      case 9: r.expect(wire, Wire.Bytes, field); count(); a.strings.push(r.string()); break;
      case 6: r.expect(wire, Wire.Bytes, field); a.g = decodeGraph(r.message('GraphProto'), depth + 1); break;
      case 10: case 11: case 14: case 15: case 22: case 23: r.skip(wire); a.other = true; break;
      default: r.skip(wire);
    }
  }
  return a;
}

function decodeValueInfo(r: ProtoReader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '' };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) { r.expect(wire, Wire.Bytes, field); v.name = r.string(); }
    else if (field === 2) { r.expect(wire, Wire.Bytes, field); decodeType(r.message('TypeProto'), v); }
    else r.skip(wire);
  }
  return v;
}

function decodeType(r: ProtoReader, v: OnnxValueInfo): void {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) { r.skip(wire); continue; }
    r.expect(wire, Wire.Bytes, field);
    const t = r.message('TypeProto.Tensor');
    while (!t.done) {
      const { field: f, wire: w } = t.tag();
      if (f === 1) { t.expect(w, Wire.Varint, f); v.elemType = t.int64(); }
      else if (f === 2) {
        t.expect(w, Wire.Bytes, f);
        v.dims = [];
        const shape = t.message('TensorShapeProto');
        while (!shape.done) {
          const { field: sf, wire: sw } = shape.tag();
          if (sf !== 1) { shape.skip(sw); continue; }
          shape.expect(sw, Wire.Bytes, sf);
          if (v.dims.length >= MAX_ATTRIBUTE_VALUES) shape.fail('too many dimensions');
          const d = shape.message('TensorShapeProto.Dimension');
          let dim: number | string | undefined;
          while (!d.done) {
            const { field: df, wire: dw } = d.tag();
            if (df === 1) { d.expect(dw, Wire.Varint, df); dim = d.int64(); }
            else if (df === 2) { d.expect(dw, Wire.Bytes, df); dim = d.string(); }
            else d.skip(dw);
          }
          v.dims.push(dim);
        }
      } else t.skip(w);
    }
  }
}

export function decodeTensor(r: ProtoReader): OnnxTensor {
  const t: OnnxTensor = {
    name: '', dims: [], dataType: 0, external: false, segmented: false,
    runs: { float: [], int32: [], int64: [], double: [], uint64: [] },
  };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        for (const d of varints([r.repeated(wire, field, Wire.Varint)], 'TensorProto dims', MAX_ATTRIBUTE_VALUES)) {
          if (t.dims.length >= 64) r.fail('a tensor has more than 64 dimensions');
          t.dims.push(d);
        }
        break;
      case 2: r.expect(wire, Wire.Varint, field); t.dataType = r.int64(); break;
      case 3: r.skip(wire); t.segmented = true; break;
      case 4: t.runs.float.push(r.repeated(wire, field, Wire.Fixed32)); break;
      case 5: t.runs.int32.push(r.repeated(wire, field, Wire.Varint)); break;
      case 7: t.runs.int64.push(r.repeated(wire, field, Wire.Varint)); break;
      case 8: r.expect(wire, Wire.Bytes, field); t.name = r.string(); break;
      case 9: r.expect(wire, Wire.Bytes, field); t.raw = r.bytes(); break;
      case 10: t.runs.double.push(r.repeated(wire, field, Wire.Fixed64)); break;
      case 11: t.runs.uint64.push(r.repeated(wire, field, Wire.Varint)); break;
      case 13: r.skip(wire); t.external = true; break;
      case 14: r.expect(wire, Wire.Varint, field); if (r.int64() === 1) t.external = true; break;
      default: r.skip(wire);
    }
  }
  return t;
}

/** The number of elements dims describe; a RecurFormatError for negative or absurd dims. */
export function elementCount(t: OnnxTensor, what: string): number {
  let n = 1;
  for (const d of t.dims) {
    if (d < 0) throw new RecurFormatError(`${what}: dims [${t.dims.join(', ')}] has a negative size`);
    n *= d;
    if (n > MAX_ELEMENTS) throw new RecurFormatError(`${what}: dims [${t.dims.join(', ')}] is more than 2^30 elements`);
  }
  return n;
}

/** The tensor's bytes in raw_data or its typed field, checked against its dims and type. */
function storage(t: OnnxTensor, what: string): { count: number; raw?: Uint8Array; runs?: Uint8Array[]; field: string } {
  if (t.external) {
    throw new RecurFormatError(`${what}: its data is in an external file, which recur does not read; ` +
      'save the model with its weights inside (onnx.save_model(model, path, save_as_external_data=False))');
  }
  if (t.segmented) throw new RecurFormatError(`${what}: segmented tensors are not supported`);
  const layout = STORAGE[t.dataType];
  if (!layout) throw new RecurFormatError(`${what}: ${typeName(t.dataType)} tensors are not supported`);
  const count = elementCount(t, what);
  if (t.raw !== undefined) {
    if (t.raw.length !== count * layout.size) {
      throw new RecurFormatError(`${what}: raw_data has ${t.raw.length} bytes but dims [${t.dims.join(', ')}] of ${typeName(t.dataType)} need ${count * layout.size}`);
    }
    return { count, raw: t.raw, field: layout.field };
  }
  const runs = t.runs[layout.field];
  const size = layout.field === 'float' ? 4 : layout.field === 'double' ? 8 : 0;
  const have = size ? runs.reduce((s, run) => s + run.length, 0) / size : countVarints(runs);
  if (have !== count) {
    throw new RecurFormatError(`${what}: it holds ${have} values but dims [${t.dims.join(', ')}] need ${count}`);
  }
  return { count, runs, field: layout.field };
}

/** A float tensor's values as float32 (float, double, float16 and bfloat16 tensors). */
export function tensorFloats(t: OnnxTensor, what: string): Float32Array {
  if (t.dataType !== DataType.FLOAT && t.dataType !== DataType.DOUBLE && t.dataType !== DataType.FLOAT16 && t.dataType !== DataType.BFLOAT16) {
    throw new RecurFormatError(`${what}: expected a float tensor, got ${typeName(t.dataType)}`);
  }
  const { count, raw, runs } = storage(t, what);
  const out = new Float32Array(count);
  if (t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16) {
    const halves = new Uint16Array(count);
    if (raw) { const v = view(raw); for (let i = 0; i < count; i++) halves[i] = v.getUint16(2 * i, true); }
    else varints(runs!, what, count).forEach((h, i) => { halves[i] = h; });
    return t.dataType === DataType.FLOAT16 ? float16ToFloat32(halves) : bfloat16ToFloat32(halves);
  }
  const size = t.dataType === DataType.FLOAT ? 4 : 8;
  let i = 0;
  for (const run of raw ? [raw] : runs!) {
    const v = view(run);
    for (let k = 0; k < run.length; k += size) out[i++] = size === 4 ? v.getFloat32(k, true) : v.getFloat64(k, true);
  }
  return out;
}

/** An integer tensor's values (int64, int32 and the smaller types), at most `limit` of them. */
export function tensorInts(t: OnnxTensor, what: string, limit: number): number[] {
  const { count, raw, runs, field } = storage(t, what);
  if (field === 'float' || field === 'double' || t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16) {
    throw new RecurFormatError(`${what}: expected an integer tensor, got ${typeName(t.dataType)}`);
  }
  if (count > limit) throw new RecurFormatError(`${what}: has ${count} values, more than the ${limit} expected here`);
  if (!raw) return varints(runs!, what, count);
  const v = view(raw), out: number[] = [];
  for (let i = 0; i < count; i++) {
    switch (t.dataType) {
      case DataType.INT64: out.push(int64(v.getUint32(8 * i, true), v.getInt32(8 * i + 4, true))); break;
      case DataType.INT32: out.push(v.getInt32(4 * i, true)); break;
      case DataType.UINT32: out.push(v.getUint32(4 * i, true)); break;
      case DataType.UINT64: out.push(Math.min(v.getUint32(8 * i + 4, true) * 2 ** 32 + v.getUint32(8 * i, true), Number.MAX_SAFE_INTEGER)); break;
      case DataType.INT16: out.push(v.getInt16(2 * i, true)); break;
      case DataType.UINT16: out.push(v.getUint16(2 * i, true)); break;
      case DataType.INT8: out.push(v.getInt8(i)); break;
      default: out.push(v.getUint8(i));
    }
  }
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Decodes a serialized TensorProto on its own (an ONNX test's input_0.pb, output_0.pb). */
export function decodeTensorProto(bytes: Uint8Array): OnnxTensor {
  return decodeTensor(new ProtoReader(bytes, 'TensorProto'));
}
