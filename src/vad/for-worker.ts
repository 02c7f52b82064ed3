// recur/vad for Cloudflare Workers: recur-relaxed.wasm imported as a module.
import '../worker/index.js';
export * from './index.js';
