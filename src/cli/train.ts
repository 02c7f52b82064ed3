// recur train MODEL --data FILE: trains a new model, or fine-tunes MODEL if it exists, with
// recur's Trainer (Adam, gradient clipping, full or truncated BPTT), and saves it with saveModel.
//
// Data: a text file trains a character model (embedding → recurrent → linear over the
// vocabulary, cross-entropy on the next character); a CSV file a numeric one (recurrent →
// linear, mean squared error on the next row, or on the last --targets columns).
//
// Each step is a batch of windows drawn at random from the data by a generator seeded with
// (seed, step), so the data a step sees depends only on its number: a run resumed from a
// checkpoint sees exactly the batches the uninterrupted run would have, and ends with the same
// weights. Checkpoints are the Trainer's (weights, Adam moments, counts) with this command's own
// state added to the metadata under "cli", written atomically (temporary file, fsync, rename).

import {
  Sequential, loadModel, parseSafetensors, saveModel, serializeSafetensors,
  type LayerDescription, type SaveDtype, type SequentialDescription,
} from '../node/index.js';
import { Trainer } from '../train/index.js';
import { CliError, UsageError, choiceOption, intOption, numberOption, stringOption, type CommandSpec, type Parsed } from './args.js';
import { bytes, count, modelSummary } from './describe.js';
import { exists, inFile, loadAnyModel, readBytes, readText, sidecarPath, writeBytes, writeSidecar } from './files.js';
import { parseRow } from './io.js';
import { diagnosticsLines } from './memory.js';
import { Progress, duration } from './progress.js';
import { Vocabulary, bitsPerChar, random } from './text.js';

export const spec: CommandSpec = {
  name: 'train',
  positionals: ['MODEL'],
  options: {
    data: { type: 'string', short: 'd' },
    valid: { type: 'string' },
    format: { type: 'string' },
    epochs: { type: 'string' },
    steps: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    tbptt: { type: 'string' },
    clip: { type: 'string' },
    schedule: { type: 'string' },
    cell: { type: 'string' },
    hidden: { type: 'string' },
    layers: { type: 'string' },
    embed: { type: 'string' },
    vocab: { type: 'string' },
    targets: { type: 'string' },
    seed: { type: 'string' },
    dtype: { type: 'string' },
    out: { type: 'string', short: 'o' },
    checkpoint: { type: 'string', short: 'c' },
    'checkpoint-every': { type: 'string' },
    resume: { type: 'boolean' },
    'log-every': { type: 'string' },
    diagnostics: { type: 'string' },
    'recurrent-init': { type: 'string' },
    'forget-bias': { type: 'string' },
    chrono: { type: 'string' },
    dilation: { type: 'string' },
    leak: { type: 'string' },
    'learn-leak': { type: 'boolean' },
  },
};

export const help = `Usage: recur train MODEL --data FILE [options]

Trains MODEL on FILE with Adam and saves it to MODEL (or --out). If MODEL exists it is
fine-tuned; otherwise a new model is made from the options below. A text file (.txt) trains a
character model to predict the next character; its vocabulary is saved beside MODEL as
<name>.json. A CSV file (.csv) trains a numeric model to predict the next row (or --targets).

  -d, --data FILE        training data (required)
      --valid FILE       held-out data of the same kind: its loss is measured at the end
      --format text|csv  how to read --data (default: csv for .csv files, else text)
      --epochs N         passes over the data (default 1); a pass is length / (batch × seq) steps
      --steps N          train this many steps instead (counting steps before a resume)
      --lr X             learning rate (default 0.002)
      --schedule constant|cosine   learning rate over the run (cosine: down to lr/10)
      --batch B          windows per step (default 32)
      --seq T            characters or rows per window (default 64)
      --tbptt K          truncated BPTT: an update every K steps of each window
      --clip X           clip the gradient norm to X (default 1; 0: no clipping)
      --seed S           seed of the weights and of the data order (default 1)

New models:
      --cell lstm|gru|rnn   (default lstm)
      --hidden H         hidden units (default 128)
      --layers L         stacked recurrent layers (default 1)
      --embed E          character models: embedding size (default 32)
      --vocab ascii|FILE character models: printable ASCII and newline, or the characters of
                         FILE (default: the characters of --data)
      --targets N        CSV: the last N columns are the targets, the rest the inputs
                         (default: every column, predicting the next row)
      --recurrent-init uniform|orthogonal|identity   W_hh: PyTorch's U(-1/√H, 1/√H) (default),
                         orthogonal gate blocks (Saxe et al. 2014), or identity with zero
                         biases for --cell rnn (IRNN, Le et al. 2015)
      --forget-bias X    LSTM: the forget gate's bias (Jozefowicz et al. 2015 use 1)
      --chrono T         LSTM/GRU: chrono initialisation of the gate biases for dependencies of
                         up to T steps (Tallec & Ollivier 2018)
      --dilation D[,D…]  skip connections through time: layer l's step t reads h_{t−D_l}
                         (Chang et al. 2017); one D for every layer or one per layer
      --leak A           leaky units: h_t = (1 − A)·h_prev + A·cell(…), A in (0, 1]
      --learn-leak       learn each unit's leak rate (from --leak, default 0.5)

Saving:
  -o, --out PATH         where to save (default MODEL)
      --dtype f32|f16|int8   how to store the weights (default: as MODEL was, else f32)
  -c, --checkpoint PATH  save a checkpoint here every --checkpoint-every steps (default 100),
                         at the end and on Ctrl-C
      --resume           continue from --checkpoint if it exists (same data order, same result)
      --log-every N      without a terminal: a progress line every N steps (default: 20 lines)
      --diagnostics N    every N steps, diagnostics of memory: how far back ‖∂L/∂h_t‖ reaches,
                         gate saturation, mean forget gate, spectra of W_hh (not with --tbptt)
  -h, --help             this text

Example:
  recur train my.safetensors --data models/data/jargon-train.txt --valid models/data/jargon-valid.txt \\
    --hidden 128 --steps 2000 --checkpoint my.ckpt --resume`;

/** What a checkpoint records about the run, beside the Trainer's state. */
interface RunState {
  step: number; steps: number; seed: number; seq: number; batch: number; tbptt?: number;
  format: 'text' | 'csv'; targets?: number; dtype: SaveDtype; vocab?: { vocab: string; unknown: string | null };
  lr: number; clip: number; schedule: 'constant' | 'cosine'; trainerUpdates: number;
}

type Data =
  | { format: 'text'; ids: Int32Array; vocab: Vocabulary; skipped: number }
  | { format: 'csv'; rows: Float32Array; count: number; columns: number; inputs: number; outputs: number; nextRow: boolean };

export async function train({ positionals, values }: Parsed): Promise<number> {
  const modelPath = positionals[0];
  const dataPath = stringOption(values, 'data');
  if (dataPath === undefined) throw new UsageError('--data FILE is required (a text file, or a CSV of numbers)', 'train');
  const outPath = stringOption(values, 'out') ?? modelPath;
  const checkpointPath = stringOption(values, 'checkpoint');
  const checkpointEvery = intOption(values, 'checkpoint-every', { min: 1, fallback: 100 })!;
  if (values.resume && checkpointPath === undefined) throw new UsageError('--resume needs --checkpoint PATH (the checkpoint to continue from)', 'train');
  const logEvery = intOption(values, 'log-every', { min: 1 });
  const diagnosticsEvery = intOption(values, 'diagnostics', { min: 1 });

  // A checkpoint to resume from fixes everything that decides the result.
  let resumeBytes: Uint8Array | undefined;
  let saved: RunState | undefined;
  let savedModel: SequentialDescription | undefined;
  if (values.resume && await exists(checkpointPath!)) {
    resumeBytes = await readBytes(checkpointPath!, 'checkpoint');
    ({ state: saved, model: savedModel } = readRunState(resumeBytes, checkpointPath!));
    // The command the user ran first may be rerun as it was: an option given again with the value
    // the checkpoint recorded is fine; only a change is refused.
    const fixed = fixedByCheckpoint(saved, savedModel);
    for (const option of ['seq', 'batch', 'tbptt', 'seed', 'format', 'targets', 'cell', 'hidden', 'layers', 'embed', 'vocab', 'recurrent-init', 'forget-bias', 'chrono', 'dilation', 'leak', 'learn-leak'] as const) {
      if (values[option] === undefined) continue;
      const given = option === 'vocab' ? await vocabularyOption(stringOption(values, 'vocab')!)
        : option === 'dilation' ? dilationText(dilationOption(values, Number.MAX_SAFE_INTEGER)!)
          : option === 'format' || option === 'cell' || option === 'recurrent-init' || option === 'learn-leak' ? String(values[option]) : String(Number(values[option]));
      if (given !== fixed[option]) {
        throw new UsageError(`--${option} cannot change when resuming: ${checkpointPath} fixes it${fixed[option] === undefined || option === 'vocab' ? '' : ` at ${fixed[option]}`}; drop --${option}, or drop --resume to start afresh`, 'train');
      }
    }
  } else if (values.resume) {
    process.stderr.write(`no checkpoint at ${checkpointPath} yet: starting at step 0\n`);
  }

  const format = saved?.format ?? choiceOption(values, 'format', ['text', 'csv'] as const, /\.(csv|tsv)$/i.test(dataPath) ? 'csv' : 'text')!;
  const seq = saved?.seq ?? intOption(values, 'seq', { min: 1, fallback: 64 })!;
  const batch = saved?.batch ?? intOption(values, 'batch', { min: 1, fallback: 32 })!;
  const tbptt = saved ? saved.tbptt : intOption(values, 'tbptt', { min: 1 });
  const seed = saved?.seed ?? intOption(values, 'seed', { min: 0, max: 2 ** 31 - 1, fallback: 1 })!;
  const lr = numberOption(values, 'lr', { positive: true, float32: true }) ?? saved?.lr ?? 2e-3;
  const clip = numberOption(values, 'clip', { min: 0 }) ?? saved?.clip ?? 1;
  const schedule = choiceOption(values, 'schedule', ['constant', 'cosine'] as const) ?? saved?.schedule ?? 'constant';
  const cell = choiceOption(values, 'cell', ['lstm', 'gru', 'rnn'] as const, 'lstm')!;
  const hidden = intOption(values, 'hidden', { min: 1, max: 65536, fallback: 128 })!;
  const layers = intOption(values, 'layers', { min: 1, max: 64, fallback: 1 })!;
  const embed = intOption(values, 'embed', { min: 1, max: 65536, fallback: 32 })!;
  const init = {
    recurrentInit: choiceOption(values, 'recurrent-init', ['uniform', 'orthogonal', 'identity'] as const),
    forgetBias: numberOption(values, 'forget-bias', {}),
    chronoMaxLength: numberOption(values, 'chrono', { min: 3 }),
    dilation: dilationOption(values, layers),
    leak: numberOption(values, 'leak', { positive: true }),
    learnLeak: values['learn-leak'] === true ? true : undefined,
  };
  if (init.leak !== undefined && !(init.leak <= (init.learnLeak ? 1 - 1e-6 : 1))) {
    throw new UsageError(`--leak ${init.leak}: ${init.learnLeak ? 'the initial rate must be below 1 with --learn-leak' : 'a rate in (0, 1]'}`, 'train');
  }
  if (tbptt !== undefined && init.dilation !== undefined && [init.dilation].flat().some((d) => d > 1)) {
    throw new UsageError('--dilation needs full BPTT (a dilated layer carries its last D states between segments): drop --tbptt', 'train');
  }
  if (init.recurrentInit === 'identity' && cell !== 'rnn') throw new UsageError(`--recurrent-init identity is IRNN's, for --cell rnn; use orthogonal for --cell ${cell}`, 'train');
  if (init.forgetBias !== undefined && cell !== 'lstm') throw new UsageError(`--forget-bias is for --cell lstm (a ${cell} has no forget gate)`, 'train');
  if (init.chronoMaxLength !== undefined && cell === 'rnn') throw new UsageError('--chrono sets gate biases: for --cell lstm or gru', 'train');
  if (init.chronoMaxLength !== undefined && init.forgetBias !== undefined) throw new UsageError('give --forget-bias or --chrono, not both', 'train');
  const targets = saved ? saved.targets : intOption(values, 'targets', { min: 1 });
  if (tbptt !== undefined && tbptt > seq) throw new UsageError(`--tbptt ${tbptt} is longer than --seq ${seq}`, 'train');
  if (format === 'text' && targets !== undefined) throw new UsageError('--targets is for CSV data', 'train');

  // The model: from the checkpoint, from MODEL if it exists, or new.
  const fineTune = !saved && await exists(modelPath);
  if (fineTune) {
    for (const option of ['cell', 'hidden', 'layers', 'embed', 'vocab', 'recurrent-init', 'forget-bias', 'chrono', 'dilation', 'leak', 'learn-leak'] as const) {
      if (values[option] !== undefined) throw new UsageError(`--${option} describes a new model, but ${modelPath} exists and will be fine-tuned; give another MODEL path to train a new one`, 'train');
    }
  }
  let model: Sequential;
  let vocab: Vocabulary | undefined;
  let dtype: SaveDtype;
  if (saved) {
    model = await createChecked(savedModel!, checkpointPath!);
    vocab = saved.vocab ? Vocabulary.fromJSON(saved.vocab, checkpointPath!) : undefined;
    dtype = choiceOption(values, 'dtype', ['f32', 'f16', 'int8'] as const) ?? saved.dtype;
  } else if (fineTune) {
    const loaded = await loadAnyModel(modelPath);
    model = loaded.model;
    vocab = loaded.vocab;
    dtype = choiceOption(values, 'dtype', ['f32', 'f16', 'int8'] as const) ?? loaded.dtype;
    if (format === 'text' && !vocab) {
      model.dispose();
      throw new CliError(`${modelPath} has no vocabulary beside it (${sidecarPath(modelPath)}), so it cannot be trained on text`);
    }
  } else {
    dtype = choiceOption(values, 'dtype', ['f32', 'f16', 'int8'] as const, 'f32')!;
    model = undefined!;
  }

  try {
    const text = format === 'text' ? await readText(dataPath, 'training data') : undefined;
    if (format === 'text' && !vocab) {
      const v = stringOption(values, 'vocab');
      vocab = v === 'ascii' ? asciiVocabulary() : v !== undefined ? Vocabulary.fromText(await readText(v, 'vocabulary text')) : Vocabulary.fromText(text!);
    }
    const data: Data = format === 'text'
      ? encodeText(text!, vocab!, dataPath)
      : await readCsv(dataPath, targets);
    if (!model) model = await newModel(data, { cell, hidden, layers, embed, seed, init });
    checkFits(model, data, fineTune ? modelPath : undefined);

    const windowLength = data.format === 'text' || data.nextRow ? seq + 1 : seq;
    const length = data.format === 'text' ? data.ids.length : data.count;
    if (length < windowLength) {
      throw new CliError(`${dataPath} has ${length} ${data.format === 'text' ? 'characters' : 'rows'}; --seq ${seq} needs at least ${windowLength}`);
    }
    const perEpoch = Math.max(1, Math.floor(length / (seq * batch)));
    const epochs = intOption(values, 'epochs', { min: 1 });
    const steps = intOption(values, 'steps', { min: 1 }) ?? (epochs !== undefined ? epochs * perEpoch : saved?.steps ?? perEpoch);
    const updatesPerStep = tbptt ? Math.ceil(seq / tbptt) : 1;

    const trainer = new Trainer(model, {
      loss: data.format === 'text' ? 'crossEntropy' : 'mse', optimizer: 'adam', lr,
      ...(clip > 0 ? { clipNorm: clip } : {}),
      ...(tbptt ? { tbptt: { stepsPerUpdate: tbptt } } : {}),
      ...(schedule === 'cosine' ? { schedule: (u: number, base: number) => base * (0.1 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, u / (steps * updatesPerStep))))) } : {}),
    });
    try {
      let step = 0;
      if (saved) {
        try { trainer.loadCheckpoint(resumeBytes!); } catch (err) { throw inFile(err, checkpointPath!); }
        if (values.lr !== undefined) trainer.optimizer.lr = lr;
        step = saved.step;
        process.stderr.write(`resuming from ${checkpointPath} at step ${step} of ${steps}\n`);
      }
      const state = (): RunState => ({
        step, steps, seed, seq, batch, ...(tbptt ? { tbptt } : {}), format, ...(targets ? { targets } : {}), dtype,
        ...(vocab ? { vocab: vocab.toJSON() } : {}), lr, clip, schedule, trainerUpdates: trainer.stepCount,
      });
      const saveCheckpoint = async () => {
        if (checkpointPath === undefined) return;
        await writeBytes(checkpointPath, withRunState(trainer.saveCheckpoint(), state()), 'checkpoint');
      };

      const where = fineTune ? `fine-tuning ${modelPath}` : `new model`;
      process.stderr.write(`${where}: ${modelSummary(model.toJSON().layers)}, ${count(model.parameterCount)} parameters; ` +
        `${data.format === 'text' ? `${count(data.ids.length)} characters, vocabulary ${vocab!.size}` : `${count(data.count)} rows of ${data.columns}`}; ` +
        `batch ${batch} × seq ${seq}${tbptt ? `, tbptt ${tbptt}` : ''}, ${steps - step} steps\n`);
      if (data.format === 'text' && data.skipped) {
        process.stderr.write(`note: ${count(data.skipped)} characters of ${dataPath} are not in the vocabulary and were ${vocab!.unknownId === undefined ? 'skipped' : `read as ${JSON.stringify(vocab!.decode(vocab!.unknownId))}`}\n`);
      }

      // Ctrl-C: finish the step, save, exit 130. A second Ctrl-C exits at once.
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) process.exit(130);
        interrupted = true;
      };
      process.on('SIGINT', onSigint);
      const progress = new Progress(process.stderr, process.stderr.isTTY === true, logEvery ?? 0);
      const started = performance.now();
      const firstStep = step;
      let smoothed = NaN, skipped = 0;
      try {
        while (step < steps && !interrupted) {
          const { inputs, targets: y } = batchAt(data, step, { seed, seq, batch });
          const diagnostics = diagnosticsEvery !== undefined && (step + 1) % diagnosticsEvery === 0;
          const r = trainer.step(inputs, y, { seqLen: seq, batch, diagnostics });
          step++;
          if (r.diagnostics) progress.note(diagnosticsLines(step, r.diagnostics).join('\n'));
          if (r.skipped) skipped++;
          if (Number.isFinite(r.loss)) smoothed = Number.isNaN(smoothed) ? r.loss : 0.95 * smoothed + 0.05 * r.loss;
          const stepsPerSecond = (step - firstStep) / ((performance.now() - started) / 1000);
          progress.update({ step, total: steps, loss: smoothed, stepsPerSecond, extra: data.format === 'text' ? `${(smoothed / Math.LN2).toFixed(3)} bits/char` : undefined });
          if (step % checkpointEvery === 0 && step < steps) await saveCheckpoint();
          await new Promise((resolve) => setImmediate(resolve));   // lets Ctrl-C through
        }
      } finally {
        process.off('SIGINT', onSigint);
        progress.end();
      }
      await saveCheckpoint();
      const seconds = (performance.now() - started) / 1000;

      const file = saveModel(model, { dtype });
      await writeBytes(outPath, file, 'model file');
      if (vocab) await writeSidecar(outPath, vocab.toJSON());
      process.stderr.write(`${interrupted ? `interrupted at step ${step} of ${steps}; ` : ''}${step - firstStep} steps in ${duration(seconds)}` +
        ` (${((step - firstStep) / Math.max(seconds, 1e-9)).toFixed(1)} steps/s), loss ${smoothed.toFixed(4)}${skipped ? `, ${skipped} steps skipped (non-finite)` : ''}\n`);
      process.stderr.write(`saved ${outPath} (${dtype}, ${bytes(file.byteLength)})${vocab ? ` and its vocabulary ${sidecarPath(outPath)}` : ''}` +
        `${checkpointPath ? `; checkpoint ${checkpointPath}` : ''}\n`);
      if (interrupted) {
        if (checkpointPath) process.stderr.write(`continue with the same command and --resume\n`);
        return 130;
      }

      const validPath = stringOption(values, 'valid');
      if (validPath !== undefined) {
        // Measured on the weights as saved (f16 and int8 round them).
        const saved = dtype === 'f32' ? model : await loadModel(file);
        try { await validate(validPath, data, vocab, saved, targets); } finally { if (saved !== model) saved.dispose(); }
      }
    } finally {
      trainer.dispose();
    }
  } finally {
    model?.dispose();
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Data

export function asciiVocabulary(): Vocabulary {
  return new Vocabulary(Array.from('\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')), ' ');
}

function encodeText(text: string, vocab: Vocabulary, path: string): Data {
  let skipped = 0;
  for (const c of text) if (!vocab.has(c)) skipped++;
  const ids = vocab.encode(text);
  if (ids.length === 0) throw new CliError(`${path}: no text to train on`);
  return { format: 'text', ids, vocab, skipped };
}

async function readCsv(path: string, targets: number | undefined): Promise<Data> {
  const text = await readText(path, 'training data');
  const rows: number[][] = [];
  let lineNo = 0;
  for (const line of text.split(/\r?\n/)) {
    lineNo++;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const row = parseRow(line, `${path}, line ${lineNo}`);
    if (row === undefined) {
      if (rows.length === 0) continue;
      throw new CliError(`${path}, line ${lineNo}: expected numbers, got '${line.slice(0, 40)}'`);
    }
    if (rows.length && row.length !== rows[0].length) throw new CliError(`${path}, line ${lineNo}: ${row.length} values, but the first row has ${rows[0].length}`);
    rows.push(row);
  }
  if (rows.length === 0) throw new CliError(`${path}: no rows of numbers`);
  const columns = rows[0].length;
  if (targets !== undefined && targets >= columns) throw new UsageError(`--targets ${targets} leaves no input columns: ${path} has ${columns}`, 'train');
  const flat = new Float32Array(rows.length * columns);
  rows.forEach((r, i) => flat.set(r, i * columns));
  return targets === undefined
    ? { format: 'csv', rows: flat, count: rows.length, columns, inputs: columns, outputs: columns, nextRow: true }
    : { format: 'csv', rows: flat, count: rows.length, columns, inputs: columns - targets, outputs: targets, nextRow: false };
}

/**
 * The batch of step `step`: `batch` windows at starts drawn from random(seed, step), laid out
 * [seq, batch(, features)] as Trainer.step takes them.
 */
export function batchAt(data: Data, step: number, { seed, seq, batch }: { seed: number; seq: number; batch: number }): { inputs: Int32Array | Float32Array; targets: Int32Array | Float32Array } {
  const rand = random((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca77)) >>> 0);
  if (data.format === 'text') {
    const inputs = new Int32Array(seq * batch), targets = new Int32Array(seq * batch);
    const span = data.ids.length - seq;             // starts 0 … length − seq − 1
    for (let b = 0; b < batch; b++) {
      const start = Math.floor(rand() * span);
      for (let t = 0; t < seq; t++) {
        inputs[t * batch + b] = data.ids[start + t];
        targets[t * batch + b] = data.ids[start + t + 1];
      }
    }
    return { inputs, targets };
  }
  const { rows, columns: C, inputs: I, outputs: O, nextRow } = data;
  const inputs = new Float32Array(seq * batch * I), targets = new Float32Array(seq * batch * O);
  const span = data.count - seq - (nextRow ? 1 : 0) + 1;
  for (let b = 0; b < batch; b++) {
    const start = Math.floor(rand() * span);
    for (let t = 0; t < seq; t++) {
      const row = (start + t) * C, at = t * batch + b;
      if (nextRow) {
        inputs.set(rows.subarray(row, row + C), at * I);
        targets.set(rows.subarray(row + C, row + 2 * C), at * O);
      } else {
        inputs.set(rows.subarray(row, row + I), at * I);
        targets.set(rows.subarray(row + I, row + C), at * O);
      }
    }
  }
  return { inputs, targets };
}

// ---------------------------------------------------------------------------------------------
// Models

async function newModel(data: Data, { cell, hidden, layers, embed, seed, init }: {
  cell: 'lstm' | 'gru' | 'rnn'; hidden: number; layers: number; embed: number; seed: number;
  init: { recurrentInit?: string; forgetBias?: number; chronoMaxLength?: number; dilation?: number | number[]; leak?: number; learnLeak?: boolean };
}): Promise<Sequential> {
  const options = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined));
  const recurrent = (inputSize: number) => ({ name: cell, type: cell, inputSize, hiddenSize: hidden, numLayers: layers, ...options, seed: seed + 1 }) as LayerDescription;
  const description: SequentialDescription = data.format === 'text'
    ? { layers: [
      { name: 'embed', type: 'embedding', numEmbeddings: data.vocab.size, embeddingDim: embed, seed },
      recurrent(embed),
      { name: 'head', type: 'linear', inFeatures: hidden, outFeatures: data.vocab.size, seed: seed + 2 }] }
    : { layers: [recurrent(data.inputs), { name: 'head', type: 'linear', inFeatures: hidden, outFeatures: data.outputs, seed: seed + 2 }] };
  return Sequential.create(description);
}

/** What a checkpoint fixes, as the options would spell it (the vocabulary as its JSON). */
function fixedByCheckpoint(state: RunState, model: SequentialDescription): Record<string, string | undefined> {
  const layers = model.layers as unknown as Record<string, unknown>[];
  const recurrent = layers.find((l) => l.type === 'lstm' || l.type === 'gru' || l.type === 'rnn');
  const embedding = layers.find((l) => l.type === 'embedding');
  const text = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    seq: text(state.seq), batch: text(state.batch), tbptt: text(state.tbptt), seed: text(state.seed), format: state.format,
    targets: text(state.targets), cell: text(recurrent?.type), hidden: text(recurrent?.hiddenSize),
    layers: text(recurrent?.numLayers ?? 1), embed: text(embedding?.embeddingDim),
    vocab: state.vocab ? JSON.stringify(state.vocab) : undefined,
    'recurrent-init': text(recurrent?.recurrentInit ?? 'uniform'), 'forget-bias': text(recurrent?.forgetBias),
    chrono: text(recurrent?.chronoMaxLength),
    dilation: dilationText((recurrent?.dilation as number | number[] | undefined) ?? 1), leak: text(recurrent?.leak),
    'learn-leak': text(recurrent?.learnLeak ?? false),
  };
}

/** --dilation D or D,D,…: one skip length for every layer, or one per layer (`layers` of them). */
function dilationOption(values: Parsed['values'], layers: number): number | number[] | undefined {
  const raw = stringOption(values, 'dilation');
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((d) => Number(d.trim()));
  if (list.some((d) => !Number.isInteger(d) || d < 1 || d > 65536)) throw new UsageError(`--dilation ${raw}: skip lengths are integers from 1 to 65536`, 'train');
  if (list.length > 1 && list.length !== layers && layers !== Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`--dilation ${raw} gives ${list.length} lengths for ${layers} layer${layers > 1 ? 's' : ''}: give one, or one per layer`, 'train');
  }
  return list.length === 1 ? list[0] : list;
}

/** A dilation as a model file records it: one number when every layer has the same. */
function dilationText(d: number | number[]): string {
  const list = [d].flat();
  return list.every((v) => v === list[0]) ? String(list[0]) : list.join(',');
}

/** --vocab ascii|FILE as the vocabulary's JSON, to compare with a checkpoint's. */
async function vocabularyOption(v: string): Promise<string> {
  return JSON.stringify((v === 'ascii' ? asciiVocabulary() : Vocabulary.fromText(await readText(v, 'vocabulary text'))).toJSON());
}

async function createChecked(description: SequentialDescription, path: string): Promise<Sequential> {
  try {
    return await Sequential.create(description);
  } catch (err) {
    throw inFile(err, path);
  }
}

/** The data must match the model's input and output sizes. */
function checkFits(model: Sequential, data: Data, modelPath: string | undefined): void {
  const layers = model.toJSON().layers;
  const first = layers[0] as unknown as Record<string, number | string>, last = layers[layers.length - 1] as unknown as Record<string, number | string>;
  const name = modelPath ?? 'the model';
  if (data.format === 'text') {
    if (first.type !== 'embedding') throw new CliError(`${name} takes numeric inputs, not characters: train it on a CSV file`);
    if (first.numEmbeddings !== data.vocab.size) throw new CliError(`${name}'s embedding has ${first.numEmbeddings} rows but its vocabulary ${data.vocab.size} characters`);
    if (last.type === 'linear' && last.outFeatures !== data.vocab.size) throw new CliError(`${name} outputs ${last.outFeatures} values, not one per character of its vocabulary (${data.vocab.size})`);
    return;
  }
  if (first.type === 'embedding') throw new CliError(`${name} reads token ids: train it on text`);
  const inputs = first.type === 'linear' ? first.inFeatures : first.inputSize;
  const outputs = last.type === 'linear' ? last.outFeatures : (last.hiddenSize as number) * (last.bidirectional ? 2 : 1);
  if (inputs !== data.inputs) throw new CliError(`${name} takes ${inputs} inputs per step, but the data gives ${data.inputs}`);
  if (outputs !== data.outputs) throw new CliError(`${name} gives ${outputs} outputs per step, but the data has ${data.outputs} targets`);
}

// ---------------------------------------------------------------------------------------------
// Checkpoints: the Trainer's bytes plus "cli" metadata

function withRunState(checkpoint: Uint8Array, state: RunState): Uint8Array {
  const file = parseSafetensors(checkpoint);
  const tensors = Object.fromEntries(Object.entries(file.tensors).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: t.data }]));
  return serializeSafetensors(tensors, { ...file.metadata, cli: JSON.stringify(state) });
}

function readRunState(bytes: Uint8Array, path: string): { state: RunState; model: SequentialDescription } {
  let meta: Record<string, string>;
  try { meta = parseSafetensors(bytes).metadata; } catch (err) { throw inFile(err, path); }
  if (meta.format !== 'recur-checkpoint') throw new CliError(`${path} is not a recur training checkpoint`);
  let state: RunState, model: SequentialDescription;
  try {
    state = JSON.parse(meta.cli);
    model = JSON.parse(meta.model);
  } catch {
    throw new CliError(`${path} was not written by recur train (its metadata has no "cli" run state); it cannot be resumed here`);
  }
  if (!Number.isInteger(state?.step) || !Number.isInteger(state.seq) || !Number.isInteger(state.batch)) {
    throw new CliError(`${path}: its "cli" run state is malformed`);
  }
  return { state, model };
}

// ---------------------------------------------------------------------------------------------
// Validation

async function validate(path: string, data: Data, vocab: Vocabulary | undefined, model: Sequential, targets: number | undefined): Promise<void> {
  if (data.format === 'text') {
    const ids = vocab!.encode(await readText(path, 'validation data'));
    process.stderr.write(`validation: ${bitsPerChar(model, ids).toFixed(4)} bits/char on ${path} (${count(ids.length)} characters)\n`);
    return;
  }
  const valid = await readCsv(path, targets);
  if (valid.format !== 'csv' || valid.columns !== data.columns) throw new CliError(`${path} has ${valid.format === 'csv' ? valid.columns : 0} columns, the training data ${data.columns}`);
  const T = valid.nextRow ? valid.count - 1 : valid.count;
  if (T < 1) throw new CliError(`${path}: too few rows to validate on`);
  const x = new Float32Array(T * valid.inputs), y = new Float32Array(T * valid.outputs);
  for (let t = 0; t < T; t++) {
    const r = t * valid.columns;
    if (valid.nextRow) { x.set(valid.rows.subarray(r, r + valid.columns), t * valid.inputs); y.set(valid.rows.subarray(r + valid.columns, r + 2 * valid.columns), t * valid.outputs); }
    else { x.set(valid.rows.subarray(r, r + valid.inputs), t * valid.inputs); y.set(valid.rows.subarray(r + valid.inputs, r + valid.columns), t * valid.outputs); }
  }
  const { output } = model.forward(x, { seqLen: T, batch: 1 });
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += (output[i] - y[i]) ** 2;
  process.stderr.write(`validation: mse ${(sum / y.length).toPrecision(4)} on ${path} (${count(T)} rows)\n`);
}
