// One fuzzing worker (a worker_thread started by harness.js): runs the cases of one surface from
// a given index until its deadline, classifying each, and reports counts to the main thread.
// The main thread watches `heartbeat` (the case running and since when) and terminates a worker
// stuck in one case; cases that finish but took more than HANG_MS are counted as hangs here.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadLibrary, caseFor, HANG_MS, EXAMPLES_KEPT } from './harness.js';
import { SURFACES } from './surfaces.js';

const { surface: name, seed, start, deadline, maxCases, heartbeat, base, failuresDir, hangMs = HANG_MS } = workerData;
const beat = new Int32Array(heartbeat);
const surface = SURFACES[name];
const lib = await loadLibrary();
const rt = await lib.node.init();
const state = await surface.setup(lib);

const stats = {
  tried: 0, valid: 0, typed: 0, untyped: 0, hangs: 0, leaks: 0, slowestMs: 0, slowestCase: -1,
  maxInputBytes: 0, rssStart: process.memoryUsage.rss(), rssPeak: 0, wasmPeak: 0, typedMessages: new Set(), examples: [],
};
let baseline = rt.bytesInUse;

function keep(kind, index, c, error) {
  stats.examples.push({ kind, index, message: `${error?.name ?? ''}: ${error?.message ?? error}`.slice(0, 400) });
  if (stats.examples.filter((e) => e.kind === kind).length > EXAMPLES_KEPT || !failuresDir) return;
  const dir = join(failuresDir, name, `${kind}-${index}`);
  mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(c.files)) writeFileSync(join(dir, file), bytes);
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ surface: name, seed, index, kind, options: c.options, target: c.target,
    error: { name: error?.name, message: error?.message, stack: error?.stack } }, null, 1));
}

/** Messages with numbers and quoted names taken out: how many different refusals the cases reached. */
const shape = (message) => message.replace(/'[^']*'|"[^"]*"/g, 'S').replace(/-?\d[\d.e+-]*/g, 'N').slice(0, 120);

let lastReport = performance.now();
let index = start;
for (; Date.now() < deadline && index < start + maxCases; index++) {
  const c = caseFor(surface, state, seed, name, index);
  let size = 0;
  for (const bytes of Object.values(c.files)) size += bytes.length;
  stats.maxInputBytes = Math.max(stats.maxInputBytes, size);
  Atomics.store(beat, 0, index); Atomics.store(beat, 1, Date.now() - base + 1);
  const t0 = performance.now();
  let outcome, error;
  try {
    await surface.run(lib, state, c);
    outcome = 'valid';
  } catch (err) {
    error = err;
    outcome = err instanceof lib.node.RecurError ? 'typed' : 'untyped';
  }
  const ms = performance.now() - t0;
  Atomics.store(beat, 1, 0);
  stats.tried++;
  stats[outcome]++;
  if (outcome === 'typed') stats.typedMessages.add(shape(error.message));
  if (outcome === 'untyped') keep('untyped', index, c, error);
  if (ms > stats.slowestMs) { stats.slowestMs = ms; stats.slowestCase = index; }
  if (ms > hangMs) { stats.hangs++; keep('hang', index, c, { name: 'Hang', message: `took ${ms.toFixed(0)} ms (${outcome}${error ? `: ${error.message}` : ''})` }); }
  const inUse = rt.bytesInUse;
  if (inUse > baseline) {
    stats.leaks++;
    keep('leak', index, c, { name: 'Leak', message: `${inUse - baseline} bytes of wasm memory still in use after the case (${outcome}${error ? `: ${error.message}` : ''})` });
    baseline = inUse;
  }
  stats.rssPeak = Math.max(stats.rssPeak, process.memoryUsage.rss());
  stats.wasmPeak = Math.max(stats.wasmPeak, rt.memoryBytes);
  if (performance.now() - lastReport > 1000) { report('progress'); lastReport = performance.now(); }
}
report('done');

function report(type) {
  parentPort.postMessage({ type, next: index, stats: { ...stats, typedMessages: [...stats.typedMessages] } });
}
