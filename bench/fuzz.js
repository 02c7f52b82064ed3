// Mutation fuzzing of every input recur takes from outside (issue #15): model files
// (safetensors), ONNX files (the layer importer, and the graph runtime with a run() of what
// loads), TensorFlow.js model.json + weights, stream snapshots, training checkpoints, WAV files,
// and hostile training hyperparameters. Seeds are the repository's own files; mutations are
// truncations, bit flips, interesting bytes, chunk duplication and deletion, and edits that know
// each format (safetensors header fields, JSON values, protobuf varints and lengths, RIFF chunks).
// Each case is a valid load, a typed refusal (a RecurError) or a bug: anything else thrown
// (TypeError, RangeError, a wasm trap), a case over 1 s (a hang), or wasm memory left allocated.
//
//   npm run fuzz [-- --minutes N] [--seed S] [--workers W] [--surfaces a,b]
//
// Default 2.5 minutes, seed 1. Prints a table, writes bench/fuzz.json, and saves the first
// failing cases of each kind to bench/fuzz-failures/<surface>/ to reproduce them. Needs dist/
// (npm run build). Exits 1 if any case was untyped, a hang or a leak.

import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runFuzz } from './fuzz/harness.js';
import { SURFACES } from './fuzz/surfaces.js';

const { values } = parseArgs({ options: {
  minutes: { type: 'string', default: '2.5' }, seed: { type: 'string', default: '1' },
  workers: { type: 'string', default: '1' }, surfaces: { type: 'string' }, out: { type: 'string', default: 'bench/fuzz.json' },
} });
const minutes = Number(values.minutes), seed = Number(values.seed), workers = Number(values.workers);
if (!(minutes > 0) || !Number.isSafeInteger(seed) || !(workers >= 1)) {
  console.error('usage: node bench/fuzz.js [--minutes N] [--seed S] [--workers W] [--surfaces a,b]');
  process.exit(2);
}
const surfaces = values.surfaces ? values.surfaces.split(',') : Object.keys(SURFACES);
for (const s of surfaces) if (!SURFACES[s]) { console.error(`unknown surface ${s}; known: ${Object.keys(SURFACES).join(', ')}`); process.exit(2); }

const failuresDir = new URL('./fuzz-failures/', import.meta.url).pathname;
rmSync(failuresDir, { recursive: true, force: true });
console.log(`fuzzing ${surfaces.length} surfaces for ${minutes} min, seed ${seed}, ${workers} worker(s)`);
let lastLine = 0;
const result = await runFuzz({
  seconds: minutes * 60, seed, surfaces, workers, failuresDir,
  onProgress(name, s) {
    if (Date.now() - lastLine < 10_000) return;
    lastLine = Date.now();
    console.log(`  ${name}: ${s.tried} cases, ${s.untyped} untyped, ${s.hangs} hangs`);
  },
});

const MB = (b) => (b / 2 ** 20).toFixed(1);
const rows = Object.entries(result.surfaces).map(([name, s]) => ({
  surface: name, tried: s.tried, valid: s.valid, typed: s.typed, untyped: s.untyped, hangs: s.hangs, leaks: s.leaks,
  'per s': Math.round(s.tried / Math.max(s.seconds, 1e-9)), 'slowest ms': Math.round(s.slowestMs), 'refusals': s.typedMessages,
  'max input MB': MB(s.maxInputBytes), 'peak RSS MB': MB(s.rssPeak), 'RSS growth MB': MB(Math.max(0, s.rssPeak - s.rssStart)),
  'wasm MB': MB(s.wasmPeak),
}));
console.table(rows);
const sum = (k) => Object.values(result.surfaces).reduce((n, s) => n + s[k], 0);
const totals = { tried: sum('tried'), valid: sum('valid'), typed: sum('typed'), untyped: sum('untyped'), hangs: sum('hangs'), leaks: sum('leaks') };
const rate = totals.tried / result.seconds;
const peak = Math.max(...Object.values(result.surfaces).map((s) => s.rssPeak));
const largest = Math.max(...Object.values(result.surfaces).map((s) => s.maxInputBytes));
console.log(`${totals.tried} cases in ${result.seconds.toFixed(0)} s (${rate.toFixed(0)}/s): ${totals.valid} valid, ${totals.typed} typed errors, ` +
  `${totals.untyped} untyped, ${totals.hangs} hangs, ${totals.leaks} leaks; peak RSS ${MB(peak)} MB (largest input ${MB(largest)} MB)`);
for (const [name, s] of Object.entries(result.surfaces)) {
  for (const e of s.examples.slice(0, 5)) console.log(`  ${name} case ${e.index} (${e.kind}): ${e.message}`);
}
writeFileSync(values.out, JSON.stringify({
  date: new Date().toISOString(), node: process.version, command: `npm run fuzz -- --minutes ${minutes} --seed ${seed}`,
  seed, seconds: Math.round(result.seconds), rate: Math.round(rate), totals, peakRssBytes: peak, largestInputBytes: largest,
  surfaces: Object.fromEntries(Object.entries(result.surfaces).map(([name, s]) => [name, { title: SURFACES[name].title, ...s, examples: s.examples.slice(0, 10) }])),
}, null, 1) + '\n');
console.log(`wrote ${values.out}${totals.untyped + totals.hangs + totals.leaks ? `; failing cases in ${failuresDir}` : ''}`);
process.exit(totals.untyped + totals.hangs + totals.leaks ? 1 : 0);
