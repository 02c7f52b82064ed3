// recur/vad for Node: recur.wasm read from disk.
import '../node/index.js';
export * from './index.js';
