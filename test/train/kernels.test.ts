// recur/train's kernels (recur-train.wasm, src/train/kernels.ts): a module apart from recur.wasm
// that imports a runtime's memory. A runtime made after recur/train is imported has them before
// create() resolves; in Node, a runtime made otherwise gets them on first use, synchronously; a
// source that cannot be compiled or is not recur-train.wasm is a RecurWasmError that names the
// file, and a runtime whose kernels are not at hand says how to load them.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LSTM, RecurWasmError, Runtime, Sequential, init } from '../../src/node/index.js';
import { initTraining, loadTrainKernels, trainKernels } from '../../src/train/kernels.js';
import { Trainer, loadTraining } from '../../src/train/index.js';

const build = (file: string) => readFileSync(new URL(`../../build/${file}`, import.meta.url));
const mainWasm = () => build(process.env.RECUR_WASM === 'simd' ? 'recur.wasm' : 'recur-relaxed.wasm');
const description = {
  layers: [
    { name: 'lstm', type: 'lstm' as const, inputSize: 3, hiddenSize: 4, seed: 1 },
    { name: 'head', type: 'linear' as const, inFeatures: 4, outFeatures: 2, seed: 2 },
  ],
};

/** One Trainer.step on a fixed batch: the loss, and the weights after the update. */
async function oneStep(rt: Runtime): Promise<{ loss: number; weights: Float32Array }> {
  const model = await Sequential.create(description, rt);
  const trainer = new Trainer(model, { loss: 'mse', optimizer: 'adam', lr: 0.01, clipNorm: 1 });
  const x = Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => Math.sin(i));
  const y = Float32Array.from({ length: 5 * 2 * 2 }, (_, i) => Math.cos(i));
  const { loss } = trainer.step(x, y, { seqLen: 5, batch: 2 });
  const weights = model.stateDict()['lstm.weight_hh_l0'].slice();
  trainer.dispose();
  model.dispose();
  return { loss, weights };
}

describe('recur-train.wasm', () => {
  it('is loaded into a runtime made after recur/train was imported, before create() resolves', async () => {
    const rt = await Runtime.create(mainWasm());
    const pending = loadTrainKernels(rt);
    // Already there: loadTrainKernels gives the instance the runtime made, not a second one.
    expect(await pending).toBe(trainKernels(rt));
    expect(typeof trainKernels(rt).adamStep).toBe('function');
  });

  it('writes into the runtime\'s own memory: a Trainer in a second runtime equals one in the shared runtime', async () => {
    const a = await oneStep(await init());
    const b = await oneStep(await Runtime.create(mainWasm()));
    expect(Number.isFinite(a.loss)).toBe(true);
    expect(b.loss).toBe(a.loss);
    expect(b.weights).toEqual(a.weights);
    // The update moved the weights (the kernels ran on the right memory).
    const fresh = await Sequential.create(description);
    expect(fresh.stateDict()['lstm.weight_hh_l0']).not.toEqual(a.weights);
    fresh.dispose();
  });

  it('matches the runtime\'s build: recur-train-relaxed.wasm beside recur-relaxed.wasm', async () => {
    const rt = await init();
    const file = rt.build === 'relaxed' ? 'recur-train-relaxed.wasm' : 'recur-train.wasm';
    // The same file instantiated by hand on the runtime's memory computes the same loss, bit for bit.
    const own = new WebAssembly.Instance(new WebAssembly.Module(build(file)), { env: { memory: rt.memory } }).exports as any;
    const N = 7, C = 11, logits = rt.alloc(4 * N * C), targets = rt.alloc(4 * N), d = rt.alloc(4 * N * C);
    rt.f32(logits, N * C).set(Float32Array.from({ length: N * C }, (_, i) => 3 * Math.sin(i * 1.7)));
    rt.i32(targets, N).set(Int32Array.from({ length: N }, (_, i) => (i * 5) % C));
    const loaded = trainKernels(rt).softmaxCrossEntropy(logits, N, C, targets, -100, d, 1 / N);
    expect(own.softmaxCrossEntropy(logits, N, C, targets, -100, d, 1 / N)).toBe(loaded);
    [logits, targets, d].forEach((p) => rt.free(p));
  });

  it('loadTraining() resolves for the shared runtime, and again', async () => {
    await loadTraining();
    await loadTraining(await init());
    expect(trainKernels(await init())).toBeDefined();
  });

  it('names the file when the source is not recur-train.wasm or does not compile', async () => {
    const rt = await Runtime.create(mainWasm());
    initTraining(build('recur-graph.wasm'));
    try {
      const fresh = await Runtime.create(mainWasm());   // its own load failed quietly: it may only run models
      const lstm = await LSTM.create({ inputSize: 2, hiddenSize: 3 }, fresh);
      expect(lstm.forward(new Float32Array(2), { seqLen: 1, batch: 1 }).output.length).toBe(3);
      expect(() => trainKernels(fresh)).toThrow(/this is not recur-train\.wasm: it lacks sgdStep, adamStep/);
      await expect(loadTrainKernels(fresh)).rejects.toThrow(RecurWasmError);
      initTraining(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 255]));
      const broken = await Runtime.create(mainWasm());
      expect(() => trainKernels(broken)).toThrow(/^could not compile recur-train(-relaxed)?\.wasm: /);
      const model = await Sequential.create(description, broken);
      expect(() => new Trainer(model, { loss: 'mse' })).toThrow(RecurWasmError);
      model.dispose();
      lstm.dispose();
    } finally {
      initTraining(build(rt.build === 'relaxed' ? 'recur-train-relaxed.wasm' : 'recur-train.wasm'));
    }
    // The runtime made before the bad source still has its kernels.
    expect(typeof trainKernels(rt).mse).toBe('function');
  });

  it('says how to load them where they cannot be made synchronously (a URL, as in browsers)', async () => {
    const rt = await Runtime.create(mainWasm());
    initTraining(new URL('file:///nowhere/recur-train.wasm'));
    try {
      const fresh = await Runtime.create(mainWasm());   // the fetch fails; the runtime still works
      expect(() => trainKernels(fresh)).toThrow(/are not loaded in this runtime \(loading failed: .*\): await loadTraining\(runtime\)/);
      const model = await Sequential.create(description, fresh);
      expect(() => new Trainer(model, { loss: 'mse' })).toThrow(/await loadTraining\(runtime\) once before new Trainer\(\)/);
      model.dispose();
    } finally {
      initTraining(build(rt.build === 'relaxed' ? 'recur-train-relaxed.wasm' : 'recur-train.wasm'));
    }
  });
});
