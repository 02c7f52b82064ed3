// Training in a Web Worker, so the page that asked for it never freezes. One call on the page:
//
//   const run = trainInWorker({ model: saveModel(model), examples, steps: 200,
//                               trainer: { loss: 'crossEntropy', lr: 3e-3 },
//                               onProgress: (p) => plot(p.step, p.loss) });
//   const trained = await loadModel((await run.done).model);
//
// and none in the worker: recur ships the worker script (dist/train-worker.js), which is just
// serveTraining() on the worker's global scope. A worker of your own can call serveTraining() too.
//
// The protocol (structured clone; model files are transferred, not copied):
//   page → worker   { type: 'start', model, examples, trainer, steps, diagnosticsEvery? }
//                   { type: 'weights' }   send the model file as it is now
//                   { type: 'stop' }      finish after the current step
//   worker → page   { type: 'progress', progress }        after every Trainer.step(); progress.diagnostics
//                                                         on the steps diagnosticsEvery asks for
//                   { type: 'weights', model }
//                   { type: 'done', model, progress }
//                   { type: 'error', name, message }

import * as errors from '../errors.js';
import { RecurError, RecurOptionError } from '../errors.js';
import { loadModel, saveModel } from '../formats/model.js';
import { positiveInt } from '../layers/options.js';
import type { StepDiagnostics } from './diagnostics.js';
import { Trainer, type Example, type FitProgress, type TrainerOptions } from './trainer.js';

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

type ToWorker =
  | { type: 'start'; model: Uint8Array; examples: Example[]; trainer: WorkerTrainerOptions; steps?: number; diagnosticsEvery?: number }
  | { type: 'weights' }
  | { type: 'stop' };

type FromWorker =
  | { type: 'progress'; progress: WorkerProgress }
  | { type: 'weights'; model: Uint8Array }
  | { type: 'done'; model: Uint8Array; progress: FitProgress }
  | { type: 'error'; name: string; message: string };

/** Trains a copy of a model in a Web Worker; see the top of this file. */
export function trainInWorker(options: TrainInWorkerOptions): TrainingRun {
  const { model, examples, trainer, steps, onProgress, diagnosticsEvery } = options ?? ({} as TrainInWorkerOptions);
  if (!(model instanceof Uint8Array)) throw new RecurOptionError('trainInWorker: model must be the Uint8Array of a model file (saveModel)');
  checkExamples(examples);
  checkDiagnosticsEvery(diagnosticsEvery);
  const ownWorker = options.worker === undefined;
  const worker = options.worker ?? new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });

  let result: TrainingResult | undefined, failure: Error | undefined;
  const waitingForWeights: { resolve: (model: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  let finish!: (r: TrainingResult) => void, fail!: (e: Error) => void;
  const done = new Promise<TrainingResult>((resolve, reject) => { finish = resolve; fail = reject; });
  const end = (r: TrainingResult | Error) => {
    worker.removeEventListener('message', onMessage);
    worker.removeEventListener('error', onError);
    if (ownWorker) worker.terminate();
    if (r instanceof Error) { failure = r; fail(r); } else { result = r; finish(r); }
    for (const w of waitingForWeights.splice(0)) r instanceof Error ? w.reject(r) : w.resolve(r.model.slice());
  };
  const onMessage = (event: MessageEvent<FromWorker>) => {
    const m = event.data;
    if (m.type === 'progress') onProgress?.(m.progress);
    else if (m.type === 'weights') waitingForWeights.shift()?.resolve(m.model);
    else if (m.type === 'done') end({ model: m.model, progress: m.progress });
    else if (m.type === 'error') end(workerError(m.name, m.message));
  };
  const onError = (event: ErrorEvent) => {
    event.preventDefault?.();
    end(new RecurError(`trainInWorker: the worker failed: ${event.message || 'could not load or run the worker script'}`));
  };
  worker.addEventListener('message', onMessage);
  worker.addEventListener('error', onError);

  const copy = model.slice();
  post(worker, { type: 'start', model: copy, examples, trainer, steps, ...(diagnosticsEvery === undefined ? {} : { diagnosticsEvery }) }, [copy.buffer]);
  return {
    done,
    weights: () => new Promise<Uint8Array>((resolve, reject) => {
      if (result) return resolve(result.model.slice());
      if (failure) return reject(failure);
      waitingForWeights.push({ resolve, reject });
      post(worker, { type: 'weights' });
    }),
    stop: () => { if (!result && !failure) post(worker, { type: 'stop' }); return done; },
  };
}

/** What serveTraining needs of a worker's global scope (DedicatedWorkerGlobalScope has it). */
export interface TrainingScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Answers trainInWorker's messages on a worker's scope: one training run at a time. */
export function serveTraining(scope: TrainingScope = globalThis as unknown as TrainingScope): void {
  let current: { start: Uint8Array; trainer?: Trainer; stopping: boolean } | undefined;
  const send = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

  scope.addEventListener('message', async (event: MessageEvent<ToWorker>) => {
    const m = event.data;
    if (m?.type === 'stop') { if (current) current.stopping = true; return; }
    if (m?.type === 'weights') {
      if (!current) return;   // finished: the page answers from the result
      const bytes = current.trainer ? saveModel(current.trainer.model) : current.start.slice();
      send({ type: 'weights', model: bytes }, [bytes.buffer]);
      return;
    }
    if (m?.type !== 'start') return;
    if (current) { send({ type: 'error', name: 'RecurError', message: 'trainInWorker: this worker is already training' }); return; }
    const run = current = { start: m.model, trainer: undefined as Trainer | undefined, stopping: false };
    try {
      checkExamples(m.examples);
      const steps = m.steps ?? m.examples.length;
      if (!Number.isSafeInteger(steps) || steps < 0) throw new RecurOptionError(`trainInWorker: steps must be a whole number ≥ 0, got ${steps}`);
      const every = checkDiagnosticsEvery(m.diagnosticsEvery);
      const model = await loadModel(m.model);
      try { run.trainer = new Trainer(model, m.trainer); } catch (err) { model.dispose(); throw err; }
      const trainer = run.trainer;
      const n = m.examples.length;
      let progress: FitProgress = { epoch: 0, step: 0, loss: NaN, gradNorm: NaN, skipped: 0, stepsPerSecond: 0 };
      const started = performance.now();
      for (let i = 0; i < steps && !run.stopping; i++) {
        const ex = m.examples[i % n];
        const diagnose = every !== undefined && i % every === 0;
        const r = trainer.step(ex.inputs, ex.targets, diagnose ? { ...ex, diagnostics: true } : ex);
        progress = { epoch: Math.floor(i / n) + 1, step: trainer.stepCount, loss: r.loss, gradNorm: r.gradNorm,
                     skipped: trainer.skippedUpdates, stepsPerSecond: (i + 1) / ((performance.now() - started) / 1000) };
        send({ type: 'progress', progress: r.diagnostics ? { ...progress, diagnostics: r.diagnostics } : progress });
        await nextTask();   // lets 'weights' and 'stop' in between steps
      }
      const bytes = saveModel(trainer.model);
      send({ type: 'done', model: bytes, progress }, [bytes.buffer]);
    } catch (err) {
      const e = err as Error;
      send({ type: 'error', name: e?.name ?? 'Error', message: e?.message ?? String(err) });
    } finally {
      current = undefined;
      if (run.trainer) { run.trainer.dispose(); run.trainer.model.dispose(); }
    }
  });
}

function checkExamples(examples: Example[]): void {
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new RecurOptionError('trainInWorker: examples must be a non-empty array of { inputs, targets, seqLen, batch }');
  }
}

/** diagnosticsEvery: undefined (none) or a positive integer. */
function checkDiagnosticsEvery(every: unknown): number | undefined {
  return every === undefined ? undefined : positiveInt('trainInWorker', 'diagnosticsEvery', every, undefined, Number.MAX_SAFE_INTEGER);
}

function post(worker: Worker, message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

/** The worker's error as the same RecurError subclass on this side (a plain Error otherwise). */
function workerError(name: string, message: string): Error {
  const Class = (errors as Record<string, unknown>)[name];
  if (typeof Class === 'function' && (Class === RecurError || Class.prototype instanceof RecurError)) {
    return new (Class as new (m: string) => Error)(message);
  }
  return Object.assign(new Error(message), { name });
}

// A macrotask boundary without setTimeout's 4 ms clamp: a message to ourselves.
let channel: MessageChannel | undefined;
function nextTask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  channel ??= new MessageChannel();
  const port = channel.port1;
  return new Promise((resolve) => {
    port.onmessage = () => resolve();
    channel!.port2.postMessage(0);
  });
}
