// recur/onnx: ONNX models. A chain of recur's layers (torch.onnx.export of Embedding / LSTM / GRU /
// RNN / Linear stacks, or graphs of ONNX's own LSTM, GRU and RNN operators) becomes a recur
// Sequential; any other graph of supported operators (Silero VAD: convolutions, If, an LSTM with
// its state as inputs and outputs) runs on the graph runtime (src/graph). A separate entry point,
// so the main bundle does not carry the protobuf reader. See README.md in this folder.

import { RecurFormatError, RecurOptionError, RecurShapeError, RecurStateDictError, RecurValueError } from '../errors.js';
import { loadOnnxGraph, OnnxGraphModel, GraphStream, type OnnxGraphOptions, type GraphValue, type TensorInput } from '../graph/model.js';
import type { Tensor, ElemType } from '../graph/tensor.js';
import { Sequential } from '../model/sequential.js';
import type { Runtime } from '../runtime/runtime.js';
import { convertOnnx, type OnnxConversion, type OnnxOutput } from './import.js';
import { decodeTensorProto, tensorFloats, tensorInts, typeName, DataType } from './onnx.js';

export { convertOnnx, type OnnxConversion, type OnnxOutput };
export { loadOnnxGraph, OnnxGraphModel, GraphStream, type OnnxGraphOptions, type GraphValue, type TensorInput, type Tensor, type ElemType };
export { initGraph } from '../graph/kernels.js';

export interface OnnxImportOptions extends OnnxGraphOptions {
  /** The runtime the model is created in; default the shared one. */
  runtime?: Runtime;
  /**
   * 'auto' (default): a Sequential when the graph is a chain of recur's layers, else the graph
   * runtime; 'layers': a Sequential or an error saying why not; 'graph': always the graph runtime.
   * fixedInputs, shapes and states apply to the graph runtime.
   */
  as?: 'auto' | 'layers' | 'graph';
}

/** How the imported model maps onto the ONNX graph: everything convertOnnx reports but the weights. */
export type OnnxModelInfo = Omit<OnnxConversion, 'architecture' | 'stateDict'>;

/** The Sequential importOnnx returns, with `onnx` telling how to feed it and read its results. */
export type OnnxSequential = Sequential & { readonly onnx: OnnxModelInfo };

/**
 * Reads an ONNX model: into a new Sequential with its weights when the graph is a chain of
 * recur's layers, else onto the graph runtime (an OnnxGraphModel: run(), stream()). Layer names follow the PyTorch
 * modules the file names ('embed', 'lstm', 'head'), else 'embed', 'rnn0', 'linear0', ….
 * `model.onnx` says which graph inputs are initial states (pass them as forward(x, { states })),
 * where each graph output is in forward()'s result, and whether a final Softmax/LogSoftmax was
 * dropped (`finalActivation`: forward() then returns the logits before it).
 *
 * Every problem with the file — malformed protobuf, an operator or attribute recur cannot run,
 * weights that do not fit — is a RecurFormatError naming the node or tensor.
 */
export async function importOnnx(bytes: Uint8Array | ArrayBuffer, options: OnnxImportOptions & { as: 'layers' }): Promise<OnnxSequential>;
export async function importOnnx(bytes: Uint8Array | ArrayBuffer, options: OnnxImportOptions & { as: 'graph' }): Promise<OnnxGraphModel>;
export async function importOnnx(bytes: Uint8Array | ArrayBuffer, options?: OnnxImportOptions): Promise<OnnxSequential | OnnxGraphModel>;
export async function importOnnx(bytes: Uint8Array | ArrayBuffer, options: OnnxImportOptions = {}): Promise<OnnxSequential | OnnxGraphModel> {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new RecurOptionError('importOnnx: bytes must be a Uint8Array or an ArrayBuffer');
  const { as = 'auto', ...graphOptions } = options;
  if (as !== 'auto' && as !== 'layers' && as !== 'graph') throw new RecurOptionError(`importOnnx: as must be 'auto', 'layers' or 'graph', got ${JSON.stringify(as)}`);
  if (as === 'graph') return loadOnnxGraph(bytes, graphOptions);
  let conversion: OnnxConversion;
  try {
    conversion = convertOnnx(bytes);
  } catch (err) {
    // Not a chain of recur's layers: run the graph itself (whose error, if it cannot, says why).
    if (as === 'layers' || !(err instanceof RecurFormatError)) throw err;
    return loadOnnxGraph(bytes, graphOptions);
  }
  const { architecture, stateDict, ...info } = conversion;
  let model: Sequential;
  try {
    model = await Sequential.create(architecture, options.runtime);
  } catch (err) {
    throw asFormatError(err, 'its layers do not form a recur model');
  }
  try {
    model.loadStateDict(stateDict);
  } catch (err) {
    model.dispose();
    throw asFormatError(err, 'its weights do not fit its layers');
  }
  Object.defineProperty(model, 'onnx', { value: info, enumerable: false });
  return model as OnnxSequential;
}

/** Sequential's complaints about the layers or weights the file described are errors in the file. */
function asFormatError(err: unknown, what: string): unknown {
  const aboutFile = err instanceof RecurOptionError || err instanceof RecurShapeError || err instanceof RecurStateDictError || err instanceof RecurValueError;
  return aboutFile ? new RecurFormatError(`ONNX model: ${what}: ${(err as Error).message}`) : err;
}

/** A decoded TensorProto (an ONNX test's input_0.pb / output_0.pb, or an initializer). */
export interface OnnxTensorData {
  name: string;
  dims: number[];
  /** 'float', 'int64', … (TensorProto.DataType in lower case). */
  dataType: string;
  /** Float tensors (float, double, float16, bfloat16) as float32; integer tensors as numbers. */
  data: Float32Array | number[];
}

/** Decodes one serialized TensorProto; RecurFormatError if it is malformed. */
export function readTensorProto(bytes: Uint8Array | ArrayBuffer): OnnxTensorData {
  const t = decodeTensorProto(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
  const what = `ONNX TensorProto '${t.name}'`;
  const float = t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE || t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16;
  return { name: t.name, dims: t.dims, dataType: typeName(t.dataType), data: float ? tensorFloats(t, what) : tensorInts(t, what, 2 ** 30) };
}
