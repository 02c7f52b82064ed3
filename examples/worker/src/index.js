// A Cloudflare Worker that streams a recurrent model and fine-tunes it, within the Free plan's
// limits (10 ms of CPU per request, 128 MB per isolate), and finds the speech in WAV files
// (POST /vad, Silero VAD v5 on recur/vad: ~5 ms of CPU per second of audio; see vad.js).
//
//   POST /step       { session, ids: [3, 41, …] }   → { logits, steps }    feeds the ids to that
//                    session's stream, returns the logits after the last one (microseconds of CPU)
//   POST /reset      { session }                    → { ok: true }
//   POST /fine-tune  { ids, budgetMs = 5, seqLen = 16, maxSteps }
//                    → { steps, losses, loss, totalSteps, position, ms }
//                    Adam steps on windows of `ids` (next-id prediction) while they fit the
//                    budget; call it again to go on. Every session sees the new weights.
//   POST /vad        a WAV file                     → { sampleRate, frames, segments, … }
//                    speech segments by Silero VAD v5 (recur/vad); see vad.js
//   GET  /           → the model's architecture and what this isolate holds
//
// Sessions live in this isolate's memory (a Map, oldest dropped past MAX_SESSIONS); a real
// deployment would keep stream.saveState() bytes in a Durable Object or KV instead.

import { loadModel, RecurError, Trainer } from 'recur';   // the `workerd` condition: recur-relaxed.wasm as a module
import modelFile from '../../../models/char-lstm.safetensors';   // a Data module: ArrayBuffer
import { detectSpeech, vadInfo } from './vad.js';

const MAX_SESSIONS = 5_000;           // ~10 kB each for a 256-unit LSTM: ~50 MB; see the README
const TRAIN_GFLOPS = 3;               // a low estimate of training speed on one core

let trainer;                          // made by the first fine-tune request
let cursor = 0;                       // where the next fine-tune window starts
let msPerToken;                       // training cost, measured where the clock runs; see fineTune()
const sessions = new Map();           // session id → { stream, steps }

// Loaded once per isolate, at startup (whose limit is 1 s, not the 10 ms of a request): wasm
// instantiation from the compiled module and the weights, ~10–20 ms for the 325k-weight model.
const model = await loadModel(new Uint8Array(modelFile));
const parameters = Object.values(model.stateDict()).reduce((n, t) => n + t.length, 0);
const vocabulary = model.toJSON().layers[0].numEmbeddings;

class BadRequest extends Error {}

/** The request's token ids, each an integer in the vocabulary: Int32Array.from would truncate
 *  1.5 to 1 and wrap 1e10, answering a question nobody asked. */
function tokenIds(ids) {
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabulary) {
      throw new BadRequest(`ids[${i}] is ${JSON.stringify(id)}; token ids are integers from 0 to ${vocabulary - 1}`);
    }
  });
  return Int32Array.from(ids);
}

export default {
  async fetch(request) {
    const started = performance.now();
    const { pathname, searchParams } = new URL(request.url);
    try {
      let body;
      if (request.method === 'GET' && pathname === '/') body = info();
      else if (request.method !== 'POST') return new Response('not found', { status: 404 });
      else if (pathname === '/step') body = step(await request.json());
      else if (pathname === '/reset') body = reset(await request.json());
      else if (pathname === '/fine-tune') body = fineTune(await request.json());
      else if (pathname === '/vad') body = detectSpeech(new Uint8Array(await request.arrayBuffer()), searchParams);
      else return new Response('not found', { status: 404 });
      // Locally the clock runs; deployed, it stands still during CPU work (a Spectre defence).
      const ms = performance.now() - started;
      return Response.json(body, { headers: { 'server-timing': `recur;dur=${ms.toFixed(3)}` } });
    } catch (err) {
      const status = err instanceof BadRequest || err instanceof RecurError || err instanceof SyntaxError ? 400 : 500;
      return Response.json({ error: err.name, message: err.message }, { status });
    }
  },
};

function step({ session, ids }) {
  if (typeof session !== 'string' || !Array.isArray(ids) || ids.length === 0) throw new BadRequest('give { session: string, ids: [token ids] }');
  const tokens = tokenIds(ids);
  let s = sessions.get(session);
  if (s) sessions.delete(session);   // re-inserted below, so the Map stays in order of use
  else {
    s = { stream: model.stream(), steps: 0 };
    if (sessions.size >= MAX_SESSIONS) {
      const [oldest, { stream }] = sessions.entries().next().value;
      stream.dispose();
      sessions.delete(oldest);
    }
  }
  sessions.set(session, s);
  const out = s.stream.steps(tokens, tokens.length);   // one wasm call for all ids
  s.steps += ids.length;
  return { logits: Array.from(out.subarray(out.length - s.stream.outputSize)), steps: s.steps };
}

function reset({ session }) {
  sessions.get(session)?.stream.dispose();
  sessions.delete(session);
  return { ok: true };
}

function fineTune({ ids, budgetMs = 5, seqLen = 16, maxSteps = Infinity }) {
  if (!Array.isArray(ids) || ids.length < 2) throw new BadRequest('give { ids: [at least two token ids] }');
  const tokens = tokenIds(ids);
  trainer ??= new Trainer(model, { loss: 'crossEntropy', optimizer: 'adam', lr: 3e-3, clipNorm: 1 });
  const T = Math.min(seqLen, ids.length - 1);
  // Deployed Workers do not advance performance.now() during CPU work, so the budget is kept by
  // an estimate: the step's FLOPs (6 per weight per token: forward 2, backward 4) at a low guess
  // of the speed, replaced by the measured time wherever the clock runs (wrangler dev, workerd),
  // where the loop also stops once the budget is spent.
  msPerToken ??= (6 * parameters) / (TRAIN_GFLOPS * 1e6);
  const planned = Math.max(1, Math.min(maxSteps, Math.floor(budgetMs / (msPerToken * T))));
  const losses = [];
  const started = performance.now();
  for (let i = 0; i < planned; i++) {
    if (i > 0 && performance.now() - started >= budgetMs) break;
    if (cursor + T + 1 > ids.length) cursor = 0;
    const inputs = tokens.slice(cursor, cursor + T);
    const targets = tokens.slice(cursor + 1, cursor + T + 1);
    losses.push(trainer.step(inputs, targets, { seqLen: T, batch: 1 }).loss);
    cursor += T;
  }
  const steps = losses.length, elapsed = performance.now() - started;
  if (elapsed > 0) msPerToken = elapsed / (steps * T);
  return { steps, losses, loss: losses.reduce((a, b) => a + b, 0) / steps, totalSteps: trainer.stepCount, position: cursor, ms: elapsed };
}

function info() {
  return { model: model.toJSON(), parameters, sessions: sessions.size,
           wasmMemoryBytes: model.runtime.memoryBytes, trainedSteps: trainer?.stepCount ?? 0, vad: vadInfo() };
}
