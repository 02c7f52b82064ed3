import { defineConfig } from 'vitest/config';

// Two projects, so both builds of the kernels (scripts/build-wasm.sh) are tested:
//   relaxed  every test, in a Node that runs relaxed SIMD (Node 20 needs the flag), so the
//            default build is recur-relaxed.wasm, as in browsers, workerd and Node ≥ 22
//   simd     the numerical suites again with RECUR_WASM=simd: recur.wasm, the build Node 20
//            users get by default (without the flag) and runtimes without relaxed SIMD load
const numerical = [
  'test/activations.test.ts', 'test/recurrent.golden.test.ts', 'test/onnx-cells.golden.test.ts',
  'test/recurrent.gradients.test.ts', 'test/gradients.finite-difference.test.ts', 'test/stream.equivalence.test.ts',
  'test/stream.group.test.ts', 'test/train.trajectory.test.ts', 'test/quantize.test.ts', 'test/sequential.test.ts',
  'test/kernels.gemm.test.ts', 'test/kernels.quant.test.ts', 'test/memory.diagnostics.test.ts', 'test/memory.golden.test.ts',
  'test/memory.options.golden.test.ts', 'test/memory.trajectory.test.ts',
  'test/graph/onnx.node-cases.graph.test.ts', 'test/graph/ops.conv.test.ts', 'test/graph/ops.stft.test.ts', 'test/vad/silero.onnxruntime.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'relaxed', include: ['test/**/*.test.ts'], execArgv: ['--experimental-wasm-relaxed-simd'] } },
      { extends: true, test: { name: 'simd', include: numerical, env: { RECUR_WASM: 'simd' } } },
    ],
  },
});
