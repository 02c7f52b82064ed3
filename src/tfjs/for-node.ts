// recur/tfjs for Node: the importer, with recur.wasm read from disk like recur's Node entry.
import '../node/index.js';
export * from './index.js';
