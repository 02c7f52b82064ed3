// recur for browsers (the `browser` export condition and `recur/browser`): the default entry —
// recur.wasm fetched from beside this module — plus training in a Web Worker.

export * from '../index.js';
export { trainInWorker } from '../train/train-in-worker.js';
export type { TrainInWorkerOptions, TrainingRun, TrainingResult, WorkerTrainerOptions, WorkerProgress } from '../train/worker-protocol.js';
