// recur for Node: the same API, with recur.wasm read from disk, so no set-up call is needed.
// The build is recur-relaxed.wasm where this Node runs relaxed SIMD (Node ≥ 22, or Node 20 with
// --experimental-wasm-relaxed-simd), else recur.wasm; RECUR_WASM=simd or RECUR_WASM=relaxed
// chooses one explicitly.

import { createRequire } from 'node:module';
import { RecurWasmError } from '../errors.js';
import { preferredBuild, supportsRelaxedSimd, wasmFile, type WasmBuild } from '../runtime/features.js';
import { setDefaultGraphWasmSource, setDefaultTrainWasmSource, setDefaultWasmSource } from '../runtime/runtime.js';

function chosenBuild(): WasmBuild {
  const asked = process.env.RECUR_WASM;
  if (asked === undefined || asked === '') return preferredBuild();
  if (asked !== 'simd' && asked !== 'relaxed') throw new RecurWasmError(`RECUR_WASM must be "simd" or "relaxed", not "${asked}"`);
  if (asked === 'relaxed' && !supportsRelaxedSimd()) {
    throw new RecurWasmError('RECUR_WASM=relaxed, but this Node cannot run relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)');
  }
  return asked;
}

/**
 * Reads one of recur's .wasm files synchronously, through require, when first needed: an async
 * read starts libuv's thread pool, and an ESM import of node:fs builds a facade that loads
 * node:stream — each a few ms of start-up, the second paid even by programs that bring their own kernels.
 */
function readWasm(file: string): Uint8Array {
  const { readFileSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  // Bundled, the .wasm files sit beside this file (dist/); run from source (tests), in build/.
  const candidates = [new URL(`./${file}`, import.meta.url), new URL(`../../build/${file}`, import.meta.url)];
  for (const url of candidates) {
    try { return readFileSync(url); } catch { /* try the next place */ }
  }
  throw new RecurWasmError(`${file} not found (looked in ${candidates.map((u) => u.pathname).join(', ')}); run npm run build`);
}

setDefaultWasmSource(() => readWasm(wasmFile(chosenBuild())));
// The graph runtime's kernels (recur/onnx, recur/vad), read only if a graph is loaded.
setDefaultGraphWasmSource(() => readWasm('recur-graph.wasm'));
// recur/train's, read only when a runtime loads them (recur/train imported, or a Trainer made).
setDefaultTrainWasmSource((build) => readWasm(build === 'relaxed' ? 'recur-train-relaxed.wasm' : 'recur-train.wasm'));

// The default entry, whose fetch-from-beside source the lines above replace (imports run first).
export * from '../index.js';
export { nodeTransform } from './stream.js';
export { saveCheckpointFile, loadCheckpointFile, writeFileAtomic } from './checkpoint.js';
