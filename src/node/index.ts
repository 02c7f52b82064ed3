// recur for Node: the same API, with recur.wasm read from disk, so no set-up call is needed.

import { readFile } from 'node:fs/promises';
import { RecurWasmError } from '../errors.js';
import { setDefaultWasmSource } from '../runtime/runtime.js';

// Bundled, recur.wasm sits beside this file (dist/); run from source (tests), it is in build/.
const candidates = [new URL('./recur.wasm', import.meta.url), new URL('../../build/recur.wasm', import.meta.url)];

setDefaultWasmSource(async () => {
  for (const url of candidates) {
    try { return await readFile(url); } catch { /* try the next place */ }
  }
  throw new RecurWasmError(`recur.wasm not found (looked in ${candidates.map((u) => u.pathname).join(', ')}); run npm run build`);
});

export * from '../core.js';
export { nodeTransform } from './stream.js';
export { saveCheckpointFile, loadCheckpointFile, writeFileAtomic } from './checkpoint.js';
