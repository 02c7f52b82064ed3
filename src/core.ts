// Everything every entry point exports; the entry points differ only in where recur.wasm comes from.
// Training (Trainer, optimizers, losses) is recur/train (src/train/index.ts): apps that only run
// models do not download it. The layers' backward passes and their tapes stay here: recur/train
// drives them, and they are the layers' own.

export { LSTM, type LSTMOptions } from './layers/lstm.js';
export { GRU, type GRUOptions } from './layers/gru.js';
export { RNN, type RNNOptions } from './layers/rnn.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Embedding, type EmbeddingOptions } from './layers/embedding.js';
export type { RecurrentOptions, ForwardOptions, ForwardResult } from './layers/recurrent.js';
export {
  Sequential, type SequentialDescription, type LayerDescription, type Layer,
  type SequentialForwardOptions, type SequentialForwardResult, type RecurrentState,
} from './model/sequential.js';
export { Stream, type StreamOptions, type StreamInput } from './stream/stream.js';
export { StreamGroup, GroupMember, type StreamGroupOptions } from './stream/group.js';
import './stream/layer-streams.js';   // LSTM, GRU and RNN's stream() and streamGroup()
export { sampleLogits, seededRandom } from './stream/sample.js';
export type { RecurrentTape, BackwardInput, Gradients } from './layers/recurrent-backward.js';
export type { DirectionDiagnostics, GateStatistics, GateSpectrum, SpectrumOptions, GradientReach } from './layers/diagnostics.js';
export type { Tape } from './layers/tape.js';
export type { SequentialTape, SequentialBackwardInput, SequentialGradients } from './model/sequential.js';
export { init, Runtime } from './runtime/runtime.js';
export { supportsRelaxedSimd, type WasmBuild } from './runtime/features.js';
export type { WasmSource } from './runtime/wasm.js';
export * from './errors.js';
export { saveModel, loadModel, type SaveModelOptions, type LoadModelOptions, type ModelSource, type SaveDtype } from './formats/model.js';
export {
  parseSafetensors, serializeSafetensors, type SafetensorsFile, type SafetensorsTensor,
  type SafetensorsTensorInput, type SafetensorsDtype, type SafetensorsLimits,
} from './formats/safetensors.js';
export { quantize, type QuantizeDtype } from './formats/quantize.js';
