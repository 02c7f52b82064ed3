// recur for browsers (the `browser` export condition and `recur/browser`): the default entry —
// recur.wasm fetched from beside this module — plus training in a Web Worker.

export * from '../index.js';
export {
  trainInWorker, serveTraining, type TrainInWorkerOptions, type TrainingRun, type TrainingResult,
  type TrainingScope, type WorkerTrainerOptions, type WorkerProgress,
} from '../train/worker-training.js';
