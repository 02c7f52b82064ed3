// recur's model file: a safetensors file whose tensors are the Sequential's state dict under
// PyTorch's names, and whose `__metadata__` carries the architecture, so a file is self-contained
// (as GGUF's key-value metadata is for ggml):
//
//   "format":  "recur"
//   "version": "1"                       the layout of this file; readers refuse newer versions
//   "model":   JSON of Sequential.toJSON(), e.g. {"layers":[{"name":"lstm","type":"lstm",…}]}
//
// Tensors are F32 or F16 (saveModel's dtype); loadModel also reads BF16. A plain PyTorch
// `safetensors.torch.save_file(module.state_dict(), path)` file (no metadata, or transformers'
// {"format": "pt"}) loads too, given the architecture.
//
// Adding a dtype (int8 is next): give it a SaveDtype, an ENCODERS entry that turns one f32 tensor
// into the file's tensors (int8: an I8 tensor under the parameter's name, [rows, cols], plus an
// F32 `<name>_scale` [rows] of per-row scales), and a case in decodeTensors that turns them back
// (or hands them to int8 kernels). Files keep version "1": a reader that meets an I8 tensor it
// cannot decode says so by name.

import { RecurError, RecurFormatError, RecurOptionError, RecurShapeError, RecurStateDictError } from '../errors.js';
import { MAX_LAYERS, MAX_SIZE } from '../layers/options.js';
import { Sequential, type LayerDescription, type SequentialDescription } from '../model/sequential.js';
import { init, type Runtime } from '../runtime/runtime.js';
import { float32FromBytes, littleEndianBytes, uint16FromBytes } from './bytes.js';
import { bfloat16ToFloat32, float16ToFloat32, float32ToFloat16 } from './f16.js';
import { parseSafetensors, safetensorsLength, serializeSafetensors, type SafetensorsFile, type SafetensorsTensorInput } from './safetensors.js';
import { readResponse } from './response.js';
import { int8Description, isInt8Matrix, quantizeRows } from './quantize.js';

export const MODEL_FORMAT = 'recur';
export const MODEL_VERSION = 1;

/** Default limit on a model file's size: 1 GiB (wasm32 memory is at most 4 GiB). */
export const DEFAULT_MAX_MODEL_BYTES = 2 ** 30;

export type SaveDtype = 'f32' | 'f16' | 'int8';

export interface SaveModelOptions {
  /** How weights are stored: 'f32' (exact, default), 'f16' (half the size; |w| ≤ 65504), or
   *  'int8' (recurrent and linear matrices as I8 + F32 `<name>_scale` per row, the rest F32;
   *  the loaded model computes on int8 — see formats/quantize.ts). */
  dtype?: SaveDtype;
}

export interface LoadModelOptions {
  /** The architecture; wins over the file's, and is required for a plain PyTorch state dict. */
  architecture?: SequentialDescription;
  /** The runtime the model is created in; default the shared one. */
  runtime?: Runtime;
  /** Largest file accepted, in bytes, checked before it is read; default 1 GiB. */
  maxBytes?: number;
}

/** Bytes, or where to fetch them (a URL string, a URL, or a fetch Response). */
export type ModelSource = Uint8Array | ArrayBuffer | URL | string | Response;

// ---------------------------------------------------------------------------------------------
// Saving

type Encoder = (name: string, values: Float32Array, shape: number[]) => Record<string, SafetensorsTensorInput>;

/** How each SaveDtype stores one f32 tensor: the file tensors it becomes, by name. */
const ENCODERS: Record<SaveDtype, Encoder> = {
  f32: (name, values, shape) => ({ [name]: { dtype: 'F32', shape, data: littleEndianBytes(values) } }),
  f16: (name, values, shape) => ({ [name]: { dtype: 'F16', shape, data: littleEndianBytes(float32ToFloat16(values, name)) } }),
  // Only the matrices int8 applies to reach this encoder (saveModel routes the rest to f32).
  int8: (name, values, shape) => {
    const { q, scales } = quantizeRows(values, shape[0], shape[1]);
    return {
      [name]: { dtype: 'I8', shape, data: new Uint8Array(q.buffer) },
      [`${name}_scale`]: { dtype: 'F32', shape: [shape[0]], data: littleEndianBytes(scales) },
    };
  },
};

/**
 * The model as a safetensors file: its state dict (PyTorch names and shapes) and, in the
 * metadata, its architecture. With dtype 'f16' a weight beyond ±65504 is a RecurValueError.
 */
export function saveModel(model: Sequential, options: SaveModelOptions = {}): Uint8Array {
  if (!(model instanceof Sequential)) throw new RecurOptionError('saveModel: model must be a Sequential');
  const dtype = options.dtype ?? 'f32';
  const encode = Object.hasOwn(ENCODERS, dtype) ? ENCODERS[dtype] : undefined;
  if (!encode) {
    throw new RecurOptionError(`saveModel: dtype must be one of ${Object.keys(ENCODERS).map((d) => `'${d}'`).join(', ')}, got ${JSON.stringify(dtype)}`);
  }
  let description = model.toJSON();
  if (dtype === 'int8') description = { layers: int8Description(description.layers) };
  const byName = new Map(description.layers.map((d) => [d.name, d]));
  const state = model.stateDict();
  const shapes = parameterShapes(description, Infinity);
  const tensors: Record<string, SafetensorsTensorInput> = {};
  for (const [name, values] of Object.entries(state)) {
    const shape = shapes.get(name);
    // A shape this file does not know how to derive (a layer newer than this code) is saved flat.
    const fitted = shape && product(shape) === values.length ? shape : [values.length];
    const dot = name.indexOf('.');
    const layer = byName.get(name.slice(0, dot));
    const asInt8 = dtype === 'int8' && layer !== undefined && fitted.length === 2 && isInt8Matrix(layer, name.slice(dot + 1));
    Object.assign(tensors, (dtype === 'int8' && !asInt8 ? ENCODERS.f32 : encode)(name, values, fitted));
  }
  return serializeSafetensors(tensors, {
    format: MODEL_FORMAT, version: String(MODEL_VERSION), model: JSON.stringify(description),
  });
}

// ---------------------------------------------------------------------------------------------
// Loading

/**
 * Reads a model file (recur's, or a PyTorch state dict with options.architecture) into a new
 * Sequential. Throws RecurFormatError for a malformed file or metadata, RecurOptionError when
 * no architecture is known, RecurStateDictError / RecurShapeError when the tensors do not fit
 * the architecture (naming them), RecurValueError for NaN or ±Infinity weights. Sizes are
 * checked against the file before the model is allocated.
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<Sequential> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  if (typeof maxBytes !== 'number' || !(maxBytes > 0)) {
    throw new RecurOptionError(`loadModel: maxBytes must be a positive number, got ${JSON.stringify(maxBytes)}`);
  }
  const file = parseSafetensors(await readSource(source, maxBytes));
  const fromFile = options.architecture === undefined;
  const description = architecture(file.metadata, options.architecture);
  checkTensors(file, description);
  const state = decodeTensors(file);

  let model: Sequential;
  try {
    // No random initialisation: loadStateDict below sets every parameter (checkTensors saw them all).
    model = Sequential.in(options.runtime ?? (await init()), description, false);
  } catch (err) {
    if (fromFile && err instanceof RecurOptionError) {
      throw new RecurFormatError(`model file: its architecture is invalid: ${err.message}`);
    }
    throw err;
  }
  try {
    model.loadFresh(state);                       // a failure disposes the model: no undo copies needed
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** The architecture to build: options.architecture, else the file's (checked). */
function architecture(metadata: Record<string, string>, given: SequentialDescription | undefined): SequentialDescription {
  const format = metadata.format;
  if (format === MODEL_FORMAT) {
    const version = metadata.version;
    if (typeof version !== 'string' || !/^[1-9][0-9]{0,8}$/.test(version)) {
      throw new RecurFormatError(`model file: metadata version must be a positive integer string, got ${JSON.stringify(version)}`);
    }
    if (Number(version) > MODEL_VERSION) {
      throw new RecurFormatError(`model file: it is recur format version ${version}, this recur reads versions up to ${MODEL_VERSION}; upgrade recur`);
    }
    if (given !== undefined) return given;
    if (metadata.model === undefined) {
      throw new RecurFormatError('model file: its metadata has no "model" (the architecture); pass loadModel(source, { architecture })');
    }
    let description: unknown;
    try {
      description = JSON.parse(metadata.model);
    } catch (err) {
      throw new RecurFormatError(`model file: metadata "model" is not valid JSON: ${(err as Error).message}`);
    }
    const layers = (description as { layers?: unknown } | null)?.layers;
    if (typeof description !== 'object' || description === null || !Array.isArray(layers)) {
      throw new RecurFormatError('model file: metadata "model" must be a Sequential description {"layers": [...]}');
    }
    return description as SequentialDescription;
  }
  // Hugging Face writes {"format": "pt"} for PyTorch weights; plain save_file writes no metadata.
  if (format !== undefined && format !== 'pt') {
    throw new RecurFormatError(`model file: metadata format ${JSON.stringify(format)} is not one recur reads ('${MODEL_FORMAT}', or 'pt' or none for a PyTorch state dict)`);
  }
  if (given === undefined) {
    throw new RecurOptionError(
      `loadModel: the file has no recur architecture (it is a plain ${format === 'pt' ? '"pt" ' : ''}state dict); pass ` +
      "loadModel(source, { architecture: { layers: [{ name: 'lstm', type: 'lstm', inputSize, hiddenSize }, …] } }), " +
      'naming each layer after the module attribute whose state_dict() the file holds');
  }
  return given;
}

/**
 * The tensors must be exactly the architecture's state dict, shape for shape. Checked before the
 * model is created, so a small file cannot make us allocate a huge model. A layer of a type this
 * code does not know, or with options Sequential will reject, is left to Sequential.create and
 * loadStateDict to judge (and then so are tensors of no layer).
 */
function checkTensors(file: SafetensorsFile, description: SequentialDescription): void {
  const names = Object.keys(file.tensors);
  // A description can claim any numLayers; past this many tensors, most are missing anyway.
  const limit = names.length + 1000;
  const expected = parameterShapes(description, limit);
  const layers = Array.isArray(description?.layers) ? description.layers : [];
  const truncated = expected.size >= limit;
  const complete = !truncated && layers.every((d) => layerShapes(d, 0) !== undefined);
  const missing: string[] = [];
  const shapes: string[] = [];
  for (const [name, shape] of expected) {
    const t = Object.hasOwn(file.tensors, name) ? file.tensors[name] : undefined;
    if (!t) missing.push(name);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      shapes.push(`tensor '${name}': the file has ${t.dtype} [${t.shape.join(', ')}] but the model needs [${shape.join(', ')}]`);
    }
  }
  // An int8 matrix comes with its row scales.
  const isScale = (n: string) => n.endsWith('_scale') && file.tensors[n.slice(0, -6)]?.dtype === 'I8';
  const unexpected = complete ? names.filter((n) => !expected.has(n) && !isScale(n)) : [];
  if (missing.length || unexpected.length) {
    const parts = [];
    if (missing.length) parts.push(`missing ${list(missing, truncated)}`);
    if (unexpected.length) parts.push(`unexpected ${list(unexpected, false)}`);
    throw new RecurStateDictError(`model file does not fit the architecture: ${parts.join('; ')}`);
  }
  if (shapes.length) throw new RecurShapeError(`model file does not fit the architecture: ${shapes.join('; ')}`);
  // Building the model allocates what the architecture claims, so the file must hold that many
  // values. (Implied by the checks above for every layer they judge; a layer they cannot judge
  // is refused by Sequential's option checks, which run before anything is allocated.)
  let needed = 0, held = 0;
  for (const shape of expected.values()) needed += product(shape);
  for (const t of Object.values(file.tensors)) held += product(t.shape);
  if (needed > held) {
    throw new RecurFormatError(`model file: the architecture needs ${needed} parameters but the file's tensors hold ${held} values`);
  }
}

const list = (names: string[], more: boolean) =>
  (names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${more ? 'more' : `${names.length - 8} more`}` : names.join(', '));

/** The file's tensors as f32 state-dict entries. */
function decodeTensors(file: SafetensorsFile): Record<string, Float32Array> {
  const state: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (name.endsWith('_scale') && file.tensors[name.slice(0, -6)]?.dtype === 'I8') continue;
    let values: Float32Array;
    switch (t.dtype) {
      case 'I8': values = dequantizeRows(name, t, file.tensors[`${name}_scale`]); break;
      case 'F32': values = float32FromBytes(t.data); break;
      case 'F16': values = float16ToFloat32(uint16FromBytes(t.data)); break;
      case 'BF16': values = bfloat16ToFloat32(uint16FromBytes(t.data)); break;
      default:
        throw new RecurFormatError(`model file: tensor '${name}' is ${t.dtype}; recur loads F32, F16, BF16 and (with _scale) I8 tensors`);
    }
    Object.defineProperty(state, name, { value: values, enumerable: true, writable: true, configurable: true });
  }
  return state;
}

/** An I8 [rows, cols] matrix and its F32 [rows] `_scale` → f32 values q · scale. */
function dequantizeRows(name: string, t: SafetensorsFile['tensors'][string], scale: SafetensorsFile['tensors'][string] | undefined): Float32Array {
  if (t.shape.length !== 2) throw new RecurFormatError(`model file: int8 tensor '${name}' must be 2-D [rows, cols], got [${t.shape.join(', ')}]`);
  const [rows, cols] = t.shape;
  if (!scale) throw new RecurFormatError(`model file: int8 tensor '${name}' has no '${name}_scale'`);
  if (scale.dtype !== 'F32' || scale.shape.length !== 1 || scale.shape[0] !== rows) {
    throw new RecurFormatError(`model file: '${name}_scale' must be F32 [${rows}], got ${scale.dtype} [${scale.shape.join(', ')}]`);
  }
  const scales = float32FromBytes(scale.data);
  const q = new Int8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    if (!Number.isFinite(scales[r]) || scales[r] < 0) throw new RecurFormatError(`model file: '${name}_scale' [${r}] = ${scales[r]} is not a finite non-negative scale`);
    for (let c = 0; c < cols; c++) out[r * cols + c] = q[r * cols + c] * scales[r];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading the bytes

async function readSource(source: ModelSource, maxBytes: number): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (source instanceof Uint8Array) {
    if (source.byteLength > maxBytes) throw tooLarge(source.byteLength, maxBytes, 'the given bytes');
    return source;
  }
  let response: Response;
  if (typeof source === 'string' || source instanceof URL) {
    try {
      response = await fetch(source);
    } catch (err) {
      throw new RecurFormatError(`loadModel: could not fetch ${String(source)}: ${(err as Error).message}` +
        ' (from a local file in Node, pass its bytes: loadModel(await readFile(path)))');
    }
  } else if (typeof Response !== 'undefined' && source instanceof Response) {
    response = source;
  } else {
    throw new RecurOptionError('loadModel: source must be a Uint8Array, ArrayBuffer, URL, URL string or Response');
  }
  // Read no further than the safetensors header says the file is: an endless body stops there.
  return readResponse(response, { maxBytes, who: 'loadModel', option: 'maxBytes', lengthOf: safetensorsLength, format: 'safetensors' });
}

const tooLarge = (bytes: number, maxBytes: number, where: string): RecurError =>
  new RecurFormatError(`loadModel: ${where} is ${bytes} bytes, more than maxBytes (${maxBytes}); raise the maxBytes option to accept it`);

// ---------------------------------------------------------------------------------------------
// Expected tensors

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

const GATES: Record<string, number> = { lstm: 4, gru: 3, rnn: 1 };

// The layers' own bounds (layers/options.ts): a size beyond them is left to Sequential, whose
// option checks refuse it before any loop or allocation grows with it.
const isSize = (v: unknown, max = MAX_SIZE): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= max;
const isFlag = (v: unknown) => v === undefined || typeof v === 'boolean';

/**
 * PyTorch's state-dict names and shapes for one layer description, with the layers' defaults
 * (torch.nn.LSTM/GRU/RNN: weight_ih_l{k}[_reverse] [G·H, in], weight_hh [G·H, H], bias_ih and
 * bias_hh [G·H]; recur's peephole LSTM adds weight_peephole [3·H], a learned leak leak_logit [H];
 * Linear weight [out, in] and
 * bias [out]; Embedding weight [num, dim]). Undefined for a type it does not know or options
 * Sequential would reject. Stops after `limit` tensors (a description can claim any numLayers).
 * test/formats/model.test.ts checks this against the layers' own state dicts and PyTorch's.
 */
function layerShapes(d: LayerDescription, limit: number): [string, number[]][] | undefined {
  if (typeof d !== 'object' || d === null) return undefined;
  const out: [string, number[]][] = [];
  const o = d as unknown as Record<string, unknown>;
  switch (d.type) {
    case 'embedding':
      if (!isSize(o.numEmbeddings) || !isSize(o.embeddingDim)) return undefined;
      out.push(['weight', [o.numEmbeddings, o.embeddingDim]]);
      return out;
    case 'linear':
      if (!isSize(o.inFeatures) || !isSize(o.outFeatures) || !isFlag(o.bias)) return undefined;
      out.push(['weight', [o.outFeatures, o.inFeatures]]);
      if (o.bias !== false) out.push(['bias', [o.outFeatures]]);
      return out;
    case 'lstm': case 'gru': case 'rnn': {
      const layers = o.numLayers ?? 1;
      if (!isSize(o.inputSize) || !isSize(o.hiddenSize) || !isSize(layers, MAX_LAYERS)) return undefined;
      if (!isFlag(o.bias) || !isFlag(o.bidirectional) || !isFlag(o.peephole) || !isFlag(o.learnLeak)) return undefined;
      const G = GATES[d.type], H = o.hiddenSize, D = o.bidirectional === true ? 2 : 1;
      for (let l = 0; l < layers && out.length < limit; l++) {
        for (let dir = 0; dir < D; dir++) {
          const s = `_l${l}${dir === 1 ? '_reverse' : ''}`;
          out.push([`weight_ih${s}`, [G * H, l === 0 ? o.inputSize : D * H]], [`weight_hh${s}`, [G * H, H]]);
          if (o.bias !== false) out.push([`bias_ih${s}`, [G * H]], [`bias_hh${s}`, [G * H]]);
          if (d.type === 'lstm' && o.peephole === true) out.push([`weight_peephole${s}`, [3 * H]]);
          if (o.learnLeak === true) out.push([`leak_logit${s}`, [H]]);
        }
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** `<layer name>.<PyTorch name>` → shape for every layer layerShapes understands (at most about `limit`). */
export function parameterShapes(description: SequentialDescription, limit: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const layers = Array.isArray(description?.layers) ? description.layers : [];
  for (const d of layers) {
    for (const [name, shape] of layerShapes(d, limit - shapes.size) ?? []) {
      if (shapes.size >= limit) return shapes;
      shapes.set(`${d.name}.${name}`, shape);
    }
  }
  return shapes;
}
