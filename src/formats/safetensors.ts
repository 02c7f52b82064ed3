// safetensors, Hugging Face's tensor file format (the huggingface/safetensors README; reference
// reader and writer: safetensors/src/tensor.rs):
//
//   8 bytes   N, unsigned 64-bit little-endian: the header's length in bytes
//   N bytes   the header, a UTF-8 JSON object:
//               { "__metadata__": { string: string },                     (optional)
//                 "<name>": { "dtype": "F32", "shape": [4, 8], "data_offsets": [begin, end] }, … }
//   the rest  the data area; offsets count bytes from its first byte; each tensor row-major and
//             little-endian, end − begin = (product of shape) · (dtype size)
//
// The reader trusts nothing in the file and throws RecurFormatError, naming the tensor, for every
// rule the reference reader enforces: header length within the file and at most 100 MB; header
// valid UTF-8 starting with `{`, valid JSON nested at most 128 deep (serde_json's limit), with no
// duplicate keys (the README forbids them; JSON.parse would silently keep the last); known
// dtypes, shapes of non-negative integers, sizes that match the offsets; and tensors that tile
// the data area exactly — no overlap and no hole, so a file cannot hide bytes (or a second file)
// between its tensors. Nothing is allocated for the data: tensors are views into the given bytes.
//
// The writer produces what the reference writer does, byte for byte (for the same metadata key
// order): tensors sorted by descending dtype alignment, then by name, packed without gaps; header
// padded with spaces to a multiple of 8 bytes, so with the 8-byte length every tensor starts at
// a multiple of its element size and can be viewed as a typed array without copying.

import { RecurFormatError, RecurOptionError, RecurShapeError } from '../errors.js';

/**
 * The dtypes of the reference implementation, in its order of increasing alignment (the writer
 * sorts by this order, largest first), with their sizes in bits. F4 and F6 are packed sub-byte
 * formats: a tensor of them must fill a whole number of bytes.
 */
const DTYPE_BITS = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BITS;

const DTYPES = new Map(Object.entries(DTYPE_BITS)) as Map<SafetensorsDtype, number>;
const DTYPE_RANK = new Map([...DTYPES.keys()].map((d, i) => [d, i]));

/** The reference reader's limit on the header (serde_json on 100 MB is already slow). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The tensor's little-endian bytes: a view into the parsed buffer, not a copy. */
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** The header's `__metadata__` (empty if absent). */
  metadata: Record<string, string>;
  /** Every tensor, in the order of their data in the file. */
  tensors: Record<string, SafetensorsTensor>;
}

export interface SafetensorsLimits {
  /** Largest header accepted, in bytes; default (and the reference's) 100,000,000. */
  maxHeaderBytes?: number;
}

/** A tensor to write: `data` holds its little-endian bytes (any typed array or DataView). */
export interface SafetensorsTensorInput {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: ArrayBufferView;
}

const fail = (message: string): never => { throw new RecurFormatError(`safetensors: ${message}`); };

/** A value for an error message, cut short (a hostile header can hold megabytes). */
function show(value: unknown): string {
  let text: string;
  try { text = JSON.stringify(value) ?? String(value); } catch { text = Array.isArray(value) ? '[...]' : typeof value; }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const showShape = (shape: readonly number[]) =>
  `[${shape.length > 12 ? `${shape.slice(0, 12).join(', ')}, ... (${shape.length} dimensions)` : shape.join(', ')}]`;

const quote = (name: string) => `'${name.length > 200 ? `${name.slice(0, 197)}...` : name}'`;

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** Sets a key even if it is `__proto__`, which plain assignment would treat as the prototype. */
function put<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Entry { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }

/**
 * Parses a safetensors file. Every violation of the format is a RecurFormatError that names the
 * tensor and the problem; the returned tensors' `data` are views into `bytes`.
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, limits: SafetensorsLimits = {}): SafetensorsFile {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) {
    throw new RecurOptionError(`parseSafetensors: expected a Uint8Array or ArrayBuffer, got ${show(bytes)}`);
  }
  const maxHeader = limits.maxHeaderBytes ?? MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeader) || maxHeader < 2) {
    throw new RecurOptionError(`parseSafetensors: maxHeaderBytes must be an integer ≥ 2, got ${show(maxHeader)}`);
  }

  const { n, header } = readHeader(bytes, maxHeader);
  const room = bytes.byteLength - 8;
  const dataLength = room - n;
  const metadata = readMetadata(header[METADATA_KEY]);
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name !== METADATA_KEY) entries.push(readEntry(name, info, dataLength));
  }

  // The tensors must tile [0, dataLength) exactly. Sorted by (begin, end), as the reference
  // does, so zero-length tensors at a boundary are fine.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of entries) {
    if (e.begin < covered) {
      fail(`tensor ${quote(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap tensor ${quote(previous!.name)} [${previous!.begin}, ${previous!.end}]`);
    }
    if (e.begin > covered) {
      fail(`bytes [${covered}, ${e.begin}) of the data area belong to no tensor (the next is ${quote(e.name)}); the format allows no holes`);
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    fail(`the data area is ${dataLength} bytes but the tensors cover only ${covered}; the format allows no unused bytes (truncated header or data appended?)`);
  }

  const data = bytes.subarray(8 + n);
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const e of entries) put(tensors, e.name, { dtype: e.dtype, shape: e.shape, data: data.subarray(e.begin, e.end) });
  return { metadata, tensors };
}

/** The header length and the decoded header, every rule about them checked. */
function readHeader(bytes: Uint8Array, maxHeader: number): { n: number; header: Record<string, unknown> } {
  // Header length, checked against the file and the limit before the header is decoded.
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  const room = bytes.byteLength - 8;
  if (length < 2n) fail(`header length ${length} is too small for a JSON object`);
  if (length > BigInt(maxHeader)) fail(`header length ${length} is more than the limit of ${maxHeader} bytes`);
  if (length > BigInt(room)) fail(`header length ${length} is more than the ${room} bytes after it (truncated file?)`);
  const n = Number(length);

  const headerBytes = bytes.subarray(8, 8 + n);
  if (headerBytes[0] !== 0x7b) fail(`header must start with '{', found byte 0x${headerBytes[0].toString(16).padStart(2, '0')}`);
  const plain = ascii(headerBytes);               // the usual header; TextDecoder's first use costs ~1 ms
  let text = plain ?? '';
  if (plain === undefined) {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
    } catch {
      fail('header is not valid UTF-8');
    }
  }
  if (nestedTooDeep(text)) fail(`header nests deeper than ${MAX_DEPTH} levels (the reference reader's limit; a valid header nests 3)`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    fail(`header is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(header)) fail('header must be a JSON object');
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined) fail(`header has the key ${quote(duplicate)} more than once`);
  return { n, header: header as Record<string, unknown> };

}

/**
 * How long a safetensors file must be, from its first bytes: `{ need }` when more of it must be
 * read to tell (the 8-byte length, then the header), `{ length }` once the header is in: 8 + the
 * header + the data area its tensors declare. Throws RecurFormatError as soon as the bytes show
 * the file is malformed (a header length past the limit, a header that is not valid JSON, a
 * tensor entry that is not). A reader of a stream stops at `length` bytes, not at a size limit.
 */
export function safetensorsLength(prefix: Uint8Array, limits: SafetensorsLimits = {}): { need: number } | { length: number } {
  const maxHeader = limits.maxHeaderBytes ?? MAX_HEADER_BYTES;
  if (prefix.byteLength < 8) return { need: 8 };
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length < 2n) fail(`header length ${length} is too small for a JSON object`);
  if (length > BigInt(maxHeader)) fail(`header length ${length} is more than the limit of ${maxHeader} bytes`);
  const n = Number(length);
  if (prefix.byteLength < 8 + n) return { need: 8 + n };
  const { header } = readHeader(prefix.subarray(0, 8 + n), maxHeader);
  let end = 0;
  for (const [name, info] of Object.entries(header)) {
    if (name !== METADATA_KEY) end = Math.max(end, readEntry(name, info, Number.MAX_SAFE_INTEGER).end);
  }
  return { length: 8 + n + end };
}

function readMetadata(value: unknown): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (value === undefined || value === null) return metadata;      // serde reads null as none
  if (!isObject(value)) fail(`${METADATA_KEY} must be an object of strings, got ${show(value)}`);
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`${METADATA_KEY} value of ${quote(key)} must be a string, got ${show(v)}`);
    put(metadata, key, v as string);
  }
  return metadata;
}

function readEntry(name: string, info: unknown, dataLength: number): Entry {
  const where = `tensor ${quote(name)}`;
  if (!isObject(info)) fail(`${where}: expected {"dtype", "shape", "data_offsets"}, got ${show(info)}`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;

  if (typeof dtype !== 'string' || !DTYPES.has(dtype as SafetensorsDtype)) {
    fail(`${where}: unknown dtype ${show(dtype)}; known: ${[...DTYPES.keys()].join(', ')}`);
  }
  const bits = DTYPES.get(dtype as SafetensorsDtype)!;

  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${where}: shape must be a list of non-negative integers, got ${show(shape)}`);
  }
  const dims = (shape as number[]).map((d) => d + 0);              // -0 → 0

  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`${where}: data_offsets must be [begin, end], two non-negative integers, got ${show(offsets)}`);
  }
  const [begin, end] = (offsets as number[]).map((o) => o + 0);
  if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data area`);

  // Elements and bytes. Any zero dimension makes the tensor empty, however large the others.
  let elements = dims.includes(0) ? 0 : 1;
  for (const d of dims) {
    elements *= d;
    if (elements > Number.MAX_SAFE_INTEGER) break;
  }
  const held = end - begin;
  const described = `${dtype} ${showShape(dims)}`;
  if (elements > Number.MAX_SAFE_INTEGER) {
    fail(`${where}: data_offsets [${begin}, ${end}] hold ${held} bytes but ${described} has more than 2^53 elements`);
  }
  const totalBits = elements * bits;
  if (totalBits % 8 !== 0) fail(`${where}: ${described} is ${totalBits} bits, not a whole number of bytes`);
  if (totalBits / 8 !== held) fail(`${where}: data_offsets [${begin}, ${end}] hold ${held} bytes but ${described} needs ${totalBits / 8}`);
  return { name, dtype: dtype as SafetensorsDtype, shape: dims, begin, end };
}

/** serde_json's recursion limit, which the reference reader inherits. */
const MAX_DEPTH = 128;

/** The bytes as a string if every one is ASCII (then UTF-8 decoding is the identity), else undefined. */
function ascii(bytes: Uint8Array): string | undefined {
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    const chunk = bytes.subarray(i, i + 4096);
    for (let j = 0; j < chunk.length; j++) if (chunk[j] > 0x7f) return undefined;
    text += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return text;
}

/**
 * Whether brackets nest deeper than MAX_DEPTH (outside strings). Checked before JSON.parse,
 * which needs about 2 s for 10 MB of `[[[[…`: with the depth bounded it stays linear and fast.
 */
function nestedTooDeep(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    }
  }
  return false;
}

/**
 * The first key that occurs twice in one object of `text`, which must be valid JSON. JSON.parse
 * silently keeps the last of duplicate keys; the format forbids them, since two readers could
 * then see different tensors in one file.
 */
function duplicateKey(text: string): string | undefined {
  const objects: (Set<string> | null)[] = [];           // one per open object, null per open array
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) objects.push(new Set());
    else if (c === 0x5b) objects.push(null);
    else if (c === 0x7d || c === 0x5d) objects.pop();
    else if (c === 0x22) {
      let j = i + 1, escaped = false;
      for (;; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x22) break;
        if (d === 0x5c) { escaped = true; j++; }
      }
      const keys = objects[objects.length - 1];
      let k = j + 1;
      while (k < text.length && (text[k] === ' ' || text[k] === '\n' || text[k] === '\r' || text[k] === '\t')) k++;
      if (keys && text.charCodeAt(k) === 0x3a) {                      // a key: a string before ':'
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = j;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Code-point order, which is the UTF-8 byte order the reference writer sorts names by. */
function compareNames(a: string, b: string): number {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * A safetensors file of the given tensors and metadata: tensors in descending dtype alignment,
 * then name order, packed without gaps; the header padded with spaces to a multiple of 8 bytes
 * (so every tensor is aligned to its element size). Metadata keys are written sorted;
 * `__metadata__` is omitted when metadata is undefined.
 */
export function serializeSafetensors(
  tensors: Record<string, SafetensorsTensorInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const items: { name: string; dtype: SafetensorsDtype; shape: number[]; bytes: Uint8Array }[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const where = `serializeSafetensors: tensor ${quote(name)}`;
    if (name === METADATA_KEY) throw new RecurOptionError(`${where}: the name is reserved for metadata`);
    if (!DTYPES.has(t?.dtype)) throw new RecurOptionError(`${where}: unknown dtype ${show(t?.dtype)}; known: ${[...DTYPES.keys()].join(', ')}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new RecurShapeError(`${where}: shape must be a list of non-negative integers, got ${show(t.shape)}`);
    }
    if (!ArrayBuffer.isView(t.data)) throw new RecurOptionError(`${where}: data must be a typed array or DataView of its bytes`);
    const bits = t.shape.reduce((n, d) => n * d, 1) * DTYPES.get(t.dtype)!;
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (bits % 8 !== 0 || bits / 8 !== bytes.byteLength) {
      throw new RecurShapeError(`${where}: ${t.dtype} ${showShape(t.shape)} needs ${bits / 8} bytes, data has ${bytes.byteLength}`);
    }
    items.push({ name, dtype: t.dtype, shape: t.shape.map((d) => d + 0), bytes });
  }
  items.sort((a, b) => DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)! || compareNames(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined) {
    if (!isObject(metadata)) throw new RecurOptionError(`serializeSafetensors: metadata must be an object of strings, got ${show(metadata)}`);
    const keys = Object.keys(metadata).sort(compareNames);
    for (const k of keys) {
      if (typeof metadata[k] !== 'string') {
        throw new RecurOptionError(`serializeSafetensors: metadata value of ${quote(k)} must be a string, got ${show(metadata[k])}`);
      }
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const t of items) {
    const end = offset + t.bytes.byteLength;
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new RecurFormatError(`serializeSafetensors: the header would be ${headerLength} bytes, more than readers accept (${MAX_HEADER_BYTES})`);
  }

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);                 // u64: the high word stays 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of items) { out.set(t.bytes, at); at += t.bytes.byteLength; }
  return out;
}
