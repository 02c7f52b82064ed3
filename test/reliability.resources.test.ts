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
import { LSTM, Runtime, Sequential, Trainer, type LayerDescription } from '../src/node/index.js';
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
