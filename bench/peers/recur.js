// recur itself, in both builds of its kernels: `recur` (recur.wasm, wasm SIMD — runs everywhere;
// the reference every other figure is divided by) and `recur-relaxed` (recur-relaxed.wasm, with
// relaxed-SIMD FMA — what browsers, workerd and Node ≥ 22 load by default; Node 20 needs
// --experimental-wasm-relaxed-simd, which npm run bench:peers passes). Loads the same
// safetensors files with loadModel() as a user would; streaming is Stream.step(), sequences one
// forward(); Silero VAD is recur/vad's SileroVad.process() on the same runtime.

import { readFileSync } from 'node:fs';
import { CHAR, T, charBatch } from './common.js';
import { NotAvailable } from './common.js';

function recurPeer(id, file, setting) {
  let recur, runtime;
  const load = (bytes) => recur.loadModel(bytes, { runtime });
  return {
  id,
  name: id,
  setting,
  weights: 'same',

  async load() {
    recur = { ...(await import('../../dist/node.js')), ...(await import('../../dist/train.js')) };
    const wasm = readFileSync(new URL(`../../dist/${file}`, import.meta.url));
    if (!WebAssembly.validate(wasm)) throw new NotAvailable(`this Node cannot run ${file} (Node 20: --experimental-wasm-relaxed-simd)`);
    runtime = await recur.Runtime.create(wasm);
    return { version: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version };
  },

  /** weights 'int8': the model quantized by recur.quantize (per-row int8, int8 kernels). */
  async stream(model, { weights = 'f32' } = {}) {
    const f32 = await load(readFileSync(model.safetensors));
    const net = weights === 'int8' ? await recur.quantize(f32, 'int8') : f32;
    if (net !== f32) f32.dispose();
    const s = net.stream();
    return { step: (x) => s.step(x), dispose: () => { s.dispose(); net.dispose(); } };
  },

  async sequence(model, batch) {
    const net = await load(readFileSync(model.safetensors));
    return { run: (x) => net.forward(x, { seqLen: T, batch }).output, dispose: () => net.dispose() };
  },

  async vad(model) {
    const { SileroVad } = await import('../../dist/vad-node.js');
    const vad = await SileroVad.load(readFileSync(model.onnx), { sampleRate: 16000, frameSamples: model.frame, runtime });
    return { process: (frame) => vad.process(frame), dispose: () => vad.dispose() };
  },

  async train() {
    const net = await load(readFileSync(CHAR.safetensors));
    const trainer = new recur.Trainer(net, { loss: 'crossEntropy', optimizer: 'adam', lr: 1e-3 });
    const { ids, targets } = charBatch();
    return {
      step: () => trainer.step(ids, targets, { seqLen: CHAR.seqLen, batch: CHAR.batch }).loss,
      dispose: () => { trainer.dispose(); net.dispose(); },
    };
  },

  /** What a browser fetches: the default entry, every chunk it imports, and this build's wasm. */
  download() {
    const dist = new URL('../../dist/', import.meta.url);
    const seen = new Set();
    const visit = (name) => {
      if (seen.has(name)) return;
      seen.add(name);
      const code = readFileSync(new URL(name, dist), 'utf8');
      for (const [, dep] of code.matchAll(/(?:import|from)\s*["']\.\/([\w.-]+\.js)["']/g)) visit(dep);
    };
    visit('index.js');
    return [...seen, file].map((f) => new URL(f, dist));
  },
  };
}

export const peers = [
  recurPeer('recur', 'recur.wasm', 'wasm SIMD (AssemblyScript), 1 thread'),
  recurPeer('recur-relaxed', 'recur-relaxed.wasm', 'wasm SIMD + relaxed-SIMD FMA, 1 thread'),
];
