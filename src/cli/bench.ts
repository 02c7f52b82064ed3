// recur bench [MODEL]: how fast a model runs and trains on this machine, one thread: a streaming
// step, a whole sequence, and a training step. Without MODEL, a character LSTM the size of the
// shipped one (96 → 32 → LSTM 256 → 96) with random weights.

import { Sequential, type LayerDescription } from '../node/index.js';
import { Trainer } from '../train/index.js';
import { intOption, numberOption, type CommandSpec, type Parsed } from './args.js';
import { bytes, count, modelSummary, table } from './describe.js';
import { loadAnyModel } from './files.js';
import { write } from './io.js';
import { inputSize } from './run.js';

export const spec: CommandSpec = {
  name: 'bench',
  positionals: ['MODEL?'],
  options: {
    seconds: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    json: { type: 'boolean' },
    'no-train': { type: 'boolean' },
  },
};

export const help = `Usage: recur bench [MODEL] [options]

Measures MODEL (default: a character LSTM 96 → 32 → LSTM 256 → 96 with random weights) on this
machine, one thread: a streaming step (Stream.step, batch 1), a whole sequence (forward over
--seq steps, batch 1 and --batch), and a training step (Adam, --seq × --batch). The first line says which build of the
kernels ran: recur-relaxed.wasm (relaxed SIMD) or recur.wasm (plain SIMD).

      --seconds S        time per measurement (default 1)
      --seq T            sequence length (default 256; 64 for training)
      --batch B          batch of the batched rows (default 16)
      --no-train         skip the training step
      --json             the results as JSON
  -h, --help             this text`;

interface Row { workload: string; batch: number; value: number; unit: string; perSecond: number; perSecondUnit: string }

export async function bench({ positionals, values }: Parsed): Promise<number> {
  const seconds = numberOption(values, 'seconds', { positive: true, fallback: 1 })!;
  const T = intOption(values, 'seq', { min: 1, max: 1 << 20, fallback: 256 })!;
  const B = intOption(values, 'batch', { min: 1, max: 4096, fallback: 16 })!;
  let model: Sequential;
  let name: string;
  if (positionals[0] !== undefined) {
    const loaded = await loadAnyModel(positionals[0]);
    model = loaded.model;
    name = `${positionals[0]} (${loaded.dtype}, ${bytes(loaded.bytes)})`;
  } else {
    model = await Sequential.create({ layers: [
      { name: 'embed', type: 'embedding', numEmbeddings: 96, embeddingDim: 32, seed: 1 },
      { name: 'lstm', type: 'lstm', inputSize: 32, hiddenSize: 256, seed: 2 },
      { name: 'head', type: 'linear', inFeatures: 256, outFeatures: 96, seed: 3 }] });
    name = 'random character LSTM';
  }
  const rows: Row[] = [];
  try {
    const layers = model.toJSON().layers;
    const ids = layers[0].type === 'embedding';
    const limit = ids ? (layers[0] as { numEmbeddings: number }).numEmbeddings : 0;
    const width = inputSize(model);
    const input = (n: number) => (ids ? Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % limit)
      : Float32Array.from({ length: n * width }, (_, i) => Math.sin(i * 0.37)));
    const bidirectional = layers.some((l) => (l as { bidirectional?: boolean }).bidirectional === true);
    const per = (ms: number, n: number) => (ms * 1000) / n;

    if (!bidirectional) {
      const stream = model.stream({ reuseOutput: true });
      const x = input(1);
      const ms = measure(() => { for (let i = 0; i < 100; i++) stream.step(x); }, seconds);
      rows.push({ workload: 'stream step', batch: 1, value: per(ms, 100), unit: 'µs/step', perSecond: 100_000 / ms, perSecondUnit: 'steps/s' });
      stream.dispose();
    }
    for (const batch of [1, B]) {
      const x = input(T * batch);
      const ms = measure(() => model.forward(x, { seqLen: T, batch }), seconds);
      rows.push({ workload: `forward, seq ${T}`, batch, value: per(ms, T), unit: 'µs/step', perSecond: (T * batch * 1000) / ms, perSecondUnit: 'sequence-steps/s' });
    }
    if (values['no-train'] !== true) {
      const S = intOption(values, 'seq', { min: 1 }) ?? 64;
      const last = layers[layers.length - 1] as unknown as Record<string, number | string>;
      const outputs = last.type === 'linear' ? (last.outFeatures as number) : (last.hiddenSize as number) * (last.bidirectional ? 2 : 1);
      const trainer = new Trainer(model, { loss: ids ? 'crossEntropy' : 'mse', optimizer: 'adam', lr: 1e-9 });
      const x = input(S * B);
      const y = ids ? Int32Array.from({ length: S * B }, (_, i) => (i * 5 + 1) % outputs) : new Float32Array(S * B * outputs);
      const ms = measure(() => trainer.step(x, y, { seqLen: S, batch: B }), seconds);
      rows.push({ workload: `train step, seq ${S}`, batch: B, value: ms, unit: 'ms/step', perSecond: (S * B * 1000) / ms, perSecondUnit: ids ? 'characters/s' : 'rows/s' });
      trainer.dispose();
    }
    // Which kernels ran: relaxed SIMD (an FMA) is ~25% faster, and Node 20 loads it only with
    // --experimental-wasm-relaxed-simd, so a figure means little without it.
    const build = model.runtime.build;
    const wasm = build === 'relaxed' ? 'recur-relaxed.wasm (relaxed SIMD)' : 'recur.wasm (plain SIMD)';
    if (values.json) {
      await write(`${JSON.stringify({ model: name, architecture: layers, node: process.version, wasm: build, results: rows }, null, 1)}\n`);
    } else {
      await write(`${name}: ${modelSummary(layers as LayerDescription[])}, ${count(model.parameterCount)} parameters; node ${process.version}, ${wasm}, one thread\n\n` +
        `${table([['workload', 'batch', 'time', '', 'throughput', ''],
          ...rows.map((r) => [r.workload, String(r.batch), r.value.toFixed(r.value < 10 ? 2 : 1), r.unit, count(Math.round(r.perSecond)), r.perSecondUnit])], [1, 2, 4])}\n`);
    }
  } finally {
    model.dispose();
  }
  return 0;
}

/** Median time in ms of fn over runs lasting about `seconds` (after a warm-up). */
function measure(fn: () => void, seconds: number): number {
  for (let i = 0; i < 2; i++) fn();
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || times.length < 3) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
