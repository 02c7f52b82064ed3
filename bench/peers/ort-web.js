// onnxruntime-web: the same runtime compiled to WebAssembly (SIMD), its 'wasm' execution provider
// run in Node exactly as in a browser ('onnxruntime-web/wasm' resolves to the same bundle), with
// one thread (no worker threads, no proxy worker).

import { NotAvailable, packageVersion } from './common.js';
import { ortWorkloads } from './ort.js';

let ort;

export const peer = {
  id: 'ort-web',
  name: 'onnxruntime-web',
  setting: 'wasm SIMD in Node, 1 thread',
  weights: 'same',

  async load() {
    ort = await import('onnxruntime-web/wasm');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    return { version: packageVersion('onnxruntime-web') };
  },

  ...ortWorkloads(() => ort, { executionProviders: ['wasm'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' }),

  async train() {
    throw new NotAvailable('onnxruntime-web 1.30 ships no training build (on-device training needs artifacts from the onnxruntime-training Python package)');
  },

  /** What `import 'onnxruntime-web/wasm'` fetches in a browser: the ESM bundle (Emscripten glue
   *  included) and the SIMD wasm (1.30 ships only the threaded build; it runs with 1 thread). */
  download() {
    const dist = new URL('../../node_modules/onnxruntime-web/dist/', import.meta.url);
    return ['ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.wasm'].map((f) => new URL(f, dist));
  },
};
