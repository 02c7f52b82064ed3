// recur/tfjs for browsers and bundlers: the kernels fetched from beside the module
// (src/runtime/web-wasm.ts), set here rather than by importing the default entry, so that a page
// with only recur/tfjs loads no more of recur than it uses.
import { fetchWasmBesideModule } from '../runtime/web-wasm.js';

fetchWasmBesideModule();

export * from './index.js';
