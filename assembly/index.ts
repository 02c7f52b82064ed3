// The layer kernels (recur.wasm), plus where the host's heap may begin. The ONNX graph runtime's
// kernels (convolutions, the STFT, elementwise ops) are a module of their own, assembly/graph.ts,
// and so are the training kernels (optimizers, clipping, losses): assembly/train.ts.
export { gemm, gemvPair, gemmWeightGrad, addColumnSums } from './gemm';
export { transposePacked, packWeight, fillUniform } from './pack';
export { gemmQ8 } from './quant';
export { sigmoidArray, tanhArray } from './activations';
export { lstmCell, lstmForward, lstmCellBackward, lstmBackward } from './lstm';
export { gruGates, gruOutput, gruForward, gruCellBackward, gruResetBackward, gruBackward } from './gru';
export { rnnCell, rnnForward, rnnBackward } from './rnn';
export { stateGradRows, largestSingularValue, spectralRadius, recurrentSpectra } from './diagnostics';
export { linearForward, embeddingForward, embeddingBackward } from './linear';
export { swapAxes01, previousRows, transpose } from './layout';
export { runProgram } from './program';

// First byte after static data; the host's allocator owns everything from here up.
export function heapBase(): usize { return __heap_base; }

// 1 in recur-relaxed.wasm (built with relaxed SIMD), 0 in recur.wasm.
export function relaxedSimd(): i32 { return ASC_FEATURE_RELAXED_SIMD ? 1 : 0; }
// The parameters' check for non-finite values (src/runtime/params.ts); the optimizers, clipping
// and losses are recur/train's own module, assembly/train.ts.
export { countNonFinite } from './optim';
