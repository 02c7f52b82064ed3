// The ONNX graph runtime: decode (src/onnx/onnx.ts) → plan (plan.ts: constant folding, shape
// specialisation, If resolution, buffers) → ops (ops/, one file per family) → a model with
// run() and stream() (model.ts). See README.md in this folder.

export { loadOnnxGraph, OnnxGraphModel, GraphStream, type OnnxGraphOptions, type GraphValue, type TensorInput } from './model.js';
export type { Tensor, ElemType } from './tensor.js';
export { initGraph, loadGraphKernels } from './kernels.js';
