// onnxruntime-node: Microsoft's native CPU runtime (MLAS kernels) through a Node addon, one thread.
// Not something a browser or a Worker can use; here as the native ceiling a Node user could pick.

import { statSync, readdirSync } from 'node:fs';
import { NotAvailable, packageVersion } from './common.js';
import { ortWorkloads } from './ort.js';

let ort;

export const peer = {
  id: 'ort-node',
  name: 'onnxruntime-node',
  setting: 'native CPU, 1 thread',
  weights: 'same',

  async load() {
    const m = await import('onnxruntime-node');
    ort = m.default ?? m;
    return { version: packageVersion('onnxruntime-node') };
  },

  ...ortWorkloads(() => ort, {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
  }),

  async train() {
    throw new NotAvailable('onnxruntime-node has no training API');
  },

  download() {
    const dir = new URL('../../node_modules/onnxruntime-node/bin/napi-v6/linux/x64/', import.meta.url);
    let bytes = 0;
    try { for (const f of readdirSync(dir)) bytes += statSync(new URL(f, dir)).size; } catch { /* other platform */ }
    throw new NotAvailable(`native addon, not a browser download (${(bytes / 1e6).toFixed(0)} MB installed for linux-x64)`);
  },
};
