// recur/train: training on the device — the Trainer (backpropagation through time, truncated or
// whole, checkpoints, diagnostics of memory), optimizers, losses, gradient clipping, and the
// worker side of trainInWorker. A subpath of its own, as recur/onnx and recur/vad are, so that an
// app that only runs models does not download it (its JavaScript, nor its kernels,
// recur-train.wasm: src/train/kernels.ts): it works on the models and runtime of `recur`
// (whichever runtime's entry loaded them), one copy of the library.

export { Trainer, type TrainerOptions, type StepOptions, type StepResult, type FitProgress, type Example } from './trainer.js';
export { SGD, Adam, AdamW, createOptimizer, type Optimizer, type OptimizerOptions, type OptimizerState, type ParamSlot } from './optimizer.js';
export { clipGradNorm, clipGradValue, gradNorm } from './clip.js';
export { crossEntropy, mse } from './loss.js';
export type { StepDiagnostics, MemoryDiagnostics, DiagnosticsOptions } from './diagnostics.js';
export { serveTraining, type TrainingScope } from './serve-training.js';
export { initTraining, loadTraining } from './kernels.js';
export type { WorkerTrainerOptions, WorkerProgress } from './worker-protocol.js';
