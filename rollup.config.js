// Bundles the TypeScript host into dist/ (ESM, one file per entry point plus shared chunks) and
// copies build/recur.wasm beside them. Types come from `tsc --emitDeclarationOnly` (npm run build).
import { copyFileSync, mkdirSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';

const copyWasm = {
  name: 'copy-wasm',
  writeBundle() {
    mkdirSync('dist', { recursive: true });
    copyFileSync('build/recur.wasm', 'dist/recur.wasm');
  },
};

export default {
  input: { index: 'src/index.ts', node: 'src/node/index.ts' },
  output: { dir: 'dist', format: 'es', chunkFileNames: 'core.js', sourcemap: true },
  external: [/^node:/],
  plugins: [typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist', sourceMap: true }), copyWasm],
};
