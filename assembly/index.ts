// The one wasm module: every kernel, plus where the host's heap may begin.
export { gemm } from './gemm';
export { sigmoidArray, tanhArray } from './activations';
export { lstmCell, lstmForward } from './lstm';
export { gruGates, gruOutput, gruForward } from './gru';
export { rnnCell, rnnForward } from './rnn';
export { linearForward, embeddingForward } from './linear';
export { swapAxes01 } from './layout';
export { runProgram } from './program';

// First byte after static data; the host's allocator owns everything from here up.
export function heapBase(): usize { return __heap_base; }
