// recur/tfjs for Cloudflare Workers: the importer, with recur-relaxed.wasm imported as a module.
import '../worker/index.js';
export * from './index.js';
