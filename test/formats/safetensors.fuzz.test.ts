// parseSafetensors on hostile input: every truncation of a valid file, random bit flips, random
// headers (wrong types, huge shapes, bad offsets, lying lengths up to 2^64 − 1, bytes that are
// not UTF-8). The outcome is always either a valid parse or a RecurFormatError — never another
// exception, never a slow parse (a hang; the bound is loose for loaded CI machines), and never an allocation for tensor data (tensors are views into
// the input, whatever the header claims).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors, RecurFormatError, type SafetensorsFile } from '../../src/node/index.js';

const SIZES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, BOOL: 1, I32: 4, I64: 8, F64: 8, C64: 8, I16: 2, U16: 2, U32: 4, U64: 8, F8_E4M3: 1 };

/** Parses; returns the result or 'format-error'; any other exception, or a slow parse, fails the test. */
function attempt(bytes: Uint8Array): SafetensorsFile | 'format-error' {
  const start = performance.now();
  try {
    const parsed = parseSafetensors(bytes);
    checkValid(parsed, bytes);
    return parsed;
  } catch (err) {
    if (!(err instanceof RecurFormatError)) throw err;
    return 'format-error';
  } finally {
    const ms = performance.now() - start;
    if (ms > 1000) throw new Error(`parse took ${ms.toFixed(1)} ms for ${bytes.length} bytes`);
  }
}

/** What a successful parse promises: views inside the input that tile its data area. */
function checkValid(parsed: SafetensorsFile, bytes: Uint8Array): void {
  let total = 0;
  for (const t of Object.values(parsed.tensors)) {
    expect(t.data.buffer).toBe(bytes.buffer);
    expect(t.data.byteOffset).toBeGreaterThanOrEqual(bytes.byteOffset + 8);
    expect(t.data.byteOffset + t.data.byteLength).toBeLessThanOrEqual(bytes.byteOffset + bytes.byteLength);
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (SIZES[t.dtype]) expect(t.data.byteLength).toBe(elements * SIZES[t.dtype]);
    total += t.data.byteLength;
  }
  for (const v of Object.values(parsed.metadata)) expect(typeof v).toBe('string');
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  expect(total).toBe(bytes.length - 8 - headerLength);
}

const SAMPLE = serializeSafetensors({
  'embed.weight': { dtype: 'F32', shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  'lstm.bias_ih_l0': { dtype: 'F16', shape: [4], data: new Uint16Array([0x3c00, 0, 0x8000, 0x7bff]) },
  scalar: { dtype: 'I64', shape: [], data: new BigInt64Array([-7n]) },
  empty: { dtype: 'BF16', shape: [0, 5], data: new Uint16Array(0) },
  ids: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
}, { format: 'recur', version: '1', model: '{"layers":[]}' });

const u64le = (n: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n, true); return b; };

function withHeader(lengthField: bigint, header: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  out.set(u64le(lengthField));
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

// Header pieces, mostly plausible, often wrong.
const dim = fc.oneof(
  fc.nat(6), fc.constantFrom(0, 2 ** 31, 2 ** 32, 2 ** 52, 2 ** 53, 2 ** 53 - 1, 2 ** 64, -1, 1.5, -0, 1e308),
  fc.constantFrom('2', null, true, [], {}),
);
const shape = fc.oneof(fc.array(dim, { maxLength: 4 }), fc.constantFrom([2 ** 53, 2 ** 53], [2 ** 26, 2 ** 26, 2 ** 26], 5, 'x', null, {}, new Array(100).fill(2)));
const offset = fc.oneof(fc.nat(80), fc.integer({ min: -10, max: -1 }), fc.constantFrom(2 ** 53, 2 ** 64, 1.5, '4', null));
const offsets = fc.oneof(fc.tuple(offset, offset), fc.array(offset, { maxLength: 3 }), fc.constantFrom(null, 8, {}, 'x'));
const dtype = fc.oneof(fc.constantFrom(...Object.keys(SIZES), 'F4', 'F6_E2M3'), fc.constantFrom('f32', 'F128', '', 'toString', '__proto__', 7, null));
const entry = fc.oneof(
  fc.record({ dtype, shape, data_offsets: offsets }),
  fc.record({ dtype, shape, data_offsets: offsets }, { requiredKeys: [] }),
  fc.constantFrom(null, 5, 'F32', [], true),
);
const metadataValue = fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(1, null, [], {}))), fc.constantFrom(null, 'x', [], 3));
const names = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__metadata__', '__proto__', 'constructor', 'lstm.weight_ih_l0'));
const header = fc.dictionary(names, fc.oneof(entry, metadataValue), { maxKeys: 6 });

describe('parseSafetensors never fails in another way than RecurFormatError', () => {
  it('on every truncation of a valid file', () => {
    expect(attempt(SAMPLE)).not.toBe('format-error');
    for (let n = 0; n < SAMPLE.length; n++) expect(attempt(SAMPLE.slice(0, n)), `length ${n}`).toBe('format-error');
  });

  it('on random bit flips and byte overwrites', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(SAMPLE.length - 1), fc.nat(7)), { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(SAMPLE.length - 1), fc.nat(255)), { maxLength: 2 }),
      (flips, writes) => {
        const bytes = SAMPLE.slice();
        for (const [i, bit] of flips) bytes[i] ^= 1 << bit;
        for (const [i, v] of writes) bytes[i] = v;
        attempt(bytes);
      }), { numRuns: 3000 });
  });

  it('on random headers with a correct length field', () => {
    fc.assert(fc.property(header, fc.nat(96), (h, dataLength) => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      attempt(withHeader(BigInt(json.length), json, new Uint8Array(dataLength)));
    }), { numRuns: 3000 });
  });

  it('on random headers whose offsets tile the data area (so the other checks are reached)', () => {
    const tiled = fc.array(fc.tuple(fc.string({ maxLength: 5 }), dtype, shape, fc.nat(40)), { maxLength: 5 });
    fc.assert(fc.property(tiled, fc.boolean(), (tensors, lie) => {
      const h: Record<string, unknown> = {};
      let at = 0;
      for (const [name, d, s, size] of tensors) {
        h[name] = { dtype: d, shape: s, data_offsets: [at, at + size] };
        at += size;
      }
      const json = new TextEncoder().encode(JSON.stringify(h));
      attempt(withHeader(BigInt(json.length), json, new Uint8Array(lie ? at + 1 : at)));
    }), { numRuns: 3000 });
  });

  it('on lying header lengths, up to 2^64 − 1', () => {
    const json = new TextEncoder().encode('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}');
    const lengths = fc.oneof(fc.bigInt({ min: 0n, max: 200n }), fc.constantFrom(2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 2n ** 32n, 100_000_001n, 100_000_000n));
    fc.assert(fc.property(lengths, (n) => { attempt(withHeader(n, json, new Uint8Array(2))); }), { numRuns: 500 });
  });

  it('on headers that are random bytes, often not UTF-8', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (raw, brace) => {
      const h = brace ? new Uint8Array([0x7b, ...raw, 0x7d]) : raw;
      attempt(withHeader(BigInt(h.length), h, new Uint8Array(4)));
    }), { numRuns: 2000 });
  });

  it('on deeply nested and very long headers, quickly', () => {
    // JSON.parse alone needs about 2 s for 10 MB of nesting; the depth is checked first.
    const N = 5_000_000;
    for (const text of [`{"a":${'['.repeat(N)}${']'.repeat(N)}}`, `{"a":${'{"b":'.repeat(N / 5)}1${'}'.repeat(N / 5)}}`]) {
      const deep = new TextEncoder().encode(text);
      expect(() => parseSafetensors(withHeader(BigInt(deep.length), deep, new Uint8Array(0)))).toThrow(/header nests deeper than 128 levels/);
    }
    const ok = new TextEncoder().encode(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":${'['.repeat(120)}"[[[[{{{"${']'.repeat(120)}}}`);
    expect(attempt(withHeader(BigInt(ok.length), ok, new Uint8Array(1)))).not.toBe('format-error');
    const wide = new TextEncoder().encode(`{"a":{"dtype":"U8","shape":[${new Array(100_000).fill(1).join(',')}],"data_offsets":[0,1]}}`);
    expect(attempt(withHeader(BigInt(wide.length), wide, new Uint8Array(1)))).not.toBe('format-error');
  });
});
