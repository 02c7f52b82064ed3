// recur/onnx for browsers and bundlers: the importer, with recur.wasm fetched beside the module.
import '../index.js';
export * from './index.js';
