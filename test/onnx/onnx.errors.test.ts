// Graphs that are not a chain of recur's layers are refused by the layers importer
// (importOnnx(bytes, { as: 'layers' }), convertOnnx) with a RecurFormatError that names what is
// wrong: the operators, or the attribute, input or pattern recur's layers have no equivalent for
// (test/fixtures/onnx/bad/, reasons in bad.json). importOnnx's default then runs them on the graph
// runtime: test/graph/onnx.not-chains.test.ts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertOnnx, importOnnx, readTensorProto } from '../../src/onnx/index.js';
import { RecurFormatError, RecurOptionError, Runtime } from '../../src/node/index.js';
import { fixture, fixtureJson } from './helpers.js';

const reasons: Record<string, string[]> = fixtureJson('bad/bad.json');

/** The RecurFormatError the layers importer rejects with. */
async function rejection(bytes: Uint8Array): Promise<RecurFormatError> {
  const err = await importOnnx(bytes, { as: 'layers' }).then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(RecurFormatError);
  return err;
}

describe('refused graphs', () => {
  it.each(Object.keys(reasons))('%s', async (name) => {
    const err = await rejection(fixture(`bad/${name}.onnx`));
    for (const words of reasons[name]) expect(err.message).toContain(words);
  });

  it('lists every unsupported operator at once', async () => {
    const err = await rejection(fixture('bad/conv_lstm.onnx'));
    expect(err.message).toMatch(/^ONNX graph: unsupported operators Conv, Relu \(nodes '\/conv\/Conv', '\/Relu'\)/);
  });

  it('names the node and the attribute', async () => {
    const err = await rejection(fixture('bad/lstm_input_forget.onnx'));
    expect(err.message).toMatch(/^ONNX node '\(unnamed\)' \(LSTM\): input_forget = 1/);
  });

  it('refuses bytes that are not an ONNX model', async () => {
    for (const bytes of [new TextEncoder().encode('not a model at all'), new Uint8Array(0), fixture('torch/embed_lstm_head.json')]) {
      await rejection(bytes);
      await expect(importOnnx(bytes)).rejects.toBeInstanceOf(RecurFormatError);
    }
  });

  it('refuses a non-byte argument with RecurOptionError', async () => {
    await expect(importOnnx('model.onnx' as unknown as Uint8Array)).rejects.toBeInstanceOf(RecurOptionError);
  });
});

describe('entry point', () => {
  it('accepts an ArrayBuffer and a runtime of its own', async () => {
    const wasm = readFileSync(new URL('../../build/recur.wasm', import.meta.url));
    const runtime = await Runtime.create(wasm);
    const bytes = fixture('torch/gru_bidirectional.onnx');
    const model = await importOnnx(bytes.slice().buffer, { runtime });
    expect(model.runtime).toBe(runtime);
    model.dispose();
  });

  it('convertOnnx gives the description and weights without wasm', () => {
    const c = convertOnnx(fixture('torch/mlp_gemm.onnx'));
    expect(c.architecture.layers.map((l) => l.name)).toEqual(['first', 'second']);
    expect(Object.keys(c.stateDict)).toEqual(['first.weight', 'first.bias', 'second.weight', 'second.bias']);
    expect(c.stateDict['first.weight']).toHaveLength(40);
    expect(c.producer).toBe('pytorch');
  });

  it('readTensorProto decodes test data', () => {
    const t = readTensorProto(fixture('node/test_lstm_defaults/test_data_set_0/input_0.pb'));
    expect(t).toEqual({ name: 'X', dims: [1, 3, 2], dataType: 'float', data: new Float32Array([1, 2, 3, 4, 5, 6]) });
  });
});

describe('int64 values beyond 2^53', () => {
  it('are clamped (INT64_MAX means "to the end" in Slice)', () => {
    // TensorProto { dims: [2], data_type: INT64, int64_data: [INT64_MAX, INT64_MIN] (packed) }
    const max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], min = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    const t = readTensorProto(new Uint8Array([0x08, 0x02, 0x10, 0x07, 0x3a, max.length + min.length, ...max, ...min]));
    expect(t.data).toEqual([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
  });
});
