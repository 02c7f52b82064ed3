// Validation bits/char of the char models in recur, with f32, f16 and int8 weights:
//
//   node models/eval_char.js        (after npm run build and the training scripts)
//
// 1. models/char-lstm-torch.safetensors, trained by PyTorch (train_char_torch.py): recur's f32
//    result beside torch's own (recur ≡ torch), and the cost of quantize(model, 'f16' | 'int8').
// 2. models/char-lstm.safetensors, trained by recur (train_char_recur.js), and its int8 file.
//
// Bits/char: the mean of −log2 p(next character) over the whole of models/data/jargon-valid.txt,
// read as one sequence from a zero state (forward() over chunks, the state carried between
// them), exactly as train_char_torch.py measures it. Also on its first SLICE characters, the
// quick check test/cli/models.test.ts repeats. Writes models/results.json and prints the tables.

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, quantize, saveModel } from '../dist/node.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SLICE = 10_000;
const read = (p) => readFileSync(join(root, p));
const json = (p) => JSON.parse(read(p).toString('utf8'));

function encode(text, vocab) {
  const ids = new Map(Array.from(vocab).map((c, i) => [c, i]));
  return Int32Array.from(Array.from(text), (c) => ids.get(c) ?? ids.get(' '));
}

/** Mean −log2 p(ids[t+1] | ids[0..t]), one sequence, batch 1, state carried across chunks. */
export function bitsPerChar(model, ids, chunk = 4096) {
  const n = ids.length - 1;
  let total = 0, states;
  for (let at = 0; at < n; at += chunk) {
    const T = Math.min(chunk, n - at);
    const r = model.forward(ids.subarray(at, at + T), { seqLen: T, batch: 1, states });
    states = r.states;
    const V = r.output.length / T;
    for (let t = 0; t < T; t++) {
      let max = -Infinity;
      for (let k = 0; k < V; k++) max = Math.max(max, r.output[t * V + k]);
      let sum = 0;
      for (let k = 0; k < V; k++) sum += Math.exp(r.output[t * V + k] - max);
      total += Math.log(sum) + max - r.output[t * V + ids[at + t + 1]];
    }
  }
  return total / n / Math.LN2;
}

const round = (x) => Math.round(x * 1e6) / 1e6;
const pct = (x, ref) => `${x >= ref ? '+' : ''}${((x / ref - 1) * 100).toFixed(3)}%`;
const valid = read('models/data/jargon-valid.txt').toString('utf8');
const resultsPath = join(root, 'models/results.json');
const results = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};

// 1. The PyTorch-trained model.
if (existsSync(join(root, 'models/char-lstm-torch.safetensors'))) {
  const side = json('models/char-lstm-torch.json');
  const ids = encode(valid, side.vocab);
  const f32 = await loadModel(read('models/char-lstm-torch.safetensors'), { architecture: side.architecture });
  const f16 = await quantize(f32, 'f16');
  const int8 = await quantize(f32, 'int8');
  const row = (m) => round(bitsPerChar(m, ids));
  const r = { torch: side.torch.validBitsPerChar, f32: row(f32), f16: row(f16), int8: row(int8) };
  const size = (dtype) => saveModel(f32, { dtype }).byteLength;
  const slice = ids.subarray(0, SLICE + 1);
  results.charLstmTorch = {
    architecture: side.architecture, trainedBy: `PyTorch ${side.torch.version}`, trainingMinutes: side.torch.trainingMinutes,
    steps: side.torch.steps, validChars: ids.length, validBitsPerChar: r,
    slice: { chars: SLICE, f32: round(bitsPerChar(f32, slice)), f16: round(bitsPerChar(f16, slice)), int8: round(bitsPerChar(int8, slice)) },
    bytes: { f32: size('f32'), f16: size('f16'), int8: size('int8') },
  };
  console.log(`\nPyTorch-trained ${side.architecture.layers.map((l) => l.type).join(' → ')} (hidden ${side.architecture.layers[1].hiddenSize}), ` +
    `validation ${ids.length} characters:\n`);
  console.log('| weights | file size | bits/char | vs f32 |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| PyTorch ${side.torch.version} f32 (its own evaluation) | — | ${r.torch.toFixed(4)} | ${pct(r.torch, r.f32)} |`);
  for (const d of ['f32', 'f16', 'int8']) console.log(`| recur ${d} | ${(results.charLstmTorch.bytes[d] / 1e3).toFixed(0)} kB | ${r[d].toFixed(4)} | ${pct(r[d], r.f32)} |`);
  console.log(`\nrecur f32 − PyTorch f32: ${(r.f32 - r.torch).toExponential(1)} bits/char`);
  for (const m of [f32, f16, int8]) m.dispose();
}

// 2. The shipped, recur-trained model and its int8 file.
if (existsSync(join(root, 'models/char-lstm.safetensors'))) {
  const { vocab } = json('models/char-lstm.json');
  const ids = encode(valid, vocab);
  const f32 = await loadModel(read('models/char-lstm.safetensors'));
  const f16 = await quantize(f32, 'f16');
  const int8 = await loadModel(read('models/char-lstm.int8.safetensors'));
  const full = { f32: round(bitsPerChar(f32, ids)), f16: round(bitsPerChar(f16, ids)), int8: round(bitsPerChar(int8, ids)) };
  const slice = ids.subarray(0, SLICE + 1);
  results.charLstm = {
    ...results.charLstm,
    architecture: f32.toJSON(), parameters: f32.parameterCount, validChars: ids.length, validBitsPerChar: full,
    slice: { chars: SLICE, f32: round(bitsPerChar(f32, slice)), int8: round(bitsPerChar(int8, slice)) },
    bytes: { f32: statSync(join(root, 'models/char-lstm.safetensors')).size, int8: statSync(join(root, 'models/char-lstm.int8.safetensors')).size },
  };
  console.log(`\nrecur-trained char-lstm (${f32.parameterCount.toLocaleString('en')} parameters), validation ${ids.length} characters:\n`);
  console.log('| file | size | bits/char | vs f32 |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| char-lstm.safetensors (f32) | ${(results.charLstm.bytes.f32 / 1e3).toFixed(0)} kB | ${full.f32.toFixed(4)} | |`);
  console.log(`| (f16, quantize(model, 'f16')) | | ${full.f16.toFixed(4)} | ${pct(full.f16, full.f32)} |`);
  console.log(`| char-lstm.int8.safetensors | ${(results.charLstm.bytes.int8 / 1e3).toFixed(0)} kB | ${full.int8.toFixed(4)} | ${pct(full.int8, full.f32)} |`);
  for (const m of [f32, f16, int8]) m.dispose();
}

writeFileSync(resultsPath, `${JSON.stringify(results, null, 1)}\n`);
console.log('\nwrote models/results.json');
