// Reading and writing the files the commands work on: model files of every format recur reads,
// the vocabulary sidecar beside a model, and the one-line errors for a file that is missing,
// unreadable or malformed.

import { constants } from 'node:fs';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  loadModel, parseSafetensors, writeFileAtomic, RecurError, RecurFormatError,
  type SafetensorsFile, type SaveDtype, type Sequential, type SequentialDescription,
} from '../node/index.js';
import type { GraphValue, OnnxSequential } from '../onnx/for-node.js';
import type { OnnxGraph } from '../onnx/onnx.js';
import { CliError } from './args.js';
import { looksLikeSilero } from './graph.js';
import { Vocabulary } from './text.js';

/** The file's bytes, or a CliError saying plainly why not. */
export async function readBytes(path: string, what = 'file'): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw fileError(err, path, what);
  }
}

export async function readText(path: string, what = 'file'): Promise<string> {
  return new TextDecoder().decode(await readBytes(path, what));
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Writes atomically (temporary file, fsync, rename), turning fs errors into one line. */
export async function writeBytes(path: string, bytes: Uint8Array, what = 'file'): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    throw fileError(err, path, what, 'write');
  }
}

export function fileError(err: unknown, path: string, what: string, verb = 'read'): Error {
  const code = (err as { code?: string }).code;
  const reasons: Record<string, string> = {
    ENOENT: verb === 'read' ? 'no such file' : 'its directory does not exist', EACCES: 'permission denied',
    EISDIR: 'it is a directory', ENOTDIR: 'a part of the path is not a directory', ENOSPC: 'no space left on the device',
    EROFS: 'the file system is read-only',
  };
  const reason = code && reasons[code];
  return reason ? new CliError(`cannot ${verb} ${what} '${path}': ${reason}`) : (err as Error);
}

// ---------------------------------------------------------------------------------------------
// The sidecar: <name>.json beside <name>.safetensors (vocabulary; architecture of a plain state dict)

export interface Sidecar {
  path: string;
  json: Record<string, unknown>;
  vocab?: Vocabulary;
  architecture?: SequentialDescription;
}

export function sidecarPath(modelPath: string): string {
  const ext = extname(modelPath);
  return ext === '.safetensors' || ext === '.onnx' ? modelPath.slice(0, -ext.length) + '.json' : `${modelPath}.json`;
}

export async function readSidecar(modelPath: string): Promise<Sidecar | undefined> {
  const path = sidecarPath(modelPath);
  if (path === modelPath || !(await exists(path))) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(await readText(path, 'vocabulary file'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CliError(`${path}: expected a JSON object like {"vocab": "…"}`);
  const o = json as Record<string, unknown>;
  const architecture = o.architecture as SequentialDescription | undefined;
  if (architecture !== undefined && !Array.isArray(architecture?.layers)) {
    throw new CliError(`${path}: "architecture" must be a Sequential description {"layers": [...]}`);
  }
  return { path, json: o, vocab: o.vocab === undefined ? undefined : Vocabulary.fromJSON(o, path), architecture };
}

/** Writes `<model>.json` with the vocabulary (and any other keys given). */
export async function writeSidecar(modelPath: string, json: Record<string, unknown>): Promise<string> {
  const path = sidecarPath(modelPath);
  await writeBytes(path, new TextEncoder().encode(`${JSON.stringify(json, null, 1)}\n`), 'vocabulary file');
  return path;
}

// ---------------------------------------------------------------------------------------------
// Model files

export type ModelFormat = 'recur' | 'pytorch' | 'onnx' | 'tfjs';

export interface LoadedModel {
  model: Sequential;
  path: string;
  format: ModelFormat;
  /** How the weights are stored in the file (f32 for ONNX and TensorFlow.js after import). */
  dtype: SaveDtype;
  bytes: number;
  vocab?: Vocabulary;
  sidecar?: Sidecar;
  /** What the user should know about the conversion (a dropped softmax, a last-step output, …). */
  notes: string[];
}

export interface LoadOptions {
  /** For TensorFlow.js: import a model ending in softmax as its logits. */
  dropSoftmax?: boolean;
}

/** What kind of model file this is, from its name and first bytes. */
export function detectFormat(path: string, bytes: Uint8Array): ModelFormat | 'checkpoint' | undefined {
  if (isSafetensors(bytes)) {
    try {
      const format = parseSafetensors(bytes).metadata.format;
      return format === 'recur' ? 'recur' : format === 'recur-checkpoint' ? 'checkpoint' : 'pytorch';
    } catch {
      return 'recur';          // malformed: let loadModel say what is wrong
    }
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (ext === '.json' || bytes[0] === 0x7b /* { */) return 'tfjs';
  if (ext === '.safetensors') return 'recur';
  return undefined;
}

function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 0n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/** How a safetensors file stores its weights: int8 if any matrix is I8, else f16 if any F16, else f32. */
export function fileDtype(file: SafetensorsFile): SaveDtype {
  const dtypes = new Set(Object.values(file.tensors).map((t) => t.dtype));
  return dtypes.has('I8') ? 'int8' : dtypes.has('F16') ? 'f16' : 'f32';
}

/** Any model file recur reads → a Sequential, with its vocabulary if a sidecar is beside it. */
export async function loadAnyModel(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const bytes = await readBytes(path, 'model file');
  const format = detectFormat(path, bytes);
  const sidecar = await readSidecar(path);
  const base = { path, bytes: bytes.byteLength, sidecar, vocab: sidecar?.vocab, notes: [] as string[] };
  try {
    switch (format) {
      case 'recur': case 'pytorch': {
        const architecture = format === 'pytorch' ? sidecar?.architecture : undefined;
        if (format === 'pytorch' && !architecture) {
          throw new CliError(`${path} is a plain PyTorch state dict with no architecture: put {"architecture": {"layers": [...]}} in ${sidecarPath(path)}` +
            ` (layers named after the module's attributes, e.g. {"name": "lstm", "type": "lstm", "inputSize": 32, "hiddenSize": 128})`);
        }
        const model = await loadModel(bytes, { architecture, maxBytes: Math.max(bytes.byteLength, 1) });
        return { ...base, model, format, dtype: fileDtype(parseSafetensors(bytes)) };
      }
      case 'onnx': return { ...base, ...(await loadOnnx(path, bytes)) };
      case 'tfjs': return { ...base, ...(await loadTfjs(path, bytes, options)) };
      case 'checkpoint':
        throw new CliError(`${path} is a training checkpoint, not a model: continue training with recur train MODEL --checkpoint ${path} --resume`);
      default:
        throw new CliError(`cannot tell what kind of model ${path} is: recur reads .safetensors (recur or PyTorch), .onnx and TensorFlow.js model.json files`);
    }
  } catch (err) {
    throw inFile(err, path);
  }
}

/** A RecurError about a file's contents, with the file named. */
export function inFile(err: unknown, path: string): unknown {
  if (err instanceof RecurError && !err.message.includes(path)) {
    const e = new CliError(`${path}: ${err.message}`);
    e.name = err.name;
    return e;
  }
  return err;
}

/** recur/onnx for Node (a separate chunk, loaded when an ONNX file is read). */
export async function onnxSupport(): Promise<typeof import('../onnx/for-node.js')> {
  try {
    return await import('../onnx/for-node.js');
  } catch {
    throw new CliError('ONNX support is not built into this recur (dist/onnx-node.js is missing); run npm run build');
  }
}

/** The inputs, outputs and state pairs recur's graph runtime sees in an ONNX file, and the graph it decoded. */
export interface GraphView {
  inputs: GraphValue[];
  outputs: GraphValue[];
  states: Record<string, string>;
  opset: number;
  /** OnnxGraphModel's decoded graph (a private field: recur inspect lists its nodes). */
  decoded?: OnnxGraph;
}

/** Whether recur's graph runtime could plan the graph: for which input shapes, or why not. */
export interface GraphTrial {
  /** The input shapes tried (declared sizes, and a guess for each size the file leaves open). */
  shapes?: Record<string, number[]>;
  /** Undefined when it planned; else the graph runtime's reason. */
  error?: string;
}

/**
 * An ONNX file that is not a chain of recur's layers, so it cannot become a Sequential or a recur
 * model file, though recur's graph runtime has every operator it uses (Silero VAD, a Conv before
 * an LSTM, …). `reason` is the layer importer's; `trial` says whether the graph runtime planned it
 * (runs it). When it did not, the message is the layer importer's, as for any other refusal.
 */
export class GraphOnlyError extends CliError {
  readonly reason: string;

  constructor(readonly path: string, layerError: Error, readonly graph: GraphView, readonly trial: GraphTrial) {
    const reason = layerError.message.replace(/^ONNX (graph|model): /, '');
    super(trial.error === undefined
      ? `${path}: not a chain of recur's layers, so not a recur model; recur runs this graph with importOnnx or loadOnnxGraph ` +
        `from recur/onnx${sileroHint(path, graph.inputs)}. The layer importer says: ${reason}`
      : `${path}: ${layerError.message}`);
    this.name = 'GraphOnlyError';
    this.reason = reason;
  }

  /** The graph runtime planned it: recur runs it, with importOnnx or loadOnnxGraph. */
  get runs(): boolean { return this.trial.error === undefined; }
}

export function sileroHint(path: string, inputs: { name: string }[]): string {
  return looksLikeSilero(inputs) ? `; for Silero VAD: recur vad AUDIO.wav --model ${path}` : '';
}

/**
 * Sizes to plan a graph for where its inputs' shapes are open: Silero VAD's frame (64 + 512
 * samples for v5/v6, 1536 for legacy) at batch 1; else a batch-like name (batch, N, B) 1 and
 * other sizes 8, then every open size 1, then 8.
 */
function trialShapes(inputs: GraphValue[]): Record<string, number[]>[] {
  const fill = (guess: (name: string | undefined, input: string, axis: number, rank: number) => number) =>
    Object.fromEntries(inputs.map((i) => [i.name, i.dims!.map((d, axis) => (typeof d === 'number' ? d : guess(d, i.name, axis, i.dims!.length)))]));
  if (looksLikeSilero(inputs)) {
    const frame = inputs.some((i) => i.name === 'state') ? 576 : 1536;
    return [fill((_, input, axis, rank) => (input === 'input' && axis === rank - 1 ? frame : 1))];
  }
  const batch = /^(batch|batch_size|n|b)$/i;
  return [fill((name) => (name !== undefined && batch.test(name) ? 1 : 8)), fill(() => 1), fill(() => 8)];
}

async function tryGraph(onnx: typeof import('../onnx/for-node.js'), bytes: Uint8Array, inputs: GraphValue[]): Promise<GraphTrial> {
  const unranked = inputs.find((i) => !i.dims);
  if (unranked) return { error: `input '${unranked.name}' has no declared shape, so recur cannot plan it without being told one (loadOnnxGraph's shapes)` };
  let trial: GraphTrial = {};
  for (const shapes of trialShapes(inputs)) {
    try {
      (await onnx.loadOnnxGraph(bytes, { shapes })).dispose();
      return { shapes };
    } catch (err) {
      if (!(err instanceof RecurError)) throw err;
      trial = trial.error === undefined ? { shapes, error: err.message } : trial;   // the first guess's reason
    }
  }
  return trial;
}

async function loadOnnx(path: string, bytes: Uint8Array): Promise<{ model: Sequential; format: 'onnx'; dtype: SaveDtype; notes: string[] }> {
  const onnx = await onnxSupport();
  let model: OnnxSequential;
  try {
    model = await onnx.importOnnx(bytes, { as: 'layers' });
  } catch (err) {
    if (!(err instanceof RecurFormatError)) throw err;
    // Not a chain of layers: does the graph runtime have its operators, and can it plan it?
    const graph = await onnx.loadOnnxGraph(bytes).catch(() => undefined);
    if (!graph) throw err;
    const view: GraphView = {
      inputs: graph.inputs, outputs: graph.outputs, states: { ...graph.states }, opset: graph.opset,
      decoded: graph.graph,
    };
    graph.dispose();
    throw new GraphOnlyError(path, err, view, await tryGraph(onnx, bytes, view.inputs));
  }
  const info = model.onnx;
  const notes: string[] = [];
  if (info.finalActivation) notes.push(`the graph's final ${info.finalActivation === 'softmax' ? 'Softmax' : 'LogSoftmax'} is not part of the recur model: its outputs are the logits before it`);
  if (info.initialStates.length) notes.push(`graph inputs ${info.initialStates.map((s) => s.input).join(', ')} (initial states) start at zero`);
  return { model, format: 'onnx', dtype: 'f32', notes };
}

async function loadTfjs(path: string, bytes: Uint8Array, options: LoadOptions): Promise<{ model: Sequential; format: 'tfjs'; dtype: SaveDtype; notes: string[] }> {
  let modelJson: { weightsManifest?: { paths?: unknown }[] };
  try {
    modelJson = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new CliError(`${path}: not valid JSON (${(err as Error).message}); a TensorFlow.js model is a model.json with its weight files beside it`);
  }
  const o = modelJson as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || (o.modelTopology === undefined && o.weightSpecs === undefined)) {
    const hint = o && typeof o === 'object' && 'vocab' in o ? `; it looks like the vocabulary of ${path.replace(/\.json$/, '.safetensors')}` : '';
    throw new CliError(`${path} is not a model: a TensorFlow.js model.json has "modelTopology" and "weightsManifest"${hint}`);
  }
  const tfjs = await import('../tfjs/for-node.js');
  const architecture = tfjs.tfjsArchitecture(modelJson, { dropSoftmax: options.dropSoftmax });
  const shards = await readWeightFiles(path, modelJson.weightsManifest ?? [], tfjs.weightFileBytes(modelJson));
  const model = await tfjs.importTfjs(modelJson, shards, { dropSoftmax: options.dropSoftmax });
  const notes: string[] = [];
  if (architecture.lastStepOnly) notes.push("the Keras model returns only the last step (return_sequences: false); recur's model returns every step, the last of which is Keras's output");
  if (architecture.droppedSoftmax) notes.push('the final softmax was dropped (--drop-softmax): outputs are logits');
  return { model, format: 'tfjs', dtype: 'f32', notes };
}

/**
 * The weight files a model.json's manifest names, in manifest order, relative to model.json.
 * The manifest is data from the file, so each must be a regular file inside the model's folder
 * (symlinks resolved), and a group's files are read no further than the bytes its weights
 * declare: a hostile model.json cannot make recur read ../secret.txt, /dev/zero or a FIFO.
 */
async function readWeightFiles(path: string, manifest: { paths?: unknown }[], declared: number[]): Promise<Uint8Array[]> {
  const what = `weight file of ${basename(path)}`;
  const dir = dirname(path);
  let folder: string;
  try { folder = await realpath(dir); } catch (err) { throw fileError(err, dir, 'model folder'); }
  const shards: Uint8Array[] = [];
  for (const [i, group] of manifest.entries()) {
    if (!Array.isArray(group.paths)) throw new CliError(`${path}: weightsManifest[${i}].paths must list the weight files`);
    let remaining = declared[i] ?? 0;
    for (const p of group.paths) {
      if (typeof p !== 'string') throw new CliError(`${path}: weightsManifest[${i}].paths must be file names`);
      const file = resolve(dir, p);
      let real: string;
      try { real = await realpath(file); } catch (err) { throw fileError(err, file, what); }
      const inside = relative(folder, real);
      if (inside.startsWith('..') || isAbsolute(inside)) {
        throw new CliError(`${path}: weight file '${p}' is outside the model's folder (${folder}); a manifest names files beside model.json`);
      }
      // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
      let handle;
      try { handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK); } catch (err) { throw fileError(err, file, what); }
      try {
        const info = await handle.stat();
        if (!info.isFile()) throw new CliError(`${path}: weight file '${p}' is not a regular file`);
        if (info.size > remaining) {
          throw new CliError(`${path}: weight file '${p}' has ${info.size} bytes, more than the ${remaining} the manifest declares (weightsManifest[${i}]${group.paths.length > 1 ? ', its remaining files' : ''})`);
        }
        const bytes = new Uint8Array(info.size);
        let at = 0;
        while (at < bytes.byteLength) {
          const { bytesRead } = await handle.read(bytes, at, bytes.byteLength - at, at);
          if (bytesRead === 0) break;                  // shrank since stat: decodeWeights names the shortfall
          at += bytesRead;
        }
        shards.push(bytes.subarray(0, at));
        remaining -= at;
      } finally {
        await handle.close();
      }
    }
  }
  return shards;
}

/** `a/b/name.ext` → `a/b/name<suffix>` for default output names. */
export function withSuffix(path: string, suffix: string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}${suffix}`);
}
