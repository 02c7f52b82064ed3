// Hostile resource use (issue #15): objects that own wasm memory and are dropped without
// dispose() give it back when they are garbage-collected, so a program that forgets dispose()
// (or loses an object to an exception) holds bounded memory, not a little more per object.
// dispose() stays the way to free memory at a known time.
//
// The collector is driven from the test: --expose-gc switched on at run time, then gc() and a
// macrotask (FinalizationRegistry callbacks run in their own tasks after a collection).

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LSTM, Runtime, Sequential, loadModel, saveModel, RecurError, RecurFormatError, type LayerDescription,
} from '../src/node/index.js';
import { Trainer } from '../src/train/index.js';
import { loadOnnxGraph } from '../src/graph/index.js';
import { SileroVad, VoiceActivityDetector } from '../src/vad/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
/** Collects until the finalizers have run (they can take more than one task). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) { gc(); await settle(); }
}

const wasmBytes = readFileSync(new URL('../build/recur.wasm', import.meta.url));
const silero = readFileSync(new URL('../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx', import.meta.url));
const convLstm = readFileSync(new URL('./fixtures/onnx/bad/conv_lstm.onnx', import.meta.url));

const LAYERS: LayerDescription[] = [
  { name: 'embed', type: 'embedding', numEmbeddings: 16, embeddingDim: 8, seed: 1 },
  { name: 'lstm', type: 'lstm', inputSize: 8, hiddenSize: 32, seed: 2 },
  { name: 'head', type: 'linear', inFeatures: 32, outFeatures: 16, seed: 3 },
];
const ids = Int32Array.from({ length: 8 }, (_, i) => i % 16);

type ErrorClass = abstract new (...args: never[]) => RecurError;

async function failure(fn: () => unknown, cls: ErrorClass, message: RegExp): Promise<RecurError> {
  let error: unknown;
  try { await fn(); } catch (err) { error = err; }
  expect(error, 'expected a throw').toBeInstanceOf(cls);
  expect((error as Error).message).toMatch(message);
  return error as RecurError;
}

/**
 * Makes `count` objects with `make` (each dropped at once, never disposed), collecting every
 * `every`; returns bytesInUse above the start after the last collection, and the most bytes
 * in use at any point, both as multiples of what one live object holds.
 */
async function dropMany(rt: Runtime, count: number, every: number, make: (i: number) => unknown): Promise<{ one: number; left: number; peak: number }> {
  await collect();
  const start = rt.bytesInUse;
  await make(-1);                               // one, to measure it while it is alive
  const one = rt.bytesInUse - start;
  let peak = 0;
  for (let i = 0; i < count; i++) {
    await make(i);
    if (i % every === every - 1) { peak = Math.max(peak, rt.bytesInUse - start); await collect(); }
  }
  await collect();
  expect(one).toBeGreaterThan(0);
  return { one, left: (rt.bytesInUse - start) / one, peak: peak / one };
}

describe('objects never disposed give their wasm memory back when collected', () => {
  let rt: Runtime;
  let model: Sequential;
  beforeAll(async () => {
    rt = await Runtime.create(wasmBytes);
    model = await Sequential.create({ layers: LAYERS }, rt);
  });

  it('3,000 streams', async () => {
    const r = await dropMany(rt, 3000, 200, () => model.stream({ batch: 4 }).step(Int32Array.of(1, 2, 3, 4)));
    expect(r.left).toBeLessThan(1);
    expect(r.peak).toBeLessThan(400);
  });

  it('a stream whose io grew (steps over T) frees the grown block', async () => {
    const r = await dropMany(rt, 500, 100, () => { const s = model.stream(); s.steps(ids, 8); s.steps(ids.subarray(0, 3), 3); });
    expect(r.left).toBeLessThan(1);
  });

  it('2,000 stream groups', async () => {
    const r = await dropMany(rt, 2000, 200, () => { const g = model.streamGroup({ capacity: 8 }); g.join(); g.step(Int32Array.of(3)); });
    expect(r.left).toBeLessThan(1);
  });

  it('2,000 tapes of training forwards (Sequential and a single LSTM)', async () => {
    const lstm = await LSTM.create({ inputSize: 4, hiddenSize: 16, numLayers: 2 }, rt);
    const x = new Float32Array(4 * 6).fill(0.5);
    const r = await dropMany(rt, 2000, 200, (i) => (i % 2 ? model.forward(ids, { seqLen: 8, batch: 1, train: true })
      : lstm.forward(x, { seqLen: 6, batch: 1, train: true })));
    expect(r.left).toBeLessThan(1);
    lstm.dispose();
  });

  it('500 trainers (Adam moments), and 100 trainers of an int8 model (their f32 master copies)', async () => {
    const r = await dropMany(rt, 500, 50, () => {
      const t = new Trainer(model, { loss: 'crossEntropy', lr: 1e-3 });
      t.step(ids, ids, { seqLen: 8, batch: 1 });
    });
    expect(r.left).toBeLessThan(1);
    const int8 = await Sequential.create({ layers: LAYERS.map((l) => (l.type === 'lstm' ? { ...l, quantize: 'int8' as const } : l)) }, rt);
    const q = await dropMany(rt, 100, 25, () => new Trainer(int8, { loss: 'crossEntropy', lr: 1e-3 }));
    expect(q.left).toBeLessThan(1);
    int8.dispose();
  });

  it('300 ONNX graph models, each run once', async () => {
    const x = { dims: [5, 2, 4], data: new Float32Array(40).fill(0.25) };
    const r = await dropMany(rt, 300, 50, async () => {
      const g = await loadOnnxGraph(convLstm, { runtime: rt, shapes: { x: x.dims } });
      g.run({ x });
      return g;
    });
    expect(r.left).toBeLessThan(1);
  });

  it('20 Silero VADs, 20 VoiceActivityDetectors and their GraphStreams', async () => {
    const r = await dropMany(rt, 40, 10, async (i) => {
      if (i % 2) return (await VoiceActivityDetector.create(silero, { runtime: rt })).push(new Float32Array(1024));
      const vad = await SileroVad.load(silero, { runtime: rt });
      vad.process(new Float32Array(512));
      return vad;
    });
    expect(r.left).toBeLessThan(1);
    const streams = await dropMany(rt, 20, 10, async () => (await loadOnnxGraph(silero, { runtime: rt, fixedInputs: { sr: 16000 } })).stream().step(new Float32Array(576)));
    expect(streams.left).toBeLessThan(1);
  });

  it('dispose() still frees at once, and a later collection frees nothing twice', async () => {
    await collect();
    const start = rt.bytesInUse;
    const s = model.stream(), g = model.streamGroup({ capacity: 2 });
    const t = new Trainer(model, { loss: 'crossEntropy' });
    const { tape } = model.forward(ids, { seqLen: 8, batch: 1, train: true });
    const graph = await loadOnnxGraph(convLstm, { runtime: rt, shapes: { x: [5, 2, 4] } });
    expect(rt.bytesInUse).toBeGreaterThan(start);
    s.dispose(); g.dispose(); t.dispose(); tape!.dispose(); graph.dispose();
    expect(rt.bytesInUse).toBe(start);
    await collect();
    expect(rt.bytesInUse).toBe(start);
  });
});

describe('a Response body that never ends is refused after a bounded read', () => {
  let rt: Runtime;
  let file: Uint8Array;
  beforeAll(async () => {
    rt = await Runtime.create(wasmBytes);
    const model = await Sequential.create({ layers: LAYERS }, rt);
    file = saveModel(model);
    model.dispose();
  });

  /**
   * A body that starts with `head` and then keeps enqueuing 64 kB chunks. (It ends after 64 MB,
   * so that a reader that does not stop fails this test instead of filling the heap.)
   */
  function endless(head: Uint8Array) {
    const counter = { bytes: 0 };
    const body = new ReadableStream<Uint8Array>({
      start(c) { c.enqueue(head.slice()); counter.bytes += head.length; },
      pull(c) {
        if (counter.bytes > 64 * 2 ** 20) { c.close(); return; }
        c.enqueue(new Uint8Array(65536)); counter.bytes += 65536;
      },
    });
    return { response: new Response(body), counter };
  }

  it('a valid model file followed by endless bytes: refused once it passes the length its header declares', async () => {
    const { response, counter } = endless(file);
    await failure(() => loadModel(response, { runtime: rt }), RecurFormatError,
      new RegExp(`loadModel: the response runs past the ${file.length} bytes its safetensors header declares`));
    expect(counter.bytes).toBeLessThan(file.length + 4 * 65536);
  });

  it('a header declaring more data than maxBytes, or a malformed header, is refused as soon as the header is in', async () => {
    const header = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [2 ** 29], data_offsets: [0, 2 ** 31] } }));
    const head = new Uint8Array(8 + header.length);
    new DataView(head.buffer).setBigUint64(0, BigInt(header.length), true);
    head.set(header, 8);
    const big = endless(head);
    await failure(() => loadModel(big.response, { runtime: rt }), RecurFormatError, /is 2147483\d+ bytes, more than maxBytes/);
    expect(big.counter.bytes).toBeLessThan(head.length + 4 * 65536);

    const bad = head.slice();
    bad[8 + 3] = 0x7d;                            // '}' inside a key: not JSON
    const malformed = endless(bad);
    await failure(() => loadModel(malformed.response, { runtime: rt }), RecurFormatError, /safetensors: header is not valid JSON/);
    expect(malformed.counter.bytes).toBeLessThan(head.length + 4 * 65536);

    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, 2n ** 40n, true);
    const long = endless(length);
    await failure(() => loadModel(long.response, { runtime: rt }), RecurFormatError, /header length 1099511627776 is more than the limit/);
    expect(long.counter.bytes).toBeLessThan(4 * 65536);
  });

  it('a body whose stream errors is a RecurFormatError, not the stream\'s own error', async () => {
    const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(file.slice(0, 100)); }, pull() { throw new TypeError('connection reset'); } });
    await failure(() => loadModel(new Response(body), { runtime: rt }), RecurFormatError, /loadModel: reading the response failed: connection reset/);
  });
});

describe('a Silero model Response that never ends is refused after a bounded read', () => {
  it('SileroVad.load and VoiceActivityDetector.create stop at maxBytes (default 32 MiB)', async () => {
    let bytes = 0;
    const endless = () => new Response(new ReadableStream<Uint8Array>({
      start(c) { c.enqueue(silero.slice()); bytes += silero.length; },
      pull(c) { if (bytes > 256 * 2 ** 20) { c.close(); return; } c.enqueue(new Uint8Array(2 ** 20)); bytes += 2 ** 20; },
    }));
    await failure(() => SileroVad.load(endless()), RecurFormatError, /Silero model: the response is \d+ bytes, more than maxBytes \(33554432\)/);
    expect(bytes).toBeLessThan(40 * 2 ** 20);
    bytes = 0;
    await failure(() => VoiceActivityDetector.create(endless(), { maxBytes: 4 * 2 ** 20 }), RecurFormatError, /more than maxBytes \(4194304\)/);
    expect(bytes).toBeLessThan(6 * 2 ** 20);
  });
});
