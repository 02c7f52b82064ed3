// recur/onnx for browsers and bundlers. The kernels (and the graph runtime's, recur-graph.wasm) are
// fetched from beside this module, as the
// default entry (src/index.ts) does, unless init() is given a WebAssembly.Module, bytes, a URL or
// a Response first. Written out here rather than by importing that entry, so that a page with
// only recur/onnx loads no more of recur than it uses.
import { supportsRelaxedSimd } from '../runtime/features.js';
import { setDefaultGraphWasmSource, setDefaultWasmSource } from '../runtime/runtime.js';

setDefaultWasmSource(() => supportsRelaxedSimd()
  ? new URL('./recur-relaxed.wasm', import.meta.url)
  : new URL('./recur.wasm', import.meta.url));
setDefaultGraphWasmSource(() => new URL('./recur-graph.wasm', import.meta.url));

export * from './index.js';
