// recur run MODEL: a model stepped one input at a time (Stream.step: one wasm call per step for
// the whole stack), reading as it goes and writing each output as soon as it is computed.
//
//   char model (an embedding first and a vocabulary beside the file):
//     --generate N [--prime TEXT] [--temperature T] [--seed S]   N characters after the prime
//     --input FILE --generate N                                  each line completed with N characters
//     --input FILE                                               bits/char of each line (the text
//                                                                read as one document)
//   numeric model: --input FILE|-   one CSV row per step in, one row of outputs out
//   token-id model without a vocabulary: one integer id per row in, its logits out

import type { Sequential, Stream } from '../node/index.js';
import { CliError, UsageError, intOption, numberOption, stringOption, type CommandSpec, type Parsed } from './args.js';
import { loadAnyModel, sidecarPath, type LoadedModel } from './files.js';
import { formatNumber, lines, parseColumns, parseRow, write } from './io.js';
import { crossEntropyRow, random, sample, type Vocabulary } from './text.js';

export const spec: CommandSpec = {
  name: 'run',
  positionals: ['MODEL'],
  options: {
    input: { type: 'string', short: 'i' },
    generate: { type: 'string', short: 'n' },
    prime: { type: 'string', short: 'p' },
    temperature: { type: 'string', short: 't' },
    seed: { type: 'string' },
    precision: { type: 'string' },
    'drop-softmax': { type: 'boolean' },
    'keep-state': { type: 'boolean' },
    argmax: { type: 'boolean' },
    columns: { type: 'string', short: 'c' },
  },
};

export const help = `Usage: recur run MODEL [options]

Streams inputs through a model one step at a time and writes each output as it is computed.
MODEL is a recur or PyTorch .safetensors file, an .onnx file or a TensorFlow.js model.json.

Character models (an embedding first, and MODEL's vocabulary in <name>.json beside it):
  -n, --generate N       write N generated characters (default 200 when there is no --input)
  -p, --prime TEXT       text the model reads before generating (it is printed first)
  -t, --temperature T    sampling temperature: 0 = most likely character, 1 = the model's
                         distribution (default 0.8)
      --seed S           seed of the sampler, for repeatable text (default: random)
  -i, --input FILE|-     with --generate: each line is a prompt, completed with N characters;
                         without: prints the bits/char of each line, and the mean on stderr
      --keep-state       with --input --generate: carry the state from line to line

Numeric models:
  -i, --input FILE|-     CSV rows (one step each; a header row is skipped), default stdin
  -c, --columns LIST     the input columns, 1-based: 2, or 2,3, or 2-4 (default: all)
      --argmax           print the index of the largest output instead of the outputs
      --precision D      significant digits of printed values (default 6)

      --drop-softmax     TensorFlow.js models ending in softmax: run them as logits
  -h, --help             this text

Examples:
  recur run models/char-lstm.safetensors --generate 300 --prime "hacker " --seed 7
  recur run models/sensor-gru.safetensors --input examples/node-sensor/readings.csv --columns 2`;

export async function run({ positionals, values }: Parsed): Promise<number> {
  const generate = intOption(values, 'generate', { min: 0 });
  const temperature = numberOption(values, 'temperature', { min: 0, fallback: 0.8 })!;
  const seed = intOption(values, 'seed', { min: 0, max: 2 ** 32 - 1 }) ?? Math.floor(Math.random() * 2 ** 32);
  const precision = intOption(values, 'precision', { min: 1, max: 17, fallback: 6 })!;
  const outputMode = values.argmax === true ? 'argmax' : 'values';
  const input = stringOption(values, 'input');
  const prime = stringOption(values, 'prime');
  const columnList = stringOption(values, 'columns');
  const columns = columnList === undefined ? undefined : parseColumns(columnList);
  if (columnList !== undefined && !columns) throw new UsageError(`--columns must list 1-based columns like 2, 2,3 or 2-4, got '${columnList}'`, 'run');

  const loaded = await loadAnyModel(positionals[0], { dropSoftmax: values['drop-softmax'] === true });
  const { model } = loaded;
  for (const note of loaded.notes) process.stderr.write(`note: ${note}\n`);
  try {
    const first = model.toJSON().layers[0];
    const ids = first.type === 'embedding';
    if (loaded.vocab && ids && loaded.vocab.size !== (first as { numEmbeddings: number }).numEmbeddings) {
      throw new CliError(`${loaded.sidecar!.path} has ${loaded.vocab.size} characters but the model's embedding has ${(first as { numEmbeddings: number }).numEmbeddings} rows`);
    }
    const charModel = ids && loaded.vocab !== undefined;
    if (!charModel) {
      for (const option of ['generate', 'prime', 'temperature', 'seed', 'keep-state'] as const) {
        if (values[option] !== undefined) {
          throw new UsageError(`--${option} is for character models; ${positionals[0]} has ${ids ? `no vocabulary (no ${sidecarPath(positionals[0])} beside it)` : 'numeric inputs'}`, 'run');
        }
      }
    }
    if (charModel) {
      const vocab = loaded.vocab!;
      if (columns) throw new UsageError('--columns is for CSV input to numeric models', 'run');
      if (input === undefined) return await generateText(model, vocab, { length: generate ?? 200, prime: prime ?? '', temperature, seed });
      if (prime !== undefined) throw new UsageError('--prime and --input do not go together: with --input, each line is the prompt', 'run');
      if (generate !== undefined) return await completeLines(model, vocab, input, { length: generate, temperature, seed, keepState: values['keep-state'] === true });
      return await score(model, vocab, input);
    }
    return await runRows(loaded, input ?? '-', { ids, precision, outputMode, columns });
  } finally {
    model.dispose();
  }
}

/** The prime, then `length` sampled characters, each written as soon as it is drawn. */
export async function generateText(model: Sequential, vocab: Vocabulary, { length, prime, temperature, seed }:
  { length: number; prime: string; temperature: number; seed: number }): Promise<number> {
  const stream = model.stream({ reuseOutput: true });
  try {
    await write(prime);
    for await (const piece of sampleText(stream, vocab, { length, prime, temperature, seed })) await write(piece);
    if (process.stdout.isTTY) await write('\n');
  } finally {
    stream.dispose();
  }
  return 0;
}

/**
 * Characters sampled after the prime, in small pieces (one per character on a terminal, larger
 * in a pipe). The state starts at zero; the prime's characters but the last are read in one
 * steps() call, and every later step feeds back the character just drawn.
 */
export async function* sampleText(stream: Stream, vocab: Vocabulary, { length, prime, temperature, seed, piece = process.stdout.isTTY ? 1 : 256 }:
  { length: number; prime: string; temperature: number; seed: number; piece?: number }): AsyncGenerator<string> {
  const rand = random(seed);
  const ids = vocab.encode(prime);
  stream.reset();
  let last = ids.length ? ids[ids.length - 1] : 0;
  if (ids.length > 1) stream.steps(ids.subarray(0, ids.length - 1), ids.length - 1);
  let text = '';
  for (let i = 0; i < length; i++) {
    last = sample(stream.step(Int32Array.of(last)), temperature, rand);
    text += vocab.decode(last);
    if (text.length >= piece) { yield text; text = ''; }
  }
  if (text) yield text;
}

async function completeLines(model: Sequential, vocab: Vocabulary, input: string, options: { length: number; temperature: number; seed: number; keepState: boolean }): Promise<number> {
  const stream = model.stream({ reuseOutput: true });
  const rand = random(options.seed);
  try {
    for await (const line of lines(input)) {
      if (!options.keepState) stream.reset();
      const ids = vocab.encode(line);
      await write(line);
      if (ids.length === 0 && !options.keepState) { await write('\n'); continue; }
      if (ids.length > 1) stream.steps(ids.subarray(0, ids.length - 1), ids.length - 1);
      let last = ids.length ? ids[ids.length - 1] : 0;
      let text = '';
      for (let i = 0; i < options.length; i++) {
        last = sample(stream.step(Int32Array.of(last)), options.temperature, rand);
        text += vocab.decode(last);
      }
      await write(`${text}\n`);
    }
  } finally {
    stream.dispose();
  }
  return 0;
}

/** Bits/char of each line (its characters and its newline), the text read as one document. */
async function score(model: Sequential, vocab: Vocabulary, input: string): Promise<number> {
  const stream = model.stream({ reuseOutput: true });
  const newline = vocab.encode('\n');
  let prev = newline.length ? newline[0] : 0;      // the document starts as after a line end
  let total = 0, count = 0;
  try {
    for await (const line of lines(input)) {
      const ids = vocab.encode(`${line}\n`);
      if (ids.length === 0) continue;
      let bits = 0;
      for (const id of ids) {
        const logits = stream.step(Int32Array.of(prev));
        bits += crossEntropyRow(logits, 0, logits.length, id) / Math.LN2;
        prev = id;
      }
      total += bits; count += ids.length;
      await write(`${(bits / ids.length).toFixed(3)}\t${line}\n`);
    }
  } finally {
    stream.dispose();
  }
  if (count === 0) throw new CliError(`${input === '-' ? 'stdin' : input}: no text to score`);
  process.stderr.write(`${count} characters, ${(total / count).toFixed(4)} bits/char\n`);
  return 0;
}

/** One CSV row (or one token id) per step → one output row per step. */
async function runRows(loaded: LoadedModel, input: string, { ids, precision, outputMode, columns }:
  { ids: boolean; precision: number; outputMode: 'values' | 'argmax'; columns?: number[] }): Promise<number> {
  const { model } = loaded;
  const description = model.toJSON();
  const bidirectional = description.layers.some((l) => (l as { bidirectional?: boolean }).bidirectional === true);
  const stream = bidirectional ? undefined : model.stream({ reuseOutput: true });
  const width = ids ? 1 : inputSize(model);
  const where = input === '-' ? 'stdin' : input;
  const format = (y: Float32Array, from = 0, n = y.length) => {
    if (outputMode === 'argmax') {
      let best = from;
      for (let k = from + 1; k < from + n; k++) if (y[k] > y[best]) best = k;
      return `${best - from}\n`;
    }
    let s = '';
    for (let k = from; k < from + n; k++) s += (k > from ? ',' : '') + formatNumber(y[k], precision);
    return `${s}\n`;
  };
  const held: number[] = [];            // a bidirectional model needs the whole sequence
  let lineNo = 0, rows = 0;
  try {
    for await (const line of lines(input)) {
      lineNo++;
      if (line.trim() === '' || line.startsWith('#')) continue;
      const row = parseRow(line, `${where}, line ${lineNo}`, columns);
      if (row === undefined) {
        if (rows === 0) continue;        // a header
        throw new CliError(`${where}, line ${lineNo}: expected numbers, got '${line.slice(0, 40)}'`);
      }
      if (row.length !== width) {
        throw new CliError(`${where}, line ${lineNo}: expected ${width} value${width > 1 ? 's' : ''} (the model's ${ids ? 'token id' : 'input size'}), got ${row.length}` +
          (columns ? '' : '; --columns picks the input columns'));
      }
      rows++;
      if (ids) {
        const limit = (description.layers[0] as { numEmbeddings: number }).numEmbeddings;
        if (!Number.isInteger(row[0]) || row[0] < 0 || row[0] >= limit) throw new CliError(`${where}, line ${lineNo}: token id ${row[0]} is not an integer in [0, ${limit})`);
      }
      if (!stream) { held.push(...row); continue; }
      const y = stream.step(ids ? Int32Array.from(row) : Float32Array.from(row));
      await write(format(y));
    }
    if (!stream && rows > 0) {
      const x = ids ? Int32Array.from(held) : Float32Array.from(held);
      const { output } = model.forward(x, { seqLen: rows, batch: 1 });
      const F = output.length / rows;
      for (let t = 0; t < rows; t++) await write(format(output, t * F, F));
    }
  } finally {
    stream?.dispose();
  }
  if (rows === 0) throw new CliError(`${where}: no rows of numbers to run`);
  return 0;
}

/** Features per step of the model's first layer. */
export function inputSize(model: Sequential): number {
  const first = model.toJSON().layers[0] as { type: string; inputSize?: number; inFeatures?: number };
  return first.type === 'linear' ? first.inFeatures! : first.type === 'embedding' ? 1 : first.inputSize!;
}
