// Long-term memory (issue #17): the adding problem (Hochreiter & Schmidhuber 1997; see
// bench/adding.js) at several lengths T, PyTorch's default initialisation against the options
// for long memory, over several seeds: steps and seconds until the test MSE (1,000 held-out
// sequences, checked every 100 steps) is below 0.01, or the step cap. Predicting the mean gives
// MSE ≈ 0.167.
//
// LSTM(2 → 64) + Linear(64 → 1), Adam lr 1e-3, batch 32, MSE on the last step, full BPTT.
// Configurations (the layer options; src/layers/init.ts):
//   default      PyTorch's U(-1/√H, 1/√H)
//   chrono       chronoMaxLength: T (Tallec & Ollivier 2018)
//   orthogonal   recurrentInit: 'orthogonal' (Saxe et al. 2014)
//   forget1      forgetBias: 1 (Jozefowicz et al. 2015)
//   leaky        learnLeak: true, leak: 0.1 (leaky units, α per unit learned from 0.1: a time
//                constant of 10 steps to start with; Goodfellow et al. 2016 §10.9.2)
//   dilated      numLayers: 2, dilation: [1, round(√T)] (skip connections through time, Chang et
//                al. 2017: a dilated layer alone sees only the steps t ≡ T − 1 mod d, so the
//                undilated layer below carries each input to the next one the upper layer reads;
//                the last output is then √T hops from any input instead of T)
// Each run also records the diagnostics of its first step: how many steps back from the last
// one ‖∂L/∂h_t‖ stays above 1 % of its peak (null: back to t = 0), and the mean forget gate.
//
// --task parity: end-only parity instead (the lecture notes' other test): x_t ∈ {0, 1}, the
// target is the XOR of all T bits, read at the last step as one of two classes (cross-entropy);
// solved when every one of 1,000 held-out sequences is classified right. LSTM(1 → 64) + Linear(64 → 2).
//
//   node bench/memory.js [--task adding|parity] [--T 50,200] [--configs default,chrono,orthogonal]
//                        [--seeds 1,2] [--max-steps 10000] [--out bench/memory.json]
// Runs are appended to --out as they finish (an interrupted session keeps what it measured);
// curve: [step, test MSE] every 100 steps.
// Prints a table; never asserts.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Sequential } from '../dist/node.js';
import { Trainer } from '../dist/train.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const lengths = arg('T', '50,200').split(',').map(Number);
const configs = arg('configs', 'default,chrono,orthogonal').split(',');
const seeds = arg('seeds', '1,2').split(',').map(Number);
const maxSteps = Number(arg('max-steps', '10000'));
const outPath = new URL(arg('out', 'memory.json'), new URL('./', import.meta.url));
const task = arg('task', 'adding');
if (task !== 'adding' && task !== 'parity') throw new Error(`--task is adding or parity, got ${task}`);
const B = 32, TEST = 1000, EVAL_EVERY = 100, H = 64;

const OPTIONS = {
  default: () => ({}),
  chrono: (T) => ({ chronoMaxLength: T }),
  orthogonal: () => ({ recurrentInit: 'orthogonal' }),
  forget1: () => ({ forgetBias: 1 }),
  leaky: () => ({ learnLeak: true, leak: 0.1 }),
  dilated: (T) => ({ numLayers: 2, dilation: [1, Math.round(Math.sqrt(T))] }),
};

function generator(seed) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  /** n sequences, time-major: x [T, n, 2], y [n, 1]. */
  return (T, n) => {
    const x = new Float32Array(T * n * 2), y = new Float32Array(n);
    for (let b = 0; b < n; b++) {
      const first = Math.floor(rand() * (T / 2)), second = Math.floor(T / 2) + Math.floor(rand() * (T / 2));
      for (let t = 0; t < T; t++) {
        const v = rand();
        x[(t * n + b) * 2] = v;
        if (t === first || t === second) { x[(t * n + b) * 2 + 1] = 1; y[b] += v; }
      }
    }
    return { x, y };
  };
}

/** End-only parity: n sequences of bits, time-major x [T, n, 1], and the class ids y [n] (their XOR). */
function parityGenerator(seed) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return (T, n) => {
    const x = new Float32Array(T * n), y = new Int32Array(n);
    for (let t = 0; t < T; t++) for (let b = 0; b < n; b++) { const bit = rand() < 0.5 ? 1 : 0; x[t * n + b] = bit; y[b] ^= bit; }
    return { x, y };
  };
}

/**
 * What each task trains and how it is scored: the model's input and output sizes, the loss, the
 * batch and test generators, and the test score (MSE on the adding problem; accuracy on parity).
 */
const TASKS = {
  adding: {
    inputSize: 2, outFeatures: 1, loss: 'mse', generator,
    /** Test MSE of the last step's outputs [n, 1]. */
    score: (out, y, n) => { let sum = 0; for (let b = 0; b < n; b++) sum += (out[b] - y[b]) ** 2; return +(sum / n).toFixed(5); },
    solved: (mse) => mse < 0.01,
    record: (score) => ({ finalTestMse: score }),
  },
  parity: {
    inputSize: 1, outFeatures: 2, loss: 'crossEntropy', generator: parityGenerator,
    /** Test accuracy of the last step's two logits per sequence [n, 2]. */
    score: (out, y, n) => { let right = 0; for (let b = 0; b < n; b++) right += Number((out[2 * b + 1] > out[2 * b] ? 1 : 0) === y[b]); return right / n; },
    solved: (accuracy) => accuracy === 1,
    record: (score) => ({ task: 'parity', finalTestAccuracy: score }),
  },
};

async function run(T, config, seed) {
  const spec = TASKS[task];
  const model = await Sequential.create({ layers: [
    { name: 'lstm', type: 'lstm', inputSize: spec.inputSize, hiddenSize: H, seed, ...OPTIONS[config](T) },
    { name: 'head', type: 'linear', inFeatures: H, outFeatures: spec.outFeatures, seed: seed + 1 },
  ] });
  const trainer = new Trainer(model, { loss: spec.loss, optimizer: 'adam', lr: 1e-3, lossSteps: 'last' });
  const batch = spec.generator(seed * 7919 + T);
  const test = spec.generator(1_000_003 + T)(T, TEST);   // the same test set for every run of this T
  const testScore = () => spec.score(model.forward(test.x, { seqLen: T, batch: TEST }).output.subarray((T - 1) * TEST * spec.outFeatures), test.y, TEST);
  const started = performance.now();
  let solvedAt = null, start, last = NaN;
  const curve = [];
  for (let step = 1; step <= maxSteps; step++) {
    const { x, y } = batch(T, B);
    const r = trainer.step(x, y, { seqLen: T, batch: B, diagnostics: step === 1 ? { spectra: false } : false });
    if (step === 1) {
      const d = r.diagnostics.layers.lstm[0];
      start = { lag: d.lag, meanForget: +d.gates.meanForget.toFixed(4), gradNormFirstOverLast: d.gradNorms[0] / d.gradNorms[T - 1] };
    }
    if (step % EVAL_EVERY === 0) {
      last = testScore();
      curve.push([step, last]);
      if (spec.solved(last)) { solvedAt = { step, seconds: +((performance.now() - started) / 1000).toFixed(1) }; break; }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const steps = solvedAt?.step ?? maxSteps;
  trainer.dispose(); model.dispose();
  const { task: name, ...score } = spec.record(last);
  return { ...(name ? { task: name } : {}), T, config, seed, maxSteps, solvedAt, ...score, msPerStep: +((seconds * 1000) / steps).toFixed(2), start, curve };
}

const previous = existsSync(outPath) ? JSON.parse(readFileSync(outPath, 'utf8')) : { runs: [] };
const runs = previous.runs;
for (const T of lengths) {
  for (const config of configs) {
    if (!OPTIONS[config]) throw new Error(`unknown configuration ${config}: ${Object.keys(OPTIONS).join(', ')}`);
    for (const seed of seeds) {
      const r = await run(T, config, seed);
      const i = runs.findIndex((p) => (p.task ?? 'adding') === task && p.T === T && p.config === config && p.seed === seed && p.maxSteps === r.maxSteps);
      if (i >= 0) runs[i] = r; else runs.push(r);
      const json = JSON.stringify({ date: new Date().toISOString(), node: process.version, hiddenSize: H, batch: B, lr: 1e-3, runs }, null, 1);
      writeFileSync(outPath, json.replace(/\[\s+(\d+),\s+([\d.e-]+)\s+\]/g, '[$1, $2]') + '\n');   // curve points on one line
      console.log(`${task === 'parity' ? 'parity ' : ''}T ${String(T).padStart(4)}  ${config.padEnd(10)}  seed ${seed}  ` +
        (r.solvedAt ? `solved at step ${String(r.solvedAt.step).padStart(5)} (${r.solvedAt.seconds} s)`
          : `not solved in ${r.maxSteps} steps (${task === 'parity' ? `test accuracy ${r.finalTestAccuracy}` : `test MSE ${r.finalTestMse}`})`) +
        `  ${r.msPerStep} ms/step;  step 1: gradient above 1% of its peak ${r.start.lag === null ? 'back to t = 0' : `for ${r.start.lag - 1} steps back`}, mean forget ${r.start.meanForget}`);
    }
  }
}
