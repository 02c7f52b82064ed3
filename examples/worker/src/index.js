// A Cloudflare Worker that streams a recurrent model for many sessions and fine-tunes it, within
// the Free plan's limits (10 ms of CPU per request, 128 MB per isolate), and finds the speech in
// WAV files (POST /vad, Silero VAD v5 on recur/vad: ~5 ms of CPU per second of audio; see vad.js).
//
//   POST /step       { session, ids: [3, 41, …], user? } → { logits, steps, version, weights }
//                    feeds the ids to that session's stream (a Durable Object, session.js) and
//                    returns the logits after the last one; `version` says which weights answered
//   POST /reset      { session }                    → { ok: true }
//   POST /fine-tune  { ids, budgetMs = 5, seqLen = 16, maxSteps, user?, publish? }
//                    → { steps, losses, loss, totalSteps, position, ms, version, published }
//                    Adam steps on windows of `ids` (next-id prediction) while they fit the
//                    budget, in the fine-tuner's Durable Object (fine-tuner.js), which publishes
//                    the weights to R2 as `version` (at once with publish: true); with `user`, that
//                    user's own copy of the model
//   POST /publish    { user? }                      → { version, published: true }
//   POST /vad        a WAV file                     → { sampleRate, frames, segments, … }
//                    speech segments by Silero VAD v5 (recur/vad); see vad.js
//   GET  /           → the model's architecture and what this isolate holds
//
// The weights come from the R2 bucket MODELS, or the bundled file (models.js). Bindings are in
// wrangler.toml; every response carries the request's time in server-timing (where the clock runs).

import { RecurError } from 'recur';   // the `workerd` condition: recur-relaxed.wasm as a module
import { BadRequest } from './respond.js';
import { baseModel, cacheInfo, warmUpMs } from './models.js';   // loads the model and warms up, at startup
import { detectSpeech, vadInfo } from './vad.js';

export { Session } from './session.js';
export { FineTuner } from './fine-tuner.js';

const vocabulary = baseModel().toJSON().layers[0].numEmbeddings;
const MAX_SESSION = 256;   // characters of a session or user id

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
  async fetch(request, env) {
    const started = performance.now();
    const { pathname, searchParams } = new URL(request.url);
    try {
      let response;
      if (request.method === 'GET' && pathname === '/') response = Response.json(info());
      else if (request.method !== 'POST') return new Response('not found', { status: 404 });
      else if (pathname === '/step' || pathname === '/reset') response = await toSession(env, pathname, await request.json());
      else if (pathname === '/fine-tune' || pathname === '/publish') response = await toFineTuner(env, pathname, await request.json());
      else if (pathname === '/vad') response = Response.json(detectSpeech(new Uint8Array(await request.arrayBuffer()), searchParams));
      else return new Response('not found', { status: 404 });
      // Locally the clock runs; deployed, it stands still during CPU work (a Spectre defence).
      // A Durable Object's own time comes first in server-timing, then this Worker's.
      const headers = new Headers(response.headers);
      headers.append('server-timing', `recur;dur=${(performance.now() - started).toFixed(3)}`);
      return new Response(response.body, { status: response.status, headers });
    } catch (err) {
      const status = err instanceof BadRequest || err instanceof RecurError || err instanceof SyntaxError ? 400 : 500;
      return Response.json({ error: err.name, message: err.message }, { status });
    }
  },
};

/** A name for a session or user: a non-empty string of at most MAX_SESSION characters. */
function name(value, what) {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SESSION) {
    throw new BadRequest(`${what} must be a string of 1 to ${MAX_SESSION} characters`);
  }
  return value;
}

/** POST /step and /reset go to the session's Durable Object. */
function toSession(env, pathname, { session, ids, user }) {
  name(session, 'session');
  if (user !== undefined) name(user, 'user');
  if (pathname === '/step') {
    if (!Array.isArray(ids) || ids.length === 0) throw new BadRequest('give { session: string, ids: [token ids] }');
    tokenIds(ids);
  }
  return env.SESSIONS.get(env.SESSIONS.idFromName(session)).fetch(`https://session${pathname}`,
    { method: 'POST', body: JSON.stringify({ ids, user }) });
}

/** POST /fine-tune and /publish go to the Durable Object of everyone's weights or the user's. */
function toFineTuner(env, pathname, body) {
  if (body.user !== undefined) name(body.user, 'user');
  if (pathname === '/fine-tune') {
    if (!Array.isArray(body.ids) || body.ids.length < 2) throw new BadRequest('give { ids: [at least two token ids] }');
    tokenIds(body.ids);
  }
  const id = env.FINE_TUNERS.idFromName(body.user === undefined ? '' : `user:${body.user}`);
  return env.FINE_TUNERS.get(id).fetch(`https://fine-tuner${pathname}`, { method: 'POST', body: JSON.stringify(body) });
}

function info() {
  const model = baseModel();
  return { model: model.toJSON(), parameters: model.parameterCount, ...cacheInfo(), warmUpMs,
           wasmMemoryBytes: model.runtime.memoryBytes, vad: vadInfo() };
}
