// recur for Cloudflare Workers (the `workerd` and `worker` export conditions). Workers refuse to
// compile wasm from bytes at run time, so the kernels come in as a module: Wrangler and workerd
// turn `import … from './recur-relaxed.wasm'` into a WebAssembly.Module (a CompiledWasm module).
// The bundle sits beside dist/recur-relaxed.wasm, so this path holds in dist/ as written.
// workerd runs relaxed SIMD, so Workers get that build (the faster one in every workload); one
// module, so nothing else is uploaded or compiled. init() with recur/recur.wasm picks the other.

import wasm from './recur-relaxed.wasm';
import trainWasm from './recur-train-relaxed.wasm';
import { setDefaultTrainWasmSource, setDefaultWasmSource } from '../runtime/runtime.js';

setDefaultWasmSource(() => wasm);
// recur/train's kernels (a module of 2 kB gzipped), instantiated only where recur/train is used.
setDefaultTrainWasmSource(() => trainWasm);

// The default entry: its fetch-from-beside source is set when it loads, before the line above
// replaces it (imports run first), and never read. Sharing its module keeps one copy of the rest.
export * from '../index.js';
