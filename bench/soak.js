// Soak test for streaming (not part of npm test): 10 million steps through one Stream, with the
// JS heap and wasm memory sampled every million steps, then a fresh run over the same inputs in
// chunks of 10,000 steps (Stream.steps) whose outputs at the sampled positions must be
// bit-identical. Exits non-zero if memory grew or an output differs.
//
//   node --expose-gc bench/soak.js [steps]     (default 10,000,000; about a minute here)

import { LSTM } from '../dist/node.js';

const total = Number(process.argv[2] ?? 10_000_000);
const every = Math.max(1, Math.floor(total / 10));
const I = 8, H = 8;
const model = await LSTM.create({ inputSize: I, hiddenSize: H, seed: 42 });

// Input of step t, deterministic and cheap: a hash of (t, i) mapped to [-1, 1).
function fill(x, t0, steps) {
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < I; i++) {
      let v = Math.imul((t0 + s) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
      v ^= v >>> 13; v = Math.imul(v, 0x27d4eb2f); v ^= v >>> 16;
      x[s * I + i] = (v >>> 0) / 2 ** 31 - 1;
    }
  }
}

const gc = globalThis.gc ?? (() => {});
const samples = [];
const checkpoints = new Map();
const s = model.stream({ reuseOutput: true });
const x = new Float32Array(I);
const started = performance.now();
for (let t = 0; t < total; t++) {
  fill(x, t, 1);
  const y = s.step(x);
  if ((t + 1) % every === 0) {
    checkpoints.set(t, y.slice());
    gc();
    samples.push({ step: t + 1, heapBytes: process.memoryUsage().heapUsed, wasmBytes: model.runtime.memoryBytes });
    console.log(`step ${String(t + 1).padStart(10)}  heap ${(samples.at(-1).heapBytes / 1e6).toFixed(2)} MB  wasm ${(samples.at(-1).wasmBytes / 1e6).toFixed(2)} MB`);
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`${total} steps in ${seconds.toFixed(1)} s (${((seconds * 1e6) / total).toFixed(3)} µs/step incl. input generation)`);

// The fresh run, 10,000 steps per call.
const fresh = model.stream();
const chunk = 10_000;
const xs = new Float32Array(chunk * I);
let mismatches = 0;
for (let t0 = 0; t0 < total; t0 += chunk) {
  const n = Math.min(chunk, total - t0);
  fill(xs, t0, n);
  const ys = fresh.steps(xs.subarray(0, n * I), n);
  for (const [t, want] of checkpoints) {
    if (t < t0 || t >= t0 + n) continue;
    const got = ys.subarray((t - t0) * H, (t - t0 + 1) * H);
    if (!got.every((v, i) => Object.is(v, want[i]))) { mismatches++; console.log(`step ${t}: outputs differ`); }
  }
}

const heapGrowth = samples.at(-1).heapBytes - samples[0].heapBytes;
const wasmGrowth = samples.at(-1).wasmBytes - samples[0].wasmBytes;
console.log(`heap growth after the first sample: ${(heapGrowth / 1e6).toFixed(3)} MB; wasm growth: ${wasmGrowth} bytes`);
console.log(`outputs at ${checkpoints.size} positions identical to a fresh chunked run: ${mismatches === 0}`);
process.exit(mismatches === 0 && wasmGrowth === 0 && heapGrowth < 2e6 ? 0 : 1);
