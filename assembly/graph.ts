// The graph runtime's own kernels (src/graph: ONNX graphs such as Silero VAD), built apart from
// the layer kernels as recur-graph.wasm, so an app that only runs recur's layers does not
// download them. The module imports the memory of the runtime's recur.wasm (env.memory), so its
// pointers are the same byte offsets; it has no static data and allocates nothing.
export { im2col1d, padRows, padRowsShort, convDirect1d, convFused1d, convPanels1d } from './conv';
export { addRowBias, ewBinary, ewUnary } from './elementwise';
export { stftReal, stftReal32 } from './fft';
