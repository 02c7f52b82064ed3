// recur/vad for browsers and bundlers: recur.wasm fetched beside the module.
import '../index.js';
export * from './index.js';
