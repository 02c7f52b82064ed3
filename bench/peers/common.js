// What every adapter in bench/peers/ shares: the models, their weights read from the committed
// safetensors files, deterministic inputs, and the PyTorch → other-layout conversions.

import { readFileSync } from 'node:fs';

export const MODELS_DIR = new URL('./models/', import.meta.url);

/** The recurrent models of the step and sequence workloads; files from models/make_onnx.py. */
export const MODELS = [
  { id: 'lstm-64-128', label: 'LSTM 64→128', cell: 'lstm', inputSize: 64, hiddenSize: 128 },
  { id: 'gru-64-128', label: 'GRU 64→128', cell: 'gru', inputSize: 64, hiddenSize: 128 },
  { id: 'lstm-128-512', label: 'LSTM 128→512', cell: 'lstm', inputSize: 128, hiddenSize: 512 },
].map((m) => ({
  ...m,
  gates: m.cell === 'lstm' ? 4 : 3,
  onnx: new URL(`${m.id}.onnx`, MODELS_DIR),
  safetensors: new URL(`${m.id}.safetensors`, MODELS_DIR),
}));

/** The training workload: Embedding(64, 64) → LSTM(64, 128) → Linear(128, 64), seq 64, batch 16. */
export const CHAR = {
  id: 'char-lstm', label: 'char LSTM 64·128', vocab: 64, embed: 64, hiddenSize: 128, seqLen: 64, batch: 16,
  safetensors: new URL('char-lstm.safetensors', MODELS_DIR),
};

/** The Silero VAD files of the vad workload (@ricky0123/vad-web's copies), run at 16 kHz; frame:
 *  samples per call (v5: 512, 32 ms; legacy: 1536, as vad-web feeds it). */
export const VADS = [
  { id: 'silero-v5', label: 'Silero VAD v5', version: 'v5', frame: 512 },
  { id: 'silero-legacy', label: 'Silero VAD legacy', version: 'legacy', frame: 1536 },
].map((m) => ({ ...m, onnx: new URL(`../../node_modules/@ricky0123/vad-web/dist/silero_vad_${m.version}.onnx`, import.meta.url) }));

/** The vad workload's audio: espeak-ng speech at 16 kHz, from sample `from` (0.5 s of silence
 *  before the first sentence), so the checked frames hold silence and the onset of speech. */
export const VAD_AUDIO = { wav: new URL('../../test/fixtures/audio/speech-mix-16k.wav', import.meta.url), from: 8000 };

/** Steps of the sequence workload. */
export const T = 256;

/** A safetensors file's F32 tensors by name (the format: u64 header length, JSON header, data). */
export function readSafetensors(url) {
  const bytes = readFileSync(url);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const data = bytes.subarray(8 + headerLength);
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') throw new Error(`${url}: ${name} is ${t.dtype}, expected F32`);
    const [a, b] = t.data_offsets;
    tensors[name] = { shape: t.shape, data: new Float32Array(data.buffer.slice(data.byteOffset + a, data.byteOffset + b)) };
  }
  return tensors;
}

/** A model's PyTorch state dict without the 'rnn.' prefix: weight_ih_l0 [G·H, I], weight_hh_l0 [G·H, H], bias_ih_l0, bias_hh_l0. */
export function torchWeights(model) {
  const file = readSafetensors(model.safetensors);
  return Object.fromEntries(Object.entries(file).map(([k, v]) => [k.replace(/^rnn\./, ''), v.data]));
}

/** Uniform values in [-1, 1) from a fixed LCG, the same in every process. */
export function inputs(n, seed = 1) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; out[i] = (s / 2 ** 32) * 2 - 1; }
  return out;
}

/** The char-LSTM batch: ids [seqLen, batch] (seq-first, recur's layout) and next-character targets. */
export function charBatch() {
  const { vocab, seqLen, batch } = CHAR;
  const ids = new Int32Array(seqLen * batch), targets = new Int32Array(seqLen * batch);
  let s = 12345;
  const text = Int32Array.from({ length: (seqLen + 1) * batch }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 16) % vocab; });
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen; t++) {
      ids[t * batch + b] = text[b * (seqLen + 1) + t];
      targets[t * batch + b] = text[b * (seqLen + 1) + t + 1];
    }
  }
  return { ids, targets };
}

/** [rows, cols] row-major → [cols, rows]. */
export function transpose(a, rows, cols) {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** [A, B, F] → [B, A, F] (seq-first ↔ batch-first). */
export function swap01(a, A, B, F) {
  const out = new Float32Array(a.length);
  for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) out.set(a.subarray((i * B + j) * F, (i * B + j + 1) * F), (j * A + i) * F);
  return out;
}

/** Reorders the G gate blocks of H rows each: order[k] is the source block of output block k. */
export function gateBlocks(a, H, order) {
  const block = a.length / order.length;
  const out = new Float32Array(a.length);
  order.forEach((src, k) => out.set(a.subarray(src * block, (src + 1) * block), k * block));
  return out;
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Thrown by an adapter for a workload it cannot do; the reason goes into the table as n/a. */
export class NotAvailable extends Error {}

/** Version of an installed package, read from its package.json. */
export function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return undefined;
  }
}
