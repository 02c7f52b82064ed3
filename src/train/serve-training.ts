// The worker's side of trainInWorker (train-in-worker.ts): serveTraining() answers its messages
// (worker-protocol.ts) on a worker's global scope with a Trainer. recur's own worker script,
// dist/train-worker.js, is this on its scope; a worker of your own can call it too.

import { RecurOptionError } from '../errors.js';
import { loadModel, saveModel } from '../formats/model.js';
import { loadTrainKernels } from './kernels.js';
import { Trainer, type FitProgress } from './trainer.js';
import { checkDiagnosticsEvery, checkExamples, type FromWorker, type ToWorker } from './worker-protocol.js';

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
      await loadTrainKernels(model.runtime).catch((err) => { model.dispose(); throw err; });
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
