// recur for Cloudflare Workers (the `workerd` and `worker` export conditions). Workers refuse to
// compile wasm from bytes at run time, so the kernels come in as a module: Wrangler and workerd
// turn `import … from './recur.wasm'` into a WebAssembly.Module (a CompiledWasm module). The
// bundle sits beside dist/recur.wasm, so this path holds in dist/ as written.
// Workers get the plain SIMD build by default: one module to upload and compile, and the faster
// one for batch-1 streams. For sequences and training, import recur/recur-relaxed.wasm and pass
// it to init() (workerd runs relaxed SIMD).

import wasm from './recur.wasm';
import { setDefaultWasmSource } from '../runtime/runtime.js';

setDefaultWasmSource(() => wasm);

export * from '../core.js';
