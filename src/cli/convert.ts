// recur convert IN OUT and recur quantize IN OUT: any model recur reads → a recur model file
// (safetensors with the architecture in its metadata), stored as f32, f16 or int8. The
// vocabulary sidecar, if IN has one, is written beside OUT too.

import { loadModel, saveModel, type SaveDtype } from '../node/index.js';
import { CliError, UsageError, choiceOption, stringOption, type CommandSpec, type Parsed } from './args.js';
import { bytes, count, modelSummary } from './describe.js';
import { GraphOnlyError, exists, loadAnyModel, readText, sidecarPath, sileroHint, writeBytes, writeSidecar, type LoadedModel } from './files.js';
import { bitsPerChar } from './text.js';

const DTYPES = ['f32', 'f16', 'int8'] as const;

export const convertSpec: CommandSpec = {
  name: 'convert',
  positionals: ['IN', 'OUT'],
  options: { dtype: { type: 'string' }, 'drop-softmax': { type: 'boolean' }, force: { type: 'boolean' } },
};

export const convertHelp = `Usage: recur convert IN OUT [--dtype f32|f16|int8] [--force]

Converts a model to a recur model file (safetensors, architecture in its metadata). IN is an
.onnx file (torch.onnx.export of Embedding/LSTM/GRU/RNN/Linear stacks, or ONNX LSTM/GRU/RNN
graphs), a TensorFlow.js model.json (its weight files beside it), a PyTorch .safetensors state
dict (its architecture in IN's .json sidecar) or a recur model. The sidecar beside IN (a
vocabulary, a sensor model's calibration) is copied beside OUT. Other ONNX graphs (Silero VAD, a Conv before an LSTM, …) run on recur's
graph runtime (importOnnx from recur/onnx; recur inspect describes them) but are not chains of
layers, so they cannot become recur model files.

      --dtype D          f32 (default), f16 (half the size) or int8 (about a quarter)
      --drop-softmax     TensorFlow.js models ending in softmax: convert them as logits
      --force            overwrite OUT if it exists (without it, an existing OUT is an error)
  -h, --help             this text`;

export const quantizeSpec: CommandSpec = {
  name: 'quantize',
  positionals: ['IN', 'OUT'],
  options: { dtype: { type: 'string' }, eval: { type: 'string' }, force: { type: 'boolean' } },
};

export const quantizeHelp = `Usage: recur quantize IN OUT [--dtype int8|f16] [--eval TEXT] [--force]

Writes IN's weights in a smaller form. int8 (default): the matrices of recurrent and linear
layers as int8 with one f32 scale per row, computed on directly by recur's int8 kernels; f16:
every weight in half precision. The .json sidecar beside IN (a character model's vocabulary,
the sensor model's calibration) is copied beside OUT.

      --dtype D          int8 (default) or f16
      --eval TEXT        character models: the bits/char of TEXT before and after
      --force            overwrite OUT if it exists (without it, an existing OUT is an error)
  -h, --help             this text`;

export async function convert({ positionals, values }: Parsed): Promise<number> {
  const dtype = choiceOption(values, 'dtype', DTYPES, 'f32')!;
  await refuseExisting(positionals[1], values);
  let loaded: LoadedModel;
  try {
    loaded = await loadAnyModel(positionals[0], { dropSoftmax: values['drop-softmax'] === true });
  } catch (err) {
    if (!(err instanceof GraphOnlyError) || !err.runs) throw err;
    // Silero VAD and other graphs: recur runs them, but a recur model file is a stack of layers.
    throw new CliError(`${err.path}: not a chain of recur's layers, so it cannot become a recur model file, which holds layers only; ` +
      `recur runs this graph with importOnnx from recur/onnx${sileroHint(err.path, err.graph.inputs)}. The layer importer says: ${err.reason}`);
  }
  try {
    for (const note of loaded.notes) process.stderr.write(`note: ${note}\n`);
    await save(loaded, positionals[1], dtype);
  } finally {
    loaded.model.dispose();
  }
  return 0;
}

export async function quantizeCommand({ positionals, values }: Parsed): Promise<number> {
  const dtype = choiceOption(values, 'dtype', ['int8', 'f16'] as const, 'int8')!;
  const evalPath = stringOption(values, 'eval');
  await refuseExisting(positionals[1], values);
  const loaded = await loadAnyModel(positionals[0]);
  try {
    if (evalPath !== undefined && !loaded.vocab) {
      throw new UsageError(`--eval measures bits/char of a character model; ${positionals[0]} has no vocabulary beside it (${sidecarPath(positionals[0])})`, 'quantize');
    }
    const out = await save(loaded, positionals[1], dtype);
    if (evalPath !== undefined) {
      const ids = loaded.vocab!.encode(await readText(evalPath, 'evaluation text'));
      const quantized = await loadModel(out);
      try {
        const before = bitsPerChar(loaded.model, ids), after = bitsPerChar(quantized, ids);
        process.stdout.write(`bits/char on ${evalPath} (${count(ids.length)} characters): ${loaded.dtype} ${before.toFixed(4)}, ` +
          `${dtype} ${after.toFixed(4)} (${after >= before ? '+' : ''}${((after / before - 1) * 100).toFixed(2)}%)\n`);
      } finally {
        quantized.dispose();
      }
    }
  } finally {
    loaded.model.dispose();
  }
  return 0;
}

/** An existing OUT is kept unless --force: a typo in OUT must not replace someone's model. */
async function refuseExisting(outPath: string, values: Parsed['values']): Promise<void> {
  if (values.force !== true && await exists(outPath)) throw new CliError(`${outPath} already exists; pass --force to overwrite it`);
}

async function save(loaded: LoadedModel, outPath: string, dtype: SaveDtype): Promise<Uint8Array> {
  const out = saveModel(loaded.model, { dtype });
  await writeBytes(outPath, out, 'output file');
  const from = loaded.format === 'recur' ? `${loaded.dtype} ${bytes(loaded.bytes)}`
    : `${{ onnx: 'ONNX', tfjs: 'TensorFlow.js', pytorch: 'PyTorch' }[loaded.format]} ${bytes(loaded.bytes)}`;
  process.stdout.write(`${outPath}: ${modelSummary(loaded.model.toJSON().layers)}, ${count(loaded.model.parameterCount)} parameters, ` +
    `${dtype} ${bytes(out.byteLength)} (from ${from})\n`);
  if (loaded.sidecar && sidecarPath(outPath) !== loaded.sidecar.path) {
    // The architecture of a plain state dict is now in OUT itself.
    const { architecture: _architecture, ...rest } = loaded.sidecar.json;
    // A character model's sidecar is its vocabulary; others carry what their users need (the
    // sensor model's: errorScale, threshold, warmup), so say which keys went.
    if (Object.keys(rest).length) {
      const what = 'vocab' in rest ? 'its vocabulary' : `its sidecar (${Object.keys(rest).join(', ')})`;
      process.stdout.write(`${await writeSidecar(outPath, rest)}: ${what}\n`);
    }
  }
  return out;
}
