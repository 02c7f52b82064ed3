// Everything every entry point exports; the entry points differ only in where recur.wasm comes from.

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
export { init, Runtime } from './runtime/runtime.js';
export type { WasmSource } from './runtime/wasm.js';
export * from './errors.js';
