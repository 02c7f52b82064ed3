// The training kernels (src/train: recur/train), built apart from the layer kernels as
// recur-train.wasm (and recur-train-relaxed.wasm, whose exp uses the FMA as recur-relaxed.wasm's
// does), so an app that only runs models does not download them. Like recur-graph.wasm, the
// module imports the memory of the runtime's recur.wasm (env.memory), so its pointers are the
// same byte offsets; it has no static data and allocates nothing. The layers' backward passes
// stay in recur.wasm: they are the layers' own.
export { sgdStep, adamStep, sumSquares, maxAbs, scale, clampValues } from './optim';
export { softmaxCrossEntropy, mse } from './loss';
