// One Durable Object per set of weights being fine-tuned (env.FINE_TUNERS.idFromName('') for
// everyone's, idFromName('user:<id>') for a user's own): the Trainer (f32 weights and Adam's
// moments, ~16 bytes per weight) lives here, and requests to it run one at a time.
//
//   POST /fine-tune { ids, budgetMs = 5, seqLen = 16, maxSteps, user?, publish? }
//        → { steps, losses, loss, totalSteps, position, ms, version, published }
//   POST /publish   { user? } → { version, published: true }
//
// Each request's training is appended to a log in the object's storage (its ids, window length,
// step count and start position: enough to redo it exactly), and an alarm PUBLISH_AFTER_MS later
// (a var, default 1000) publishes: the weights as safetensors to R2 (`char-lstm.safetensors` or
// `users/<id>.safetensors`, customMetadata.version one higher) and the trainer's checkpoint beside
// them (`.ckpt`, customMetadata.through: the last log entry it includes), after which the log is
// cleared. Every isolate picks the new version up within MODEL_TTL_MS (models.js); this one at once.
// After a restart or an eviction the object reloads the checkpoint and redoes the log entries after
// it, so no request's training is lost or applied twice. `publish: true` publishes before answering.
// With no bucket, the weights reach only this isolate, and the log is redone from the bundled file.

import { loadModel, saveModel } from 'recur';
import { Trainer } from 'recur/train';
import { BadRequest, respond } from './respond.js';
import { BASE_KEY, TRAINER_OPTIONS, bundledModel, checkpointKey, install, userKey } from './models.js';

const TRAIN_GFLOPS = 3;            // a low estimate of training speed on one core; see train()
const MAX_IDS = 8192;              // per request: a log entry of 32 kB at most (a value may be 2 MB)
const logKey = (seq) => `log:${String(seq).padStart(12, '0')}`;

export class FineTuner {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
    this.ready = undefined;            // the Promise of restore()
    this.queue = Promise.resolve();
  }

  fetch(request) {
    const run = this.queue.then(() => respond('fine-tuner', () => this.handle(request)));
    this.queue = run.catch(() => {});
    return run;
  }

  /** PUBLISH_AFTER_MS after a fine-tune request: publish (an alarm that throws is retried). */
  async alarm() {
    const run = this.queue.then(async () => {
      const meta = await this.ctx.storage.get('meta');
      if (!meta) return;
      this.ready ??= this.restore(meta.user);
      await this.ready;
      await this.publish();
    });
    this.queue = run.catch(() => {});
    await run;
  }

  async handle(request) {
    const { pathname } = new URL(request.url);
    const body = await request.json();
    this.ready ??= this.restore(body.user);
    await this.ready;
    if (pathname === '/publish') return { version: await this.publish(), published: true };
    const result = this.train(body);
    const seq = this.meta.seq + 1;
    await this.ctx.storage.put({
      [logKey(seq)]: { ids: result.tokens, seqLen: result.T, steps: result.steps, from: result.from },
      meta: { ...this.meta, seq, cursor: this.cursor },
    });
    this.meta = { ...this.meta, seq, cursor: this.cursor };
    let version = this.meta.version + 1, published = false;
    if (body.publish === true) {
      version = await this.publish();
      published = true;
    } else if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + Number(this.env.PUBLISH_AFTER_MS ?? 1000));
    }
    const { tokens: _t, T: _T, from: _f, ...answer } = result;
    return { ...answer, version, published };
  }

  /** The trainer as it was after the last request: the last checkpoint, then the log after it. */
  async restore(user) {
    this.key = user === undefined ? BASE_KEY : userKey(user);
    const meta = (await this.ctx.storage.get('meta')) ?? { user, version: 0, through: 0, seq: 0, cursor: 0 };
    const bucket = this.env.MODELS;
    const [checkpoint, published] = bucket ? await Promise.all([bucket.get(checkpointKey(this.key)), bucket.head(this.key)]) : [];
    meta.version = Math.max(meta.version, Number(published?.customMetadata?.version ?? 0));
    // A user's first fine-tune starts from everyone's weights as last published.
    const start = checkpoint ? undefined : bucket && (await bucket.get(BASE_KEY));
    // A checkpoint overwrites the weights, so any copy of the architecture will do then.
    const model = start ? await loadModel(new Uint8Array(await start.arrayBuffer())) : await bundledModel();
    this.trainer = new Trainer(model, TRAINER_OPTIONS);
    if (checkpoint) {
      this.trainer.loadCheckpoint(new Uint8Array(await checkpoint.arrayBuffer()));
      meta.through = Number(checkpoint.customMetadata.through);
      meta.cursor = Number(checkpoint.customMetadata.cursor);
    } else {
      meta.through = 0;                // nothing published to start from: redo the whole log
      meta.cursor = 0;
    }
    this.model = model;
    this.cursor = meta.cursor;
    this.meta = meta;
    const log = await this.ctx.storage.list({ prefix: 'log:', start: logKey(meta.through + 1) });
    for (const entry of log.values()) this.redo(entry);
    this.meta.cursor = this.cursor;
    this.parameters = Object.values(model.stateDict()).reduce((n, t) => n + t.length, 0);
  }

  /**
   * Adam steps on windows of `ids` (next-id prediction) while they fit the budget. Deployed Workers
   * do not advance performance.now() during CPU work, so the budget is kept by an estimate: the
   * step's FLOPs (6 per weight per token: forward 2, backward 4) at a low guess of the speed,
   * replaced by the measured time wherever the clock runs (wrangler dev, workerd), where the loop
   * also stops once the budget is spent.
   */
  train({ ids, budgetMs = 5, seqLen = 16, maxSteps = Infinity }) {
    if (ids.length > MAX_IDS) throw new BadRequest(`give at most ${MAX_IDS} ids per fine-tune request`);
    const tokens = Int32Array.from(ids);   // checked by the Worker in front
    const T = Math.min(seqLen, ids.length - 1);
    this.msPerToken ??= (6 * this.parameters) / (TRAIN_GFLOPS * 1e6);
    const planned = Math.max(1, Math.min(maxSteps, Math.floor(budgetMs / (this.msPerToken * T))));
    const from = this.cursor;
    const losses = [];
    const started = performance.now();
    for (let i = 0; i < planned; i++) {
      if (i > 0 && performance.now() - started >= budgetMs) break;
      losses.push(this.window(tokens, T));
    }
    const steps = losses.length, ms = performance.now() - started;
    if (ms > 0) this.msPerToken = ms / (steps * T);
    return { steps, losses, loss: losses.reduce((a, b) => a + b, 0) / steps, totalSteps: this.trainer.stepCount,
             position: this.cursor, ms, tokens, T, from };
  }

  /** One Adam step on the window at the cursor; returns its loss. */
  window(tokens, T) {
    if (this.cursor + T + 1 > tokens.length) this.cursor = 0;
    const inputs = tokens.slice(this.cursor, this.cursor + T);
    const targets = tokens.slice(this.cursor + 1, this.cursor + T + 1);
    this.cursor += T;
    return this.trainer.step(inputs, targets, { seqLen: T, batch: 1 }).loss;
  }

  /** A log entry's training again, exactly: the same windows from the same position. */
  redo({ ids, seqLen, steps, from }) {
    this.cursor = from;
    for (let i = 0; i < steps; i++) this.window(ids, seqLen);
  }

  /** Writes the weights and the checkpoint (R2) and installs them here; returns the version. */
  async publish() {
    if (this.meta.seq === this.meta.through) return this.meta.version;
    const version = this.meta.version + 1, through = this.meta.seq;
    const weights = saveModel(this.model);
    if (this.env.MODELS) {
      // The checkpoint first: weights published without it would be redone from an older one.
      await this.env.MODELS.put(checkpointKey(this.key), this.trainer.saveCheckpoint(),
        { customMetadata: { version: String(version), through: String(through), cursor: String(this.cursor) } });
      await this.env.MODELS.put(this.key, weights, { customMetadata: { version: String(version) } });
    }
    await install(this.key, version, weights);
    this.meta = { ...this.meta, version, through };
    await this.ctx.storage.put('meta', this.meta);
    if (this.env.MODELS) {
      const old = await this.ctx.storage.list({ prefix: 'log:', end: logKey(through + 1) });
      if (old.size) await this.ctx.storage.delete([...old.keys()]);
    }
    return version;
  }
}
