// One Durable Object per session id (env.SESSIONS.idFromName(session)): it holds that session's
// stream as saveState() bytes, in memory and in the object's SQLite-backed storage, written with
// every step request (the response waits for the write: Durable Objects' output gate). After a
// restart, an eviction or hibernation the next request reads them back, so the session goes on
// bit for bit where it was. A Durable Object runs one request at a time for its session (the queue
// below also orders requests across the await for the weights); different sessions run in parallel.
//
//   POST /step   { ids, user? } → { logits, steps, version, weights }
//   POST /reset  {}             → { ok: true }
//
// `user` picks that user's fine-tuned weights once they are published (else everyone's); a session
// keeps the user it started with. `version` and `weights` say which weights answered.

import { weightsFor } from './models.js';
import { BadRequest, respond } from './respond.js';

export class Session {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
    this.saved = undefined;            // { state: Uint8Array | null, steps, user }, once read
    this.queue = Promise.resolve();
  }

  fetch(request) {
    const run = this.queue.then(() => respond('session', () => this.handle(request)));
    this.queue = run.catch(() => {});
    return run;
  }

  async handle(request) {
    const { pathname } = new URL(request.url);
    const body = await request.json();
    this.saved ??= (await this.ctx.storage.get('session')) ?? { state: null, steps: 0, user: body.user };
    if (pathname === '/reset') {
      this.saved = { state: null, steps: 0, user: body.user };
      await this.ctx.storage.delete('session');
      return { ok: true };
    }
    if (this.saved.steps === 0) this.saved.user = body.user;
    else if (body.user !== undefined && body.user !== this.saved.user) {
      throw new BadRequest(`this session is user ${JSON.stringify(this.saved.user)}'s`);
    }
    const ids = Int32Array.from(body.ids);   // checked by the Worker in front
    let weights = await weightsFor(this.env, this.saved.user);
    while (weights.disposed) weights = await weightsFor(this.env, this.saved.user);   // replaced meanwhile
    const { key, version, stream } = weights;
    // No await from here to the end of the step: the isolate's scratch stream is ours meanwhile,
    // and the weights cannot be disposed (that happens in a timer, between tasks).
    if (this.saved.state) stream.loadState(this.saved.state);
    else stream.reset();
    const out = stream.steps(ids, ids.length);   // one wasm call for all ids
    const logits = Array.from(out.subarray(out.length - stream.outputSize));
    this.saved = { state: stream.saveState(), steps: this.saved.steps + ids.length, user: this.saved.user };
    this.ctx.storage.put('session', this.saved);
    return { logits, steps: this.saved.steps, version, weights: key };
  }
}
