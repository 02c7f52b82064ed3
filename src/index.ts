// recur: the default entry (browsers and bundlers). recur.wasm is fetched from beside this module
// unless init() is given a WebAssembly.Module, bytes, a URL or a Response first.

import { setDefaultWasmSource } from './runtime/runtime.js';

setDefaultWasmSource(() => new URL('./recur.wasm', import.meta.url));

export * from './core.js';
