// recur/onnx for Cloudflare Workers: the importer, with recur-relaxed.wasm and the graph kernels,
// recur-graph.wasm, imported as modules.
import '../worker/index.js';
import graph from './recur-graph.wasm';
import { setDefaultGraphWasmSource } from '../runtime/runtime.js';

setDefaultGraphWasmSource(() => graph);
export * from './index.js';
