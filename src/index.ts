// recur: the default entry (browsers and bundlers). The kernels are fetched from beside this
// module (src/runtime/web-wasm.ts) unless init() is given them first.

import { fetchWasmBesideModule } from './runtime/web-wasm.js';

fetchWasmBesideModule();

export * from './core.js';
