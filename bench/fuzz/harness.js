// The fuzzer's harness: runs every surface (surfaces.js) for its share of the time, each in a
// worker_thread, and gathers the counts. Used by bench/fuzz.js (npm run fuzz) and by
// test/reliability.fuzz.test.ts (a short run with a fixed seed).
//
// A case is a pure function of (seed, surface, index), so any case can be made again: a worker
// stuck in one case longer than HARD_TIMEOUT_MS is terminated, its case is made again here and
// saved as a hang, and a new worker carries on from the next index. A case that returns but took
// more than HANG_MS is counted as a hang by the worker. A worker that dies (out of memory) counts
// its case as untyped. Memory: peak RSS of the process while a surface runs (one surface at a
// time by default), against the largest input of that surface.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { hash, prng } from './mutate.js';
import { SURFACES } from './surfaces.js';

export const HANG_MS = 1000;
export const HARD_TIMEOUT_MS = 10_000;
export const EXAMPLES_KEPT = 5;

/** recur as a user gets it: the built entry points in dist/. */
export async function loadLibrary() {
  const [node, train, onnx, tfjs, vad] = await Promise.all([
    import('../../dist/node.js'), import('../../dist/train.js'), import('../../dist/onnx-node.js'), import('../../dist/tfjs-node.js'), import('../../dist/vad-node.js'),
  ]);
  // `node` is what a Node user imports from recur and recur/train together.
  return { node: { ...node, ...train }, onnx, tfjs, vad };
}

/** Case `index` of a surface for a seed. */
export function caseFor(surface, state, seed, name, index) {
  return surface.generate(state, prng(hash(seed, name, index)));
}

function emptyStats() {
  return { tried: 0, valid: 0, typed: 0, untyped: 0, hangs: 0, leaks: 0, crashes: 0, slowestMs: 0, slowestCase: -1, maxInputBytes: 0,
    rssStart: Infinity, rssPeak: 0, wasmPeak: 0, typedMessages: new Set(), examples: [], seconds: 0 };
}

function merge(total, s) {
  for (const k of ['tried', 'valid', 'typed', 'untyped', 'hangs', 'leaks']) total[k] += s[k];
  if (s.slowestMs > total.slowestMs) { total.slowestMs = s.slowestMs; total.slowestCase = s.slowestCase; }
  total.maxInputBytes = Math.max(total.maxInputBytes, s.maxInputBytes);
  total.rssStart = Math.min(total.rssStart, s.rssStart);
  total.rssPeak = Math.max(total.rssPeak, s.rssPeak);
  total.wasmPeak = Math.max(total.wasmPeak, s.wasmPeak);
  for (const m of s.typedMessages) total.typedMessages.add(m);
  total.examples.push(...s.examples);
}

/**
 * Fuzzes for `seconds` in all (shared evenly by the surfaces), from `seed`. Returns per-surface
 * statistics. `workers` surfaces run at once (default 1, so RSS is one surface's). A case
 * longer than `hangMs` (default HANG_MS) is a hang.
 */
export async function runFuzz({ seconds = 150, seed = 1, surfaces = Object.keys(SURFACES), workers = 1, failuresDir, onProgress, maxCases = Infinity, hangMs = HANG_MS } = {}) {
  const share = (seconds * 1000 * Math.min(workers, surfaces.length)) / surfaces.length;
  const results = {};
  const queue = [...surfaces];
  let mainState;   // surfaces set up here, to make a terminated worker's case again
  const started = Date.now();

  async function runSurface(name) {
    const total = emptyStats();
    results[name] = total;
    const t0 = Date.now(), deadline = t0 + share;
    let next = 0;
    while (Date.now() < deadline && next < maxCases) {
      // [case index, ms since `base` when it started + 1 (0: between cases)], written with Atomics.
      const heartbeat = new SharedArrayBuffer(8), base = Date.now();
      const beat = new Int32Array(heartbeat);
      const since = () => { const t = Atomics.load(beat, 1); return t ? Date.now() - base - (t - 1) : 0; };
      let last;
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { surface: name, seed, start: next, deadline, maxCases, heartbeat, base, failuresDir, hangMs },
        resourceLimits: { maxOldGenerationSizeMb: 3072 },
        stdout: true, stderr: true,
      });
      worker.stdout.resume(); worker.stderr.resume();   // a library's console noise is not ours to print
      let killed = false, failure;
      const watch = setInterval(() => {
        if (since() > HARD_TIMEOUT_MS) { killed = true; worker.terminate(); }
        if (last) onProgress?.(name, combined(total, last));
      }, 100);
      const done = await new Promise((resolve) => {
        worker.on('message', (m) => { last = m.stats; if (m.type === 'done') { next = m.next; resolve(true); } });
        worker.on('error', (err) => { failure = err; });
        worker.on('exit', () => resolve(false));
      });
      clearInterval(watch);
      if (last) merge(total, { ...last, typedMessages: new Set(last.typedMessages) });
      if (done) { await worker.terminate(); continue; }
      // The worker was terminated in a case, or died: that case is a hang or a crash.
      const index = Atomics.load(beat, 0);
      next = index + 1;
      total.tried++;                                 // (cases since the worker's last report are not counted)
      const kind = killed ? 'hang' : 'crash';
      if (killed) total.hangs++; else { total.untyped++; total.crashes++; }
      const message = killed ? `still running after ${HARD_TIMEOUT_MS} ms; terminated` : `the worker died: ${failure?.message ?? 'no error given'}`;
      total.examples.push({ kind, index, message });
      if (failuresDir && total.examples.filter((e) => e.kind === kind).length <= EXAMPLES_KEPT) {
        mainState ??= {};
        const lib = await loadLibrary();
        mainState[name] ??= await SURFACES[name].setup(lib);
        const c = caseFor(SURFACES[name], mainState[name], seed, name, index);
        const dir = join(failuresDir, name, `${kind}-${index}`);
        mkdirSync(dir, { recursive: true });
        for (const [file, bytes] of Object.entries(c.files)) writeFileSync(join(dir, file), bytes);
        writeFileSync(join(dir, 'case.json'), JSON.stringify({ surface: name, seed, index, kind, options: c.options, target: c.target, error: { message } }, null, 1));
      }
    }
    total.seconds = (Date.now() - t0) / 1000;
  }

  await Promise.all(Array.from({ length: Math.min(workers, surfaces.length) }, async () => {
    while (queue.length) await runSurface(queue.shift());
  }));
  const elapsed = (Date.now() - started) / 1000;
  for (const r of Object.values(results)) { r.typedMessages = r.typedMessages.size; if (r.rssStart === Infinity) r.rssStart = 0; }
  return { seed, seconds: elapsed, surfaces: results };
}

function combined(total, last) {
  const c = { ...total, typedMessages: new Set(total.typedMessages), examples: [...total.examples] };
  merge(c, { ...last, typedMessages: new Set(last.typedMessages) });
  return c;
}
