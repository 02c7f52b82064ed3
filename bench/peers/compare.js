// npm run bench:peers: recur against what a user would pick instead, side by side in one process.
// Prints each table as it goes and writes bench/peers/results.json, results.md and chart.svg.
// Never asserts: numbers are for reading.
//
//   node --expose-gc bench/peers/compare.js [--quick] [--peers=ort-web,naive,…] [--skip=roofline,step,vad,sequence,train,cold,size]
//
// --quick: 5 rounds instead of 11, 3 s of timing per peer and row instead of 12 (about 2 minutes
// instead of 4–5 on a 2-core machine). --peers: only these besides recur. --skip: leave out parts.
//
// Peers (adapters in this folder, one file each; all single-threaded):
//   recur      this package: wasm SIMD kernels, recur.wasm (recur.js) — the reference
//   recur-relaxed  the same with recur-relaxed.wasm (relaxed-SIMD FMA; Node 20 needs the flag
//              npm run bench:peers passes)
//   ort-web    onnxruntime-web, its wasm SIMD backend run in Node (ort-web.js)
//   ort-node   onnxruntime-node, native CPU (ort-node.js)
//   tfjs-wasm  TensorFlow.js Layers on the wasm backend; tfjs-cpu on the JavaScript backend (tfjs.js)
//   brain      brain.js 1.6 (brain.js): its own, non-standard cells and weights — timed, not checked
//   naive      PyTorch's equations as plain JavaScript loops (naive.js): the floor
//
// Workloads:
//   step      streaming, batch 1, state carried between calls: µs per step; then again with recur
//             on int8 weights (the other peers f32, as no other peer runs an int8 LSTM from these files)
//   vad       Silero VAD (v5, 512-sample frames; legacy, 1536), the whole model per 32 ms (96 ms)
//             frame at 16 kHz, batch 1, state carried between calls: µs per frame; recur through
//             recur/vad's SileroVad, onnxruntime fed as vad-web feeds it (ort.js)
//   sequence  one call over T = 256 steps, batch 1 and 16: µs per step (call time / 256)
//   train     one training step of a char-level LSTM (vocab 64, embedding 64, hidden 128, seq 64,
//             batch 16; Adam, cross-entropy): ms per step
//   cold      a fresh `node` process that imports the library, loads LSTM 64→128 from its file and
//             computes one step, timed inside the process from just before the import (so without
//             Node's own start-up, and without process-spawn noise), ms
//   size      what a browser downloads (the library's ESM/browser bundle and its wasm), gzip -9, kB
//
// Method: every peer that loads the same weights (the files of models/make_onnx.py) is checked
// first: its outputs (every step of 8 streaming steps; the speech probabilities of 32 VAD frames;
// a whole sequence; the first training loss) must be within 1e-4 of recur's, or it is not timed.
// Then each peer is warmed up and the rounds run round-robin — each round times one sample of
// every peer, the order rotating between rounds — so a burst of load from elsewhere on the
// machine hits all of them alike. A sample is enough back-to-back calls to last ~40 ms (one call
// if a call is longer); the figure is the median over rounds, and the ratio is the median of the
// per-round ratios to recur's sample of the same round. A slow peer gets as many rounds as fit in
// 12 s per row (3 s with --quick); a call over 15 s (3 s) is timed once, that one call being also
// its warm-up; batch 16 is not run where 16 times the peer's batch-1 call would be over that cap.
// Cold starts interleave the same way, one process per sample. The roofline probe (roofline.js)
// measures this machine's wasm SIMD peak and bandwidth, and each recur figure is also given as
// the fraction of the roofline bound it reaches.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chartSvg } from './chart.js';
import { CHAR, MODELS, NotAvailable, T, VADS, VAD_AUDIO, inputs, maxAbsDiff } from './common.js';
import { PEER_IDS, importPeer } from './peers.js';
import { bestOf, roofline } from './roofline.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const listArg = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(',').filter(Boolean);
const only = listArg('peers');
const skip = new Set(listArg('skip') ?? []);

const ROUNDS = quick ? 5 : 11;
const SAMPLE_MS = quick ? 15 : 40;
const ROW_BUDGET_MS = quick ? 3000 : 12000;   // per peer and row, after warm-up: fewer rounds for slow calls
const CAP_MS = quick ? 3000 : 15000;          // a call longer than this is timed once, its warm-up call
const WARM_MS = quick ? 60 : 200;
const COLD_ROUNDS = quick ? 4 : 9;
const TOLERANCE = 1e-4;
const CHECK_STEPS = 8;
const CHECK_FRAMES = 32;

const here = (f) => new URL(f, import.meta.url);
const gc = globalThis.gc ?? (() => {});
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n ? (n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN; };
const message = (err) => (err instanceof NotAvailable ? err.message : `${err?.name ?? 'Error'}: ${String(err?.message ?? err).split('\n')[0]}`);

// ---------------------------------------------------------------------------------------------
// Peers

const ids = PEER_IDS.filter((id) => id === 'recur' || !only || only.includes(id));
const peers = [];
for (const id of ids) {
  const entry = { id, name: id, setting: '', weights: '', version: null, na: null, adapter: null };
  try {
    entry.adapter = await importPeer(id);
    Object.assign(entry, { name: entry.adapter.name, setting: entry.adapter.setting, weights: entry.adapter.weights });
    entry.version = (await entry.adapter.load()).version ?? null;
  } catch (err) {
    entry.na = message(err);
    if (id === 'recur') throw new Error(`recur itself failed to load (run npm run build first): ${entry.na}`);
  }
  peers.push(entry);
  console.log(`${id.padEnd(10)} ${entry.na ? `n/a: ${entry.na}` : `${entry.name} ${entry.version} — ${entry.setting}`}`);
}
const live = () => peers.filter((p) => !p.na);
const checked = (p) => p.weights === 'same';

// ---------------------------------------------------------------------------------------------
// Timing

/**
 * One sample: `reps` back-to-back calls, ms per call. No gc() before it: a forced full collection
 * makes the next few hundred ms of tfjs's JavaScript kernels several times slower (seen here:
 * 1 → 9 ms a step), so collections happen only between rows, before the warm-up.
 */
async function sample(e, reps) {
  if (e.enter) await e.enter();
  const t0 = performance.now();
  if (e.async) for (let i = 0; i < reps; i++) await e.call();
  else for (let i = 0; i < reps; i++) e.call();
  return (performance.now() - t0) / reps;
}

/**
 * entries: [{ id, call, enter? }]. Warms each up, then up to ROUNDS rounds round-robin. Returns,
 * per id, { value: median ms per call, runs, ratio: median per-round ratio to recur's sample }.
 */
async function sideBySide(entries) {
  for (const e of entries) {
    if (e.enter) await e.enter();
    const t0 = performance.now();
    const r0 = e.call();
    e.async = typeof r0?.then === 'function';
    if (e.async) await r0;
    const first = performance.now() - t0;
    e.times = [];
    if (first > CAP_MS && e.id !== 'recur') { e.single = first; e.rounds = 0; continue; }
    let calls = 1, spent = first;
    while (first < WARM_MS && (calls < 3 || spent < WARM_MS)) {
      const t = performance.now();
      if (e.async) await e.call(); else e.call();
      spent += performance.now() - t;
      calls++;
    }
    const perCall = calls > 1 ? (spent - first) / (calls - 1) : first;
    e.reps = Math.max(1, Math.min(100_000, Math.round(SAMPLE_MS / perCall)));
    e.rounds = e.id === 'recur' ? ROUNDS : Math.max(1, Math.min(ROUNDS, Math.floor(ROW_BUDGET_MS / (perCall * e.reps))));
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < entries.length; k++) {
      const e = entries[(k + r) % entries.length];
      if (r < e.rounds) e.times[r] = await sample(e, e.reps);
    }
  }
  const ref = entries.find((e) => e.id === 'recur');
  const refMedian = median(ref.times);
  return Object.fromEntries(entries.map((e) => {
    if (e.rounds === 0) return [e.id, { value: e.single, best: e.single, runs: 1, ratio: e.single / refMedian, note: 'one call (over the time cap), which was also its warm-up' }];
    const times = e.times.filter((t) => t !== undefined);
    const ratios = e.times.map((t, r) => t / ref.times[r]).filter(Number.isFinite);
    return [e.id, { value: median(times), best: Math.min(...times), runs: times.length, ratio: median(ratios) }];
  }));
}

// ---------------------------------------------------------------------------------------------
// Workloads: each row is { group, label, unit, batch, cells: { id: { value, ratio, runs, check } | { na } } }

const rows = [];
const units = { step: 'µs/step', vad: 'µs/frame', sequence: 'µs/step', train: 'ms/step', cold: 'ms', size: 'kB gz' };

function printRow(row) {
  const cell = (c, p) => (!c ? (p.na ? 'n/a' : '') : c.na ? 'n/a' : `${fmt(c.value)}${c.ratio !== undefined && c.id !== 'recur' ? ` ${fmtRatio(c.ratio)}` : ''}`);
  console.log(`${row.label.padEnd(34)} ${row.unit.padEnd(8)} ${peers.map((p) => cell(row.cells[p.id], p).padStart(16)).join(' ')}`);
}

function header(title) {
  console.log(`\n${title}\n${''.padEnd(34)} ${''.padEnd(8)} ${peers.map((p) => p.id.padStart(16)).join(' ')}`);
}

/**
 * Runs one row: make(peer) → an instance { call, enter?, dispose, …, check?: () → diff } per peer;
 * checks each against recur's reference, then times the ones that pass side by side.
 * `scale` turns ms per call into the row's unit.
 */
async function runRow(row, make, { reference, compare, scale, skipIf = () => null }) {
  row.cells = {};
  const instances = [];
  let ref;
  for (const p of live()) {
    let inst;
    try {
      const skipped = p.id === 'recur' ? null : skipIf(p);
      if (skipped) throw new NotAvailable(skipped);
      inst = await make(p.adapter);
      if (p.id === 'recur') {
        row.cells[p.id] = {};
        ref = await reference(inst);
      } else if (inst.unchecked) {
        row.cells[p.id] = { check: inst.unchecked };
      } else if (checked(p)) {
        const diff = await compare(inst, ref);
        if (!(diff <= TOLERANCE)) {
          throw new NotAvailable(`output differs from recur by ${diff.toExponential(2)} (> ${TOLERANCE})`);
        }
        row.cells[p.id] = { check: diff };
      } else {
        row.cells[p.id] = { check: null };     // own weights, different cell: timed only
      }
      if (inst.note) row.cells[p.id].note = inst.note;
      instances.push({ id: p.id, inst });
    } catch (err) {
      row.cells[p.id] = { na: message(err) };
      try { inst?.dispose?.(); } catch { /* already broken */ }
      if (p.id === 'recur') throw err;
    }
  }
  const timed = await sideBySide(instances.map(({ id, inst }) => ({ id, call: inst.call, enter: inst.enter })));
  for (const { id, inst } of instances) {
    const t = timed[id];
    row.cells[id] = { ...row.cells[id], value: t.value * scale, best: t.best * scale, runs: t.runs, ...(id === 'recur' ? {} : { ratio: t.ratio }) };
    if (t.note) row.cells[id].note = [row.cells[id].note, t.note].filter(Boolean).join('; ');
    try { inst.dispose?.(); } catch (err) { console.warn(`${id}: dispose failed: ${message(err)}`); }
  }
  gc();
  rows.push(row);
  printRow(row);
  return row;
}

// Streaming: 8 steps from the zero state compared step by step, then the same stream is timed.
// The check steps, the timed input, and the runRow options both step tables use.
function streamCheck(model) {
  const xs = Array.from({ length: CHECK_STEPS }, (_, t) => inputs(model.inputSize, 100 + t));
  const outputs = async (s) => { const ys = []; for (const xt of xs) ys.push(Float32Array.from(await s.step(xt))); return ys; };
  const options = {
    reference: outputs,
    compare: async (s, ref) => Math.max(...(await outputs(s)).map((y, t) => maxAbsDiff(y, ref[t]))),
    scale: 1000,
  };
  return { x: inputs(model.inputSize, 7), outputs, options };
}

async function stepRows() {
  header('streaming step, batch 1, state carried (µs per step; ×: time relative to recur)');
  for (const model of MODELS) {
    const { x, options } = streamCheck(model);
    await runRow({ group: 'step', label: `step ${model.label}`, model: model.label, batch: 1, unit: units.step },
      async (adapter) => { const s = await adapter.stream(model); return { ...s, call: () => s.step(x) }; },
      options);
  }
}

// The same streams with recur on int8 weights (recur.quantize: per-row int8, int8 kernels) and
// every other peer as in the f32 rows above (checked there: none of them runs an int8 LSTM from
// these files). recur-relaxed is checked against recur's int8 outputs; recur's int8 error against
// its own f32 outputs is noted.
async function int8StepRows() {
  header('streaming step, batch 1, recur on int8 weights, the others f32 (µs per step)');
  const isRecur = (adapter) => adapter.id === 'recur' || adapter.id === 'recur-relaxed';
  for (const model of MODELS) {
    const { x, outputs, options } = streamCheck(model);
    const f32 = await peers.find((p) => p.id === 'recur').adapter.stream(model);
    const f32Outputs = await outputs(f32);
    f32.dispose();
    await runRow({ group: 'step-int8', label: `step ${model.label} · recur int8`, model: model.label, batch: 1, unit: units.step },
      async (adapter) => {
        if (!isRecur(adapter)) {
          const s = await adapter.stream(model);
          return { ...s, call: () => s.step(x), unchecked: s.unchecked ?? 'f32 weights (checked in the f32 rows)' };
        }
        let note;
        if (adapter.id === 'recur') {                  // int8's error, on a stream of its own
          const probe = await adapter.stream(model, { weights: 'int8' });
          const d = Math.max(...(await outputs(probe)).map((y, t) => maxAbsDiff(y, f32Outputs[t])));
          probe.dispose();
          note = `int8 outputs vs f32 over ${CHECK_STEPS} steps: max |Δ| ${d.toExponential(1)}`;
        }
        const s = await adapter.stream(model, { weights: 'int8' });
        return { ...s, call: () => s.step(x), note };
      },
      options);
  }
}

// Silero VAD: the probabilities of CHECK_FRAMES frames of VAD_AUDIO from the zero state are the
// check; then the same stream is timed on those frames in turn.
async function vadRows() {
  header('Silero VAD, the whole model per frame at 16 kHz, batch 1, state carried (µs per frame)');
  const { readWav } = await import('../../dist/vad-node.js');
  const audio = readWav(readFileSync(VAD_AUDIO.wav)).samples.subarray(VAD_AUDIO.from);
  for (const model of VADS) {
    const frames = Array.from({ length: CHECK_FRAMES }, (_, i) => audio.slice(i * model.frame, (i + 1) * model.frame));
    const probabilities = async (v) => { const ps = []; for (const f of frames) ps.push(await v.process(f)); return Float32Array.from(ps); };
    await runRow({ group: 'vad', label: `${model.label} · ${model.frame} samples`, model: model.label, batch: 1, unit: units.vad },
      async (adapter) => { const v = await adapter.vad(model); let i = 0; return { ...v, call: () => v.process(frames[i++ % CHECK_FRAMES]) }; },
      {
        reference: probabilities, compare: async (v, ref) => maxAbsDiff(await probabilities(v), ref), scale: 1000,
        skipIf: (p) => (p.adapter.vad ? null : 'runs no ONNX graphs (Silero VAD is one)'),
      });
  }
}

async function sequenceRows() {
  header(`sequence of ${T} steps in one call (µs per step)`);
  for (const model of MODELS) {
    const batch1 = {};   // ms per call at batch 1, by peer: batch 16 is skipped where 16× that is over the cap
    for (const batch of [1, 16]) {
      const x = inputs(T * batch * model.inputSize, 11);
      const output = async (s) => { const y = await s.run(s.px); return s.output ? s.output(y) : y; };
      await runRow({ group: 'sequence', label: `sequence ${model.label} · batch ${batch}`, model: model.label, batch, unit: units.sequence },
        async (adapter) => {
          const s = await adapter.sequence(model, batch);
          const px = s.prepare ? s.prepare(x) : x;
          return { ...s, px, call: () => s.run(px) };
        },
        {
          reference: output, compare: async (s, ref) => maxAbsDiff(await output(s), ref), scale: 1000 / T,
          skipIf: (p) => {
            const est = batch1[p.id] * batch;
            return batch > 1 && est > CAP_MS ? `not run: about ${(est / 1000).toFixed(0)} s a call (${batch} × its batch-1 time), over the ${CAP_MS / 1000} s cap` : null;
          },
        });
      if (batch === 1) for (const [id, c] of Object.entries(rows.at(-1).cells)) if (c.value) batch1[id] = (c.value * T) / 1000;
    }
  }
}

async function trainRow() {
  header(`training step, ${CHAR.label}: vocab ${CHAR.vocab}, seq ${CHAR.seqLen}, batch ${CHAR.batch} (ms per step)`);
  // The first step's loss is computed on the loaded weights: it is the check. Timing goes on from there.
  await runRow({ group: 'train', label: `train ${CHAR.label}`, model: CHAR.label, batch: CHAR.batch, unit: units.train },
    async (adapter) => { const s = await adapter.train(); return { ...s, call: s.step }; },
    { reference: async (s) => s.step(), compare: async (s, ref) => Math.abs((await s.step()) - ref), scale: 1 });
}

// Cold start: one fresh process per sample, peers interleaved; each process times itself from
// just before it imports the library to the first output (cold.js).
async function coldRow() {
  header(`cold start: import, load LSTM 64→128 from its file, first output (ms, in a fresh process)`);
  const node = process.execPath;
  const script = fileURLToPath(here('cold.js'));
  const flags = process.execArgv.filter((a) => a.includes('relaxed-simd'));
  const run = (id) => {
    const r = spawnSync(node, [...flags, script, id], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error((r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').filter((l) => /Error/.test(l))[0] ?? `exit code ${r.status}`);
    return Number(r.stdout.trim().split('\n').at(-1).split(' ')[1]);
  };
  const row = { group: 'cold', label: 'cold start LSTM 64→128', model: 'LSTM 64→128', batch: 1, unit: units.cold, cells: {} };
  const list = live().map((p) => p.id);
  const times = Object.fromEntries(list.map((id) => [id, []]));
  const failed = {};
  for (let r = 0; r < COLD_ROUNDS; r++) {
    for (let k = 0; k < list.length; k++) {
      const id = list[(k + r) % list.length];
      if (failed[id]) continue;
      try { times[id].push(run(id)); } catch (err) { failed[id] = message(err); }
    }
  }
  for (const id of list) {
    if (failed[id]) { row.cells[id] = { na: failed[id] }; continue; }
    const ratios = times[id].map((t, r) => t / times.recur[r]);
    row.cells[id] = { value: median(times[id]), best: Math.min(...times[id]), runs: times[id].length, ...(id === 'recur' ? {} : { ratio: median(ratios) }) };
  }
  rows.push(row);
  printRow(row);
  console.log(`(best samples: ${list.filter((id) => !failed[id]).map((id) => `${id} ${row.cells[id].best.toFixed(1)}`).join(', ')} ms)`);
}

function sizeRow() {
  header('download: the library bundle and its wasm, gzip -9 (kB)');
  const row = { group: 'size', label: 'download, gzipped', model: '', batch: 0, unit: units.size, cells: {} };
  for (const p of live()) {
    try {
      const files = p.adapter.download().map((url) => {
        const bytes = readFileSync(url);
        return { file: fileURLToPath(url).replace(/^.*node_modules\//, '').replace(/^.*\/main\//, ''), bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
      });
      row.cells[p.id] = { value: files.reduce((n, f) => n + f.gzip, 0) / 1000, raw: files.reduce((n, f) => n + f.bytes, 0) / 1000, files };
    } catch (err) {
      row.cells[p.id] = { na: message(err) };
    }
  }
  for (const p of live()) {
    const c = row.cells[p.id];
    if (p.id !== 'recur' && !c.na) c.ratio = c.value / row.cells.recur.value;
  }
  rows.push(row);
  printRow(row);
}

// ---------------------------------------------------------------------------------------------
// Roofline: what fraction of this machine's limit each recur figure reaches.

/**
 * The roofline bound of a recur row, in the row's unit, and the fraction of it reached by recur's
 * best sample (the limits are best-of probes too: like against like, both as noise allows).
 * FLOPs count the matrix products: 2·G·H·(I + H) per step and sequence (G = 4 LSTM, 3 GRU).
 * Bytes: a streaming step reads all weights once; a sequence call projects the inputs of a chunk
 * of steps in one GEMM, so per step it must at least read W_hh (G·H·H floats).
 */
function rooflineOf(row, limits) {
  const recur = row.cells.recur;
  if (!recur || recur.na) return null;
  let flops, bytes;
  if (row.group === 'step' || row.group === 'sequence') {
    const m = MODELS.find((x) => x.label === row.model);
    const G = m.gates, H = m.hiddenSize, I = m.inputSize;
    flops = 2 * G * H * (I + H) * row.batch;
    bytes = 4 * G * H * (row.group === 'step' ? I + H : H);
  } else if (row.group === 'train') {
    // forward + two backward products (dX, dW) for the LSTM and the head
    const { embed: E, hiddenSize: H, vocab: V, seqLen: S, batch: B } = CHAR;
    flops = 3 * (2 * 4 * H * (E + H) + 2 * H * V) * S * B;
    bytes = 0;
  } else {
    return null;
  }
  const time = recur.best ?? recur.value;
  const bw = bytes ? limits.bandwidthAt(bytes) : Infinity;
  const boundMs = Math.max(flops / (limits.peakGflops * 1e6), bytes / (bw * 1e6));
  const boundUnit = boundMs * (row.unit === 'ms/step' ? 1 : 1000);
  return {
    flops, bytes, bandwidthGBs: Number.isFinite(bw) ? bw : null,
    best: time,
    gflops: flops / ((row.unit === 'ms/step' ? time : time / 1000) * 1e6),
    bound: boundUnit, limitedBy: flops / (limits.peakGflops * 1e6) >= bytes / (bw * 1e6) ? 'compute' : 'bandwidth',
    fraction: boundUnit / time,
  };
}

// ---------------------------------------------------------------------------------------------
// Reports

function fmt(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function fmtRatio(r) {
  if (!Number.isFinite(r)) return '–';
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

function markdown(out) {
  const L = [];
  const shown = out.libraries;
  L.push(`Measured ${out.date.slice(0, 10)} on ${out.machine.cpu} (${out.machine.cores} cores, load ${out.machine.loadBefore.map((l) => l.toFixed(1)).join(' ')} at the start), Node ${out.node}${out.quick ? ', **--quick**' : ''}. `
    + 'Each cell: time relative to recur (median of per-round ratios; > 1× is slower than recur) and the absolute median. All single-threaded.');
  L.push('');
  L.push(`| workload | unit | ${shown.map((p) => p.id === 'recur' ? 'recur' : p.name).join(' | ')} |`);
  L.push(`| --- | --- | ${shown.map(() => '---:').join(' | ')} |`);
  for (const row of out.rows) {
    const cells = shown.map((p) => {
      const c = row.cells[p.id];
      if (!c) return p.na ? 'n/a' : '';
      if (c.na) return 'n/a';
      if (p.id === 'recur') return `**${fmt(c.value)}**`;
      return `${fmtRatio(c.ratio)} · ${fmt(c.value)}`;
    });
    L.push(`| ${row.label} | ${row.unit} | ${cells.join(' | ')} |`);
  }
  L.push('');
  L.push('| peer | version | how it runs | weights and check |');
  L.push('| --- | --- | --- | --- |');
  for (const p of out.libraries) {
    const diffs = out.rows.map((r) => r.cells[p.id]?.check).filter((d) => typeof d === 'number');
    const check = p.id === 'recur' ? 'the reference' : p.weights === 'same'
      ? `same weights; max |Δ| vs recur ${diffs.length ? Math.max(...diffs).toExponential(1) : '–'} (limit ${TOLERANCE})` : p.weights;
    L.push(`| ${p.name} | ${p.version ?? '–'} | ${p.setting} | ${p.na ? `n/a: ${p.na}` : check} |`);
  }
  // Notes grouped by text: "reason — peer (rows), peer (rows)".
  const notes = new Map();
  const note = (text, p, row) => {
    const byPeer = notes.get(text) ?? new Map();
    notes.set(text, byPeer.set(p.name, [...(byPeer.get(p.name) ?? []), row.label]));
  };
  for (const row of out.rows) {
    for (const p of shown) {
      const c = row.cells[p.id];
      if (c?.na) note(`n/a: ${c.na}`, p, row);
      if (typeof c?.check === 'string') note(c.check, p, row);
      if (c?.note) for (const n of c.note.split('; ')) note(n, p, row);
    }
  }
  L.push('');
  L.push(`Slow calls get fewer rounds (as many as fit in ${out.settings.rowBudgetMs / 1000} s per row; the count is \`runs\` in results.json). `
    + 'brain.js is timed only: it cannot load PyTorch weights and its cells are not the standard ones.');
  if (notes.size) {
    L.push('');
    for (const [text, byPeer] of notes) {
      L.push(`- ${text} — ${[...byPeer].map(([name, labels]) => `${name} (${labels.join(', ')})`).join('; ')}`);
    }
  }
  if (out.roofline) {
    const rf = out.roofline;
    L.push('');
    L.push(`Roofline of this machine (roofline.js): wasm SIMD peak ${rf.peakGflops.toFixed(1)} GFLOP/s (f32x4 mul + add); bandwidth `
      + rf.bandwidth.map((b) => `${b.gbps.toFixed(0)} GB/s at ${b.bytes >= 1 << 20 ? `${(b.bytes / 2 ** 20).toFixed(1)} MiB` : `${(b.bytes / 1024).toFixed(0)} KiB`}`).join(', ') + '.');
    L.push('');
    L.push('Roofline bound per step = max(FLOPs ÷ peak, bytes ÷ bandwidth at that size), with FLOPs = the matrix products '
      + '(2·G·H·(I + H) per step and sequence) and bytes = the weights a step must read (all of them for a streaming step; '
      + 'at least W_hh for a step of a sequence, whose input projection is one GEMM per chunk). Fraction = bound ÷ recur\'s best sample.');
    L.push('');
    L.push('| recur figure | median | best sample | GFLOP/s (best) | bound by | roofline bound | fraction of the limit |');
    L.push('| --- | ---: | ---: | ---: | --- | ---: | ---: |');
    for (const row of out.rows) {
      const r = row.roofline;
      if (!r) continue;
      L.push(`| ${row.label} | ${fmt(row.cells.recur.value)} ${row.unit} | ${fmt(r.best)} | ${r.gflops.toFixed(1)} | ${r.limitedBy} | ${fmt(r.bound)} | ${(100 * r.fraction).toFixed(0)}% |`);
    }
  }
  return L.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

const started = performance.now();
const loadBefore = os.loadavg();
let limits = null;
const probe = async (when) => {
  const r = await roofline({ quick, sizes: MODELS.flatMap((m) => [4 * m.gates * m.hiddenSize * (m.inputSize + m.hiddenSize), 4 * m.gates * m.hiddenSize * m.hiddenSize]) });
  console.log(`\nroofline probe (${when}): wasm SIMD peak ${r.peakGflops.toFixed(1)} GFLOP/s; bandwidth ${r.bandwidth.map((b) => `${(b.bytes / 1024).toFixed(0)} KiB: ${b.gbps.toFixed(0)} GB/s`).join(', ')}`);
  return r;
};
if (!skip.has('roofline')) limits = await probe('start');
if (!skip.has('step')) await stepRows();
if (!skip.has('step')) await int8StepRows();
if (!skip.has('vad')) await vadRows();
if (!skip.has('sequence')) await sequenceRows();
if (!skip.has('train')) await trainRow();
if (!skip.has('cold')) await coldRow();
if (!skip.has('size')) sizeRow();
if (limits) limits = bestOf(limits, await probe('end'));
if (limits) for (const row of rows) row.roofline = rooflineOf(row, limits);

let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
try { cpu = execFileSync('lscpu', { encoding: 'utf8' }).match(/Model name:\s*(.+)/)?.[1]?.trim() ?? cpu; } catch { /* no lscpu */ }
const out = {
  date: new Date().toISOString(),
  node: process.version,
  quick,
  machine: { cpu, cores: os.cpus().length, loadBefore, loadAfter: os.loadavg() },
  settings: { rounds: ROUNDS, sampleMs: SAMPLE_MS, warmMs: WARM_MS, rowBudgetMs: ROW_BUDGET_MS, capMs: CAP_MS, coldRounds: COLD_ROUNDS, tolerance: TOLERANCE, T },
  libraries: peers.map(({ adapter: _a, ...p }) => p),
  roofline: limits && { peakGflops: limits.peakGflops, bandwidth: limits.bandwidth },
  rows,
  seconds: (performance.now() - started) / 1000,
};
writeFileSync(here('results.json'), JSON.stringify({ peers: out }, null, 2) + '\n');
writeFileSync(here('results.md'), markdown(out));
writeFileSync(here('chart.svg'), chartSvg(out));
console.log(`\n${markdown(out)}\nwrote bench/peers/results.json, results.md, chart.svg in ${out.seconds.toFixed(0)} s`);
