// recur/tfjs for browsers and bundlers. The kernels are fetched from beside this module, as the
// default entry (src/index.ts) does, unless init() is given a WebAssembly.Module, bytes, a URL or
// a Response first. Written out here rather than by importing that entry, so that a page with
// only recur/tfjs loads no more of recur than it uses.
import { supportsRelaxedSimd } from '../runtime/features.js';
import { setDefaultWasmSource } from '../runtime/runtime.js';

setDefaultWasmSource(() => supportsRelaxedSimd()
  ? new URL('./recur-relaxed.wasm', import.meta.url)
  : new URL('./recur.wasm', import.meta.url));

export * from './index.js';
