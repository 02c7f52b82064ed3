// Bundles the TypeScript host into dist/: minified ESM, one file per entry point plus the chunks
// they share, with source maps, and both builds of the kernels (recur.wasm, recur-relaxed.wasm)
// copied beside them as files (Wrangler and workerd load one as a CompiledWasm module; browsers
// fetch one; Node reads one), with the graph runtime's (recur-graph.wasm, for recur/onnx and
// recur/vad). Types come from `tsc --emitDeclarationOnly` (npm run build:js). `npm run bench:size` reports the gzipped sizes.
//
//   dist/index.js         default (browsers, bundlers): fetches ./recur-relaxed.wasm (where
//                         relaxed SIMD runs) or ./recur.wasm beside itself
//   dist/browser.js       the default entry plus trainInWorker / serveTraining
//   dist/train-worker.js  the Web Worker script trainInWorker starts
//   dist/worker.js        Cloudflare Workers: `import wasm from './recur-relaxed.wasm'`
//   dist/node.js          Node: reads recur-relaxed.wasm or recur.wasm from disk; file helpers
//   dist/onnx*.js, dist/tfjs*.js importers (one entry per runtime), kept out of the main budget
//   dist/vad*.js          voice activity detection (Silero on the graph runtime), one per runtime
//   dist/cli.js           the `recur` command (bin/recur.js runs it)
//
// No CommonJS build: Node ≥ 20.19 require()s ESM, and a second copy of the module would give
// CommonJS and ESM users two default runtimes.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

const entries = {
  index: 'src/index.ts',
  browser: 'src/browser/index.ts',
  'train-worker': 'src/browser/train-worker.ts',
  worker: 'src/worker/index.ts',
  node: 'src/node/index.ts',
  train: 'src/train/for-all.ts',
};
// The importers and the command line are built once their sources exist.
// Each importer has an entry per runtime, so it finds recur.wasm the way that runtime's recur does.
const optional = {
  onnx: 'src/onnx/for-web.ts', 'onnx-node': 'src/onnx/for-node.ts', 'onnx-worker': 'src/onnx/for-worker.ts',
  tfjs: 'src/tfjs/for-web.ts', 'tfjs-node': 'src/tfjs/for-node.ts', 'tfjs-worker': 'src/tfjs/for-worker.ts',
  vad: 'src/vad/for-web.ts', 'vad-node': 'src/vad/for-node.ts', 'vad-worker': 'src/vad/for-worker.ts',
  cli: 'src/cli/main.ts',
};
for (const [name, file] of Object.entries(optional)) if (existsSync(file)) entries[name] = file;

const copyWasm = {
  name: 'copy-wasm',
  writeBundle() {
    mkdirSync('dist', { recursive: true });
    copyFileSync('build/recur.wasm', 'dist/recur.wasm');
    copyFileSync('build/recur-relaxed.wasm', 'dist/recur-relaxed.wasm');
    copyFileSync('build/recur-graph.wasm', 'dist/recur-graph.wasm');
    copyFileSync('build/recur-train.wasm', 'dist/recur-train.wasm');
    copyFileSync('build/recur-train-relaxed.wasm', 'dist/recur-train-relaxed.wasm');
  },
};

// src/worker/index.ts imports './recur-relaxed.wasm' (and recur/onnx's and recur/vad's Worker entries
// './recur-graph.wasm'). The bundles sit beside them in dist/, so the imports stay exactly as
// written, for Wrangler or workerd to resolve as wasm modules.
const wasmModule = {
  name: 'wasm-module',
  resolveId(id) {
    return /^\.\/recur(-relaxed|-graph|-train|-train-relaxed)?\.wasm$/.test(id) ? { id, external: true } : null;
  },
};

const SUBPATHS = /[\\/]src[\\/](vad|graph|onnx|tfjs)[\\/]/;
// Each runtime's own entry (src/node, src/worker…: what the subpaths' for-<runtime>.ts import) stays apart.
const RUNTIME_ENTRY = /[\\/]src[\\/]((node|worker|browser|cli)[\\/]|index\.ts$)/;
let base;
/** base: modules of src/ outside the subpaths that a subpath imports (transitively). The rest of src/core.ts's go with src/index.ts. */
function manualChunks(id, { getModuleInfo, getModuleIds }) {
  if (!base) {
    base = new Set();
    const walk = (m) => {
      for (const dep of getModuleInfo(m)?.importedIds ?? []) {
        if (SUBPATHS.test(dep) || RUNTIME_ENTRY.test(dep) || base.has(dep) || !/[\\/]src[\\/]/.test(dep)) continue;
        base.add(dep);
        walk(dep);
      }
    };
    for (const m of getModuleIds()) if (SUBPATHS.test(m)) walk(m);
  }
  if (base.has(id)) return 'base';
  return undefined;
}

// Classes that keep their names when minified: errors report theirs (RecurShapeError…) as
// error.name, and the user-facing ones show as themselves in a console or a stack trace. The
// internal ones (Allocator, Workspace, Tape…) are renamed like any other identifier.
const PUBLIC_CLASSES = new RegExp('^(Recur\\w*Error|LSTM|GRU|RNN|Linear|Embedding|Sequential|Stream|StreamGroup|GroupMember|Runtime'
  + '|Trainer|SGD|Adam|AdamW|OnnxGraphModel|GraphStream|SileroVad|SpeechSegmenter|VoiceActivityDetector)$');

export default {
  input: entries,
  output: {
    dir: 'dist',
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: '[name].js',
    // What the entries share: base.js, the part of the library that the subpaths (recur/vad,
    // recur/onnx, recur/tfjs) use too — the runtime, the layers and their kernels — and index.js,
    // the default entry, which holds the rest (the trainer and optimizers, model files,
    // quantization…): the Worker and Node entries import it and then set their own wasm source,
    // so the main entry is two files, not three. A page with only recur/vad loads none of index.js.
    manualChunks,
    sourcemap: true,
  },
  external: [/^node:/],
  plugins: [
    wasmModule,
    typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist', sourceMap: true }),
    // ES2020 modules (what every runtime recur supports runs), so terser may use the newer syntax
    // and rename top-level names; three compress passes find what one leaves.
    ...(process.env.RECUR_NO_MINIFY ? [] : [terser({
      ecma: 2020, module: true, toplevel: true, compress: { passes: 3 }, format: { comments: false },
      keep_classnames: PUBLIC_CLASSES,
    })]),
    copyWasm,
  ],
};
