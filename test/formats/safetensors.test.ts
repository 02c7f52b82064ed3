// safetensors reader and writer: round trips of every dtype, the exact bytes the reference writer
// produces (huggingface/safetensors tensor.rs test vectors), files written from torch 1.13 by
// test/fixtures/safetensors/make_fixtures.py, and one RecurFormatError per rule of the format.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { float16ToFloat32, bfloat16ToFloat32 } from '../../src/formats/f16.js';
import { float32FromBytes, uint16FromBytes } from '../../src/formats/bytes.js';
import {
  parseSafetensors, serializeSafetensors, RecurError, RecurFormatError, RecurOptionError, RecurShapeError,
  type SafetensorsDtype, type SafetensorsTensorInput,
} from '../../src/node/index.js';

const FIXTURES = new URL('../fixtures/safetensors/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('fixtures.json', FIXTURES), 'utf8'));
const fileBytes = (name: string) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const u64 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0, 0, 0, 0];
const f32Bytes = (values: number[]) => [...new Uint8Array(new Float32Array(values).buffer)];

/** A file from a header (any JSON value, or raw text) and a data area of `data` bytes. */
function file(header: unknown, data: number | number[] = 0, length?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Array(data).fill(0) : data;
  return new Uint8Array([...u64(length ?? json.length), ...json, ...body]);
}

function formatError(bytes: Uint8Array, message: RegExp, limits?: { maxHeaderBytes?: number }): void {
  let error: unknown;
  try { parseSafetensors(bytes, limits); } catch (err) { error = err; }
  expect(error, 'expected a RecurFormatError').toBeInstanceOf(RecurFormatError);
  expect(error).toBeInstanceOf(RecurError);
  expect((error as Error).message).toMatch(message);
}

const ELEMENT_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, C64: 8, F64: 8, I64: 8, U64: 8,
};

describe('the exact bytes of the reference writer', () => {
  // The byte vectors of safetensors/src/tensor.rs's test_serialization, test_empty and
  // test_serialization_forced_alignement.
  it('one F32 tensor [1, 2, 3]: 64-byte header, no padding needed', () => {
    const out = serializeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    expect([...out]).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, ...ascii('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'),
      ...f32Bytes([0, 1, 2, 3, 4, 5]),
    ]);
  });

  it('pads the header with spaces to a multiple of 8 bytes', () => {
    const out = serializeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    expect([...out]).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, ...ascii('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       '),
      ...f32Bytes([0, 1, 2, 3, 4, 5]),
    ]);
    expect(parseSafetensors(out).tensors.attn0.data.byteOffset % 4).toBe(0);
  });

  it('no tensors, without and with metadata', () => {
    expect([...serializeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}      ')]);
    expect([...serializeSafetensors({}, { framework: 'pt' })]).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...ascii('{"__metadata__":{"framework":"pt"}}     ')]);
    expect(parseSafetensors(serializeSafetensors({}, { framework: 'pt' }))).toEqual({ metadata: { framework: 'pt' }, tensors: {} });
  });

  it('orders tensors by descending alignment, then name, and metadata keys by name', () => {
    const out = serializeSafetensors({
      b8: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      a16: { dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) },
      z64: { dtype: 'F64', shape: [1], data: new Float64Array([2]) },
      a8: { dtype: 'I8', shape: [1], data: new Int8Array([-1]) },
      y64: { dtype: 'I64', shape: [1], data: new BigInt64Array([-5n]) },
    }, { z: '1', a: '2' });
    const n = new DataView(out.buffer).getUint32(0, true);
    const header = new TextDecoder().decode(out.subarray(8, 8 + n));
    expect(header).toBe((
      '{"__metadata__":{"a":"2","z":"1"},' +
      '"y64":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"z64":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
      '"a16":{"dtype":"F16","shape":[1],"data_offsets":[16,18]},"a8":{"dtype":"I8","shape":[1],"data_offsets":[18,19]},' +
      '"b8":{"dtype":"U8","shape":[3],"data_offsets":[19,22]}}').padEnd(n, ' '));
    expect(n % 8).toBe(0);
    expect(out.length).toBe(8 + n + 22);
    expect(Object.keys(parseSafetensors(out).tensors)).toEqual(['y64', 'z64', 'a16', 'a8', 'b8']);
  });
});

describe('round trips', () => {
  const dtypes = Object.keys(ELEMENT_BYTES) as SafetensorsDtype[];

  it.each(dtypes)('%s: values, a scalar and an empty tensor', (dtype) => {
    const size = ELEMENT_BYTES[dtype];
    const bytes = (n: number) => Uint8Array.from({ length: n * size }, (_, i) => (i * 37 + size) & 0xff);
    const tensors: Record<string, SafetensorsTensorInput> = {
      matrix: { dtype, shape: [2, 3], data: bytes(6) },
      scalar: { dtype, shape: [], data: bytes(1) },
      empty: { dtype, shape: [0, 4], data: bytes(0) },
      'lstm.weight_ih_l0': { dtype, shape: [4, 1, 1], data: bytes(4) },
    };
    const metadata = { format: 'recur', 'ünïcode ✓': 'line\nbreak "quoted" \u0001' };
    const out = serializeSafetensors(tensors, metadata);
    const parsed = parseSafetensors(out);
    expect(parsed.metadata).toEqual(metadata);
    expect(Object.keys(parsed.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = parsed.tensors[name];
      expect(got.dtype).toBe(dtype);
      expect(got.shape).toEqual(t.shape);
      expect(got.data).toEqual(t.data);
      expect(got.data.buffer).toBe(out.buffer);                 // a view, not a copy
      expect(got.data.byteOffset % size).toBe(0);               // aligned to its element size
    }
    expect(serializeSafetensors(parsed.tensors, parsed.metadata)).toEqual(out);   // canonical
  });

  it('packed sub-byte dtypes when they fill whole bytes', () => {
    const out = serializeSafetensors({ f4: { dtype: 'F4', shape: [2, 3], data: new Uint8Array(3) }, f6: { dtype: 'F6_E2M3', shape: [4], data: new Uint8Array(3) } });
    expect(parseSafetensors(out).tensors.f4.shape).toEqual([2, 3]);
    expect(() => serializeSafetensors({ f4: { dtype: 'F4', shape: [3], data: new Uint8Array(2) } })).toThrow(RecurShapeError);
  });

  it('names that are hard for JavaScript objects and JSON', () => {
    const names = ['__proto__', 'constructor', '', '0', '10', '2', 'a"b\\c', 'tab\tnew\nline', 'emoji 😀', '\u{10FFFF}'];
    const tensors = Object.create(null) as Record<string, SafetensorsTensorInput>;
    names.forEach((n, i) => { tensors[n] = { dtype: 'F32', shape: [1], data: new Float32Array([i]) }; });
    const metadata = JSON.parse('{"__proto__": "x"}') as Record<string, string>;   // an own key, not the prototype
    const parsed = parseSafetensors(serializeSafetensors(tensors, metadata));
    expect(Object.getPrototypeOf(parsed.tensors)).toBe(Object.prototype);
    expect(Object.keys(parsed.tensors).sort()).toEqual([...names].sort());
    names.forEach((n, i) => expect(float32FromBytes(parsed.tensors[n].data)[0]).toBe(i));
    expect(Object.keys(parsed.metadata)).toEqual(['__proto__']);
  });

  it('accepts an ArrayBuffer and a Uint8Array that is a window into a larger buffer', () => {
    const out = serializeSafetensors({ x: { dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) } });
    expect(float32FromBytes(parseSafetensors(out.buffer as ArrayBuffer).tensors.x.data)).toEqual(new Float32Array([1.5, -2]));
    const big = new Uint8Array(out.length + 5);
    big.set(out, 3);
    const t = parseSafetensors(big.subarray(3, 3 + out.length)).tensors.x;
    expect(t.data.byteOffset % 4).toBe(3);
    expect(float32FromBytes(t.data)).toEqual(new Float32Array([1.5, -2]));      // copied when unaligned
  });

  it('refuses to write what it could not read back', () => {
    const data = new Float32Array(2);
    expect(() => serializeSafetensors({ x: { dtype: 'F32', shape: [3], data } })).toThrow(/tensor 'x': F32 \[3\] needs 12 bytes, data has 8/);
    expect(() => serializeSafetensors({ x: { dtype: 'F32', shape: [3], data } })).toThrow(RecurShapeError);
    expect(() => serializeSafetensors({ x: { dtype: 'F31' as SafetensorsDtype, shape: [2], data } })).toThrow(RecurOptionError);
    expect(() => serializeSafetensors({ x: { dtype: 'F32', shape: [-2], data } })).toThrow(RecurShapeError);
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [2], data } })).toThrow(/reserved/);
    expect(() => serializeSafetensors({}, { a: 1 as unknown as string })).toThrow(RecurOptionError);
  });
});

describe('files written from torch (make_fixtures.py)', () => {
  it('reads every torch dtype, the scalar, the empty tensor and the metadata', () => {
    const bytes = fileBytes('dtypes.safetensors');
    const parsed = parseSafetensors(bytes);
    const want = fixture.dtypes;
    expect(parsed.metadata).toEqual(want.metadata);
    expect(Object.keys(parsed.tensors).sort()).toEqual(Object.keys(want.tensors).sort());
    for (const [name, w] of Object.entries<any>(want.tensors)) {
      const t = parsed.tensors[name];
      expect(t.dtype, name).toBe(w.dtype);
      expect(t.shape, name).toEqual(w.shape);
      const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      if (w.f32) {
        const expected = new Float32Array(new Uint8Array(Buffer.from(w.f32.data, 'base64')).buffer);
        const got = t.dtype === 'F32' ? float32FromBytes(t.data)
          : t.dtype === 'F16' ? float16ToFloat32(uint16FromBytes(t.data))
          : t.dtype === 'BF16' ? bfloat16ToFloat32(uint16FromBytes(t.data))
          : Float32Array.from({ length: t.data.length / 8 }, (_, i) => view.getFloat64(8 * i, true));
        expect(got, name).toEqual(expected);      // torch's own conversion to float32, exactly
      } else {
        const read: Record<string, (i: number) => number> = {
          I64: (i) => Number(view.getBigInt64(8 * i, true)), I32: (i) => view.getInt32(4 * i, true),
          I16: (i) => view.getInt16(2 * i, true), I8: (i) => view.getInt8(i), U8: (i) => view.getUint8(i), BOOL: (i) => view.getUint8(i),
        };
        expect(w.values.map((_: number, i: number) => read[t.dtype](i)), name).toEqual(w.values);
      }
    }
    // Our writer reproduces the file byte for byte.
    expect(serializeSafetensors(parsed.tensors, parsed.metadata)).toEqual(bytes);
  });

  it.each(['embed_lstm_head.safetensors', 'embed_lstm_head.f16.safetensors', 'embed_lstm_head.bf16.safetensors', 'gru_rnn_head.safetensors'])(
    'reads the state dict in %s and writes it back byte for byte', (name) => {
      const bytes = fileBytes(name);
      const parsed = parseSafetensors(bytes);
      const model = Object.values<any>(fixture.models).find((m) => m.files[name]);
      const want = model.files[name];
      expect(parsed.metadata).toEqual(want.metadata);
      expect(Object.keys(parsed.tensors).sort()).toEqual(Object.keys(want.tensors).sort());
      for (const [k, w] of Object.entries<any>(want.tensors)) {
        expect(parsed.tensors[k].dtype).toBe(w.dtype);
        expect(parsed.tensors[k].shape).toEqual(w.shape);
      }
      expect(serializeSafetensors(parsed.tensors, Object.keys(parsed.metadata).length ? parsed.metadata : undefined)).toEqual(bytes);
    });
});

describe('every rule of the format is a RecurFormatError naming the problem', () => {
  const t = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

  it('the header length', () => {
    formatError(new Uint8Array(7), /file is 7 bytes, too short for the 8-byte header length/);
    formatError(file('{}', 0, 1), /header length 1 is too small/);
    formatError(file('{}', 0, 0), /header length 0 is too small/);
    formatError(file('{}', 0, 11), /header length 11 is more than the 2 bytes after it \(truncated file\?\)/);
    const max = new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 123, 125]);
    formatError(max, /header length 18446744073709551615 is more than the limit of 100000000 bytes/);
    formatError(file({ a: t('F32', [1], [0, 4]) }, 4), /header length 54 is more than the limit of 50 bytes/, { maxHeaderBytes: 50 });
  });

  it('the header text', () => {
    formatError(file(' {}'), /header must start with '\{', found byte 0x20/);
    formatError(file('\ufeff{}'), /header must start with '\{', found byte 0xef/);
    formatError(new Uint8Array([...u64(3), 0x7b, 0xff, 0x7d]), /header is not valid UTF-8/);
    formatError(new Uint8Array([...u64(4), 0x7b, 0xed, 0xa0, 0x80]), /header is not valid UTF-8/);   // a UTF-8-encoded surrogate
    formatError(file('{"a":}'), /header is not valid JSON/);
    formatError(file('{}{}'), /header is not valid JSON/);
    formatError(file('{}\u0000'), /header is not valid JSON/);
    expect(parseSafetensors(file('{}  \n\t ')).tensors).toEqual({});              // trailing whitespace is padding
  });

  it('duplicate keys, at any level', () => {
    formatError(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4),
      /header has the key 'a' more than once/);
    formatError(file('{"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}', 4), /key 'dtype' more than once/);
    formatError(file('{"__metadata__":{"k":"1","\\u006b":"2"}}'), /key 'k' more than once/);
    // The same name in different objects, and a key-like string value, are fine.
    expect(Object.keys(parseSafetensors(file('{"__metadata__":{"dtype":"shape","x":"a:b"},"dtype":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1)).tensors)).toEqual(['dtype']);
  });

  it('the header is an object of tensors and __metadata__', () => {
    formatError(file('[]'), /header must start with '\{'/);
    formatError(file({ x: 5 }), /tensor 'x': expected \{"dtype", "shape", "data_offsets"\}, got 5/);
    formatError(file({ x: [1] }), /tensor 'x': expected/);
    formatError(file({ __metadata__: [] }), /__metadata__ must be an object of strings/);
    formatError(file({ __metadata__: { n: 1 } }), /__metadata__ value of 'n' must be a string, got 1/);
    expect(parseSafetensors(file({ __metadata__: null })).metadata).toEqual({});
  });

  it('dtype, shape and data_offsets of each tensor', () => {
    formatError(file({ 'lstm.bias': t('F33', [1], [0, 4]) }, 4), /tensor 'lstm\.bias': unknown dtype "F33"; known: BOOL, F4/);
    formatError(file({ x: t('toString', [1], [0, 4]) }, 4), /unknown dtype "toString"/);
    formatError(file({ x: t('F32', 4, [0, 16]) }, 16), /tensor 'x': shape must be a list of non-negative integers, got 4/);
    formatError(file({ x: t('F32', [-1], [0, 0]) }), /shape must be a list of non-negative integers, got \[-1\]/);
    formatError(file({ x: t('F32', [1.5], [0, 4]) }, 4), /shape must be/);
    formatError(file({ x: t('F32', ['4'], [0, 16]) }, 16), /shape must be/);
    formatError(file('{"x":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,4]}}', 4), /shape must be/);
    formatError(file({ x: t('F32', [1], [0]) }, 4), /tensor 'x': data_offsets must be \[begin, end\], two non-negative integers, got \[0\]/);
    formatError(file({ x: t('F32', [1], [-4, 0]) }, 4), /data_offsets must be/);
    formatError(file({ x: t('F32', [1], [0, 4.5]) }, 4), /data_offsets must be/);
    formatError(file({ x: t('F32', [1], null) }, 4), /data_offsets must be/);
    formatError(file({ x: t('F32', [0], [4, 0]) }, 4), /tensor 'x': data_offsets \[4, 0\] end before they begin/);
    formatError(file({ x: t('F32', [2], [0, 8]) }, 4), /tensor 'x': data_offsets \[0, 8\] run past the end of the 4-byte data area/);
    formatError(file({ x: t('F32', [1], [0, 2 ** 64]) }, 4), /data_offsets must be/);
  });

  it('size = product of shape × dtype size', () => {
    formatError(file({ 'lstm.weight_ih_l0': t('F32', [4, 8], [0, 96]) }, 96),
      /tensor 'lstm\.weight_ih_l0': data_offsets \[0, 96\] hold 96 bytes but F32 \[4, 8\] needs 128/);
    formatError(file({ x: t('F32', [2 ** 53, 2 ** 53], [0, 4]) }, 4), /shape must be a list of non-negative integers, got \[9007199254740992,9007199254740992\]/);
    formatError(file({ x: t('F32', [2 ** 52, 2 ** 52], [0, 4]) }, 4), /hold 4 bytes but F32 \[4503599627370496, 4503599627370496\] has more than 2\^53 elements/);
    formatError(file({ x: t('F16', new Array(60).fill(2), [0, 4]) }, 4), /has more than 2\^53 elements/);
    formatError(file({ x: t('F4', [3], [0, 2]) }, 2), /tensor 'x': F4 \[3\] is 12 bits, not a whole number of bytes/);
    // A zero dimension empties the tensor, however large the others.
    expect(parseSafetensors(file({ x: t('F64', [2 ** 53 - 1, 0], [0, 0]) })).tensors.x.shape).toEqual([2 ** 53 - 1, 0]);
  });

  it('tensors tile the data area: no overlap, no hole, nothing after', () => {
    formatError(file({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [4, 12]) }, 12), /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/);
    formatError(file({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [0, 8]) }, 8), /overlap/);
    formatError(file({ a: t('F32', [2], [0, 8]), e: t('F32', [0], [4, 4]) }, 8), /tensor 'e': data_offsets \[4, 4\] overlap tensor 'a'/);
    formatError(file({ a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }, 12), /bytes \[4, 8\) of the data area belong to no tensor \(the next is 'b'\)/);
    formatError(file({ b: t('F32', [1], [4, 8]) }, 8), /bytes \[0, 4\) of the data area belong to no tensor/);
    formatError(file({ a: t('F32', [1], [0, 4]) }, 5), /the data area is 5 bytes but the tensors cover only 4/);
    formatError(file({}, 1), /the data area is 1 bytes but the tensors cover only 0/);
    // Any order in the header, and empty tensors at a boundary, are fine.
    const ok = parseSafetensors(file({ b: t('F32', [1], [4, 8]), e: t('U8', [0], [8, 8]), a: t('F32', [1], [0, 4]), z: t('F32', [0], [0, 0]) }, 8));
    expect(Object.keys(ok.tensors)).toEqual(['z', 'a', 'b', 'e']);
  });

  it('wrong argument types are RecurOptionErrors', () => {
    expect(() => parseSafetensors('abc' as unknown as Uint8Array)).toThrow(RecurOptionError);
    expect(() => parseSafetensors(new Uint8Array(8), { maxHeaderBytes: -1 })).toThrow(RecurOptionError);
  });
});
