// A small ONNX protobuf encoder for tests: enough of ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto and ValueInfoProto (onnx/onnx.proto) to write single-node and
// small graphs programmatically, hostile ones included: attribute values of any type under any
// name, tensors whose data disagrees with their dims, int64 values beyond 2^53, If branches
// nested as deep as asked. Everything is encoded as given; nothing is checked.
//
//   const bytes = encodeModel({ opset: 17, graph: {
//     nodes: [node('Relu', ['x'], ['y'], [attr.f('alpha', 0.1)])],
//     inputs: [valueInfo('x', FLOAT, [2, 3])], outputs: [valueInfo('y', FLOAT)],
//   } });

/** TensorProto.DataType values. */
export const FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, STRING = 8, BOOL = 9, FLOAT16 = 10, DOUBLE = 11;

export interface TensorSpec {
  name?: string;
  dataType: number;
  dims: number[];
  /** Values, encoded as raw_data in the type's layout (int64 as two's complement; BigInts exact). */
  data?: ArrayLike<number | bigint>;
  /** Raw bytes instead of data (wrong lengths included). */
  raw?: Uint8Array;
}

export type AttrSpec =
  | { name: string; kind: 'i'; value: number | bigint }
  | { name: string; kind: 'f'; value: number }
  | { name: string; kind: 's'; value: string }
  | { name: string; kind: 'ints'; value: (number | bigint)[] }
  | { name: string; kind: 'floats'; value: number[] }
  | { name: string; kind: 'strings'; value: string[] }
  | { name: string; kind: 't'; value: TensorSpec }
  | { name: string; kind: 'g'; value: GraphSpec };

export interface NodeSpec {
  opType: string;
  name?: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes?: AttrSpec[];
}

export interface ValueInfoSpec {
  name: string;
  /** Element type; absent: no type at all. */
  elemType?: number;
  /** Dims: sizes or symbolic names; absent: no shape (unknown rank). */
  dims?: (number | string)[];
}

export interface GraphSpec {
  name?: string;
  nodes: NodeSpec[];
  initializers?: TensorSpec[];
  inputs?: ValueInfoSpec[];
  outputs?: ValueInfoSpec[];
}

export interface ModelSpec {
  irVersion?: number;
  /** The default domain's opset; absent: no opset_import at all. */
  opset?: number;
  graph: GraphSpec;
}

export const attr = {
  i: (name: string, value: number | bigint): AttrSpec => ({ name, kind: 'i', value }),
  f: (name: string, value: number): AttrSpec => ({ name, kind: 'f', value }),
  s: (name: string, value: string): AttrSpec => ({ name, kind: 's', value }),
  ints: (name: string, value: (number | bigint)[]): AttrSpec => ({ name, kind: 'ints', value }),
  floats: (name: string, value: number[]): AttrSpec => ({ name, kind: 'floats', value }),
  strings: (name: string, value: string[]): AttrSpec => ({ name, kind: 'strings', value }),
  t: (name: string, value: TensorSpec): AttrSpec => ({ name, kind: 't', value }),
  g: (name: string, value: GraphSpec): AttrSpec => ({ name, kind: 'g', value }),
};

export const node = (opType: string, inputs: string[], outputs: string[], attributes: AttrSpec[] = [], name?: string): NodeSpec =>
  ({ opType, inputs, outputs, attributes, name: name ?? outputs[0] });

export const valueInfo = (name: string, elemType?: number, dims?: (number | string)[]): ValueInfoSpec => ({ name, elemType, dims });

export const tensor = (name: string, dataType: number, dims: number[], data: ArrayLike<number | bigint>): TensorSpec => ({ name, dataType, dims, data });

// ---------------------------------------------------------------------------------------------
// Wire format

/** Bytes written in chunks, joined once. */
class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  bytes(b: Uint8Array): this { this.chunks.push(b); this.size += b.length; return this; }

  /** A varint of a non-negative integer or an int64 (negative: 10 bytes of two's complement). */
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
    const out: number[] = [];
    while (x >= 0x80n) { out.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    out.push(Number(x));
    return this.bytes(Uint8Array.from(out));
  }

  tag(field: number, wire: number): this { return this.varint(field * 8 + wire); }

  /** A length-delimited field. */
  field(field: number, body: Uint8Array): this { return this.tag(field, 2).varint(body.length).bytes(body); }

  string(field: number, s: string): this { return this.field(field, new TextEncoder().encode(s)); }

  int(field: number, v: number | bigint): this { return this.tag(field, 0).varint(v); }

  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.tag(field, 5).bytes(b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }
}

/** Values as raw_data of a data type (little-endian). */
export function rawData(dataType: number, data: ArrayLike<number | bigint>): Uint8Array {
  const n = data.length, num = (k: number) => Number(data[k]);
  switch (dataType) {
    case FLOAT: { const a = new Float32Array(n); for (let k = 0; k < n; k++) a[k] = num(k); return new Uint8Array(a.buffer); }
    case DOUBLE: { const a = new Float64Array(n); for (let k = 0; k < n; k++) a[k] = num(k); return new Uint8Array(a.buffer); }
    case INT64: case 13: {
      const a = new BigInt64Array(n);
      for (let k = 0; k < n; k++) {
        const v = data[k];
        a[k] = typeof v === 'bigint' ? BigInt.asIntN(64, v) : Number.isFinite(v) ? BigInt.asIntN(64, BigInt(Math.trunc(v))) : 0n;
      }
      return new Uint8Array(a.buffer);
    }
    case INT32: case 12: { const a = new Int32Array(n); for (let k = 0; k < n; k++) a[k] = num(k); return new Uint8Array(a.buffer); }
    case 4: case 5: case FLOAT16: case 16: { const a = new Uint16Array(n); for (let k = 0; k < n; k++) a[k] = num(k); return new Uint8Array(a.buffer); }
    default: { const a = new Uint8Array(n); for (let k = 0; k < n; k++) a[k] = num(k); return a; }
  }
}

export function encodeTensor(t: TensorSpec): Uint8Array {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  if (t.name !== undefined) w.string(8, t.name);
  const raw = t.raw ?? (t.data ? rawData(t.dataType, t.data) : undefined);
  if (raw) w.field(9, raw);
  return w.finish();
}

function encodeAttribute(a: AttrSpec): Uint8Array {
  const w = new Writer().string(1, a.name);
  // AttributeProto.type (field 20): FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8.
  switch (a.kind) {
    case 'f': w.float(2, a.value).int(20, 1); break;
    case 'i': w.int(3, a.value).int(20, 2); break;
    case 's': w.string(4, a.value).int(20, 3); break;
    case 't': w.field(5, encodeTensor(a.value)).int(20, 4); break;
    case 'g': w.field(6, encodeGraph(a.value)).int(20, 5); break;
    case 'floats': {
      const b = new Uint8Array(4 * a.value.length), v = new DataView(b.buffer);
      a.value.forEach((x, k) => v.setFloat32(4 * k, x, true));
      w.field(7, b).int(20, 6);
      break;
    }
    case 'ints': {
      const p = new Writer();
      for (const x of a.value) p.varint(x);
      w.field(8, p.finish()).int(20, 7);
      break;
    }
    case 'strings': for (const s of a.value) w.string(9, s); w.int(20, 8); break;
  }
  return w.finish();
}

function encodeNode(n: NodeSpec): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes ?? []) w.field(5, encodeAttribute(a));
  if (n.domain !== undefined) w.string(7, n.domain);
  return w.finish();
}

function encodeValueInfo(v: ValueInfoSpec): Uint8Array {
  const w = new Writer().string(1, v.name);
  if (v.elemType !== undefined || v.dims !== undefined) {
    const t = new Writer();
    if (v.elemType !== undefined) t.int(1, v.elemType);
    if (v.dims !== undefined) {
      const shape = new Writer();
      for (const d of v.dims) shape.field(1, typeof d === 'number' ? new Writer().int(1, d).finish() : new Writer().string(2, d).finish());
      t.field(2, shape.finish());
    }
    w.field(2, new Writer().field(1, t.finish()).finish());
  }
  return w.finish();
}

export function encodeGraph(g: GraphSpec): Uint8Array {
  const w = new Writer();
  for (const n of g.nodes) w.field(1, encodeNode(n));
  w.string(2, g.name ?? 'graph');
  for (const t of g.initializers ?? []) w.field(5, encodeTensor(t));
  for (const v of g.inputs ?? []) w.field(11, encodeValueInfo(v));
  for (const v of g.outputs ?? []) w.field(12, encodeValueInfo(v));
  return w.finish();
}

export function encodeModel(m: ModelSpec): Uint8Array {
  const w = new Writer().int(1, m.irVersion ?? 8).string(2, 'recur-test');
  w.field(7, encodeGraph(m.graph));
  if (m.opset !== undefined) w.field(8, new Writer().string(1, '').int(2, m.opset).finish());
  return w.finish();
}
