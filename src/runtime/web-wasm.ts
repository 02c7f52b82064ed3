// Where the entries for browsers and bundlers (recur, recur/onnx, recur/vad, recur/tfjs) find
// their kernels unless init() is given a WebAssembly.Module, bytes, a URL or a Response first:
// beside the module — after bundling, dist/, where every entry and chunk sits. recur-relaxed.wasm
// where the browser runs relaxed SIMD, else recur.wasm. (The URLs are written out in full so
// bundlers see and copy every file.)

import { supportsRelaxedSimd } from './features.js';
import { setDefaultGraphWasmSource, setDefaultTrainWasmSource, setDefaultWasmSource } from './runtime.js';

export function fetchWasmBesideModule(): void {
  setDefaultWasmSource(() => supportsRelaxedSimd()
    ? new URL('./recur-relaxed.wasm', import.meta.url)
    : new URL('./recur.wasm', import.meta.url));
  // recur/train's kernels, fetched only by a runtime made after recur/train is imported.
  setDefaultTrainWasmSource((build) => build === 'relaxed'
    ? new URL('./recur-train-relaxed.wasm', import.meta.url)
    : new URL('./recur-train.wasm', import.meta.url));
}

/** The graph runtime's kernels too (recur/onnx, recur/vad). */
export function fetchGraphWasmBesideModule(): void {
  setDefaultGraphWasmSource(() => new URL('./recur-graph.wasm', import.meta.url));
}
