// npm run bench: recur's own throughput on this machine (no peers yet; see issue 7).
// Prints a table and writes bench/results.json. Never asserts: numbers are for reading.
//
//   node --expose-gc bench/run.js [--quick]
//
// Workloads (f32, one thread):
//   sequence: one forward() over T = 256 steps, batch 1 and 16 — µs per step and GFLOP/s
//   forward1: forward() with seqLen 1 and the state carried (copies state in and out each call)
//   stream:   Stream.step(), batch 1 — one wasm call per step, state kept in wasm memory
//   group:    StreamGroup of 64 streams, one step of all — µs per stream-step
// FLOPs count the matrix products only: 2·G·H·(I + H) per step and batch row (G = 4 for LSTM).

import { writeFileSync } from 'node:fs';
import { LSTM, GRU } from '../dist/node.js';

const quick = process.argv.includes('--quick');
const T = 256;

/** Median time in ms of fn over repeated runs lasting about `budgetMs`. */
function measure(fn, budgetMs = quick ? 150 : 800) {
  for (let i = 0; i < 3; i++) fn();                       // warm up (JIT, memory growth)
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

function randn(n, seed = 1) {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; out[i] = (s / 2 ** 32) * 2 - 1; }
  return out;
}

const results = [];
const row = (r) => { results.push(r); console.log(format(r)); };
const format = (r) => [r.workload.padEnd(10), r.model.padEnd(16), String(r.batch).padStart(5),
  r.usPerStep.toFixed(2).padStart(10), r.gflops.toFixed(2).padStart(8)].join('  ');

console.log(['workload'.padEnd(10), 'model'.padEnd(16), 'batch', 'µs/step*'.padStart(10), 'GFLOP/s'.padStart(8)].join('  '));

const models = [
  { name: 'LSTM 8→8', Layer: LSTM, gates: 4, I: 8, H: 8 },
  { name: 'LSTM 64→128', Layer: LSTM, gates: 4, I: 64, H: 128 },
  { name: 'LSTM 128→512', Layer: LSTM, gates: 4, I: 128, H: 512 },
  { name: 'GRU 64→128', Layer: GRU, gates: 3, I: 64, H: 128 },
];

for (const m of models) {
  const layer = await m.Layer.create({ inputSize: m.I, hiddenSize: m.H, seed: 7 });
  const flopsPerRowStep = 2 * m.gates * m.H * (m.I + m.H);
  for (const B of m.H >= 64 ? [1, 16] : []) {
    const x = randn(T * B * m.I);
    const ms = measure(() => layer.forward(x, { seqLen: T, batch: B }));
    row({ workload: 'sequence', model: m.name, batch: B, T, usPerStep: (ms * 1000) / T,
          gflops: (flopsPerRowStep * B * T) / (ms * 1e6) });
  }
  {
    const x = randn(m.I);
    let h = new Float32Array(m.H), c = new Float32Array(m.H);
    const steps = 200;
    const ms = measure(() => {
      for (let t = 0; t < steps; t++) {
        const r = layer.forward(x, { seqLen: 1, batch: 1, h0: h, ...(m.Layer === LSTM ? { c0: c } : {}) });
        h = r.h; if (r.c) c = r.c;
      }
    });
    row({ workload: 'forward1', model: m.name, batch: 1, T: 1, usPerStep: (ms * 1000) / steps,
          gflops: (flopsPerRowStep * steps) / (ms * 1e6) });
  }
  {
    const s = layer.stream({ batch: 1, reuseOutput: true });
    const x = randn(m.I);
    const steps = 1000;
    const ms = measure(() => { for (let t = 0; t < steps; t++) s.step(x); });
    row({ workload: 'stream', model: m.name, batch: 1, T: 1, usPerStep: (ms * 1000) / steps,
          gflops: (flopsPerRowStep * steps) / (ms * 1e6) });
    s.dispose();
  }
  {
    const N = 64;
    const g = layer.streamGroup({ capacity: N });
    for (let i = 0; i < N; i++) g.join();
    const x = randn(N * m.I);
    const steps = 20;
    const ms = measure(() => { for (let t = 0; t < steps; t++) g.step(x); });
    row({ workload: 'group64', model: m.name, batch: N, T: 1, usPerStep: (ms * 1000) / (steps * N),
          gflops: (flopsPerRowStep * steps * N) / (ms * 1e6) });
    g.dispose();
  }
  layer.dispose();
}

console.log('* µs per step of one sequence (group64: per stream-step)');
const out = { date: new Date().toISOString(), node: process.version, results };
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.log('\nwrote bench/results.json');
