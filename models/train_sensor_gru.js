// The GRU of the sensor example (examples/node-sensor/): it reads one sensor reading per tick
// and predicts the next; a reading far from its prediction is an anomaly.
//
//   npm run build && node models/train_sensor_gru.js
//
// Data: models/sensor_signal.js (synthetic, seeded): 200,000 ticks with anomalies to train on, 20,000
// clean ticks to calibrate the score, 100,000 ticks with injected anomalies to test.
// Model: GRU 1 → 32 → linear 1 (3,393 parameters), trained by recur's Trainer: Adam, lr 3e-3
// (cosine to 3e-4), MSE on the next reading, batches of 32 random windows of 128 ticks.
// Score: |reading − prediction| / errorScale, errorScale the RMS prediction error on the clean
// calibration series; a score above `threshold` (4) flags an anomaly. The first `warmup` ticks of
// a stream are not scored (the state starts at zero).
//
// Writes models/sensor-gru.safetensors, models/sensor-gru.json (errorScale, threshold, warmup),
// examples/node-sensor/readings.csv (a 3,000-tick sample with anomalies) and the detection
// quality on the test series into models/results.json.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequential, saveModel } from '../dist/node.js';
import { Trainer } from '../dist/train.js';
import { random, sensorSeries } from './sensor_signal.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const HIDDEN = 32, SEQ = 256, BATCH = 32, STEPS = 3000, LR = 3e-3;
const THRESHOLD = 4, WARMUP = 50;

// Training data has anomalies in its inputs but clean targets: the model learns to predict the
// sensor's normal course through an anomaly, so the error stays large while it lasts and the
// state recovers after it. (Trained on clean data only, a GRU met its first stuck sensor or
// dropout and then mispredicted for thousands of ticks.)
const train = sensorSeries(200_000, 1, { anomalies: true });
const calibration = sensorSeries(20_000, 2).values;
const test = sensorSeries(100_000, 3, { anomalies: true });

const model = await Sequential.create({ layers: [
  { name: 'gru', type: 'gru', inputSize: 1, hiddenSize: HIDDEN, seed: 1 },
  { name: 'head', type: 'linear', inFeatures: HIDDEN, outFeatures: 1, seed: 2 }] });
const trainer = new Trainer(model, {
  loss: 'mse', optimizer: 'adam', lr: LR, clipNorm: 1,
  schedule: (step, base) => base * (0.1 + 0.45 * (1 + Math.cos(Math.PI * step / STEPS))),
});

// Windows [SEQ, BATCH, 1]: inputs ticks t…t+SEQ−1, targets t+1…t+SEQ.
const rand = random(11);
const x = new Float32Array(SEQ * BATCH), y = new Float32Array(SEQ * BATCH);
const started = performance.now();
let loss = 0;
for (let step = 1; step <= STEPS; step++) {
  for (let b = 0; b < BATCH; b++) {
    const start = Math.floor(rand() * (train.values.length - SEQ - 1));
    for (let t = 0; t < SEQ; t++) { x[t * BATCH + b] = train.values[start + t]; y[t * BATCH + b] = train.clean[start + t + 1]; }
  }
  loss = trainer.step(x, y, { seqLen: SEQ, batch: BATCH }).loss;
  if (step % 250 === 0) console.log(`step ${step}/${STEPS}  mse ${loss.toFixed(5)}`);
}
const trainSeconds = (performance.now() - started) / 1000;
trainer.dispose();

/** score[t] = |x[t] − prediction made at t−1|, streamed from a zero state like the example. */
function errors(values) {
  const stream = model.stream({ reuseOutput: true });
  const out = new Float64Array(values.length);
  let prediction = 0;
  for (let t = 0; t < values.length; t++) {
    out[t] = t === 0 ? 0 : Math.abs(values[t] - prediction);
    prediction = stream.step(Float32Array.of(values[t]))[0];
  }
  stream.dispose();
  return out;
}

const calib = errors(calibration).subarray(WARMUP);
const errorScale = Math.sqrt(calib.reduce((s, e) => s + e * e, 0) / calib.length);
const scores = errors(test.values).map((e) => e / errorScale);

// Quality on the test series, after the warm-up.
const idx = [...Array(test.values.length).keys()].slice(WARMUP);
const auc = rocAuc(idx.map((t) => scores[t]), idx.map((t) => test.labels[t]));
const flagged = (t) => scores[t] > THRESHOLD;
let tp = 0, fp = 0, fn = 0;
for (const t of idx) {
  if (flagged(t) && test.labels[t]) tp++;
  else if (flagged(t)) fp++;
  else if (test.labels[t]) fn++;
}
// Events: detected if a tick from its start to 5 ticks after its end is flagged; delay in ticks.
const byKind = {};
const delays = [];
for (const e of test.events) {
  let first = -1;
  for (let t = e.start; t < Math.min(test.values.length, e.end + 5); t++) if (flagged(t)) { first = t; break; }
  byKind[e.kind] ??= { events: 0, detected: 0 };
  byKind[e.kind].events++;
  if (first >= 0) { byKind[e.kind].detected++; delays.push(first - e.start); }
}
// False alarms: flagged ticks outside every anomaly and the 30 ticks after it, per 1,000 such ticks.
const near = new Uint8Array(test.values.length);
for (const e of test.events) near.fill(1, Math.max(0, e.start - 1), Math.min(near.length, e.end + 30));
const quiet = idx.filter((t) => !near[t]);
const falseAlarms = quiet.filter(flagged).length;
delays.sort((a, b) => a - b);
const detected = Object.values(byKind).reduce((n, k) => n + k.detected, 0);

const quality = {
  testTicks: test.values.length, anomalyTicks: test.labels.reduce((a, b) => a + b, 0), events: test.events.length,
  rocAuc: round(auc, 4),
  threshold: THRESHOLD,
  tickPrecision: round(tp / (tp + fp), 4), tickRecall: round(tp / (tp + fn), 4),
  eventsDetected: detected, eventRecall: round(detected / test.events.length, 4), byKind,
  medianDelayTicks: delays[delays.length >> 1],
  falseAlarmsPer1000Ticks: round((1000 * falseAlarms) / quiet.length, 4),
};
console.log(`trained in ${trainSeconds.toFixed(1)} s, final mse ${loss.toFixed(5)}, errorScale ${errorScale.toFixed(5)}`);
console.log(quality);

writeFileSync(join(root, 'models/sensor-gru.safetensors'), saveModel(model));
writeFileSync(join(root, 'models/sensor-gru.json'), `${JSON.stringify({
  description: 'GRU 1 → 32 → 1 predicting the next reading of models/sensor_signal.js; score = |reading − prediction| / errorScale',
  errorScale: round(errorScale, 6), threshold: THRESHOLD, warmup: WARMUP,
}, null, 1)}\n`);

// A sample for the example: 3,000 ticks with anomalies, from another seed.
const sample = sensorSeries(3000, 7, { anomalies: true });
writeFileSync(join(root, 'examples/node-sensor/readings.csv'),
  `tick,reading\n${Array.from(sample.values, (v, t) => `${t},${v.toFixed(4)}`).join('\n')}\n`);
writeFileSync(join(root, 'examples/node-sensor/anomalies.json'), `${JSON.stringify(sample.events)}\n`);

const resultsPath = join(root, 'models/results.json');
const results = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};
results.sensorGru = {
  architecture: model.toJSON(), parameters: model.parameterCount,
  training: { steps: STEPS, batch: BATCH, seqLen: SEQ, lr: LR, schedule: 'cosine', seconds: round(trainSeconds, 1), finalMse: round(loss, 6) },
  errorScale: round(errorScale, 6), warmup: WARMUP, quality,
};
writeFileSync(resultsPath, `${JSON.stringify(results, null, 1)}\n`);
model.dispose();

function round(x, digits) { const f = 10 ** digits; return Math.round(x * f) / f; }

/** Area under the ROC curve: the probability that an anomalous tick outscores a normal one (ties ½). */
function rocAuc(scores, labels) {
  const order = scores.map((s, i) => [s, labels[i]]).sort((a, b) => a[0] - b[0]);
  let rankSum = 0, positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j][0] === order[i][0]) j++;
    const rank = (i + j + 1) / 2;            // mean 1-based rank of the tie group
    for (let k = i; k < j; k++) if (order[k][1]) { rankSum += rank; positives++; }
    i = j;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
