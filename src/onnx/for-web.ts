// recur/onnx for browsers and bundlers: the kernels and the graph runtime's (recur-graph.wasm)
// fetched from beside the module (src/runtime/web-wasm.ts), set here rather than by importing the
// default entry, so that a page with only recur/onnx loads no more of recur than it uses.
import { fetchGraphWasmBesideModule, fetchWasmBesideModule } from '../runtime/web-wasm.js';

fetchWasmBesideModule();
fetchGraphWasmBesideModule();

export * from './index.js';
