// The messages between trainInWorker (the page, train-in-worker.ts) and serveTraining (the
// worker, serve-training.ts), and the checks both sides make. Structured clone; model files are
// transferred, not copied:
//   page → worker   { type: 'start', model, examples, trainer, steps, diagnosticsEvery? }
//                   { type: 'weights' }   send the model file as it is now
//                   { type: 'stop' }      finish after the current step
//   worker → page   { type: 'progress', progress }        after every Trainer.step(); progress.diagnostics
//                                                         on the steps diagnosticsEvery asks for
//                   { type: 'weights', model }
//                   { type: 'done', model, progress }
//                   { type: 'error', name, message }
// Types only from the trainer: the page's side must not load it.

import { RecurOptionError } from '../errors.js';
import { positiveInt } from '../layers/options.js';
import type { StepDiagnostics } from './diagnostics.js';
import type { Example, FitProgress, TrainerOptions } from './trainer.js';

/** Trainer options that can cross to a worker: all but `schedule`, which is a function. */
export type WorkerTrainerOptions = Omit<TrainerOptions, 'schedule'>;

export interface TrainInWorkerOptions {
  /** The model file to start from (saveModel's bytes); the caller's array is left as it is. */
  model: Uint8Array;
  /** Training data: step i trains on examples[i % examples.length]. */
  examples: Example[];
  trainer: WorkerTrainerOptions;
  /** Trainer.step() calls to make; default one pass over the examples. */
  steps?: number;
  /** Called after every step (progress.step counts optimizer updates, as in Trainer.fit). */
  onProgress?: (progress: WorkerProgress) => void;
  /**
   * Diagnostics of memory (Trainer.step's `diagnostics: true`) on the first step and every N-th
   * after it (steps 1, N + 1, 2N + 1, …), as progress.diagnostics; default none.
   */
  diagnosticsEvery?: number;
  /** A worker that runs serveTraining(); default recur's own dist/train-worker.js. */
  worker?: Worker;
}

/** A step's progress; with diagnosticsEvery, some steps also carry their diagnostics (plain data). */
export interface WorkerProgress extends FitProgress {
  diagnostics?: StepDiagnostics;
}

export interface TrainingResult {
  /** The trained model file: loadModel() it, or keep it. */
  model: Uint8Array;
  progress: FitProgress;
}

export interface TrainingRun {
  /** Settles when the worker has finished (all steps, or stop()); rejects with the worker's error. */
  readonly done: Promise<TrainingResult>;
  /** The model file as trained so far, between two steps. */
  weights(): Promise<Uint8Array>;
  /** Finish after the current step; resolves as `done` does. */
  stop(): Promise<TrainingResult>;
}

export type ToWorker =
  | { type: 'start'; model: Uint8Array; examples: Example[]; trainer: WorkerTrainerOptions; steps?: number; diagnosticsEvery?: number }
  | { type: 'weights' }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'progress'; progress: WorkerProgress }
  | { type: 'weights'; model: Uint8Array }
  | { type: 'done'; model: Uint8Array; progress: FitProgress }
  | { type: 'error'; name: string; message: string };

export function checkExamples(examples: Example[]): void {
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new RecurOptionError('trainInWorker: examples must be a non-empty array of { inputs, targets, seqLen, batch }');
  }
}

/** diagnosticsEvery: undefined (none) or a positive integer. */
export function checkDiagnosticsEvery(every: unknown): number | undefined {
  return every === undefined ? undefined : positiveInt('trainInWorker', 'diagnosticsEvery', every, undefined, Number.MAX_SAFE_INTEGER);
}
