// recur itself, the reference every other figure is divided by. Loads the same safetensors files
// with loadModel() as a user would; streaming is Stream.step(), sequences one forward().

import { readFileSync } from 'node:fs';
import { CHAR, T, charBatch } from './common.js';

let recur;

export const peer = {
  id: 'recur',
  name: 'recur',
  setting: 'wasm SIMD (AssemblyScript), 1 thread',
  weights: 'same',

  async load() {
    recur = await import('../../dist/node.js');
    return { version: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version };
  },

  async stream(model) {
    const net = await recur.loadModel(readFileSync(model.safetensors));
    const s = net.stream();
    return { step: (x) => s.step(x), dispose: () => { s.dispose(); net.dispose(); } };
  },

  async sequence(model, batch) {
    const net = await recur.loadModel(readFileSync(model.safetensors));
    return { run: (x) => net.forward(x, { seqLen: T, batch }).output, dispose: () => net.dispose() };
  },

  async train() {
    const net = await recur.loadModel(readFileSync(CHAR.safetensors));
    const trainer = new recur.Trainer(net, { loss: 'crossEntropy', optimizer: 'adam', lr: 1e-3 });
    const { ids, targets } = charBatch();
    return {
      step: () => trainer.step(ids, targets, { seqLen: CHAR.seqLen, batch: CHAR.batch }).loss,
      dispose: () => { trainer.dispose(); net.dispose(); },
    };
  },

  /** What a browser fetches: the default entry, every chunk it imports, and recur.wasm. */
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
    return [...seen, 'recur.wasm'].map((f) => new URL(f, dist));
  },
};
