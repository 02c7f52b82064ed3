// Mutations for the fuzzer (bench/fuzz.js): generic byte mutations, and mutations that know the
// structure of the formats recur reads (safetensors headers, JSON, protobuf, RIFF), so a mutated
// file gets past the first checks and reaches the code behind them. Every function takes the
// random source it draws from, so a case is reproducible from (seed, surface, index).

/** mulberry32: reproducible uniform numbers in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit hash of strings and numbers (FNV-1a), for per-case seeds. */
export function hash(...parts) {
  let h = 0x811c9dc5;
  for (const c of parts.join('\u0000')) { h ^= c.charCodeAt(0); h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

export const int = (random, n) => Math.floor(random() * n);
export const pick = (random, list) => list[int(random, list.length)];
/** An index into n items that favours the ends (where formats keep their headers and lengths). */
const position = (random, n) => {
  const r = random();
  if (r < 0.3) return int(random, Math.min(n, 64));
  if (r < 0.4) return Math.max(0, n - 1 - int(random, Math.min(n, 64)));
  return int(random, n);
};

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x40000000];

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** One generic mutation of a byte string (a new array; `other` is another seed to splice from). */
export function mutateBytes(random, bytes, other) {
  const n = bytes.length;
  const out = bytes.slice();
  switch (int(random, 9)) {
    case 0: {                                                       // truncation
      return bytes.slice(0, position(random, n + 1));
    }
    case 1: {                                                       // bit flips
      if (!n) return out;
      for (let k = 1 + int(random, 8); k > 0; k--) { const i = position(random, n); out[i] ^= 1 << int(random, 8); }
      return out;
    }
    case 2: {                                                       // interesting bytes
      if (!n) return out;
      for (let k = 1 + int(random, 4); k > 0; k--) out[position(random, n)] = pick(random, INTERESTING_BYTES);
      return out;
    }
    case 3: {                                                       // an interesting 32-bit word
      if (n < 4) return out;
      const i = position(random, n - 3);
      new DataView(out.buffer).setUint32(i, pick(random, INTERESTING_32), random() < 0.8);
      return out;
    }
    case 4: {                                                       // chunk duplication
      if (!n) return out;
      const a = position(random, n), len = 1 + int(random, Math.min(n - a, 4096));
      const at = position(random, n + 1);
      return concat([bytes.subarray(0, at), bytes.subarray(a, a + len), bytes.subarray(at)]);
    }
    case 5: {                                                       // chunk deletion
      if (!n) return out;
      const a = position(random, n), len = 1 + int(random, Math.min(n - a, 4096));
      return concat([bytes.subarray(0, a), bytes.subarray(a + len)]);
    }
    case 6: {                                                       // random bytes inserted
      const at = position(random, n + 1), len = 1 + int(random, 32);
      const ins = Uint8Array.from({ length: len }, () => int(random, 256));
      return concat([bytes.subarray(0, at), ins, bytes.subarray(at)]);
    }
    case 7: {                                                       // splice with another seed
      if (!other || !other.length) return out;
      const at = position(random, n + 1), from = int(random, other.length);
      return concat([bytes.subarray(0, at), other.subarray(from, from + 1 + int(random, 4096))]);
    }
    default: {                                                      // a run of one value
      if (!n) return out;
      const a = position(random, n), len = 1 + int(random, Math.min(n - a, 256));
      out.fill(pick(random, INTERESTING_BYTES), a, a + len);
      return out;
    }
  }
}

/** 1–4 generic mutations in a row. */
export function havoc(random, bytes, other) {
  let out = bytes;
  for (let k = 1 + int(random, 4); k > 0; k--) out = mutateBytes(random, out, other);
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON

/** Numbers and values that break size, index and type checks. */
export const HOSTILE_NUMBERS = [0, -0, 1, -1, 2, 3, 0.5, -0.5, 1.5, 7, 64, 255, 256, 65535, 65536, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32,
  2 ** 32 + 1, 2 ** 40, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e20, 1e39, -1e39, 1e308, 1e-45, 5e-324, -(2 ** 31), -(2 ** 53)];
const HOSTILE_VALUES = [null, true, false, '', '0', '1e9', 'NaN', '__proto__', 'constructor', 'prototype', 'toString', 'a'.repeat(300),
  [], [0], [-1], [2 ** 31, 2 ** 31], {}, { __proto__: null }];
/** Raw number tokens JSON.stringify cannot write (a hand-written or other-language file can). */
const RAW_TOKENS = ['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '-0', '1e-999', '00', '0x10', '1.', '.5', '+1'];

function paths(value, path = [], out = []) {
  out.push(path);
  if (out.length > 5000) return out;
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const k of Object.keys(value)) paths(value[k], [...path, k], out);
  return out;
}

function getAt(value, path) { let v = value; for (const k of path) v = v[k]; return v; }

/** A mutated copy of a JSON value: a node replaced, deleted, duplicated, deepened or retyped. */
export function mutateJsonValue(random, value) {
  const root = { v: structuredClone(value) };
  const all = paths(root.v).map((p) => ['v', ...p]);
  const path = pick(random, all);
  const parent = getAt(root, path.slice(0, -1)), key = path[path.length - 1];
  const node = parent[key];
  const r = random();
  if (r < 0.35 || typeof node === 'number') {
    parent[key] = typeof node === 'number' && random() < 0.7 ? pick(random, HOSTILE_NUMBERS) * (random() < 0.1 ? -1 : 1)
      : random() < 0.5 ? pick(random, HOSTILE_NUMBERS) : structuredClone(pick(random, HOSTILE_VALUES));
  } else if (r < 0.5) {
    if (Array.isArray(parent)) parent.splice(key, 1); else delete parent[key];
  } else if (r < 0.6 && Array.isArray(node)) {
    if (node.length) node.push(...node.slice(0, 1 + int(random, node.length)));   // longer array
  } else if (r < 0.68 && Array.isArray(node)) {
    node.length = int(random, node.length + 1);                                 // shorter array
  } else if (r < 0.76 && node && typeof node === 'object') {
    const keys = Object.keys(node);
    if (keys.length > 1) {                                                      // a sibling copied over another
      const a = pick(random, keys), b = pick(random, keys);
      node[a] = structuredClone(node[b]);
    } else Object.defineProperty(node, pick(random, ['__proto__', 'constructor', 'x']), { value: {}, enumerable: true, writable: true, configurable: true });
  } else if (r < 0.84) {
    let deep = structuredClone(node);                                           // nested deeper
    for (let k = 1 + int(random, 300); k > 0; k--) deep = random() < 0.5 ? [deep] : { layers: [deep] };
    parent[key] = deep;
  } else if (r < 0.92 && typeof node === 'string') {
    parent[key] = pick(random, [node + node, node.toUpperCase(), node.slice(1), '', 'lstm', 'gru', 'rnn', 'linear', 'embedding',
      'LSTM', 'GRU', 'SimpleRNN', 'Dense', 'Embedding', 'Bidirectional', 'InputLayer', 'Functional', 'Sequential', 'Model', 'float32',
      'int32', 'float16', 'uint8', 'F32', 'F16', 'I8', 'BF16', 'relu', 'tanh', 'sigmoid', 'softmax', 'linear', 'hard_sigmoid', 'concat', 'sum',
      'mul', 'ave', 'int8', 'f16', '__proto__', 'constructor']);
  } else {
    parent[key] = structuredClone(pick(random, HOSTILE_VALUES));
  }
  return root.v;
}

/** A JSON text mutated as a value (usually) or as text (a raw token, a duplicated key, a cut). */
export function mutateJsonText(random, text) {
  const r = random();
  if (r < 0.7) {
    let value;
    try { value = JSON.parse(text); } catch { return mutateText(random, text); }
    for (let k = 1 + int(random, 3); k > 0; k--) value = mutateJsonValue(random, value);
    return JSON.stringify(value);
  }
  return mutateText(random, text);
}

function mutateText(random, text) {
  const r = random();
  if (r < 0.4) {                                                   // a number replaced by a raw token
    const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi)];
    if (numbers.length) {
      const m = pick(random, numbers);
      return text.slice(0, m.index) + pick(random, RAW_TOKENS) + text.slice(m.index + m[0].length);
    }
  }
  if (r < 0.6) {                                                   // a key repeated
    const keys = [...text.matchAll(/"([^"\\]{1,40})":/g)];
    if (keys.length) {
      const m = pick(random, keys);
      return text.slice(0, m.index) + `"${m[1]}":0,` + text.slice(m.index);
    }
  }
  const bytes = new TextEncoder().encode(text);
  return new TextDecoder().decode(mutateBytes(random, bytes));
}

// ---------------------------------------------------------------------------------------------
// safetensors

const DTYPES = ['F32', 'F16', 'BF16', 'I8', 'U8', 'F64', 'I32', 'I64', 'BOOL', 'F4', 'F6_E2M3', 'F8_E4M3', 'C64', 'X9', 'f32', ''];

/** Header and data of a safetensors file, or undefined if its header does not parse. */
export function splitSafetensors(bytes) {
  if (bytes.length < 8) return undefined;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8) return undefined;
  try {
    return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
  } catch { return undefined; }
}

/** A safetensors file of this header (as JSON text, padded like the writer) and data. */
export function joinSafetensors(headerText, data, lengthDelta = 0) {
  const encoded = new TextEncoder().encode(headerText);
  const pad = (8 - (encoded.length % 8)) % 8;
  const header = concat([encoded, new Uint8Array(pad).fill(0x20)]);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, header.length + lengthDelta)), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/**
 * A safetensors file with its header edited: a tensor's dtype, shape or offsets, a tensor
 * removed or added, the metadata (recur's model description inside it mutated as JSON), then
 * written back with a correct (usually) or wrong header length, and the data kept, cut or padded.
 */
export function mutateSafetensors(random, bytes) {
  const parts = splitSafetensors(bytes);
  if (!parts) return havoc(random, bytes);
  const header = structuredClone(parts.header);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const r = random();
  const tensor = names.length ? header[pick(random, names)] : undefined;
  if (r < 0.2 && tensor) {
    tensor.dtype = pick(random, DTYPES);
  } else if (r < 0.4 && tensor && Array.isArray(tensor.shape)) {
    const s = tensor.shape;
    const k = int(random, s.length + 1);
    if (random() < 0.2) s.splice(k, 0, pick(random, [1, 2, 0]));
    else if (random() < 0.2) s.splice(k, 1);
    else s[Math.min(k, Math.max(0, s.length - 1))] = pick(random, HOSTILE_NUMBERS);
  } else if (r < 0.58 && tensor && Array.isArray(tensor.data_offsets)) {
    const o = tensor.data_offsets, k = int(random, 2);
    const v = random();
    o[k] = v < 0.3 ? o[k] + pick(random, [1, -1, 4, -4, 64]) : v < 0.5 ? o[1 - k] : pick(random, HOSTILE_NUMBERS);
  } else if (r < 0.64 && names.length) {
    delete header[pick(random, names)];
  } else if (r < 0.7 && tensor) {
    header[pick(random, ['extra', '__proto__', 'constructor', `${names[0]}_scale`, 'optimizer.0', 'lstm.weight_ih_l1'])] = structuredClone(tensor);
  } else if (r < 0.9 && header.__metadata__ && typeof header.__metadata__ === 'object') {
    const m = header.__metadata__;
    const keys = Object.keys(m);
    const key = pick(random, keys.length ? keys : ['model']);
    if (typeof m[key] === 'string' && m[key].startsWith('{') && random() < 0.85) m[key] = mutateJsonText(random, m[key]);
    else m[key] = random() < 0.5 ? pick(random, ['', '1', '2', 'recur', 'pt', '{}', '[]', 'NaN', '-1', '1e400']) : pick(random, [null, 1, {}, []]);
  } else {
    return joinSafetensors(mutateJsonText(random, JSON.stringify(header)), parts.data);
  }
  const data = random() < 0.85 ? parts.data : random() < 0.5 ? parts.data.subarray(0, int(random, parts.data.length + 1))
    : concat([parts.data, new Uint8Array(1 + int(random, 64))]);
  const delta = random() < 0.9 ? 0 : pick(random, [1, -1, 8, -8, 2 ** 20]);
  return joinSafetensors(JSON.stringify(header), data, delta);
}

/** A safetensors file with hostile float values written into one F32 tensor's data. */
export function mutateSafetensorsValues(random, bytes) {
  const parts = splitSafetensors(bytes);
  if (!parts) return havoc(random, bytes);
  const f32 = Object.entries(parts.header).filter(([k, t]) => k !== '__metadata__' && t.dtype === 'F32' && t.data_offsets[1] > t.data_offsets[0]);
  if (!f32.length) return havoc(random, bytes);
  const [, t] = pick(random, f32);
  const out = bytes.slice();
  const base = bytes.length - parts.data.length + t.data_offsets[0];
  const count = (t.data_offsets[1] - t.data_offsets[0]) / 4;
  const view = new DataView(out.buffer);
  for (let k = 1 + int(random, 3); k > 0; k--) {
    view.setFloat32(base + 4 * int(random, count), pick(random, [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1, 0, 1e30, -1e30]), true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// protobuf (ONNX)

function readVarint(bytes, at, end) {
  let value = 0, scale = 1;
  for (let k = 0; k < 10; k++) {
    if (at >= end) return undefined;
    const b = bytes[at++];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return { value, next: at };
  }
  return undefined;
}

function encodeVarint(value) {
  // value: a number ≥ 0 (exact up to 2^53) or a BigInt (two's complement for negatives, 10 bytes).
  let v = typeof value === 'bigint' ? BigInt.asUintN(64, value) : BigInt(Math.floor(Math.max(0, value)));
  const out = [];
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return Uint8Array.from(out);
}

/**
 * The fields of a protobuf message in bytes[start, end), with length-delimited fields that parse
 * as messages parsed too (a guess the schema would settle; a wrong guess only means a
 * different mutation). Returns undefined if the range is not a message.
 */
export function parseProto(bytes, start = 0, end = bytes.length, depth = 0) {
  const fields = [];
  let at = start;
  while (at < end) {
    const key = readVarint(bytes, at, end);
    if (!key || key.value < 8) return undefined;
    const field = Math.floor(key.value / 8), wire = key.value % 8;
    const f = { field, wire, start: at, lenStart: key.next, dataStart: key.next, end: 0, children: undefined };
    if (wire === 0) {
      const v = readVarint(bytes, key.next, end);
      if (!v) return undefined;
      f.end = v.next;
    } else if (wire === 1) f.end = key.next + 8;
    else if (wire === 5) f.end = key.next + 4;
    else if (wire === 2) {
      const len = readVarint(bytes, key.next, end);
      if (!len) return undefined;
      f.dataStart = len.next;
      f.end = len.next + len.value;
      if (f.end > end) return undefined;
      if (depth < 12 && len.value > 1 && len.value < 4_000_000) f.children = parseProto(bytes, f.dataStart, f.end, depth + 1);
    } else return undefined;
    if (f.end > end) return undefined;
    fields.push(f);
    at = f.end;
    if (fields.length > 200_000) return undefined;
  }
  return fields;
}

/** Every field of the tree with the chain of length-delimited fields that contain it. */
export function protoFields(tree) {
  const out = [];
  const walk = (fields, chain, path) => {
    for (const f of fields) {
      out.push({ f, chain, path: [...path, f.field] });
      if (f.children) walk(f.children, [...chain, f], [...path, f.field]);
    }
  };
  walk(tree, [], []);
  return out;
}

/** bytes with [from, to) replaced by `insert`, and the length of every enclosing field rewritten. */
export function protoSplice(bytes, chain, from, to, insert) {
  let pieces = [insert], size = insert.length, lo = from, hi = to;
  for (let i = chain.length - 1; i >= 0; i--) {
    const p = chain[i];
    const before = bytes.subarray(p.dataStart, lo), after = bytes.subarray(hi, p.end);
    const dataLength = before.length + size + after.length;
    const length = encodeVarint(dataLength);
    pieces = [bytes.subarray(p.start, p.lenStart), length, before, ...pieces, after];
    size = dataLength + (p.lenStart - p.start) + length.length;
    lo = p.start; hi = p.end;
  }
  return concat([bytes.subarray(0, lo), ...pieces, bytes.subarray(hi)]);
}

const VARINTS = [0n, 1n, 2n, 3n, 127n, 128n, 255n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 53n, 2n ** 62n, -1n, -2n, -(2n ** 31n), -(2n ** 63n)];
const OPS = ['Add', 'Mul', 'Conv', 'LSTM', 'GRU', 'RNN', 'MatMul', 'Gemm', 'Reshape', 'Slice', 'Gather', 'Concat', 'Split', 'Transpose', 'If',
  'Identity', 'Squeeze', 'Unsqueeze', 'Expand', 'Pad', 'ReduceMean', 'Softmax', 'Cast', 'Shape', 'ConstantOfShape', 'Range', 'Tile',
  'Where', 'Clip', 'Sigmoid', 'Tanh', 'Relu', 'Sqrt', 'Pow', 'ConvTranspose', 'Constant', 'Flatten', 'Equal', 'Less', 'Not', 'Sub', 'Div',
  'Exp', 'Log', 'Neg', 'Abs', 'ReduceSum', 'ReduceMax', 'LogSoftmax', 'Dropout', 'Size', 'Loop', 'Scan', 'NonZero', ''];

/** Strings found at ONNX value-name positions (node inputs and outputs, graph input/output names). */
function namesIn(bytes, fields) {
  const names = [];
  for (const { f, path } of fields) {
    const last = path[path.length - 1], parent = path[path.length - 2];
    if (f.wire === 2 && !f.children && f.end - f.dataStart < 100 && ((parent === 1 && (last === 1 || last === 2)) || (last === 1 && (parent === 11 || parent === 12)))) {
      names.push(bytes.subarray(f.dataStart, f.end));
    }
  }
  return names;
}

/**
 * An ONNX (protobuf) file with one field edited: a varint set to an edge value, a length that
 * lies, a field deleted, duplicated or copied from elsewhere, an operator or value name swapped
 * (dangling references, cycles), a float made NaN or huge.
 */
export function mutateProto(random, bytes, parsed) {
  const tree = parsed?.tree ?? parseProto(bytes);
  if (!tree) return havoc(random, bytes);
  const fields = parsed?.fields ?? protoFields(tree);
  if (!fields.length) return havoc(random, bytes);
  const { f, chain, path } = pick(random, fields);
  const r = random();
  if (f.wire === 0 && r < 0.5) {
    return protoSplice(bytes, chain, f.lenStart, f.end, encodeVarint(pick(random, VARINTS)));
  }
  if (f.wire === 2 && r < 0.3) {                                   // the length lies (enclosing lengths fixed)
    const len = f.end - f.dataStart;
    const lie = encodeVarint(BigInt(Math.max(0, pick(random, [len + 1, len - 1, 0, len * 2, 2 ** 31, 2 ** 32 + len, 2 ** 53]))));
    return protoSplice(bytes, chain, f.lenStart, f.dataStart, lie);
  }
  if (r < 0.45) return protoSplice(bytes, chain, f.start, f.end, new Uint8Array(0));                 // deleted
  if (r < 0.55) {                                                                                    // duplicated
    const copy = bytes.slice(f.start, f.end);
    return protoSplice(bytes, chain, f.end, f.end, random() < 0.3 ? concat(Array(1 + int(random, 20)).fill(copy)) : copy);
  }
  if (r < 0.65) {                                                                                    // another field copied in
    const other = pick(random, fields).f;
    return protoSplice(bytes, chain, f.end, f.end, bytes.slice(other.start, other.end));
  }
  const last = path[path.length - 1], parent = path[path.length - 2];
  if (f.wire === 2 && !f.children && parent === 1 && last === 4 && r < 0.8) {                       // op_type
    return protoSplice(bytes, chain, f.lenStart, f.end, withLength(new TextEncoder().encode(pick(random, OPS))));
  }
  if (f.wire === 2 && !f.children && r < 0.85) {                                                     // a name from elsewhere
    const names = namesIn(bytes, fields);
    if (names.length) return protoSplice(bytes, chain, f.lenStart, f.end, withLength(pick(random, names)));
  }
  if (f.wire === 5) {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setFloat32(0, pick(random, [NaN, Infinity, -Infinity, 3.4e38, -1, 0, 1e-45, 2 ** 31]), true);
    return protoSplice(bytes, chain, f.lenStart, f.end, v);
  }
  if (f.wire === 2 && !f.children && f.end > f.dataStart) {                                          // bytes inside (raw_data, strings)
    const inner = mutateBytes(random, bytes.subarray(f.dataStart, f.end));
    return protoSplice(bytes, chain, f.lenStart, f.end, withLength(inner));
  }
  return havoc(random, bytes);
}

const withLength = (data) => concat([encodeVarint(data.length), data]);

// ---------------------------------------------------------------------------------------------
// RIFF (WAV)

/** A WAV file with a chunk size, a fmt field or the RIFF size edited, or chunks reordered. */
export function mutateRiff(random, bytes) {
  if (bytes.length < 12) return havoc(random, bytes);
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const chunks = [];
  for (let at = 12; at + 8 <= out.length && chunks.length < 64;) {
    const size = view.getUint32(at + 4, true);
    chunks.push({ at, size, id: String.fromCharCode(...out.subarray(at, at + 4)) });
    at += 8 + size + (size & 1);
  }
  const r = random();
  const u32 = () => pick(random, [0, 1, 2, 3, 4, 15, 16, 17, 40, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, out.length, out.length - 8]);
  if (r < 0.15) { view.setUint32(4, u32(), true); return out; }
  const c = chunks.length ? pick(random, chunks) : undefined;
  if (!c) return havoc(random, bytes);
  if (r < 0.35) { view.setUint32(c.at + 4, u32(), true); return out; }
  const fmt = chunks.find((k) => k.id === 'fmt ');
  if (fmt && r < 0.8 && fmt.at + 8 + 16 <= out.length) {
    const b = fmt.at + 8;
    switch (int(random, 6)) {
      case 0: view.setUint16(b, pick(random, [1, 3, 0xfffe, 0, 2, 0x55]), true); break;                       // format tag
      case 1: view.setUint16(b + 2, pick(random, [0, 1, 2, 3, 8, 255, 65535]), true); break;                  // channels
      case 2: view.setUint32(b + 4, pick(random, [0, 1, 2, 7, 8000, 16000, 44100, 48000, 192000, 0x7fffffff, 0xffffffff, 4e9]) >>> 0, true); break;
      case 3: view.setUint16(b + 12, pick(random, [0, 1, 2, 3, 4, 6, 8, 65535]), true); break;                // block align
      case 4: view.setUint16(b + 14, pick(random, [0, 1, 7, 8, 12, 16, 24, 32, 64, 65535]), true); break;      // bits
      default: if (fmt.size >= 40 && b + 40 <= out.length) view.setUint16(b + 24, pick(random, [1, 3, 0, 0xfffe]), true);
    }
    return out;
  }
  if (chunks.length > 1) {                                         // a chunk duplicated or dropped
    const end = Math.min(out.length, c.at + 8 + c.size + (c.size & 1));
    const body = bytes.subarray(c.at, end);
    const mutated = random() < 0.5 ? concat([bytes.subarray(0, end), body, bytes.subarray(end)]) : concat([bytes.subarray(0, c.at), bytes.subarray(end)]);
    new DataView(mutated.buffer).setUint32(4, mutated.length - 8, true);
    return mutated;
  }
  return havoc(random, bytes);
}
