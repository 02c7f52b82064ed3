// recur's model file: saveModel → loadModel gives the same model (bit for bit in f32), f16 files
// stay within a measured tolerance, plain PyTorch state dicts (test/fixtures/safetensors,
// written from torch 1.13 by make_fixtures.py) load with an architecture and match torch's
// outputs, and every way a file can fail to fit is a typed error naming the tensor.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16 } from '../../src/formats/f16.js';
import { parameterShapes } from '../../src/formats/model.js';
import {
  loadModel, parseSafetensors, saveModel, serializeSafetensors, Runtime, Sequential,
  RecurError, RecurFormatError, RecurOptionError, RecurShapeError, RecurStateDictError, RecurValueError,
  type LayerDescription, type SafetensorsTensorInput, type SequentialDescription,
} from '../../src/node/index.js';
import { relativeError } from '../helpers.js';

const FIXTURES = new URL('../fixtures/safetensors/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('fixtures.json', FIXTURES), 'utf8'));
const fileBytes = (name: string) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const decode = (t: { data: string }) => new Float32Array(new Uint8Array(Buffer.from(t.data, 'base64')).buffer);

/** Bit patterns, so equality is exact (-0 ≠ 0, NaN payloads count). */
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

async function failure(fn: () => unknown, cls: abstract new (...args: never[]) => RecurError, message: RegExp): Promise<Error> {
  let error: unknown;
  try { await fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect(error).toBeInstanceOf(RecurError);
  expect((error as Error).message).toMatch(message);
  return error as Error;
}

/** Rewrites a file's tensors and metadata (the tensors as parsed: dtype, shape, bytes). */
function rewrite(bytes: Uint8Array, edit: (tensors: Record<string, SafetensorsTensorInput>, metadata: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = parseSafetensors(bytes);
  const copy: Record<string, SafetensorsTensorInput> = { ...tensors };
  edit(copy, metadata);
  return serializeSafetensors(copy, metadata);
}

// ---------------------------------------------------------------------------------------------
// Models

const EMBED_LSTM_HEAD: SequentialDescription = { layers: [
  { name: 'embed', type: 'embedding', numEmbeddings: 11, embeddingDim: 6, seed: 1 },
  { name: 'lstm', type: 'lstm', inputSize: 6, hiddenSize: 8, numLayers: 2, seed: 2 },
  { name: 'head', type: 'linear', inFeatures: 8, outFeatures: 11, seed: 3 },
] };

const GRU_HEAD: SequentialDescription = { layers: [
  { name: 'gru', type: 'gru', inputSize: 5, hiddenSize: 7, numLayers: 2, batchFirst: true, bidirectional: true, seed: 4 },
  { name: 'head', type: 'linear', inFeatures: 14, outFeatures: 3, seed: 5 },
] };

const GRU_ONNX_RNN_PEEPHOLE: SequentialDescription = { layers: [
  { name: 'gru', type: 'gru', inputSize: 4, hiddenSize: 6, linearBeforeReset: false, bias: false, seed: 6 },
  { name: 'rnn', type: 'rnn', inputSize: 6, hiddenSize: 5, numLayers: 2, nonlinearity: 'relu', bidirectional: true, seed: 7 },
  { name: 'lstm', type: 'lstm', inputSize: 10, hiddenSize: 4, peephole: true, seed: 8 },
  { name: 'out', type: 'linear', inFeatures: 4, outFeatures: 2, bias: false, seed: 9 },
] };

const T = 9, B = 3;

function inputFor(description: SequentialDescription): Float32Array | Int32Array {
  const first = description.layers[0] as LayerDescription & Record<string, number>;
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  if (first.type === 'embedding') return Int32Array.from({ length: T * B }, () => Math.floor(next() * first.numEmbeddings));
  return Float32Array.from({ length: T * B * first.inputSize }, () => next() * 4 - 2);
}

let shared: Runtime;
let rt: Runtime;              // a runtime of its own, to see leaks and growth
beforeAll(async () => {
  const wasm = readFileSync(new URL('../../build/recur.wasm', import.meta.url));
  shared = await Runtime.create(wasm);
  rt = await Runtime.create(wasm);
});

// Measured (max |Δ| / max |output|, f16 weights vs f32): in these tests 3.3e-4 (embedding →
// LSTM → linear), 3.6e-4 (GRU), 4.4e-4 (GRU → RNN → peephole LSTM); over 20 seeds with 50 steps
// at most 4.8e-4 (these LSTMs, and a 32→128 2-layer LSTM) and 6.5e-4 (the GRU). Each weight
// moves by at most 2^-11 ≈ 4.9e-4 of itself. Allowed: 2e-3.
const F16_TOLERANCE = 2e-3;

describe.each([
  ['embedding → 2-layer LSTM → linear', EMBED_LSTM_HEAD],
  ['2-layer bidirectional batch-first GRU → linear', GRU_HEAD],
  ['GRU (linearBeforeReset false, no bias) → bidirectional ReLU RNN → peephole LSTM → linear', GRU_ONNX_RNN_PEEPHOLE],
] as const)('saveModel → loadModel: %s', (_, description) => {
  it('gives the same model, bit for bit, in f32', async () => {
    const model = await Sequential.create(description, shared);
    const input = inputFor(description);
    const before = model.forward(input, { batch: B });
    const bytes = saveModel(model);
    const loaded = await loadModel(bytes, { runtime: shared });
    expect(loaded.toJSON()).toEqual(model.toJSON());
    const want = model.stateDict(), got = loaded.stateDict();
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const k of Object.keys(want)) expect(bits(got[k]), k).toEqual(bits(want[k]));
    const after = loaded.forward(input, { batch: B });
    expect(bits(after.output)).toEqual(bits(before.output));
    for (const [name, s] of Object.entries(before.states)) {
      expect(bits(after.states[name].h)).toEqual(bits(s.h));
      if (s.c) expect(bits(after.states[name].c!)).toEqual(bits(s.c));
    }
    model.dispose(); loaded.dispose();
  });

  it('stores the architecture and PyTorch names, shapes and F32 data', async () => {
    const model = await Sequential.create(description, shared);
    const { metadata, tensors } = parseSafetensors(saveModel(model));
    expect(metadata).toEqual({ format: 'recur', version: '1', model: JSON.stringify(model.toJSON()) });
    const state = model.stateDict();
    const shapes = parameterShapes(model.toJSON(), Infinity);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(state).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(t.dtype).toBe('F32');
      expect(t.shape).toEqual(shapes.get(name));
      expect(bits(new Float32Array(t.data.slice().buffer))).toEqual(bits(state[name]));
    }
    model.dispose();
  });

  it(`in f16: weights rounded to nearest half, outputs within ${F16_TOLERANCE} of f32`, async () => {
    const model = await Sequential.create(description, shared);
    const input = inputFor(description);
    const bytes32 = saveModel(model), bytes16 = saveModel(model, { dtype: 'f16' });
    const dataBytes = (b: Uint8Array) => Object.values(parseSafetensors(b).tensors).reduce((n, t) => n + t.data.length, 0);
    expect(dataBytes(bytes16) * 2).toBe(dataBytes(bytes32));
    expect(Object.values(parseSafetensors(bytes16).tensors).every((t) => t.dtype === 'F16')).toBe(true);
    const loaded = await loadModel(bytes16, { runtime: shared });
    const want = model.stateDict(), got = loaded.stateDict();
    for (const k of Object.keys(want)) expect(bits(got[k]), k).toEqual(bits(float16ToFloat32(float32ToFloat16(want[k]))));
    const error = relativeError(loaded.forward(input, { batch: B }).output, model.forward(input, { batch: B }).output);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(F16_TOLERANCE);
    model.dispose(); loaded.dispose();
  });
});

describe('PyTorch state dicts (safetensors.torch.save_file layout, from torch 1.13)', () => {
  const cases = Object.values<any>(fixture.models).flatMap((m) => Object.keys(m.files).map((file) => [file, m] as const));

  it.each(cases)('%s loads with an architecture and matches torch within 1e-5', async (file, m) => {
    const model = await loadModel(fileBytes(file), { architecture: m.architecture, runtime: shared });
    const input = m.ids ? Int32Array.from(m.ids) : decode(m.input);
    const { output } = model.forward(input, { seqLen: m.seqLen, batch: m.batch });
    expect(relativeError(output, decode(m.files[file].output))).toBeLessThan(1e-5);
    // The weights are torch's, converted to float32 exactly as torch converts them.
    const state = model.stateDict();
    for (const [name, t] of Object.entries<any>(m.files[file].tensors)) expect(bits(state[name]), name).toEqual(bits(decode(t.f32)));
    // And saving gives a self-contained recur file.
    const again = await loadModel(saveModel(model), { runtime: shared });
    expect(bits(again.forward(input, { seqLen: m.seqLen, batch: m.batch }).output)).toEqual(bits(output));
    model.dispose(); again.dispose();
  });

  it('needs the architecture, and says how to give it', async () => {
    await failure(() => loadModel(fileBytes('embed_lstm_head.safetensors')), RecurOptionError,
      /the file has no recur architecture \(it is a plain state dict\); pass loadModel\(source, \{ architecture: \{ layers: /);
    await failure(() => loadModel(fileBytes('embed_lstm_head.f16.safetensors')), RecurOptionError, /plain "pt" state dict/);
  });

  it('names the tensors when the architecture does not fit', async () => {
    const { architecture } = fixture.models.embed_lstm_head;
    const wider = { layers: architecture.layers.map((l: any) => (l.name === 'lstm' ? { ...l, hiddenSize: 9 } : l.name === 'head' ? { ...l, inFeatures: 9 } : l)) };
    const error = await failure(() => loadModel(fileBytes('embed_lstm_head.safetensors'), { architecture: wider, runtime: rt }),
      RecurShapeError, /tensor 'lstm\.weight_ih_l0': the file has F32 \[32, 6\] but the model needs \[36, 6\]/);
    expect(error.message).toMatch(/tensor 'head\.weight': the file has F32 \[11, 8\] but the model needs \[11, 9\]/);
    const deeper = { layers: architecture.layers.map((l: any) => (l.name === 'lstm' ? { ...l, numLayers: 3 } : l)) };
    await failure(() => loadModel(fileBytes('embed_lstm_head.safetensors'), { architecture: deeper, runtime: rt }),
      RecurStateDictError, /missing lstm\.weight_ih_l2, lstm\.weight_hh_l2, lstm\.bias_ih_l2, lstm\.bias_hh_l2/);
    const renamed = { layers: architecture.layers.map((l: any) => (l.name === 'head' ? { ...l, name: 'decoder' } : l)) };
    await failure(() => loadModel(fileBytes('embed_lstm_head.safetensors'), { architecture: renamed, runtime: rt }),
      RecurStateDictError, /missing decoder\.weight, decoder\.bias; unexpected head\.(weight|bias), head\.(weight|bias)/);
  });
});

describe('loadModel sources', () => {
  let bytes: Uint8Array;
  let description: SequentialDescription;
  let output: Float32Array;
  const input = inputFor(GRU_HEAD);
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const model = await Sequential.create(GRU_HEAD, shared);
    bytes = saveModel(model);
    description = model.toJSON();
    output = model.forward(input, { batch: B }).output;
    model.dispose();
    server = createServer((req, res) => {
      if (req.url === '/model.safetensors') { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end(bytes); }
      else { res.writeHead(404); res.end(); }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const same = async (source: Parameters<typeof loadModel>[0]) => {
    const model = await loadModel(source, { runtime: shared });
    expect(model.toJSON()).toEqual(description);
    expect(bits(model.forward(input, { batch: B }).output)).toEqual(bits(output));
    model.dispose();
  };

  it('reads a Uint8Array, an ArrayBuffer, a Response, a URL and a URL string', async () => {
    await same(bytes);
    await same(bytes.slice().buffer);
    await same(new Response(bytes.slice()));
    await same(`${base}/model.safetensors`);
    await same(new URL('/model.safetensors', base));
    // A Uint8Array that is a window into a larger buffer, at an offset that misaligns the floats.
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 1);
    await same(big.subarray(1, 1 + bytes.length));
  });

  it('turns fetch failures and refused sources into typed errors', async () => {
    await failure(() => loadModel(`${base}/missing.safetensors`), RecurFormatError, /fetching http:\/\/127\.0\.0\.1:\d+\/missing\.safetensors failed: HTTP 404/);
    await failure(() => loadModel('http://127.0.0.1:1/x.safetensors'), RecurFormatError, /could not fetch .*pass its bytes: loadModel\(await readFile\(path\)\)/);
    await failure(() => loadModel(42 as unknown as Uint8Array), RecurOptionError, /source must be/);
    await failure(() => loadModel(bytes, { maxBytes: 0 }), RecurOptionError, /maxBytes must be a positive number/);
  });

  it('refuses more than maxBytes, before reading when the size is known', async () => {
    await failure(() => loadModel(bytes, { maxBytes: bytes.length - 1 }), RecurFormatError, new RegExp(`the given bytes is ${bytes.length} bytes, more than maxBytes \\(${bytes.length - 1}\\)`));
    const unreadable = new ReadableStream({ pull() { throw new Error('the body was read'); } });
    await failure(() => loadModel(new Response(unreadable, { headers: { 'content-length': String(2 ** 40) } }), { maxBytes: 2 ** 30 }),
      RecurFormatError, /is 1099511627776 bytes, more than maxBytes \(1073741824\)/);
    // No length given: the stream is cut off once it passes the limit (here a header of 50,000
    // bytes that never comes to an end), or as soon as its first bytes are not a safetensors file.
    let pulled = 0;
    const endless = new ReadableStream({
      start(c) { const n = new Uint8Array(8); new DataView(n.buffer).setBigUint64(0, 50_000n, true); c.enqueue(n); },
      pull(c) { pulled++; c.enqueue(new Uint8Array(1024).fill(0x20)); },
    });
    await failure(() => loadModel(new Response(endless), { maxBytes: 10_000 }), RecurFormatError, /more than maxBytes \(10000\)/);
    expect(pulled).toBeLessThan(20);
    pulled = 0;
    const zeros = new ReadableStream({ pull(c) { pulled++; c.enqueue(new Uint8Array(1024)); } });
    await failure(() => loadModel(new Response(zeros), { maxBytes: 10_000 }), RecurFormatError, /safetensors: header length 0 is too small/);
    expect(pulled).toBeLessThan(3);
    await failure(() => loadModel(`${base}/model.safetensors`, { maxBytes: 100 }), RecurFormatError, /more than maxBytes \(100\)/);
  });
});

describe('loadModel errors name the file problem', () => {
  let good: Uint8Array;
  beforeAll(async () => {
    const model = await Sequential.create(EMBED_LSTM_HEAD, shared);
    good = saveModel(model);
    model.dispose();
  });

  /** Loads into the private runtime and checks that nothing stays allocated. */
  async function refused(bytes: Uint8Array, cls: abstract new (...args: never[]) => RecurError, message: RegExp, options = {}) {
    const inUse = rt.bytesInUse;
    await failure(() => loadModel(bytes, { runtime: rt, ...options }), cls, message);
    expect(rt.bytesInUse).toBe(inUse);
  }

  it('malformed files are RecurFormatErrors from the reader', async () => {
    await refused(good.subarray(0, good.length - 1), RecurFormatError, /safetensors: tensor 'lstm\.weight_ih_l1': data_offsets \[\d+, \d+\] run past the end of the \d+-byte data area/);
    await refused(new Uint8Array(4), RecurFormatError, /too short/);
  });

  it('bad metadata', async () => {
    const meta = (m: Record<string, string | undefined>) => rewrite(good, (_, metadata) => {
      for (const [k, v] of Object.entries(m)) { if (v === undefined) delete metadata[k]; else metadata[k] = v; }
    });
    await refused(meta({ model: '{"layers": [' }), RecurFormatError, /model file: metadata "model" is not valid JSON/);
    await refused(meta({ model: '[1, 2]' }), RecurFormatError, /metadata "model" must be a Sequential description \{"layers": \[...\]\}/);
    await refused(meta({ model: 'null' }), RecurFormatError, /must be a Sequential description/);
    await refused(meta({ model: undefined }), RecurFormatError, /its metadata has no "model" \(the architecture\)/);
    await refused(meta({ version: '2' }), RecurFormatError, /it is recur format version 2, this recur reads versions up to 1; upgrade recur/);
    await refused(meta({ version: '1.0' }), RecurFormatError, /metadata version must be a positive integer string, got "1\.0"/);
    await refused(meta({ version: undefined }), RecurFormatError, /metadata version must be a positive integer string, got undefined/);
    await refused(meta({ format: 'tf' }), RecurFormatError, /metadata format "tf" is not one recur reads/);
    await refused(meta({ model: JSON.stringify({ layers: [{ name: 'x', type: 'transformer' }] }) }), RecurFormatError,
      /model file: its architecture is invalid: Sequential: layer 'x' has unknown type "transformer"/);
    await refused(meta({ model: JSON.stringify({ layers: [{ ...EMBED_LSTM_HEAD.layers[0], embeddingDim: -6 }] }) }), RecurFormatError,
      /its architecture is invalid: embedding: embeddingDim must be a positive integer, got -6/);
  });

  it('options.architecture wins over the file (and a bad "model" is then not read)', async () => {
    const architecture = { layers: EMBED_LSTM_HEAD.layers.map((l) => (l.type === 'lstm' ? { ...l, batchFirst: true } : l)) };
    const model = await loadModel(good, { architecture, runtime: rt });
    expect((model.toJSON().layers[1] as any).batchFirst).toBe(true);
    model.dispose();
    const broken = rewrite(good, (_, m) => { m.model = 'not json'; });
    (await loadModel(broken, { architecture, runtime: rt })).dispose();
    await refused(rewrite(good, (_, m) => { m.version = '7'; }), RecurFormatError, /version 7/, { architecture });
  });

  it('tensors that do not fit are named', async () => {
    await refused(rewrite(good, (t) => { t['head.weight'] = { ...t['head.weight'], shape: [8, 11] }; }), RecurShapeError,
      /tensor 'head\.weight': the file has F32 \[8, 11\] but the model needs \[11, 8\]/);
    await refused(rewrite(good, (t) => { delete t['lstm.bias_hh_l1']; }), RecurStateDictError, /missing lstm\.bias_hh_l1/);
    await refused(rewrite(good, (t) => { t['lstm.weight_ih_l2'] = t['lstm.weight_ih_l1']; }), RecurStateDictError, /unexpected lstm\.weight_ih_l2/);
    await refused(rewrite(good, (t) => { t['decoder.bias'] = t['head.bias']; }), RecurStateDictError, /unexpected decoder\.bias/);
    await refused(rewrite(good, (t) => { t['head.bias'] = { dtype: 'I32', shape: [11], data: new Int32Array(11) }; }), RecurFormatError,
      /tensor 'head\.bias' is I32; recur loads F32, F16, BF16 and \(with _scale\) I8 tensors/);
  });

  it('non-finite weights are RecurValueErrors, and nothing stays allocated', async () => {
    const nan = new Float32Array(11); nan[4] = NaN;
    await refused(rewrite(good, (t) => { t['head.bias'] = { dtype: 'F32', shape: [11], data: nan }; }), RecurValueError,
      /head\.bias: value NaN at index 4 is not finite/);
    const inf = new Uint16Array(11); inf[2] = 0xfc00;                     // -Infinity in f16
    await refused(rewrite(good, (t) => { t['head.bias'] = { dtype: 'F16', shape: [11], data: inf }; }), RecurValueError, /head\.bias: value -Infinity at index 2/);
  });

  it('a tiny file cannot make it allocate a huge model', async () => {
    const huge = serializeSafetensors({}, { format: 'recur', version: '1', model: JSON.stringify({ layers: [
      { name: 'lstm', type: 'lstm', inputSize: 1e5, hiddenSize: 1e5, numLayers: 1000 }] }) });
    const memory = rt.memoryBytes;
    const start = performance.now();
    await refused(huge, RecurStateDictError, /missing lstm\.weight_ih_l0, lstm\.weight_hh_l0, lstm\.bias_ih_l0, lstm\.bias_hh_l0, lstm\.weight_ih_l1, .* and more$/);
    expect(performance.now() - start).toBeLessThan(200);
    expect(rt.memoryBytes).toBe(memory);
  });

  it('saveModel refuses what f16 cannot hold, and unknown dtypes', async () => {
    const model = await Sequential.create({ layers: [{ name: 'head', type: 'linear', inFeatures: 2, outFeatures: 2 }] }, rt);
    model.loadStateDict({ 'head.weight': new Float32Array([1, 2, 3, 1e5]), 'head.bias': new Float32Array([0, 0]) });
    await failure(() => saveModel(model, { dtype: 'f16' }), RecurValueError, /head\.weight: value 100000 at index 3 is beyond float16's range \(±65504\); save as f32/);
    await failure(() => saveModel(model, { dtype: 'int4' as 'f16' }), RecurOptionError, /dtype must be one of 'f32', 'f16', 'int8', got "int4"/);
    await failure(() => saveModel({} as Sequential), RecurOptionError, /model must be a Sequential/);
    model.dispose();
  });
});

describe('parameterShapes: PyTorch names and shapes from a description', () => {
  const layouts = JSON.parse(readFileSync(new URL('../fixtures/sequential/sequential.json', import.meta.url), 'utf8')).layouts;

  it.each(Object.keys(layouts))("%s: PyTorch's state_dict() names and shapes, in order", (key) => {
    const { options, torch } = layouts[key];
    const shapes = parameterShapes({ layers: [{ name: 'm', ...options }] }, Infinity);
    // recur's peephole LSTM is PyTorch's LSTM plus weight_peephole_l{k} [3H].
    const plain = [...shapes].filter(([n]) => !n.includes('peephole')).map(([n, s]) => [n.slice(2), s]);
    expect(plain).toEqual(torch);
    for (const [n, s] of shapes) if (n.includes('peephole')) expect(s).toEqual([3 * options.hiddenSize]);
  });

  it.each([EMBED_LSTM_HEAD, GRU_HEAD, GRU_ONNX_RNN_PEEPHOLE])('agrees with the layers\' own state dicts (%#)', async (description) => {
    const model = await Sequential.create(description, rt);
    const state = model.stateDict();
    const shapes = parameterShapes(model.toJSON(), Infinity);
    expect([...shapes.keys()]).toEqual(Object.keys(state));
    for (const [name, shape] of shapes) expect(shape.reduce((a, b) => a * b, 1), name).toBe(state[name].length);
    model.dispose();
  });
});
