// npm run bench:size: what recur costs to ship and to hold. Prints two tables and writes
// bench/size.json. Never asserts: the budget lines say whether the main entry and recur/vad are
// within theirs.
//
//   node bench/size.js        (after npm run build)
//
// 1. Download size of each entry point: the entry's file plus every chunk it imports (followed
//    through static imports), each gzipped on its own (level 9) as a server would send it, plus
//    the wasm for the entries that load it — one of recur.wasm and recur-relaxed.wasm, counted
//    as the larger of the two — and, for recur/onnx and recur/vad, the graph runtime's kernels
//    (recur-graph.wasm), which only they load, and for recur/train and the training worker script,
//    the training kernels (recur-train.wasm or recur-train-relaxed.wasm, the larger); "adds" is
//    what it costs beyond the main entry (the files the main entry does not load, those wasm files
//    included). Budgets: the main entry — runtime, layers, model files, quantized weights,
//    streaming; training is recur/train, loaded beside it — with the wasm, at most 40 kB; recur/vad (dist/vad.js: recur, the graph runtime and the Silero helper;
//    what a page running Silero VAD downloads, the model file aside) with both wasm files, at
//    most 75 kB, set beside what
//    onnxruntime-web downloads (its ESM bundle and wasm, as bench:peers counts them).
// 2. Memory in one runtime (one Worker isolate, one page) for a char-LSTM: bytes per stream,
//    per parameter of a loaded model (f32, and int8 where saveModel supports it) and per
//    parameter added by training with Adam. Linear memory is what wasm holds; a Worker's
//    128 MB also holds the JS heap and the model file itself.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadModel, saveModel, Sequential } from '../dist/node.js';
import { Trainer } from '../dist/train.js';
import { peer as ortWeb } from './peers/ort-web.js';

const dist = new URL('../dist/', import.meta.url);
const BUDGET = 40_000;       // bytes, gzipped: the main entry plus recur.wasm
const VAD_BUDGET = 75_000;   // bytes, gzipped: recur/vad plus recur.wasm and recur-graph.wasm, without the model file

const gz = (name) => gzipSync(readFileSync(new URL(name, dist)), { level: 9 }).length;
const gzUrl = (url) => { const bytes = readFileSync(url); return { file: url.pathname.split('/').at(-1), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }; };
const raw = (name) => readFileSync(new URL(name, dist)).length;

/** The entry and every chunk it imports statically. */
function closure(entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const code = readFileSync(new URL(entry, dist), 'utf8');
  for (const [, name] of code.matchAll(/(?:import|from)\s*["']\.\/([\w-]+\.js)["']/g)) closure(name, seen);
  return seen;
}

// [file, label, loads the wasm (counted in "+ wasm gz"), loads recur-graph.wasm, loads recur-train.wasm]
const entries = [
  ['index.js', 'recur (default: browsers, bundlers)', true, false, false],
  ['browser.js', 'recur (browser) + trainInWorker', true, false, false],
  ['worker.js', 'recur (workerd / worker)', true, false, false],
  ['node.js', 'recur (node)', true, false, false],
  ['train.js', 'recur + recur/train', true, false, true],
  ['train-worker.js', 'dist/train-worker.js (Web Worker)', true, false, true],
  ['onnx.js', 'recur/onnx', false, true, false],
  ['vad.js', 'recur/vad (Silero VAD)', true, true, false],
  ['tfjs.js', 'recur/tfjs', false, false, false],
];
const present = new Set(readdirSync(dist));
const builds = ['recur.wasm', 'recur-relaxed.wasm'].filter((f) => present.has(f)).map((f) => ({ file: f, raw: raw(f), gzip: gz(f) }));
const wasm = builds.reduce((a, b) => (b.gzip > a.gzip ? b : a));   // a runtime downloads one build
const graphWasm = present.has('recur-graph.wasm') ? { file: 'recur-graph.wasm', raw: raw('recur-graph.wasm'), gzip: gz('recur-graph.wasm') } : null;
const trainBuilds = ['recur-train.wasm', 'recur-train-relaxed.wasm'].filter((f) => present.has(f)).map((f) => ({ file: f, raw: raw(f), gzip: gz(f) }));
const trainWasm = trainBuilds.length ? trainBuilds.reduce((a, b) => (b.gzip > a.gzip ? b : a)) : null;
const sizes = [];
const mainFiles = closure('index.js');
console.log(['entry'.padEnd(36), 'files'.padEnd(46), 'min.js'.padStart(8), 'js gz'.padStart(8), '+ wasm gz'.padStart(10), 'adds gz'.padStart(8)].join('  '));
for (const [file, label, loadsWasm, loadsGraph, loadsTrain] of entries) {
  if (!present.has(file)) continue;
  const files = [...closure(file)];
  const js = files.reduce((n, f) => n + raw(f), 0);
  const jsGzip = files.reduce((n, f) => n + gz(f), 0);
  const graph = (loadsGraph && graphWasm ? graphWasm.gzip : 0) + (loadsTrain && trainWasm ? trainWasm.gzip : 0);
  const total = jsGzip + (loadsWasm ? wasm.gzip + graph : 0);
  const adds = files.filter((f) => !mainFiles.has(f)).reduce((n, f) => n + gz(f), 0) + graph;
  sizes.push({ entry: file, label, files, jsBytes: js, jsGzipBytes: jsGzip, withWasmGzipBytes: loadsWasm ? total : null, addsGzipBytes: adds });
  console.log([label.padEnd(36), files.join(' ').padEnd(46), kb(js).padStart(8), kb(jsGzip).padStart(8),
    (loadsWasm ? kb(total) : '').padStart(10), kb(adds).padStart(8)].join('  '));
}
for (const b of [...builds, ...(graphWasm ? [graphWasm] : []), ...trainBuilds]) console.log([b.file.padEnd(36), ''.padEnd(46), kb(b.raw).padStart(8), ''.padStart(8), kb(b.gzip).padStart(10)].join('  '));
const main = sizes.find((s) => s.entry === 'index.js');
const vad = sizes.find((s) => s.entry === 'vad.js');
const ort = ortWeb.download().map(gzUrl);
const ortGzip = ort.reduce((n, f) => n + f.gzip, 0);
const budgetLine = (what, bytes, budget) => `${what}, gzipped: ${kb(bytes)} of a ${kb(budget)} budget — ${bytes <= budget ? 'within' : 'OVER'}`;
console.log(`\n${budgetLine('main entry + wasm', main.withWasmGzipBytes, BUDGET)}`);
if (vad) {
  console.log(`${budgetLine('recur/vad + wasm', vad.withWasmGzipBytes, VAD_BUDGET)}; onnxruntime-web: ${(ortGzip / 1e6).toFixed(2)} MB `
    + `(${ort.map((f) => f.file).join(' + ')}), ${(ortGzip / vad.withWasmGzipBytes).toFixed(0)}× as much`);
}

// ---------------------------------------------------------------------------------------------
// Memory

const CHAR_LSTM = { layers: [
  { name: 'embed', type: 'embedding', numEmbeddings: 96, embeddingDim: 32, seed: 1 },
  { name: 'lstm', type: 'lstm', inputSize: 32, hiddenSize: 256, seed: 2 },
  { name: 'head', type: 'linear', inFeatures: 256, outFeatures: 96, seed: 3 },
] };

const model = await Sequential.create(CHAR_LSTM);
const parameters = Object.values(model.stateDict()).reduce((n, t) => n + t.length, 0);
const rt = model.runtime;

/** bytesInUse of the shared runtime after fn() minus before. */
async function held(fn) {
  const before = rt.bytesInUse;
  const kept = await fn();
  return { bytes: rt.bytesInUse - before, kept };
}

const STREAMS = 1000;
const streams = await held(() => Array.from({ length: STREAMS }, () => model.stream()));
const perStream = streams.bytes / STREAMS;
streams.kept.forEach((s) => s.dispose());

const perParameter = {};
for (const dtype of ['f32', 'f16', 'int8']) {
  let file;
  try { file = saveModel(model, { dtype }); } catch { continue; }   // a dtype this build lacks
  const loaded = await held(() => loadModel(file));
  perParameter[dtype] = { fileBytes: file.length / parameters, wasmBytes: loaded.bytes / parameters };
  loaded.kept.dispose();
}

const T = 32;
const training = await held(() => {
  const trainer = new Trainer(model, { loss: 'crossEntropy', optimizer: 'adam', lr: 1e-3 });
  const ids = Int32Array.from({ length: T }, (_, i) => i % 96);
  trainer.step(ids, ids, { seqLen: T, batch: 1 });
  return trainer;
});
training.kept.dispose();

console.log(`\nmemory, char-LSTM 96 → 32 → LSTM 256 → 96 (${parameters.toLocaleString('en')} parameters):`);
console.log(`  one stream                     ${perStream.toFixed(0)} bytes of wasm memory`);
for (const [dtype, p] of Object.entries(perParameter)) {
  console.log(`  model saved as ${dtype.padEnd(4)}            file ${p.fileBytes.toFixed(2)} B/parameter, loaded ${p.wasmBytes.toFixed(2)} B/parameter`);
}
console.log(`  training (Adam, seqLen ${T})      + ${(training.bytes / parameters).toFixed(2)} B/parameter (gradients, moments, activations)`);

model.dispose();
const out = { date: new Date().toISOString(), node: process.version, budgetBytes: BUDGET, vadBudgetBytes: VAD_BUDGET,
              onnxruntimeWeb: { files: ort, gzipBytes: ortGzip }, wasm, builds, graphWasm, trainWasm: trainBuilds, entries: sizes,
              memory: { model: CHAR_LSTM, parameters, bytesPerStream: perStream, perParameter, trainingBytesPerParameter: training.bytes / parameters } };
writeFileSync(new URL('./size.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.log('\nwrote bench/size.json');

function kb(bytes) { return `${(bytes / 1000).toFixed(1)} kB`; }
