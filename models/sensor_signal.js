// The synthetic sensor of the sensor example: a vibration-like reading, two drifting sine
// components and Gaussian noise, sampled once per tick, with anomalies injected into test data.
// Deterministic for a seed. Used by train_sensor_gru.js (training, validation and test series)
// and to write examples/node-sensor/readings.csv.
//
//   reading(t) = a(t)·sin φ1(t) + 0.35·sin φ2(t) + 0.08·N(0, 1)
//   φ1 advances 2π / P(t) per tick, P(t) a random walk in [30, 50] ticks, a(t) one in [0.6, 1];
//   φ2 advances 2.7 times as fast.
//
// Anomalies (label 1 for every tick they touch), one every 300–700 ticks:
//   spike   one reading off by ±(0.8 … 1.5)
//   shift   the level moves by ±(0.5 … 0.8) for 30 ticks
//   stuck   the sensor repeats its last reading for 25 ticks
//   burst   noise 6 times stronger for 20 ticks
//   dropout the reading is 0 for 10 ticks

export const KINDS = ['spike', 'shift', 'stuck', 'burst', 'dropout'];
const LENGTH = { spike: 1, shift: 30, stuck: 25, burst: 20, dropout: 10 };

// recur's seeded generator (mulberry32), so the series is the same wherever it is made.
import { seededRandom as random } from '../dist/node.js';

export { random };

/** { values, clean: Float32Array (the readings, and what they would be without anomalies), labels: Uint8Array, events: [{ kind, start, end }] } */
export function sensorSeries(length, seed, { anomalies = false } = {}) {
  const rand = random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
  const values = new Float32Array(length);
  const clean = new Float32Array(length);
  const labels = new Uint8Array(length);
  const events = [];
  let phase1 = rand() * 2 * Math.PI, phase2 = rand() * 2 * Math.PI;
  let period = 30 + 20 * rand(), amplitude = 0.6 + 0.4 * rand();
  let next = anomalies ? 300 + Math.floor(rand() * 400) : Infinity;
  let event;
  for (let t = 0; t < length; t++) {
    period = clamp(period + 0.05 * gauss(), 30, 50);
    amplitude = clamp(amplitude + 0.003 * gauss(), 0.6, 1);
    phase1 += (2 * Math.PI) / period;
    phase2 += (2.7 * 2 * Math.PI) / period;
    const noise = gauss();
    let x = amplitude * Math.sin(phase1) + 0.35 * Math.sin(phase2) + 0.08 * noise;
    clean[t] = x;
    if (t === next) {
      const kind = KINDS[Math.floor(rand() * KINDS.length)];
      const sign = rand() < 0.5 ? -1 : 1;
      event = { kind, start: t, end: Math.min(length, t + LENGTH[kind]),
                size: sign * (kind === 'spike' ? 0.8 + 0.7 * rand() : 0.5 + 0.3 * rand()), held: t > 0 ? values[t - 1] : 0 };
      events.push({ kind, start: event.start, end: event.end });
      next = event.end + 300 + Math.floor(rand() * 400);
    }
    if (event && t < event.end) {
      switch (event.kind) {
        case 'spike': case 'shift': x += event.size; break;
        case 'stuck': x = event.held; break;
        case 'burst': x += 0.08 * 5 * noise; break;
        case 'dropout': x = 0; break;
      }
      labels[t] = 1;
    }
    values[t] = x;
  }
  return { values, clean, labels, events };
}
