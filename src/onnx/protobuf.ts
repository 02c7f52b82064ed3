// A small reader of the protobuf wire format (protobuf.dev/programming-guides/encoding), enough
// for ONNX files: varints (int64 as two's complement in up to 10 bytes), length-delimited fields
// (strings, bytes, sub-messages, packed repeated numbers), fixed32 and fixed64. No schema, no
// code generation: onnx.ts walks each message's fields and skips those it does not need.
//
// It trusts nothing: every length is checked against the bytes that remain before anything is
// read, a varint longer than 10 bytes, a field number 0, a group (wire types 3 and 4, long
// deprecated and unused by ONNX) or a wire type above 5 is a RecurFormatError, and nothing is
// ever allocated from a length the file states: sub-messages are ranges of the given buffer and
// byte fields views into it. Each call moves forward at least one byte, so a malformed file
// cannot loop.

import { RecurFormatError } from '../errors.js';

export const enum Wire { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 }

const TWO_32 = 2 ** 32;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ProtoReader {
  private pos: number;
  private readonly end: number;

  /** Reads `bytes[start, end)`, a message of type `what` (named in errors). */
  constructor(private readonly buf: Uint8Array, readonly what: string, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  /** Whether every field has been read. */
  get done(): boolean { return this.pos >= this.end; }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.uint();
    const field = Math.floor(key / 8), wire = key % 8;
    if (field === 0 || field > 0x1fffffff) this.fail(`field number ${field} is invalid`);
    if (wire !== Wire.Varint && wire !== Wire.Fixed64 && wire !== Wire.Bytes && wire !== Wire.Fixed32) {
      this.fail(`field ${field} has wire type ${wire}, which ONNX never uses`);
    }
    return { field, wire };
  }

  /** A varint as a non-negative integer (at most 2^53 − 1). */
  uint(): number {
    if (this.pos < this.end && this.buf[this.pos] < 0x80) return this.buf[this.pos++];   // most tags and lengths
    const [lo, hi] = this.varint();
    if (hi >= 0x200000) this.fail('a varint is larger than 2^53');
    return hi * TWO_32 + lo;
  }

  /**
   * A varint read as a two's-complement int64 (negative values take 10 bytes): exact within
   * ±(2^53 − 1), clamped beyond (exporters write INT64_MAX for "to the end" in Slice).
   */
  int64(): number {
    const [lo, hi] = this.varint();
    return int64(lo, hi | 0);
  }

  /** The bytes of a length-delimited field: a view, not a copy. */
  bytes(): Uint8Array {
    const start = this.span();
    return this.buf.subarray(start, this.pos);
  }

  /** A length-delimited field as a reader of the message it holds (no copy, no view). */
  message(what: string): ProtoReader {
    const start = this.span();
    return new ProtoReader(this.buf, what, start, this.pos);
  }

  string(): string {
    const start = this.span(), b = this.buf;
    // Names are short ASCII: decoding them here is much cheaper than a view and TextDecoder.
    if (this.pos - start <= 64) {
      let ascii = '', i = start;
      for (; i < this.pos && b[i] < 0x80; i++) ascii += String.fromCharCode(b[i]);
      if (i === this.pos) return ascii;
    }
    try {
      return utf8.decode(b.subarray(start, this.pos));
    } catch {
      return this.fail('a string is not valid UTF-8');
    }
  }

  /** A fixed32 field as a float. */
  float(): number {
    this.need(4);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  /** Skips one field's value of the given wire type. */
  skip(wire: number): void {
    switch (wire) {
      case Wire.Varint: this.varint(); return;
      case Wire.Fixed64: this.need(8); this.pos += 8; return;
      case Wire.Fixed32: this.need(4); this.pos += 4; return;
      default: this.bytes();
    }
  }

  /**
   * The raw bytes of one element, or of a packed run, of a repeated number field: packed
   * (wire type 2) gives the run; unpacked gives the one element's bytes. Decode later with
   * varints() / little-endian reads, so a huge field is never expanded here.
   */
  repeated(wire: number, field: number, element: Wire.Varint | Wire.Fixed32 | Wire.Fixed64): Uint8Array {
    if (wire === Wire.Bytes) return this.bytes();
    if (wire !== element) this.fail(`repeated field ${field} has wire type ${wire}`);
    const start = this.pos;
    this.skip(wire);
    return this.buf.subarray(start, this.pos);
  }

  /** Throws unless the wire type is the expected one for this field. */
  expect(wire: number, expected: Wire, field: number): void {
    if (wire !== expected) this.fail(`field ${field} has wire type ${wire}, expected ${expected}`);
  }

  fail(message: string): never {
    throw new RecurFormatError(`ONNX ${this.what}: ${message} (malformed or truncated protobuf)`);
  }

  /** Reads a length and skips that many bytes (checked); returns where they start. */
  private span(): number {
    const length = this.uint();
    if (length > this.end - this.pos) this.fail(`a field claims ${length} bytes but only ${this.end - this.pos} remain`);
    const start = this.pos;
    this.pos += length;
    return start;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) this.fail(`needs ${n} more bytes, ${this.end - this.pos} remain`);
  }

  /** A varint as its low and high 32-bit halves (both unsigned). */
  private varint(): [number, number] {
    let lo = 0, hi = 0;
    const b = this.buf;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('a varint runs past the end');
      const byte = b[this.pos++];
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) { lo |= bits << 28; hi = bits >>> 4; }
      else hi |= bits << (7 * i - 32);
      if (byte < 0x80) return [lo >>> 0, hi >>> 0];
    }
    return this.fail('a varint is longer than 10 bytes');
  }
}

/** The int64 of two 32-bit halves (hi signed), clamped to ±(2^53 − 1). */
export function int64(lo: number, hi: number): number {
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
  if (hi < -0x200000) return -Number.MAX_SAFE_INTEGER;
  return hi * TWO_32 + lo;
}

/** Every varint in `runs` (packed bytes or single elements), as int64 numbers; at most `limit`. */
export function varints(runs: Uint8Array[], what: string, limit: number): number[] {
  const out: number[] = [];
  for (const run of runs) {
    const r = new ProtoReader(run, what);
    while (!r.done) {
      if (out.length >= limit) r.fail(`more than ${limit} values`);
      out.push(r.int64());
    }
  }
  return out;
}

/** How many varints `runs` hold (bytes without the continuation bit). */
export function countVarints(runs: Uint8Array[]): number {
  let n = 0;
  for (const run of runs) for (let i = 0; i < run.length; i++) if (run[i] < 0x80) n++;
  return n;
}
