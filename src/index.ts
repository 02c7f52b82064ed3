// recur: the default entry (browsers and bundlers). The kernels are fetched from beside this
// module — recur-relaxed.wasm where the browser runs relaxed SIMD, else recur.wasm — unless
// init() is given a WebAssembly.Module, bytes, a URL or a Response first. (Both URLs are
// written out in full so bundlers see and copy both files.)

import { supportsRelaxedSimd } from './runtime/features.js';
import { setDefaultWasmSource } from './runtime/runtime.js';

setDefaultWasmSource(() => supportsRelaxedSimd()
  ? new URL('./recur-relaxed.wasm', import.meta.url)
  : new URL('./recur.wasm', import.meta.url));

export * from './core.js';
