// Anomaly scores for a stream of sensor readings, one line in, one line out:
//
//   node examples/node-sensor/index.js < examples/node-sensor/readings.csv
//   some-sensor-reader | node examples/node-sensor/index.js --threshold 5
//
// Input: CSV lines whose last column is the reading (a header line is skipped). Output, per
// reading: tick,reading,prediction,score,flag — the GRU's prediction of this reading made from
// the readings before it, the score |reading − prediction| / errorScale, and "anomaly" when the
// score is above the threshold (after the first `warmup` readings; the state starts at zero).
//
// Memory is bounded whatever the length of the stream: lines are read one at a time, the model's
// state is a few hundred bytes in wasm memory, and output waits when stdout is full. No native
// dependency: recur's WebAssembly only. The model (models/sensor-gru.safetensors) and its score
// calibration (models/sensor-gru.json) come from models/train_sensor_gru.js.

import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { loadModel } from 'recur';

const models = new URL('../../models/', import.meta.url);
const calibration = JSON.parse(readFileSync(new URL('sensor-gru.json', models), 'utf8'));
const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : undefined; };
const threshold = option('threshold') ?? calibration.threshold;
const warmup = calibration.warmup;

const model = await loadModel(readFileSync(new URL('sensor-gru.safetensors', models)));
const stream = model.stream({ reuseOutput: true });   // one wasm call per reading, no allocation

const write = async (text) => { if (!process.stdout.write(text)) await once(process.stdout, 'drain'); };
process.stdout.on('error', (err) => { if (err.code === 'EPIPE') process.exit(0); throw err; });

let tick = 0, prediction = 0, flagged = 0, lineNo = 0;
await write('tick,reading,prediction,score,flag\n');
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  lineNo++;
  if (!line.trim()) continue;
  const field = line.slice(line.lastIndexOf(',') + 1).trim();
  const reading = Number(field);
  if (field === '' || !Number.isFinite(reading)) {
    if (tick === 0) continue;                             // a header
    process.stderr.write(`line ${lineNo}: '${field}' is not a number; skipped\n`);
    continue;
  }
  const score = tick === 0 ? 0 : Math.abs(reading - prediction) / calibration.errorScale;
  const anomaly = tick >= warmup && score > threshold;
  if (anomaly) flagged++;
  await write(`${tick},${reading},${prediction.toFixed(4)},${score.toFixed(2)},${anomaly ? 'anomaly' : tick < warmup ? 'warming up' : ''}\n`);
  prediction = stream.step(Float32Array.of(reading))[0];
  tick++;
}
process.stderr.write(`${tick} readings, ${flagged} above score ${threshold}\n`);
stream.dispose();
model.dispose();
