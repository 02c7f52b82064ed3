#!/usr/bin/env bash
# Compiles assembly/ to build/recur.wasm: AssemblyScript (-O3, stub runtime, SIMD), then one more
# binaryen pass with wasm-opt. Used by `npm run build:wasm` (and so by `npm install`).
set -euo pipefail
cd "$(dirname "$0")/.."
npx asc assembly/index.ts --target release
npx wasm-opt build/recur.wasm -O3 --enable-simd --enable-bulk-memory --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-mutable-globals -o build/recur.wasm
echo "build/recur.wasm: $(wc -c < build/recur.wasm) bytes"
