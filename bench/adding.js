// The adding problem (Hochreiter & Schmidhuber 1997, experiment 4): each sequence is T steps of
// (value ∈ U[0, 1], marker ∈ {0, 1}) with exactly two markers, one in each half; the target is
// the sum of the two marked values, read at the last step. Predicting the mean gives
// MSE ≈ 1/6 ≈ 0.167; solving it needs memory across the whole sequence.
//
// LSTM(2 → 64) + Linear(64 → 1), Adam lr 1e-3, batch 32, T = 50, MSE on the last step, trained
// with recur's Trainer until the test MSE (1,000 held-out sequences) is below 0.01.
//
//   node bench/adding.js [maxSteps=6000] [seed=1]

import { writeFileSync } from 'node:fs';
import { Sequential } from '../dist/node.js';
import { Trainer } from '../dist/train.js';

const maxSteps = Number(process.argv[2] ?? 6000);
const seed = Number(process.argv[3] ?? 1);
const T = 50, B = 32, TEST = 1000, EVAL_EVERY = 100;

let s = seed >>> 0;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);

/** n sequences, time-major: x [T, n, 2], y [n, 1]. */
function batch(n) {
  const x = new Float32Array(T * n * 2), y = new Float32Array(n);
  for (let b = 0; b < n; b++) {
    const first = Math.floor(rand() * (T / 2)), second = T / 2 + Math.floor(rand() * (T / 2));
    for (let t = 0; t < T; t++) {
      const v = rand();
      x[(t * n + b) * 2] = v;
      if (t === first || t === second) { x[(t * n + b) * 2 + 1] = 1; y[b] += v; }
    }
  }
  return { x, y };
}

const model = await Sequential.create({ layers: [
  { name: 'lstm', type: 'lstm', inputSize: 2, hiddenSize: 64, seed },
  { name: 'head', type: 'linear', inFeatures: 64, outFeatures: 1, seed: seed + 1 },
] });
const trainer = new Trainer(model, { loss: 'mse', optimizer: 'adam', lr: 1e-3, lossSteps: 'last' });
const test = batch(TEST);

function testMse() {
  const out = model.forward(test.x, { seqLen: T, batch: TEST }).output.subarray((T - 1) * TEST);
  let sum = 0;
  for (let b = 0; b < TEST; b++) sum += (out[b] - test.y[b]) ** 2;
  return sum / TEST;
}

const started = performance.now();
const curve = [];
let solvedAt;
for (let step = 1; step <= maxSteps; step++) {
  const { x, y } = batch(B);
  trainer.step(x, y, { seqLen: T, batch: B });
  if (step % EVAL_EVERY === 0) {
    const mse = testMse();
    const seconds = (performance.now() - started) / 1000;
    curve.push({ step, seconds: +seconds.toFixed(2), testMse: +mse.toFixed(5) });
    console.log(`step ${String(step).padStart(5)}  test MSE ${mse.toFixed(5)}  ${seconds.toFixed(1)} s`);
    if (mse < 0.01 && solvedAt === undefined) { solvedAt = { step, seconds }; break; }
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(solvedAt
  ? `solved (test MSE < 0.01) after ${solvedAt.step} steps in ${solvedAt.seconds.toFixed(1)} s (${((seconds * 1000) / solvedAt.step).toFixed(1)} ms per step)`
  : `not solved in ${maxSteps} steps (${seconds.toFixed(1)} s)`);
writeFileSync(new URL('./adding.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), node: process.version, T, B, seed, solvedAt, curve }, null, 2) + '\n');
