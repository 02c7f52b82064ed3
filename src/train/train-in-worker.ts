// Training in a Web Worker, so the page that asked for it never freezes. One call on the page:
//
//   const run = trainInWorker({ model: saveModel(model), examples, steps: 200,
//                               trainer: { loss: 'crossEntropy', lr: 3e-3 },
//                               onProgress: (p) => plot(p.step, p.loss) });
//   const trained = await loadModel((await run.done).model);
//
// and none in the worker: recur ships the worker script (dist/train-worker.js), which is just
// serveTraining() (serve-training.ts, in recur/train) on the worker's global scope; a worker of
// your own can call it too. This side does not load the trainer: the page stays as small as the
// default entry, and the worker loads recur/train. The messages: worker-protocol.ts.

import * as errors from '../errors.js';
import { RecurError, RecurOptionError } from '../errors.js';
import {
  checkDiagnosticsEvery, checkExamples, type FromWorker, type ToWorker, type TrainInWorkerOptions, type TrainingResult, type TrainingRun,
} from './worker-protocol.js';

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
