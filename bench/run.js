// npm run bench: recur's own speed on this machine, f32 and int8, one thread, with each build of
// the kernels: simd (recur.wasm, runs everywhere) and relaxed (recur-relaxed.wasm, relaxed-SIMD
// FMA; Node 20 runs it with --experimental-wasm-relaxed-simd, which npm run bench passes).
// Prints a table and writes bench/results.json. Never asserts: numbers are for reading.
//
//   node --expose-gc --experimental-wasm-relaxed-simd bench/run.js [--quick]
//
// Workloads:
//   sequence  one forward() over T = 256 steps, batch 1 and 16: µs per step and GFLOP/s
//   stream    Stream.step(), batch 1, state carried in wasm memory: µs per step
//   group64   a StreamGroup of 64 streams stepped together: µs per stream-step
//   train     one Trainer step (Adam, cross-entropy) of a char-level LSTM: vocab 64,
//             embedding 64, hidden 128, seq 64, batch 16: ms per step and sequences/s
// GFLOP/s counts the matrix products only: 2·G·H·(I + H) per step and sequence (G = 4 for LSTM,
// 3 for GRU); for int8 it is the same count (operations, not float operations).

import { readFileSync, writeFileSync } from 'node:fs';
import { GRU, LSTM, quantize, Runtime, Sequential } from '../dist/node.js';
import { Trainer } from '../dist/train.js';

const quick = process.argv.includes('--quick');
const T = 256;

/** Median time in ms of fn over repeated runs lasting about `budgetMs`. */
function measure(fn, budgetMs = quick ? 150 : 800) {
  for (let i = 0; i < 3; i++) fn();
  const times = [];
  const end = performance.now() + budgetMs;
  while (performance.now() < end || times.length < 5) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function inputs(n, seed = 1) {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; out[i] = (s / 2 ** 32) * 2 - 1; }
  return out;
}

const results = [];
const pad = (s, n) => String(s).padEnd(n);
let build;          // the build being measured: { name, runtime }
const row = (r) => {
  r = { build: build.name, ...r };
  results.push(r);
  console.log([pad(r.build, 7), pad(r.workload, 9), pad(r.model, 14), pad(r.weights, 5), String(r.batch).padStart(5),
    r.value.toFixed(2).padStart(10), pad(r.unit, 14), r.gflops === undefined ? '' : r.gflops.toFixed(1).padStart(7)].join('  '));
};
console.log([pad('build', 7), pad('workload', 9), pad('model', 14), pad('wts', 5), 'batch', 'value'.padStart(10), pad('unit', 14), 'GFLOP/s'].join('  '));

const builds = [];
for (const [name, file] of [['simd', 'recur.wasm'], ['relaxed', 'recur-relaxed.wasm']]) {
  const bytes = readFileSync(new URL(`../dist/${file}`, import.meta.url));
  if (WebAssembly.validate(bytes)) builds.push({ name, runtime: await Runtime.create(bytes) });
  else console.log(`(${file} skipped: this Node cannot run it; Node 20 needs --experimental-wasm-relaxed-simd)`);
}
for (build of builds) {
const rt = build.runtime;

const models = [
  { name: 'LSTM 8→8', Layer: LSTM, gates: 4, I: 8, H: 8 },
  { name: 'LSTM 64→128', Layer: LSTM, gates: 4, I: 64, H: 128 },
  { name: 'GRU 64→128', Layer: GRU, gates: 3, I: 64, H: 128 },
  { name: 'LSTM 128→512', Layer: LSTM, gates: 4, I: 128, H: 512 },
];

for (const m of models) {
  for (const weights of ['f32', 'int8']) {
    const layer = await m.Layer.create({ inputSize: m.I, hiddenSize: m.H, seed: 7, ...(weights === 'int8' ? { quantize: 'int8' } : {}) }, rt);
    const flops = 2 * m.gates * m.H * (m.I + m.H);
    if (m.H >= 128 && m.Layer === LSTM) {
      for (const B of [1, 16]) {
        const x = inputs(T * B * m.I);
        const ms = measure(() => layer.forward(x, { seqLen: T, batch: B }));
        row({ workload: 'sequence', model: m.name, weights, batch: B, value: (ms * 1000) / T, unit: 'µs/step', gflops: (flops * B * T) / (ms * 1e6) });
      }
    }
    {
      const s = layer.stream({ reuseOutput: true });
      const x = inputs(m.I);
      const steps = 1000;
      const ms = measure(() => { for (let t = 0; t < steps; t++) s.step(x); });
      row({ workload: 'stream', model: m.name, weights, batch: 1, value: (ms * 1000) / steps, unit: 'µs/step', gflops: (flops * steps) / (ms * 1e6) });
      s.dispose();
    }
    if (m.H >= 128) {
      const N = 64;
      const g = layer.streamGroup({ capacity: N });
      for (let i = 0; i < N; i++) g.join();
      const x = inputs(N * m.I);
      const steps = 20;
      const ms = measure(() => { for (let t = 0; t < steps; t++) g.step(x); });
      row({ workload: 'group64', model: m.name, weights, batch: N, value: (ms * 1000) / (steps * N), unit: 'µs/stream-step', gflops: (flops * steps * N) / (ms * 1e6) });
      g.dispose();
    }
    layer.dispose();
  }
}

// f16 weights are stored in half precision and computed in f32: the same kernels as f32, so the
// same speed (measured here to show it, for the model-file comparison f32 / f16 / int8).
{
  const model = await Sequential.create({ layers: [{ name: 'lstm', type: 'lstm', inputSize: 128, hiddenSize: 512, seed: 7 }] }, rt);
  const f16 = await quantize(model, 'f16');
  const s = f16.stream({ reuseOutput: true });
  const x = inputs(128);
  const steps = 200;
  const ms = measure(() => { for (let t = 0; t < steps; t++) s.step(x); });
  row({ workload: 'stream', model: 'LSTM 128→512', weights: 'f16', batch: 1, value: (ms * 1000) / steps, unit: 'µs/step', gflops: (2 * 4 * 512 * 640 * steps) / (ms * 1e6) });
  s.dispose(); f16.dispose(); model.dispose();
}

{
  const V = 64, E = 64, H = 128, S = 64, B = 16;
  const model = await Sequential.create({ layers: [
    { name: 'embed', type: 'embedding', numEmbeddings: V, embeddingDim: E, seed: 1 },
    { name: 'lstm', type: 'lstm', inputSize: E, hiddenSize: H, seed: 2 },
    { name: 'head', type: 'linear', inFeatures: H, outFeatures: V, seed: 3 }] }, rt);
  const trainer = new Trainer(model, { loss: 'crossEntropy', optimizer: 'adam', lr: 1e-3 });
  const x = Int32Array.from({ length: S * B }, (_, i) => (i * 7) % V);
  const y = Int32Array.from({ length: S * B }, (_, i) => (i * 5 + 1) % V);
  const ms = measure(() => trainer.step(x, y, { seqLen: S, batch: B }), quick ? 500 : 3000);
  row({ workload: 'train', model: 'char LSTM 128', weights: 'f32', batch: B, value: ms, unit: 'ms/step' });
  row({ workload: 'train', model: 'char LSTM 128', weights: 'f32', batch: B, value: (B * 1000) / ms, unit: 'sequences/s' });
  trainer.dispose(); model.dispose();
}
}

const out = { date: new Date().toISOString(), node: process.version, results };
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.log('\nwrote bench/results.json');
