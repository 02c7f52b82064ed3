// importOnnx and readTensorProto on hostile bytes: every truncation of real files, random bit
// flips and byte overwrites, random bytes, and hand-made protobuf that lies about lengths,
// varints and sizes. The outcome is always a model or a RecurFormatError — never another
// exception, never a slow import (a hang), never an allocation sized by what the file claims.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importOnnx, readTensorProto } from '../../src/onnx/index.js';
import { RecurFormatError } from '../../src/node/index.js';
import { fixture } from './helpers.js';

const SAMPLES = ['torch/gru_bidirectional.onnx', 'torch/rnn_relu_softmax.onnx', 'node/test_lstm_with_peepholes/model.onnx', 'torch/mlp_gemm.onnx'].map(fixture);
const LIMIT_MS = 2000;

/** Imports; 'ok' or 'format-error'; any other exception, or a slow import, fails the test. */
async function attempt(bytes: Uint8Array): Promise<'ok' | 'format-error'> {
  const start = performance.now();
  try {
    const model = await importOnnx(bytes);
    model.dispose();
    return 'ok';
  } catch (err) {
    if (!(err instanceof RecurFormatError)) throw err;
    return 'format-error';
  } finally {
    const ms = performance.now() - start;
    if (ms > LIMIT_MS) throw new Error(`import took ${ms.toFixed(0)} ms for ${bytes.length} bytes`);
  }
}

// A few protobuf pieces for hand-made files.
const varint = (n: number): number[] => { const o: number[] = []; while (n >= 0x80) { o.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); } o.push(n); return o; };
const field = (num: number, body: number[]): number[] => [...varint(num * 8 + 2), ...varint(body.length), ...body];
const ascii = (s: string): number[] => [...new TextEncoder().encode(s)];

describe('importOnnx on hostile bytes', () => {
  it('every truncation of a file', async () => {
    const bytes = SAMPLES[2];
    const outcomes = new Set<string>();
    for (let n = 0; n < bytes.length; n++) outcomes.add(await attempt(bytes.subarray(0, n)));
    expect(outcomes.has('format-error')).toBe(true);
  });

  it('truncations of a torch export', async () => {
    const bytes = SAMPLES[0];
    for (let n = 0; n < bytes.length; n += 7) await attempt(bytes.subarray(0, n));
  });

  it('random bit flips', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: SAMPLES.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
      async (which, flips) => {
        const bytes = SAMPLES[which].slice();
        for (const [at, bit] of flips) bytes[at % bytes.length] ^= 1 << bit;
        await attempt(bytes);
      }), { numRuns: 400 });
  });

  it('random byte overwrites', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: SAMPLES.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      async (which, writes) => {
        const bytes = SAMPLES[which].slice();
        for (const [at, value] of writes) bytes[at % bytes.length] = value;
        await attempt(bytes);
      }), { numRuns: 300 });
  });

  it('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
      expect(await attempt(bytes)).toBe('format-error');
    }), { numRuns: 300 });
  });

  it('lengths that run past the end, over-long varints, groups, field 0', async () => {
    const cases = [
      [0x3a, ...varint(2 ** 40)],                       // graph claims 2^40 bytes
      [0x3a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],  // 11-byte varint
      [0x0b, 0x0c],                                     // group start/end (wire types 3, 4)
      [0x02, 0x00],                                     // field 0
      [0x0f],                                           // wire type 7
      [0x3a, 0x05, 0x0a, 0x03, 0x0a],                   // a node inside the graph cut short
    ];
    for (const c of cases) {
      const err = await importOnnx(new Uint8Array(c)).then(() => undefined, (e) => e);
      expect(err, JSON.stringify(c)).toBeInstanceOf(RecurFormatError);
    }
  });

  it('a tensor claiming 2^60 elements is refused before anything is allocated', () => {
    const dims = [...varint(8), ...varint(2 ** 30), ...varint(8), ...varint(2 ** 30)];
    const tensor = new Uint8Array([...dims, 0x10, 0x01, ...field(9, [0, 0, 0, 0])]);   // dims, FLOAT, raw_data 4 bytes
    expect(() => readTensorProto(tensor)).toThrow(RecurFormatError);
    expect(() => readTensorProto(tensor)).toThrow(/more than 2\^30 elements/);
    const lying = new Uint8Array([...varint(8), ...varint(1000), 0x10, 0x01, ...field(9, [0, 0, 0, 0])]);
    expect(() => readTensorProto(lying)).toThrow(/raw_data has 4 bytes but dims \[1000\] of float need 4000/);
  });

  it('a model whose hidden_size disagrees with its weights names both', async () => {
    // X → LSTM(hidden_size 1000) with 4-unit weights. Nothing of size 1000 is made.
    for (const as of ['layers', 'graph'] as const) {
      const err = await importOnnx(lstmModel({ hiddenSize: 1000 }), { as, shapes: { X: [2, 1, 3], h0: [1, 1, 4] } }).then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(RecurFormatError);
      expect(err.message).toContain('input W is [1, 16, 3], expected [1, 4000, 3]');
    }
  });

  it('the hand-made model imports, and so does one whose h0 passes 20,000 Identity nodes', async () => {
    const plain = await importOnnx(lstmModel({}));
    expect(plain.onnx.initialStates).toEqual([{ input: 'h0', layer: 'rnn0', state: 'h' }]);
    plain.dispose();
    const bytes = lstmModel({ identities: 20_000 });
    const start = performance.now();
    const chained = await importOnnx(bytes);
    expect(performance.now() - start).toBeLessThan(LIMIT_MS);
    expect(chained.onnx.initialStates).toEqual([{ input: 'h0', layer: 'rnn0', state: 'h' }]);
    chained.dispose();
  });
});

/**
 * ModelProto { ir_version 7, graph { nodes, W, R, inputs X [T, B, 3] and h0 [1, B, 4], output Y_h },
 * opset 14 }: X → LSTM(W, R, initial_h = h0 after `identities` Identity nodes).
 */
function lstmModel({ hiddenSize = 4, identities = 0 }: { hiddenSize?: number; identities?: number }): Uint8Array {
  const tensor = (name: string, dims: number[]) => field(5, [
    ...dims.flatMap((d) => [0x08, ...varint(d)]), 0x10, 0x01, ...field(8, ascii(name)),
    ...field(9, new Array(dims.reduce((a, b) => a * b, 1) * 4).fill(0))]);
  const parts: number[][] = [];
  for (let i = 0; i < identities; i++) parts.push(field(1, [...field(1, ascii(i ? `h${i}` : 'h0')), ...field(2, ascii(`h${i + 1}`)), ...field(4, ascii('Identity'))]));
  const h = identities ? `h${identities}` : 'h0';
  parts.push(field(1, [...['X', 'W', 'R', '', '', h].flatMap((name) => field(1, ascii(name))), ...field(2, ascii('Y')),
    ...field(2, ascii('Y_h')), ...field(4, ascii('LSTM')), ...field(5, [...field(1, ascii('hidden_size')), 0x18, ...varint(hiddenSize), 0xa0, 0x01, 0x02])]));
  const dim = (d: number | string) => field(1, typeof d === 'number' ? [0x08, ...varint(d)] : field(2, ascii(d)));
  const input = (name: string, dims: (number | string)[]) =>
    field(11, [...field(1, ascii(name)), ...field(2, field(1, [0x08, 0x01, ...field(2, dims.flatMap(dim))]))]);
  parts.push(tensor('W', [1, 16, 3]), tensor('R', [1, 16, 4]), input('X', ['T', 'B', 3]), input('h0', [1, 'B', 4]), field(12, field(1, ascii('Y_h'))));
  // Built without spreading the nodes into one argument list.
  const length = parts.reduce((n, p) => n + p.length, 0);
  const head = [0x08, 0x07, ...varint(7 * 8 + 2), ...varint(length)], tail = field(8, [0x10, 14]);
  const out = new Uint8Array(head.length + length + tail.length);
  let at = 0;
  for (const p of [head, ...parts, tail]) { out.set(p, at); at += p.length; }
  return out;
}
