#!/usr/bin/env bash
# Compiles assembly/ twice, then one more binaryen pass over each with wasm-opt. Used by
# `npm run build:wasm` (and so by `npm install`).
#   build/recur.wasm          wasm SIMD: runs everywhere recur runs (the default)
#   build/recur-relaxed.wasm  + relaxed SIMD (f32x4.relaxed_madd: an FMA on CPUs that have one),
#                             picked at load time where the runtime supports it
#   build/recur-graph.wasm    the graph runtime's kernels (assembly/graph.ts: convolutions, the STFT,
#                             elementwise ops), loaded only by recur/onnx and recur/vad; it imports
#                             the memory of whichever build above runs (asconfig.graph.json)
#   build/recur-train.wasm    the training kernels (assembly/train.ts: optimizers, clipping, losses),
#   build/recur-train-relaxed.wasm  loaded only by recur/train, one per build above, importing its
#                             memory likewise (asconfig.train.json)
set -euo pipefail
cd "$(dirname "$0")/.."
FEATURES="--enable-simd --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals"
npx asc assembly/index.ts --target release
npx wasm-opt build/recur.wasm -O3 $FEATURES -o build/recur.wasm
npx asc assembly/index.ts --target release --enable relaxed-simd -o build/recur-relaxed.wasm
npx wasm-opt build/recur-relaxed.wasm -O3 $FEATURES --enable-relaxed-simd -o build/recur-relaxed.wasm
npx asc --config asconfig.graph.json --target release
npx wasm-opt build/recur-graph.wasm -O3 $FEATURES -o build/recur-graph.wasm
npx asc --config asconfig.train.json --target release
npx wasm-opt build/recur-train.wasm -O3 $FEATURES -o build/recur-train.wasm
npx asc --config asconfig.train.json --target release --enable relaxed-simd -o build/recur-train-relaxed.wasm
npx wasm-opt build/recur-train-relaxed.wasm -O3 $FEATURES --enable-relaxed-simd -o build/recur-train-relaxed.wasm
for f in recur recur-relaxed recur-graph recur-train recur-train-relaxed; do echo "build/$f.wasm: $(wc -c < build/$f.wasm) bytes"; done
